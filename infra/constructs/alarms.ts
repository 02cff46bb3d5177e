import { Duration } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface RoutingAlarmsProps {
  readonly functions: Record<string, IFunction>;
  readonly deadLetters: IQueue;
  /** Where alarms notify. @default no action: the alarms show in the CloudWatch console */
  readonly topic?: ITopic;
}

/** Alarms on function errors and throttles, and on any email waiting in the dead-letter queue. */
export class RoutingAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: RoutingAlarmsProps) {
    super(scope, id);
    // Every alarm here fires on the first occurrence in a 5-minute window; no data is not a problem.
    const alarm = (id: string, description: string, metric: IMetric) => {
      const a = new Alarm(this, id, {
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (props.topic) a.addAlarmAction(new SnsAction(props.topic));
      this.alarms.push(a);
    };
    const period = { period: Duration.minutes(5) };
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`${name}Errors`, `${name} function errors`, fn.metricErrors(period));
      alarm(`${name}Throttles`, `${name} function throttled`, fn.metricThrottles(period));
    }
    alarm("EmailDeadLetters", "Inbound emails the function could not process (see the dead-letter queue)", props.deadLetters.metricApproximateNumberOfMessagesVisible(period));
  }
}
