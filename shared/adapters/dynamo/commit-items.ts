import type { CommitOutcome, NewConversation } from "../../domain/ports/arrival";
import type { Conversation, Decision, User } from "../../domain/types";
import { all, isNew, loadUnchanged, stillAvailable, underCapacityAfter } from "./conditions";
import {
  conversationToItem,
  itemToUser,
  messageToItem,
  routingToAttribute,
  waitEntryOf,
  waitEntryToItem,
} from "./items";
import { conversationIndexKeys, ENTITY, keys, lapseKeys } from "./keys";
import type { TransactItem, Tx, TxResult } from "./transaction";

/** The owner a contact-owner conversation waits for, from its decision record (null for other rules). */
function ownerOf(c: Conversation): string | null {
  return c.routing?.candidates.find((x) => x.source === "contact_owner")?.userId ?? null;
}

/** Users whose condition failed, as they are now (from ALL_OLD). */
export function freshUsersOf(result: TxResult): User[] {
  if (result.ok) return [];
  return result.conditions.filter((f) => f.kind === "user" && f.old).map((f) => itemToUser(f.old!));
}

/**
 * A list commit that lost: the users whose loads moved, and the entries whose conversation changed
 * (failed its condition) while the entry itself was still there (its removal did not fail): those
 * conversations left the list some other way, so their entries must go.
 */
export function listConflict<E>(
  result: Extract<TxResult, { ok: false }>,
  listed: Array<{ entry: E }>,
  entryKind: "wait" | "queue",
): { type: "conflict"; freshUsers: User[]; gone: E[]; transient: boolean } {
  const changed = new Set(result.conditions.filter((f) => f.kind === "conversation").map((f) => f.plan!));
  for (const f of result.conditions) if (f.kind === entryKind) changed.delete(f.plan!);
  return {
    type: "conflict",
    freshUsers: freshUsersOf(result),
    gone: [...changed].map((i) => listed[i]!.entry),
    transient: result.transient,
  };
}

/** What a creation commit's failure means: duplicates by plan, moved users, or worth a retry. */
export function creationOutcome(result: TxResult, items: NewConversation[]): CommitOutcome {
  if (result.ok) return { type: "committed" };
  const duplicates = new Map<number, string>();
  let transient = result.transient;
  for (const f of result.conditions) {
    if (f.kind === "dedupe" && typeof f.old?.conversationId === "string") duplicates.set(f.plan!, f.old.conversationId);
    else if (f.kind === "conversation") duplicates.set(f.plan!, items[f.plan!]!.conversation.id);
    else if (f.kind !== "user" || !f.old) transient = true; // a chosen user vanished: read again
  }
  return { type: "conflict", freshUsers: freshUsersOf(result), duplicates, transient };
}

/**
 * The items the routing commits share (a conversation created, taken from a list, a user's load moved),
 * each added to a transaction with what it stands for, so a cancellation maps back to an outcome.
 */
export class CommitItems {
  constructor(readonly tableName: string) {}

  /** A new conversation: its item, dedupe record and first message, and its line entry if it waits. */
  addCreation(tx: Tx, item: NewConversation, index: number): void {
    const { conversation, message, dedupeKey, dedupeExpiresAt } = item;
    tx.add(
      {
        Put: {
          TableName: this.tableName,
          Item: conversationToItem(conversation, 1),
          ConditionExpression: isNew.expression,
        },
      },
      { kind: "conversation", plan: index },
    );
    tx.add(this.dedupePut(conversation.channelId, dedupeKey, conversation.id, dedupeExpiresAt), {
      kind: "dedupe",
      plan: index,
    });
    if (message)
      tx.add({ Put: { TableName: this.tableName, Item: messageToItem(message) } }, { kind: "message", plan: index });
    // Routing could not assign it: it joins its channel's waiting line in the same write.
    if (conversation.waitingSince)
      tx.add(this.waitPut(conversation, conversation.waitingSince), { kind: "wait", plan: index });
  }

  waitPut(c: Conversation, since: string): TransactItem {
    return { Put: { TableName: this.tableName, Item: waitEntryToItem(waitEntryOf(c, since, ownerOf(c))) } };
  }

