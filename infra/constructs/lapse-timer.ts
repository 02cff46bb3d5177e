import { Duration } from "aws-cdk-lib";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface LapseTimerProps {
  /** The lapse function (functions/lapse/handler.ts). */
  readonly handler: IFunction;
  /** Functions that assign by routing and so start clocks: they send to the queue. */
  readonly senders: IFunction[];
}

/**
 * The re-route timer (docs/routing.md §5.6): an SQS queue whose messages are delayed to each clock's
 * deadline (SQS holds one back up to 15 minutes, the longest `rerouteAfter`), read by the lapse
 * function through an event source mapping that reports failures message by message. Chosen over
 * EventBridge Scheduler: one SendMessageBatch schedules ten clocks, a schedule is one call each and
 * has to be deleted after. A message that fails three times goes to the dead-letter queue; the
 * sweeper still finds its clock, so nothing is lost either way.
 */
export class LapseTimer extends Construct {
  readonly queue: Queue;
  readonly deadLetters: Queue;

  constructor(scope: Construct, id: string, props: LapseTimerProps) {
    super(scope, id);
    this.deadLetters = new Queue(this, "DeadLetters", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, "Queue", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Six times the function's timeout, as Lambda asks of a queue it reads.
      visibilityTimeout: Duration.seconds(90),
      retentionPeriod: Duration.hours(1),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: 3 },
    });
    props.handler.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 10 }),
    );
    for (const fn of [props.handler, ...props.senders]) this.queue.grantSendMessages(fn);
  }
}
