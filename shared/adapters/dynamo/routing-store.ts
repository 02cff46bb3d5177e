import { unmarshall } from "@aws-sdk/util-dynamodb";
import { DeleteCommand, GetCommand, QueryCommand, TransactWriteCommand, type TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type { Decision } from "../../domain/decide";
import type {
  CommitOutcome,
  CommitPlan,
  Directory,
  DrainOutcome,
  NewConversation,
  RoutingStore,
  Transition,
  TransitionOutcome,
} from "../../domain/ports";
import type { Channel, Contact, ContactKey, Conversation, Team, User, Inbox, QueueEntry } from "../../domain/types";
import type { DynamoClients } from "./client";
import { all, isNew, loadUnchanged, roomForOneMore, stillAvailable, underCapacityAfter, versionIs } from "./conditions";
import {
  conversationToItem,
  itemToChannel,
  itemToContact,
  itemToConversation,
  itemToInbox,
  itemToTeam,
  itemToUser,
  messageToItem,
} from "./items";
import { DIRECTORY_PK, ENTITY, conversationIndexKeys, keys } from "./keys";

type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];
type Raw = Record<string, AttributeValue>;

/** What each item of a transaction stands for, so a cancellation reason maps back to a domain outcome. */
interface TxMeaning {
  kind: "conversation" | "dedupe" | "message" | "user" | "queue";
  plan?: number;
  userId?: string;
}

class Tx {
  readonly items: TransactItem[] = [];
  readonly meaning: TxMeaning[] = [];
  add(item: TransactItem, meaning: TxMeaning): void {
    this.items.push(item);
    this.meaning.push(meaning);
  }
}

function queueEntryToItem(e: QueueEntry): Record<string, unknown> {
  return { ...keys.queueEntry(e.channelId, e.position), entityType: ENTITY.queueEntry, ...e };
}

function itemToQueueEntry(i: Record<string, unknown>): QueueEntry {
  return {
    channelId: String(i.channelId),
    conversationId: String(i.conversationId),
    inboxId: String(i.inboxId),
    createdAt: String(i.createdAt),
    queuedAt: String(i.queuedAt),
    position: String(i.position),
  };
}

/** Cancellation reason codes that mean "try again later"; any other code is a bug and is thrown. */
const TRANSIENT_REASONS = new Set(["TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded"]);

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

/** A cancellation for any reason but a failed condition or a retryable conflict is a bug: surface it. */
function assertKnownReasons(reasons: CancellationReason[], err: unknown): void {
  const bad = reasons.some((r) => r.Code && r.Code !== "None" && r.Code !== "ConditionalCheckFailed" && !TRANSIENT_REASONS.has(r.Code));
  if (bad) throw err;
}

export function isTransient(err: unknown): boolean {
  return typeof err === "object" && err !== null && TRANSIENT.has((err as { name?: string }).name ?? "");
}

/**
 * The routing module's store on DynamoDB: the only place that knows how a decision becomes one
 * conditional transaction, and how a failed condition becomes a domain outcome.
 */
export class DynamoRoutingStore implements RoutingStore {
  constructor(
    protected readonly db: DynamoClients,
    protected readonly tableName: string,
  ) {}