  /** A dedupe record: written only if new; a failure hands back the conversation that holds the key. */
  dedupePut(channelId: string, key: string, conversationId: string, expiresAt?: number): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: {
          ...keys.dedupe(channelId, key),
          entityType: ENTITY.dedupe,
          conversationId,
          ...(expiresAt ? { expiresAt } : {}),
        },
        ConditionExpression: isNew.expression,
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    };
  }

  /** One update per chosen user (partition USER#<id>), whatever the number of conversations the batch gives them. */
  addUserLoads(tx: Tx, decisions: Array<Decision | null>, now: Date): void {
    const perUser = new Map<string, { seen: number; count: number; requireAvailable: boolean }>();
    for (const d of decisions) {
      if (!d?.userId) continue;
      const entry = perUser.get(d.userId);
      // The first decision of the batch for this user saw the stored load; later ones saw it plus the batch.
      if (entry) {
        entry.count += 1;
        entry.requireAvailable ||= d.requireAvailable;
      } else perUser.set(d.userId, { seen: d.expectedLoad ?? 0, count: 1, requireAvailable: d.requireAvailable });
    }
    for (const [userId, { seen, count, requireAvailable }] of perUser) {
      const cond = all(
        loadUnchanged(seen),
        underCapacityAfter(seen + count),
        ...(requireAvailable ? [stillAvailable] : []),
      );
      tx.add(
        {
          Update: {
            TableName: this.tableName,
            Key: keys.user(userId),
            UpdateExpression: "SET openCount = :afterLoad, lastAssignedAt = :now",
            ConditionExpression: cond.ConditionExpression,
            ExpressionAttributeValues: { ...cond.values, ":now": now.toISOString() },
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          },
        },
        { kind: "user", userId },
      );
    }
  }

  /**
   * The conversation's half of taking it from a list (the waiting line, the routing queue): the
   * decision's assignee and record, its Unassigned/Mine key, one version more, and a change-feed key
   * (the inbox's live feed must show it), on the list's condition. `effect` adds to SET and REMOVE.
   */
  decideListed(
    tx: Tx,
    listed: {
      entry: { conversationId: string; inboxId: string; channelId: string; createdAt: string };
      decision: Decision;
    },
    at: string,
    cond: { ConditionExpression: string; values: Record<string, unknown> },
    effect: { set?: string; remove: string },
    index: number,
  ): void {
    const { entry, decision } = listed;
    const views = conversationIndexKeys({
      id: entry.conversationId,
      inboxId: entry.inboxId,
      status: "open",
      assigneeId: decision.userId,
      createdAt: entry.createdAt,
    });
    // The re-route clock routing starts (docs/routing.md §5.6), with its sparse gsi6 entry.
    const clock = decision.lapse
      ? lapseKeys({ id: entry.conversationId, channelId: entry.channelId, lapse: decision.lapse })
      : null;
    const lapse = clock
      ? {
          set: ", lapse = :lapse, gsi6pk = :gsi6pk, gsi6sk = :gsi6sk",
          values: { ":lapse": decision.lapse, ":gsi6pk": clock.gsi6pk, ":gsi6sk": clock.gsi6sk },
        }
      : { set: "", values: {} };
    tx.add(
      {
        Update: {
          TableName: this.tableName,
          Key: keys.conversation(entry.conversationId),
          UpdateExpression:
            "SET assigneeId = :assignee, routing = :routing, gsi2pk = :gsi2pk, updatedAt = :now, " +
            `version = version + :one, gsi4sk = :changed${effect.set ?? ""}${lapse.set} REMOVE ${effect.remove}`,
          ConditionExpression: cond.ConditionExpression,
          ExpressionAttributeValues: {
            ...lapse.values,
            ...cond.values,
            ":assignee": decision.userId,
            ":routing": routingToAttribute(decision.record),
            ":gsi2pk": views.gsi2pk,
            ":now": at,
            ":one": 1,
            ":changed": `${at}#${entry.conversationId}`,
          },
        },
      },
      { kind: "conversation", plan: index },
    );
  }
}
