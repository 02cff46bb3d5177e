import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { LapseTimer } from "../../domain/ports/lapses";
import type { Clock } from "../../domain/ports/time";
import type { LapseOutcome } from "../../domain/reroute";

/** SQS holds a message back at most 15 minutes, which is why `rerouteAfter.seconds` stops at 900. */
export const MAX_DELAY_SECONDS = 900;
const BATCH = 10;

export function createSqsClient(o: { region: string; endpoint?: string | undefined }): SQSClient {
  return new SQSClient({ region: o.region, ...(o.endpoint ? { endpoint: o.endpoint } : {}) });
}

/** What one timer message carries: the conversation to look at, and when its clock runs out. */
export interface LapseMessage {
  conversationId: string;
  at: string;
}

/**
 * The re-route timer deployed (docs/routing.md §5.6): one SQS message per clock, delayed until its
 * deadline, read by the lapse function. A burst of assignments is one SendMessageBatch per ten.
 */
export class SqsLapseTimer implements LapseTimer {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly clock: Clock,
  ) {}

  async schedule(lapses: ReadonlyArray<LapseMessage>): Promise<void> {
    const now = this.clock.now().getTime();
    for (let i = 0; i < lapses.length; i += BATCH) {
      const batch = lapses.slice(i, i + BATCH);
      const out = await this.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((l, j) => ({
            Id: String(j),
            MessageBody: JSON.stringify({ conversationId: l.conversationId, at: l.at } satisfies LapseMessage),
            DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.ceil((Date.parse(l.at) - now) / 1000))),
          })),
        }),
      );
      if (out.Failed?.length)
        throw new Error(`SQS refused ${out.Failed.length} lapse timer(s): ${out.Failed[0]?.Message}`);
    }
  }
}

/**
 * The lapse function's work, deployed and under `npm start` alike: each message's conversation is
 * looked at once (a lapse is idempotent: a second look finds it stale). A message that fails is
 * reported alone (partial batch response) and comes back after the visibility timeout; one that is
 * not a timer message is logged and dropped.
 */
export async function handleLapseEvent(
  event: SQSEvent,
  reroute: { lapse(conversationId: string): Promise<LapseOutcome> },
  log: {
    info(message: string, extra: Record<string, unknown>): void;
    error(message: string, extra: Record<string, unknown>): void;
  },
): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse["batchItemFailures"] = [];
  for (const record of event.Records) {
    let message: LapseMessage;
    try {
      message = JSON.parse(record.body) as LapseMessage;
      if (typeof message.conversationId !== "string") throw new Error("no conversationId");
    } catch (err) {
      log.error("not a lapse timer message: dropped", { messageId: record.messageId, error: (err as Error).message });
      continue;
    }
    try {
      const outcome = await reroute.lapse(message.conversationId);
      log.info("lapse", { conversationId: message.conversationId, outcome });
    } catch (err) {
      log.error("lapse failed; SQS delivers it again", {
        conversationId: message.conversationId,
        error: (err as Error).message,
      });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
}