  async getChannel(channelId: string): Promise<Channel | null> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.channel(channelId) }));
    return out.Item ? itemToChannel(out.Item) : null;
  }

  /** Every item of one item collection (optionally a sort-key prefix), read consistently, paged past 1 MB. */
  protected async queryAll(pk: string, skPrefix?: string): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: skPrefix ? "pk = :pk AND begins_with(sk, :prefix)" : "pk = :pk",
          ExpressionAttributeValues: { ":pk": pk, ...(skPrefix ? { ":prefix": skPrefix } : {}) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** One consistent Query of the DIRECTORY collection: users, teams, inboxes and routing queues. */
  async loadDirectory(): Promise<Directory> {
    const users = new Map<string, User>();
    const teams = new Map<string, Team>();
    const inboxes = new Map<string, Inbox>();
    const queues = new Map<string, QueueEntry[]>();
    for (const item of await this.queryAll(DIRECTORY_PK)) {
      if (item.entityType === ENTITY.user) users.set(String(item.id), itemToUser(item));
      else if (item.entityType === ENTITY.team) teams.set(String(item.id), itemToTeam(item));
      else if (item.entityType === ENTITY.inbox) inboxes.set(String(item.id), itemToInbox(item));
      else if (item.entityType === ENTITY.queueEntry) {
        // Sort keys come back in order, so each queue is oldest first.
        const entry = itemToQueueEntry(item);
        queues.set(entry.channelId, [...(queues.get(entry.channelId) ?? []), entry]);
      }
    }
    return { users, teams, inboxes, queues };
  }

  async queueHead(channelId: string): Promise<QueueEntry | null> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": DIRECTORY_PK, ":prefix": keys.queuePrefix(channelId) },
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    const item = out.Items?.[0];
    return item ? itemToQueueEntry(item) : null;
  }

  async removeQueueEntry(entry: QueueEntry): Promise<void> {
    await this.db.doc.send(new DeleteCommand({ TableName: this.tableName, Key: keys.queueEntry(entry.channelId, entry.position) }));
  }

  async findContact(key: ContactKey): Promise<Contact | null> {
    const lookupKey = key.by === "email" ? keys.contactEmail(key.value) : keys.visitor(key.value);
    const lookup = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: lookupKey }));
    const contactId = lookup.Item?.contactId;
    if (typeof contactId !== "string") return null;
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.contact(contactId) }));
    return out.Item ? itemToContact(out.Item) : null;
  }

  async getConversation(id: string): Promise<(Conversation & { version: number }) | null> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.conversation(id), ConsistentRead: true }),
    );
    return out.Item ? itemToConversation(out.Item) : null;
  }

  /**
   * One transaction for the whole batch: every conversation, its dedupe record and first message, and
   * one update per chosen user (`loadUnchanged` at the load first seen, `underCapacityAfter` at the load
   * the batch brings). All or nothing, so counts can never drift from the conversations they count.
   */
  async commitNewConversations(plans: CommitPlan[], now: Date): Promise<CommitOutcome> {
    const tx = new Tx();
    plans.forEach((plan, index) => this.addCreation(tx, plan.item, index));
    this.addUserLoads(tx, plans.map((p) => p.decision), now);
    return this.runCreation(tx, plans.map((p) => p.item));
  }

  /** Create the conversations unassigned, each with its queue entry, in one transaction. */
  async enqueueNewConversations(queued: Array<{ item: NewConversation; entry: QueueEntry }>): Promise<CommitOutcome> {
    const tx = new Tx();
    queued.forEach(({ item, entry }, index) => {
      this.addCreation(tx, item, index);
      tx.add({ Put: { TableName: this.tableName, Item: queueEntryToItem(entry) } }, { kind: "queue", plan: index });
    });
    return this.runCreation(tx, queued.map((q) => q.item));
  }

  /**
   * Route queued conversations: each conversation must still be the version that was queued (nobody
   * took it by hand), its entry is removed, and chosen users' loads move as in a direct commit.
   */
  async commitDrain(entries: Array<{ entry: QueueEntry; decision: Decision }>, now: Date): Promise<DrainOutcome> {
    const tx = new Tx();
    entries.forEach(({ entry, decision }, index) => {
      const cond = all(versionIs(1));
      const assigneeId = decision.userId;
      const index_ = conversationIndexKeys({ id: entry.conversationId, inboxId: entry.inboxId, status: "open", assigneeId, createdAt: entry.createdAt });
      tx.add(
        {
          Update: {
            TableName: this.tableName,
            Key: keys.conversation(entry.conversationId),
            UpdateExpression: "SET assigneeId = :assignee, routing = :routing, gsi2pk = :gsi2pk, updatedAt = :now, version = :two, gsi3sk = :changed REMOVE routingPending",
            ConditionExpression: cond.ConditionExpression,
            // gsi3sk: the drain is a change the inbox's live feed must show (keys.ts changeFeedKeys).
            ExpressionAttributeValues: { ...cond.values, ":assignee": assigneeId, ":routing": decision.record, ":gsi2pk": index_.gsi2pk, ":now": now.toISOString(), ":two": 2, ":changed": `${now.toISOString()}#${entry.conversationId}` },
          },
        },
        { kind: "conversation", plan: index },
      );
      tx.add(
        {
          Delete: {
            TableName: this.tableName,
            Key: keys.queueEntry(entry.channelId, entry.position),
            ConditionExpression: "attribute_exists(pk)",
          },
        },
        { kind: "queue", plan: index },
      );
    });
    this.addUserLoads(tx, entries.map((e) => e.decision), now);
    try {
      await this.db.doc.send(new TransactWriteCommand({ TransactItems: tx.items }));
      return { type: "committed" };
    } catch (err) {
      const failed = this.failures(err, tx);
      // A conversation that changed while its entry is still there was taken by hand: the entry must go.
      // Both failing means another router drained it already: nothing is left to clean.
      const changed = new Set(failed.conditions.filter((f) => f.kind === "conversation").map((f) => f.plan!));
      for (const f of failed.conditions) if (f.kind === "queue") changed.delete(f.plan!);
      return {
        type: "conflict",
        freshUsers: failed.freshUsers,
        gone: [...changed].map((i) => entries[i]!.entry),
        transient: failed.transient,
      };
    }
  }

  private addCreation(tx: Tx, item: NewConversation, index: number): void {
    const { conversation, message, dedupeKey, dedupeExpiresAt } = item;
    tx.add(
      { Put: { TableName: this.tableName, Item: conversationToItem(conversation, 1), ConditionExpression: isNew.expression } },
      { kind: "conversation", plan: index },
    );
    tx.add(this.dedupePut(conversation.channelId, dedupeKey, conversation.id, dedupeExpiresAt), { kind: "dedupe", plan: index });
    if (message) tx.add({ Put: { TableName: this.tableName, Item: messageToItem(message) } }, { kind: "message", plan: index });
  }

  /** A dedupe record: written only if new; a failure hands back the conversation that holds the key. */
  private dedupePut(channelId: string, key: string, conversationId: string, expiresAt?: number): TransactItem {
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...keys.dedupe(channelId, key), entityType: ENTITY.dedupe, conversationId, ...(expiresAt ? { expiresAt } : {}) },
        ConditionExpression: isNew.expression,
        ReturnValuesOnConditionCheckFailure: "ALL_OLD",
      },
    };
  }

  /** One update per chosen user, whatever the number of conversations the batch gives them. */
  private addUserLoads(tx: Tx, decisions: Array<Decision | null>, now: Date): void {
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
      const cond = all(loadUnchanged(seen), underCapacityAfter(seen + count), ...(requireAvailable ? [stillAvailable] : []));
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

  private async runCreation(tx: Tx, items: NewConversation[]): Promise<CommitOutcome> {
    try {
      await this.db.doc.send(new TransactWriteCommand({ TransactItems: tx.items }));
      return { type: "committed" };
    } catch (err) {
      const failed = this.failures(err, tx);
      const duplicates = new Map<number, string>();
      let transient = failed.transient;
      for (const f of failed.conditions) {
        if (f.kind === "dedupe" && typeof f.old?.conversationId === "string") duplicates.set(f.plan!, f.old.conversationId);
        else if (f.kind === "conversation") duplicates.set(f.plan!, items[f.plan!]!.conversation.id);
        else if (f.kind !== "user" || !f.old) transient = true; // a chosen user vanished: re-read the directory
      }
      return { type: "conflict", freshUsers: failed.freshUsers, duplicates, transient };
    }
  }

  /** Turns a failed transaction into what failed where; rethrows anything that is not a lost race. */
  private failures(err: unknown, tx: Tx) {
    const reasons = cancellationReasons(err);
    if (!reasons) {
      if (isTransient(err)) return { conditions: [], freshUsers: [], transient: true };
      throw err;
    }
    assertKnownReasons(reasons, err);
    const conditions: Array<TxMeaning & { old?: Record<string, unknown> }> = [];
    const freshUsers: User[] = [];
    let transient = false;
    reasons.forEach((reason, i) => {
      const m = tx.meaning[i];
      if (!m || !reason.Code || reason.Code === "None") return;
      if (reason.Code !== "ConditionalCheckFailed") {
        transient = true; // TransactionConflict, throttling inside the transaction
        return;
      }
      const old = reason.Item ? unmarshall(reason.Item) : undefined;
      conditions.push({ ...m, ...(old ? { old } : {}) });
      if (m.kind === "user" && old) freshUsers.push(itemToUser(old));
    });
    return { conditions, freshUsers, transient };
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
    if (t.message) tx.add({ Put: { TableName: this.tableName, Item: messageToItem(t.message) } }, { kind: "message" });
    if (t.dedupe) tx.add(this.dedupePut(t.after.channelId, t.dedupe.key, t.after.id, t.dedupe.expiresAt), { kind: "dedupe" });
    for (const [userId, delta] of loadDeltas(t.before, t.after)) {
      if (delta > 0) {
        const c =
          t.expectedLoad !== undefined && t.expectedLoad !== null && userId === t.after.assigneeId
            ? all(loadUnchanged(t.expectedLoad), underCapacityAfter(t.expectedLoad + 1))
            : all(roomForOneMore);
        tx.add(
          {
            Update: {
              TableName: this.tableName,
              Key: keys.user(userId),
              UpdateExpression: t.markAssigned ? "ADD openCount :one SET lastAssignedAt = :now" : "ADD openCount :one",
              ConditionExpression: c.ConditionExpression,
              ExpressionAttributeValues: { ...c.values, ":one": 1, ...(t.markAssigned ? { ":now": now.toISOString() } : {}) },
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
          { kind: "user", userId },
        );
      } else {
        tx.add(
          { Update: { TableName: this.tableName, Key: keys.user(userId), UpdateExpression: "ADD openCount :minusOne", ExpressionAttributeValues: { ":minusOne": -1 } } },
          { kind: "user", userId },
        );
      }
    }
    try {
      await this.db.doc.send(new TransactWriteCommand({ TransactItems: tx.items }));
      return { type: "committed" };
    } catch (err) {
      const failed = this.failures(err, tx);
      // A dedupe record that exists means this very change was applied before; then a changed
      // conversation; then a user whose load or capacity refused it; anything else is worth a retry.
      if (failed.conditions.some((f) => f.kind === "dedupe")) return { type: "duplicate" };
      if (failed.conditions.some((f) => f.kind === "conversation")) return { type: "stale" };
      const user = failed.conditions.find((f) => f.kind === "user");
      if (user) return { type: "user_conflict", userId: user.userId!, fresh: user.old ? itemToUser(user.old) : null };
      return { type: "transient" };
    }
  }

}

/** +1 for the user who holds an open conversation after, -1 for the one who held it before. */
export function loadDeltas(before: Conversation, after: Conversation): Map<string, number> {
  const deltas = new Map<string, number>();
  const add = (userId: string | null, open: boolean, d: number) => {
    if (userId && open) deltas.set(userId, (deltas.get(userId) ?? 0) + d);
  };
  add(before.assigneeId, before.status === "open", -1);
  add(after.assigneeId, after.status === "open", +1);
  for (const [k, v] of deltas) if (v === 0) deltas.delete(k);
  return deltas;
}
