import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import type { LiveService } from "../../domain/live";
import type { LiveChange } from "../../domain/ports/live";
import { itemToConversation, itemToMessage } from "./items";
import { ENTITY, keys } from "./keys";

/**
 * The table's stream as the live fan-out reads it (docs/design.md, Live updates). The filter patterns
 * are Lambda event filtering's (the CDK mapping states them, infra/constructs/live-api.ts); the local
 * stream poller applies the same patterns with `matchesFilter`, so only the changes clients care about
 * reach the handler, deployed or not: conversations and messages written, and waiting-line entries
 * removed (the line moved).
 */
export const LIVE_STREAM_FILTERS = [
  {
    eventName: ["INSERT", "MODIFY"],
    dynamodb: { NewImage: { entityType: { S: [ENTITY.conversation, ENTITY.message] } } },
  },
  { eventName: ["REMOVE"], dynamodb: { Keys: { sk: { S: [{ prefix: keys.waitPrefix }] } } } },
] as const;

type Pattern = Record<string, unknown>;

/** Lambda's filter semantics for the shapes used above: lists of values or `{prefix}`, nested objects. */
export function matchesFilter(value: unknown, pattern: Pattern | readonly unknown[]): boolean {
  if (Array.isArray(pattern))
    return pattern.some((p) =>
      typeof p === "object" && p !== null && "prefix" in p
        ? typeof value === "string" && value.startsWith(String((p as { prefix: string }).prefix))
        : value === p,
    );
  if (typeof value !== "object" || value === null) return false;
  return Object.entries(pattern).every(([k, p]) =>
    matchesFilter((value as Record<string, unknown>)[k], p as Pattern | readonly unknown[]),
  );
}

/** Lambda's FilterCriteria for the mapping. */
export const liveFilterCriteria = () => LIVE_STREAM_FILTERS.map((p) => ({ Pattern: JSON.stringify(p) }));

/** One stream record as a live change; null for a record the filters would have dropped. */
export function liveChangeOf(record: DynamoDBRecord): LiveChange | null {
  const image = record.dynamodb?.NewImage as Record<string, AttributeValue> | undefined;
  if (record.eventName === "REMOVE") {
    const pk = record.dynamodb?.Keys?.pk?.S ?? "";
    return pk.startsWith("CHANNEL#") ? { kind: "line", channelId: pk.slice("CHANNEL#".length) } : null;
  }
  if (!image) return null;
  const item = unmarshall(image);
  if (item.entityType === ENTITY.conversation) return { kind: "conversation", conversation: itemToConversation(item) };
  if (item.entityType === ENTITY.message) return { kind: "message", message: itemToMessage(item) };
  return null;
}

/**
 * The fan-out function's handler: the batch's changes in order, and partial batch failure reporting
 * (the first record not fully sent, and every one after it, is retried; the mapping's on-failure
 * destination keeps what keeps failing).
 */
export async function handleStreamEvent(
  event: DynamoDBStreamEvent,
  live: LiveService,
  logger: { error: (m: string, extra: Record<string, unknown>) => void },
): Promise<DynamoDBBatchResponse & { sent: number; gone: number }> {
  const records = event.Records.filter((r) => matchesAny(r));
  const changes = records.map((r) => ({ r, change: liveChangeOf(r) }));
  const wanted = changes.filter((c): c is { r: DynamoDBRecord; change: LiveChange } => c.change !== null);
  const result = await live.fanOut(wanted.map((c) => c.change));
  const failed = wanted.slice(result.done).map((c) => ({ itemIdentifier: c.r.dynamodb?.SequenceNumber ?? "" }));
  if (result.error)
    logger.error("live fan-out failed; the rest of the batch is retried", {
      error: result.error as Error,
      failed: failed.length,
    });
  return { batchItemFailures: failed, sent: result.sent, gone: result.gone };
}

const matchesAny = (r: DynamoDBRecord) => LIVE_STREAM_FILTERS.some((p) => matchesFilter(r, p));
