import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { TransactWriteCommand, type TransactWriteCommandInput, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoClients } from "./client";
import { keys } from "./keys";

export type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];
type Raw = Record<string, AttributeValue>;

/** What each item of a transaction stands for, so a cancellation reason maps back to a domain outcome. */
export interface TxMeaning {
  kind: "conversation" | "dedupe" | "message" | "user" | "queue" | "member" | "wait" | "sample" | "contact" | "channel";
  /** Index of the plan (conversation of a batch) the item belongs to. */
  plan?: number;
  userId?: string;
}

/** One failed condition: what the item stood for and, when asked (`ALL_OLD`), the item as it is now. */
export type FailedCondition = TxMeaning & { old?: Record<string, unknown> };

export type TxResult = { ok: true } | { ok: false; conditions: FailedCondition[]; transient: boolean };

/** A transaction being built: each item with its meaning. */
export class Tx {
  readonly items: TransactItem[] = [];
  readonly meaning: TxMeaning[] = [];
  add(item: TransactItem, meaning: TxMeaning): void {
    this.items.push(item);
    this.meaning.push(meaning);
  }
}

/** Cancellation reason codes that mean "try again later"; any other code is a bug and is thrown. */
const TRANSIENT_REASONS = new Set([
  "TransactionConflict",
  "ThrottlingError",
  "ProvisionedThroughputExceeded",
  "RequestLimitExceeded",
]);

/** SDK error names that mean "try again later", not "your request is wrong". */
const TRANSIENT = new Set([
  "TransactionConflictException",
  "ThrottlingException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "TransactionInProgressException",
]);

interface CancellationReason {
  Code?: string;
  Item?: Raw;
}

function cancellationReasons(err: unknown): CancellationReason[] | null {
  if (typeof err === "object" && err !== null && (err as { name?: string }).name === "TransactionCanceledException") {
    return ((err as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? []) as CancellationReason[];
  }
  return null;
}

export function isTransient(err: unknown): boolean {
  return typeof err === "object" && err !== null && TRANSIENT.has((err as { name?: string }).name ?? "");
}

/**
 * Run a transaction and turn a cancellation into what failed where: each failed condition with its
 * meaning and fresh item, and whether retrying may help. Anything that is not a lost race (a bad
 * request, an unknown reason) is thrown: it is a bug, not an outcome.
 */
export async function runTransaction(db: DynamoClients, tx: Tx): Promise<TxResult> {
  try {
    await claimLineTickets(db, tx);
    await db.doc.send(new TransactWriteCommand({ TransactItems: tx.items }));
    return { ok: true };
  } catch (err) {
    const reasons = cancellationReasons(err);
    if (!reasons) {
      if (isTransient(err)) return { ok: false, conditions: [], transient: true };
      throw err;
    }
    const bad = reasons.some(
      (r) => r.Code && r.Code !== "None" && r.Code !== "ConditionalCheckFailed" && !TRANSIENT_REASONS.has(r.Code),
    );
    if (bad) throw err;
    const conditions: FailedCondition[] = [];
    let transient = false;
    reasons.forEach((reason, i) => {
      const m = tx.meaning[i];
      if (!m || !reason.Code || reason.Code === "None") return;
      if (reason.Code !== "ConditionalCheckFailed") {
        transient = true; // TransactionConflict, throttling inside the transaction
        return;
      }
      conditions.push({ ...m, ...(reason.Item ? { old: unmarshall(reason.Item) } : {}) });
    });
    return { ok: false, conditions, transient };
  }
}

/**
 * Every entry that joins a waiting line takes the next ticket of its channel's line: one atomic
 * counter per channel, bumped once per transaction by the number of entries joining (so concurrent
 * routers never contend inside their transactions). A visitor's place is then their ticket minus the
 * head's, plus one: two reads, whatever the length of the line (docs/routing.md §5.5). A transaction
 * that fails after claiming leaves a gap, which only makes places behind it look one longer until the
 * head passes it.
 */
async function claimLineTickets(db: DynamoClients, tx: Tx): Promise<void> {
  const byChannel = new Map<string, Array<Record<string, unknown>>>();
  let table = "";
  tx.items.forEach((item, i) => {
    const put = item.Put?.Item as Record<string, unknown> | undefined;
    if (tx.meaning[i]?.kind !== "wait" || !put || put.entityType !== "waitEntry") return;
    const pk = String(put.pk);
    table = item.Put?.TableName ?? table;
    byChannel.set(pk, [...(byChannel.get(pk) ?? []), put]);
  });
  await Promise.all(
    [...byChannel].map(async ([pk, entries]) => {
      const out = await db.doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk, sk: keys.lineTicketsSk },
          UpdateExpression: "ADD issued :n SET entityType = :type",
          ExpressionAttributeValues: { ":n": entries.length, ":type": "lineTickets" },
          ReturnValues: "UPDATED_NEW",
        }),
      );
      const last = Number(out.Attributes?.issued);
      entries
        .sort((a, b) => String(a.sk).localeCompare(String(b.sk)))
        .forEach((entry, i) => {
          entry.ticket = last - entries.length + 1 + i;
        });
    }),
  );
}
