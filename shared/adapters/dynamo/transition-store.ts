import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Transition, TransitionOutcome } from "../../domain/ports/transitions";
import type { Conversation, Message } from "../../domain/types";
import type { DynamoClients } from "./client";
import type { CommitItems } from "./commit-items";
import { all, isNew, loadUnchanged, roomForOneMore, stillAvailable, underCapacityAfter, versionIs } from "./conditions";
import { conversationToItem, itemToUser, messageToItem } from "./items";
import { keys } from "./keys";
import { runTransaction, type TransactItem, Tx, type TxResult } from "./transaction";

/**
 * +1 for the user who holds an open conversation after, -1 for the one who held it before. Mail by
 * machines counts in nobody's load (docs/routing.md §6.2).
 */
export function loadDeltas(before: Conversation, after: Conversation): Map<string, number> {
  const deltas = new Map<string, number>();
  const add = (c: Conversation, d: number) => {
    if (c.assigneeId && c.status === "open" && !c.automatic)
      deltas.set(c.assigneeId, (deltas.get(c.assigneeId) ?? 0) + d);
  };
  add(before, -1);
  add(after, +1);
  for (const [k, v] of deltas) if (v === 0) deltas.delete(k);
  return deltas;
}

/**
 * What a failed transition means: a dedupe record that exists means this very change was applied
 * before; then a changed conversation; then a user whose load or capacity refused it; anything else is
 * worth a retry.
 */
function transitionOutcome(result: TxResult): TransitionOutcome {
  if (result.ok) return { type: "committed" };
  if (result.conditions.some((f) => f.kind === "dedupe")) return { type: "duplicate" };
  if (result.conditions.some((f) => f.kind === "conversation")) return { type: "stale" };
  const user = result.conditions.find((f) => f.kind === "user");
  if (user) return { type: "user_conflict", userId: user.userId!, fresh: user.old ? itemToUser(user.old) : null };
  return { type: "transient" };
}

/** Existing conversations changing under their version: assign, reassign, unassign, close, reopen, notes. */
export class DynamoTransitionStore {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
    private readonly commits: CommitItems,
  ) {}

  /** A message item in the conversation's partition; put once (the same note again changes nothing). */
  async addNote(note: Message): Promise<void> {
    try {
      await this.db.doc.send(
        new PutCommand({ TableName: this.tableName, Item: messageToItem(note), ConditionExpression: isNew.expression }),
      );
    } catch (err) {
      if ((err as { name?: string }).name !== "ConditionalCheckFailedException") throw err;
    }
  }

  /**
   * One existing conversation changes (assign, reassign, reply-assign, unassign, close, reopen): the
   * conversation at its read version, and each user's load moved by exactly the difference the change
   * makes, in one transaction.
   */
  async commitTransition(t: Transition, now: Date): Promise<TransitionOutcome> {
    const tx = new Tx();
    const cond = all(versionIs(t.before.version));
    tx.add(
      {
        Put: {
          TableName: this.tableName,
          Item: conversationToItem({ ...t.after, updatedAt: now.toISOString() }, t.before.version + 1),
          ConditionExpression: cond.ConditionExpression,
          ExpressionAttributeValues: cond.values,
        },
      },
      { kind: "conversation" },
    );
    for (const m of [t.message, t.note])
      if (m) tx.add({ Put: { TableName: this.tableName, Item: messageToItem(m) } }, { kind: "message" });
    if (t.dedupe)
      tx.add(this.commits.dedupePut(t.after.channelId, t.dedupe.key, t.after.id, t.dedupe.expiresAt), {
        kind: "dedupe",
      });
    this.addLineMove(tx, t);
    const deltas = loadDeltas(t.before, t.after);
    for (const [userId, delta] of deltas) tx.add(this.loadMove(t, userId, delta, now), { kind: "user", userId });
    if (t.awayUserId && !deltas.has(t.awayUserId))
      tx.add(this.setAway(t.awayUserId), { kind: "user", userId: t.awayUserId });
    return transitionOutcome(await runTransaction(this.db, tx));
  }

  /** Taken by hand, closed or re-routed: it leaves the line; returned to the line: it joins it. */
  private addLineMove(tx: Tx, t: Transition): void {
    if (t.before.waitingSince && t.before.waitingSince !== t.after.waitingSince) {
      const key = keys.waitEntry(t.before.channelId, t.before.waitingSince, t.before.id);
      tx.add({ Delete: { TableName: this.tableName, Key: key } }, { kind: "wait" });
    }
    if (t.after.waitingSince && t.after.waitingSince !== t.before.waitingSince)
      tx.add(this.commits.waitPut(t.after, t.after.waitingSince), { kind: "wait" });
  }

  /** A user set away by the change, whose load it does not move. */
  private setAway(userId: string): TransactItem {
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.user(userId),
        UpdateExpression: "SET availability = :away",
        ConditionExpression: "attribute_exists(pk)",
        ExpressionAttributeValues: { ":away": "away" },
      },
    };
  }

  /**
   * A user's load moved by one: up on the conditions the choice was made on (the load seen, capacity,
   * still available) or on room for one more when chosen by hand; down unconditionally.
   */
  private loadMove(t: Transition, userId: string, delta: number, now: Date): TransactItem {
    if (delta < 0) {
      const away = t.awayUserId === userId;
      return {
        Update: {
          TableName: this.tableName,
          Key: keys.user(userId),
          UpdateExpression: away ? "ADD openCount :minusOne SET availability = :away" : "ADD openCount :minusOne",
          ExpressionAttributeValues: { ":minusOne": -1, ...(away ? { ":away": "away" } : {}) },
        },
      };
    }
    const seen = userId === t.after.assigneeId ? t.expectedLoad : undefined;
    const c =
      seen !== undefined && seen !== null
        ? all(loadUnchanged(seen), underCapacityAfter(seen + 1), ...(t.requireAvailable ? [stillAvailable] : []))
        : all(roomForOneMore);
    return {
      Update: {
        TableName: this.tableName,
        Key: keys.user(userId),
        UpdateExpression: t.markAssigned ? "ADD openCount :one SET lastAssignedAt = :now" : "ADD openCount :one",
        ConditionExpression: c.ConditionExpression,
        ExpressionAttributeValues: { ...c.values, ":one": 1, ...(t.markAssigned ? { ":now": now.toISOString() } : {}) },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    };
  }
}
