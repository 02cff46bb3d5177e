import { Duration } from "aws-cdk-lib";
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRIC, METRICS_NAMESPACE } from "#shared/adapters/metrics/names";

export interface RoutingAlarmsProps {
  readonly functions: Record<string, IFunction>;
  readonly deadLetters: IQueue;
  /** The re-route timer's dead letters (the sweeper catches their clocks, but something is failing). */
  readonly lapseDeadLetters?: IQueue;
  /** Stream batches the live fan-out gave up on (clients resumed or reloaded, but something is failing). */
  readonly liveFailures?: IQueue;
  /** Powertools service names of the functions that send email (the `service` dimension of their metrics). */
  readonly emailSenders?: string[];
  /** Where alarms notify. @default no action: the alarms show in the CloudWatch console */
  readonly topic?: ITopic;
}

/**
 * Alarms on function errors and throttles, on any email waiting in the dead-letter queue, and on any
 * outbound email that could not be sent; each notifies the topic when one is given.
 */
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
    const senders = props.emailSenders ?? [];
    if (senders.length > 0) {
      const usingMetrics = Object.fromEntries(
        senders.map((service, i) => [
          `s${i}`,
          new Metric({
            namespace: METRICS_NAMESPACE,
            metricName: METRIC.emailSendFailed,
            dimensionsMap: { service },
            statistic: "Sum",
            ...period,
          }),
        ]),
      );
      alarm(
        "EmailSendFailures",
        "Outbound emails (replies to customers, owner notifications) SES did not accept: " +
          "the agent sees 'not delivered' on the reply",
        new MathExpression({
          expression: Object.keys(usingMetrics).join(" + "),
          usingMetrics,
          label: "failed sends",
          ...period,
        }),
      );
    }
    alarm(
      "EmailDeadLetters",
      "Inbound emails the function could not process (see the dead-letter queue)",
      props.deadLetters.metricApproximateNumberOfMessagesVisible(period),
    );
    if (props.lapseDeadLetters)
      alarm(
        "LapseDeadLetters",
        "Re-route timers the lapse function failed three times (the sweeper re-routes those chats within a minute)",
        props.lapseDeadLetters.metricApproximateNumberOfMessagesVisible(period),
      );
    if (props.liveFailures)
      alarm(
        "LiveFailures",
        "Changes the live fan-out could not send after its retries (clients catch up on resume, or reload)",
        props.liveFailures.metricApproximateNumberOfMessagesVisible(period),
      );
  }
}
