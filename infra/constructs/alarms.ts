import { Duration } from "aws-cdk-lib";
import { Alarm, ComparisonOperator, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
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
    const add = (alarm: Alarm) => {
      if (props.topic) alarm.addAlarmAction(new SnsAction(props.topic));
      this.alarms.push(alarm);
    };
    for (const [name, fn] of Object.entries(props.functions)) {
      add(new Alarm(this, `${name}Errors`, {
        alarmDescription: `${name} function errors`,
        metric: fn.metricErrors({ period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }));
      add(new Alarm(this, `${name}Throttles`, {
        alarmDescription: `${name} function throttled`,
        metric: fn.metricThrottles({ period: Duration.minutes(5) }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }));
    }
    add(new Alarm(this, "EmailDeadLetters", {
      alarmDescription: "Inbound emails the function could not process (see the dead-letter queue)",
      metric: props.deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }));
  }
}
