import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { TransactWriteCommand, type TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { DynamoClients } from "./client";

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
