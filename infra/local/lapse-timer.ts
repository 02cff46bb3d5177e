import { randomUUID } from "node:crypto";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { LapseMessage } from "#shared/adapters/sqs/lapse-queue";
import type { LapseTimer } from "#shared/domain/ports/lapses";

/** SQS's visibility timeout here: a failed delivery comes back this much later. */
const REDELIVER_MS = 10_000;
/** Deliveries before a message is given up (deployed: the dead-letter queue after the same count). */
const MAX_RECEIVES = 3;

/**
 * What the SQS delay queue and its Lambda event source mapping do deployed, under `npm start`: each
 * clock is held until its deadline, then handed to the same lapse handler as the event SQS would
 * send; a reported failure comes back after a visibility timeout. In memory: a restart loses the
 * timers, and the sweeper finds their clocks (docs/routing.md §5.6).
 */
export class LocalLapseTimer implements LapseTimer {
  private handler: ((event: SQSEvent) => Promise<SQSBatchResponse>) | null = null;
  private readonly pending = new Set<() => void>();

  /** `now` and `wait` are the process's own; tests hand in a clock and a timer they move by hand. */
  constructor(
    private readonly now: () => number = Date.now,
    private readonly wait: (ms: number, fire: () => void) => () => void = (ms, fire) => {
      const t = setTimeout(fire, ms);
      return () => clearTimeout(t);
    },
  ) {}

  /** The handler is the app's, and the app needs the timer: it is attached once both exist. */
  attach(handler: (event: SQSEvent) => Promise<SQSBatchResponse>): void {
    this.handler = handler;
  }

  schedule(lapses: ReadonlyArray<LapseMessage>): Promise<void> {
    for (const l of lapses) this.later(Math.max(0, Date.parse(l.at) - this.now()), l, 1);
    return Promise.resolve();
  }

  /** Ctrl-C: no timer may fire into a stopped app. */
  stop(): void {
    for (const cancel of this.pending) cancel();
    this.pending.clear();
  }

  private later(ms: number, message: LapseMessage, receive: number): void {
    const cancel = this.wait(ms, () => {
      this.pending.delete(cancel);
      void this.deliver(message, receive);
    });
    this.pending.add(cancel);
  }

  private async deliver(message: LapseMessage, receive: number): Promise<void> {
    if (!this.handler) return;
    const result = await this.handler(sqsEvent(message, receive)).catch(() => null);
    const failed = result === null || result.batchItemFailures.length > 0;
    if (failed && receive < MAX_RECEIVES) this.later(REDELIVER_MS, message, receive + 1);
  }
}

/** One message as an SQS event source mapping delivers it (the fields the lapse handler reads, and the rest). */
export function sqsEvent(message: LapseMessage, receive = 1): SQSEvent {
  const body = JSON.stringify(message);
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId: randomUUID(),
        receiptHandle: randomUUID(),
        body,
        attributes: {
          ApproximateReceiveCount: String(receive),
          SentTimestamp: now,
          SenderId: "local",
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:routing-lapses",
        awsRegion: "us-east-1",
      },
    ],
  };
}
