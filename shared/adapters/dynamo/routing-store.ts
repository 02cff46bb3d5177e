import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { Decision } from "../../domain/decide";
import type {
  ChannelState,
  CommitOutcome,
  CommitPlan,
  DrainOutcome,
  Entities,
  EntityIds,
  NewConversation,
  RoutingStore,
  Transition,
  TransitionOutcome,
  WaitingOutcome,
} from "../../domain/ports";
import type {
  Channel,
  Contact,
  ContactKey,
  Conversation,
  Message,
  QueueEntry,
  User,
  VersionedConversation,
  WaitEntry,
} from "../../domain/types";
import type { DynamoClients } from "./client";
import {
  all,
  isNew,
  loadUnchanged,
  roomForOneMore,
  stillAvailable,
  stillQueued,
  stillWaiting,
  underCapacityAfter,
  versionIs,
} from "./conditions";
import { decodeCursor, encodeCursor } from "./cursor";
import {
  conversationToItem,
  itemToChannel,
  itemToContact,
  itemToConversation,
  itemToInbox,
  itemToTeam,
  itemToUser,
  itemToWaitEntry,
  messageToItem,
  routingToAttribute,
  waitEntryOf,
  waitEntryToItem,
} from "./items";
import { ENTITY, conversationIndexKeys, keys, viewKeys } from "./keys";
import { runTransaction, type TransactItem, Tx, type TxResult } from "./transaction";

export { isTransient } from "./transaction";

type Item = Record<string, unknown>;

/** The stats endpoint looks back one hour; samples are kept two, then expire (TTL). */
const WAITED_TTL_SECONDS = 2 * 3600;

/** The owner a contact-owner conversation waits for, from its decision record (null for other rules). */
function ownerOf(c: Conversation): string | null {
  return c.routing?.candidates.find((x) => x.source === "contact_owner")?.userId ?? null;
}

/** BatchGetItem takes at most 100 keys per call. */
const BATCH_GET_MAX = 100;

export function queueEntryToItem(e: QueueEntry): Item {
  return { ...keys.queueEntry(e.channelId, e.position), entityType: ENTITY.queueEntry, ...e };
}

export function itemToQueueEntry(i: Item): QueueEntry {
  return {
    channelId: String(i.channelId),
    conversationId: String(i.conversationId),
    inboxId: String(i.inboxId),
    createdAt: String(i.createdAt),
    queuedAt: String(i.queuedAt),
    position: String(i.position),
  };
}

const pause = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Users whose condition failed, as they are now (from ALL_OLD). */
function freshUsersOf(result: TxResult): User[] {
  if (result.ok) return [];
  return result.conditions.filter((f) => f.kind === "user" && f.old).map((f) => itemToUser(f.old!));
}

/**
 * The routing module's store on DynamoDB: targeted reads (a channel, the named users, a team's
 * members), and how a decision becomes one conditional transaction and a failed condition a domain
 * outcome. Every read here is sized by what the request names, never by the directory.
 */
/**
 * A list commit that lost: the users whose loads moved, and the entries whose conversation changed
 * (failed its condition) while the entry itself was still there (its removal did not fail): those
 * conversations left the list some other way, so their entries must go.
 */
function listConflict<E>(
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

export class DynamoRoutingStore implements RoutingStore {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
  ) {}

  /** One item, partition CHANNEL#<id>. */
  async getChannel(channelId: string): Promise<Channel | null> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.channel(channelId) }));
    return out.Item ? itemToChannel(out.Item) : null;
  }

  /**
   * One consistent Query of partition CHANNEL#<id>: the channel item, then (they sort after it) the
   * first `queueLimit` routing-queue entries. So a router learns whether a burst is being drained on
   * its channel with the read it needs anyway.
   */
  async readChannel(channelId: string, queueLimit: number): Promise<ChannelState | null> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :channel AND :queueEnd",
        ExpressionAttributeValues: {
          ":pk": keys.channel(channelId).pk,
          ":channel": keys.channel(channelId).sk,
          ":queueEnd": `${keys.queuePrefix}\uffff`,
        },
        ConsistentRead: true,
        Limit: 1 + queueLimit,
      }),
    );
    const items = out.Items ?? [];
    const channelItem = items.find((i) => i.entityType === ENTITY.channel);
    if (!channelItem) return null;
    return {
      channel: itemToChannel(channelItem),
      queue: items.filter((i) => i.entityType === ENTITY.queueEntry).map(itemToQueueEntry),
    };
  }

  /**
   * BatchGetItem of exactly the named users, teams and inboxes (100 keys a call, in parallel), read
   * consistently: a routing decision is checked against these loads at commit.
   */
  async loadEntities(ids: EntityIds): Promise<Entities> {
    const wanted = [
      ...[...new Set(ids.userIds ?? [])].map((id) => keys.user(id)),
      ...[...new Set(ids.teamIds ?? [])].map((id) => keys.team(id)),
      ...[...new Set(ids.inboxIds ?? [])].map((id) => keys.inbox(id)),
    ];
    const found = await this.getMany(wanted);
    const out: Entities = { users: new Map(), teams: new Map(), inboxes: new Map() };
    for (const item of found) {
      if (item.entityType === ENTITY.user) out.users.set(String(item.id), itemToUser(item));
      else if (item.entityType === ENTITY.team) out.teams.set(String(item.id), itemToTeam(item));
      else if (item.entityType === ENTITY.inbox) out.inboxes.set(String(item.id), itemToInbox(item));
    }
    return out;
  }

  /** The named channels, in the order named (missing ones left out): BatchGetItem, 100 keys a call. */
  async getChannels(ids: readonly string[]): Promise<Channel[]> {
    const found = await this.getMany(ids.map((id) => keys.channel(id)));
    const byId = new Map(found.map((item) => [String(item.id), itemToChannel(item)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** The named contacts, by id (missing ones left out): BatchGetItem, 100 keys a call. */
  async getContacts(ids: readonly string[]): Promise<Map<string, Contact>> {
    const found = await this.getMany([...new Set(ids)].map((id) => keys.contact(id)));
    return new Map(found.map((item) => [String(item.id), itemToContact(item)]));
  }

  /** Items by key, read consistently: BatchGetItem calls of at most 100 keys, in parallel. */
  async getMany(keyList: Array<{ pk: string; sk: string }>): Promise<Item[]> {
    const chunks: Array<typeof keyList> = [];
    for (let i = 0; i < keyList.length; i += BATCH_GET_MAX) chunks.push(keyList.slice(i, i + BATCH_GET_MAX));
    return (await Promise.all(chunks.map((chunk) => this.batchGet(chunk)))).flat();
  }

  private async batchGet(keyList: Array<{ pk: string; sk: string }>): Promise<Item[]> {
    const items: Item[] = [];
    let pending: Array<Record<string, unknown>> = keyList;
    // Unprocessed keys (throttling, 16 MB) are asked again with a short backoff, never dropped.
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await pause(Math.min(200, 5 * 2 ** attempt));
      const out = await this.db.doc.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      items.push(...(out.Responses?.[this.tableName] ?? []));
      pending = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    return items;
  }

  /** A Query of partition TEAM#<id>: one small membership item per primary member. */
  async teamMembers(teamId: string): Promise<string[]> {
    const items = await this.queryAll(keys.team(teamId).pk, keys.teamMemberPrefix);
    return items.map((i) => String(i.userId));
  }

  /** Every item of one partition under a sort-key prefix, read consistently, paged past 1 MB. */
  async queryAll(pk: string, skPrefix: string, limit?: number, afterSk?: string): Promise<Item[]> {
    const items: Item[] = [];
    // Starting after a given sort key is what paging past part of a range needs (the item may be gone).
    let start: Record<string, unknown> | undefined = afterSk === undefined ? undefined : { pk, sk: afterSk };
    do {
      const out = await this.db.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
          ExpressionAttributeValues: { ":pk": pk, ":prefix": skPrefix },
          ConsistentRead: true,
          ExclusiveStartKey: start,
          ...(limit !== undefined ? { Limit: limit - items.length } : {}),
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start && (limit === undefined || items.length < limit));
    return items;
  }

  async queueHead(channelId: string): Promise<QueueEntry | null> {
    return (await this.queueEntries(channelId, 1))[0] ?? null;
  }

  /** The oldest entries of partition CHANNEL#<id>'s queue: a Query of at most `limit` items. */
  async queueEntries(channelId: string, limit: number): Promise<QueueEntry[]> {
    return (await this.queryAll(keys.channel(channelId).pk, keys.queuePrefix, limit)).map(itemToQueueEntry);
  }

  /** The line of partition CHANNEL#<id>, oldest first: at most `limit` entries, after `after` if given. */
  async waitingEntries(channelId: string, limit: number, after?: WaitEntry): Promise<WaitEntry[]> {
    const afterSk = after ? keys.waitEntry(channelId, after.since, after.conversationId).sk : undefined;
    return (await this.queryAll(keys.channel(channelId).pk, keys.waitPrefix, limit, afterSk)).map(itemToWaitEntry);
  }

  async removeWaitEntry(entry: WaitEntry): Promise<void> {
    await this.db.doc.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: keys.waitEntry(entry.channelId, entry.since, entry.conversationId),
      }),
    );
  }

  /** Counts line entries from the head up to `until` (inclusive): a keys-only count, sized by the line. */
  async countWaiting(channelId: string, until?: { since: string; conversationId: string }): Promise<number> {
    const pk = keys.channel(channelId).pk;
    const upper = until ? keys.waitEntry(channelId, until.since, until.conversationId).sk : `${keys.waitPrefix}\uffff`;
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
          ExpressionAttributeValues: { ":pk": pk, ":from": keys.waitPrefix, ":to": upper },
          Select: "COUNT",
          ExclusiveStartKey: start,
        }),
      );
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }

  /** Waits of the conversations assigned from the line since `since` (the stats' window), in ms. */
  async waitedSince(channelId: string, since: string): Promise<number[]> {
    const pk = keys.channel(channelId).pk;
    const out: number[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
          ExpressionAttributeValues: {
            ":pk": pk,
            ":from": `${keys.waitedPrefix}${since}`,
            ":to": `${keys.waitedPrefix}\uffff`,
          },
          ExclusiveStartKey: start,
        }),
      );
      for (const i of page.Items ?? []) out.push(Number(i.waitedMs));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** Channels whose rule lists the user or their primary team: two small Queries (USER#, TEAM#). */
  async channelsFor(userId: string, teamId: string | null): Promise<string[]> {
    const lists = await Promise.all([
      this.queryAll(keys.user(userId).pk, keys.channelRefPrefix),
      teamId ? this.queryAll(keys.team(teamId).pk, keys.channelRefPrefix) : Promise.resolve([]),
    ]);
    return [...new Set(lists.flat().map((i) => String(i.channelId)))];
  }

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

  /** Remember that `userId` can take the channel's conversations (a contact owner waited for). */
  async addChannelRef(userId: string, channelId: string): Promise<void> {
    await this.db.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.userChannel(userId, channelId), entityType: ENTITY.channelRef, channelId },
      }),
    );
  }

  /**
   * Assign conversations from the waiting line: each must still be waiting since the time its entry
   * says (nobody took, closed or re-routed it), its entry goes, the wait is recorded for the stats, and
   * the chosen users' loads move as in a direct commit. All or nothing.
   */
  async commitWaitingAssignments(
    plans: Array<{ entry: WaitEntry; decision: Decision }>,
    now: Date,
  ): Promise<WaitingOutcome> {
    const tx = new Tx();
    const at = now.toISOString();
    plans.forEach(({ entry, decision }, index) => {
      this.decideListed(tx, entry, decision, at, all(stillWaiting(entry.since)), { remove: "waitingSince" }, index);
      tx.add(
        {
          Delete: {
            TableName: this.tableName,
            Key: keys.waitEntry(entry.channelId, entry.since, entry.conversationId),
            ConditionExpression: "attribute_exists(pk)",
          },
        },
        { kind: "wait", plan: index },
      );
      const waitedMs = Math.max(0, now.getTime() - Date.parse(entry.since));
      const expiresAt = Math.floor(now.getTime() / 1000) + WAITED_TTL_SECONDS;
      tx.add(
        {
          Put: {
            TableName: this.tableName,
            Item: {
              ...keys.waited(entry.channelId, at, entry.conversationId),
              entityType: ENTITY.waited,
              waitedMs,
              expiresAt,
            },
          },
        },
        { kind: "sample", plan: index },
      );
    });
    this.addUserLoads(
      tx,
      plans.map((p) => p.decision),
      now,
    );
    const result = await runTransaction(this.db, tx);
    // A conversation no longer waiting whose entry is still there lost its entry's removal: drop it.
    return result.ok ? { type: "committed" } : listConflict(result, plans, "wait");
  }

  /** One page of channel ids (gsi3, keys only): the sweeper's walk over every channel. */
  async listChannelIds(cursor?: string): Promise<{ ids: string[]; nextCursor: string | null }> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: "gsi3",
        KeyConditionExpression: "gsi3pk = :pk",
        ExpressionAttributeValues: { ":pk": viewKeys.channels },
        Limit: 100,
        ExclusiveStartKey: decodeCursor(cursor, {
          index: "gsi3",
          partition: viewKeys.channels,
          item: keys.channel(""),
        }),
      }),
    );
    return { ids: (out.Items ?? []).map((i) => String(i.gsi3sk)), nextCursor: encodeCursor(out.LastEvaluatedKey) };
  }

  async removeQueueEntry(entry: QueueEntry): Promise<void> {
    await this.db.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: keys.queueEntry(entry.channelId, entry.position) }),
    );
  }

  async findContact(key: ContactKey): Promise<Contact | null> {
    const lookupKey = key.by === "email" ? keys.contactEmail(key.value) : keys.visitor(key.value);
    const lookup = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: lookupKey }));
    const contactId = lookup.Item?.contactId;
    if (typeof contactId !== "string") return null;
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.contact(contactId) }));
    return out.Item ? itemToContact(out.Item) : null;
  }

  /** One item, partition CONTACT#<id>. */
  async getContact(id: string): Promise<Contact | null> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.contact(id), ConsistentRead: true }),
    );
    return out.Item ? itemToContact(out.Item) : null;
  }

  async getConversation(id: string): Promise<VersionedConversation | null> {
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
    this.addUserLoads(
      tx,
      plans.map((p) => p.decision),
      now,
    );
    return this.creationOutcome(
      await runTransaction(this.db, tx),
      plans.map((p) => p.item),
    );
  }

  /** Create the conversations unassigned, each with its queue entry, in one transaction. */
  async enqueueNewConversations(queued: Array<{ item: NewConversation; entry: QueueEntry }>): Promise<CommitOutcome> {
    const tx = new Tx();
    queued.forEach(({ item, entry }, index) => {
      this.addCreation(tx, item, index);
      tx.add({ Put: { TableName: this.tableName, Item: queueEntryToItem(entry) } }, { kind: "queue", plan: index });
    });
    return this.creationOutcome(
      await runTransaction(this.db, tx),
      queued.map((q) => q.item),
    );
  }

  /**
   * Route queued conversations: each must still wait for its router (nobody took or closed it; a
   * visitor's new message does not count), its entry is removed, and chosen users' loads move as in a
   * direct commit.
   */
  async commitDrain(entries: Array<{ entry: QueueEntry; decision: Decision }>, now: Date): Promise<DrainOutcome> {
    const tx = new Tx();
    entries.forEach(({ entry, decision }, index) => {
      const cond = all(stillQueued(viewKeys.byAssignee(entry.inboxId, "open", null)));
      // Nobody could take it: it leaves the routing queue for the channel's waiting line.
      const waits = decision.userId === null && decision.record.strategy !== "manual";
      const effect = { set: waits ? ", waitingSince = :now" : "", remove: "routingPending" };
      this.decideListed(tx, entry, decision, now.toISOString(), cond, effect, index);
      if (waits) {
        const line: WaitEntry = { ...entry, since: now.toISOString(), contactId: null, ownerId: null };
        tx.add({ Put: { TableName: this.tableName, Item: waitEntryToItem(line) } }, { kind: "wait", plan: index });
      }
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
    this.addUserLoads(
      tx,
      entries.map((e) => e.decision),
      now,
    );
    const result = await runTransaction(this.db, tx);
    // A conversation that changed while its entry is still there was taken by hand: the entry must go.
    // Both failing means another router drained it already: nothing is left to clean.
    return result.ok ? { type: "committed" } : listConflict(result, entries, "queue");
  }

  /**
   * The conversation's half of taking it from a list (the waiting line, the routing queue): the
   * decision's assignee and record, its Unassigned/Mine key, one version more, and a change-feed key
   * (the inbox's live feed must show it), on the list's condition. `effect` adds to SET and REMOVE.
   */
  private decideListed(
    tx: Tx,
    entry: { conversationId: string; inboxId: string; createdAt: string },
    decision: Decision,
    at: string,
    cond: { ConditionExpression: string; values: Record<string, unknown> },
    effect: { set?: string; remove: string },
    index: number,
  ): void {
    const views = conversationIndexKeys({
      id: entry.conversationId,
      inboxId: entry.inboxId,
      status: "open",
      assigneeId: decision.userId,
      createdAt: entry.createdAt,
    });
    tx.add(
      {
        Update: {
          TableName: this.tableName,
          Key: keys.conversation(entry.conversationId),
          UpdateExpression:
            "SET assigneeId = :assignee, routing = :routing, gsi2pk = :gsi2pk, updatedAt = :now, " +
            `version = version + :one, gsi4sk = :changed${effect.set ?? ""} REMOVE ${effect.remove}`,
          ConditionExpression: cond.ConditionExpression,
          ExpressionAttributeValues: {
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

  private addCreation(tx: Tx, item: NewConversation, index: number): void {
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

  private waitPut(c: Conversation, since: string): TransactItem {
    return { Put: { TableName: this.tableName, Item: waitEntryToItem(waitEntryOf(c, since, ownerOf(c))) } };
  }

  /** A dedupe record: written only if new; a failure hands back the conversation that holds the key. */
  private dedupePut(channelId: string, key: string, conversationId: string, expiresAt?: number): TransactItem {
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

  private creationOutcome(result: TxResult, items: NewConversation[]): CommitOutcome {
    if (result.ok) return { type: "committed" };
    const duplicates = new Map<number, string>();
    let transient = result.transient;
    for (const f of result.conditions) {
      if (f.kind === "dedupe" && typeof f.old?.conversationId === "string")
        duplicates.set(f.plan!, f.old.conversationId);
      else if (f.kind === "conversation") duplicates.set(f.plan!, items[f.plan!]!.conversation.id);
      else if (f.kind !== "user" || !f.old) transient = true; // a chosen user vanished: read again
    }
    return { type: "conflict", freshUsers: freshUsersOf(result), duplicates, transient };
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
    if (t.note) tx.add({ Put: { TableName: this.tableName, Item: messageToItem(t.note) } }, { kind: "message" });
    if (t.dedupe)
      tx.add(this.dedupePut(t.after.channelId, t.dedupe.key, t.after.id, t.dedupe.expiresAt), { kind: "dedupe" });
    // Taken by hand, closed or re-routed: it leaves the line; returned to the line: it joins it.
    if (t.before.waitingSince && t.before.waitingSince !== t.after.waitingSince) {
      tx.add(
        {
          Delete: {
            TableName: this.tableName,
            Key: keys.waitEntry(t.before.channelId, t.before.waitingSince, t.before.id),
          },
        },
        { kind: "wait" },
      );
    }
    if (t.after.waitingSince && t.after.waitingSince !== t.before.waitingSince)
      tx.add(this.waitPut(t.after, t.after.waitingSince), { kind: "wait" });
    for (const [userId, delta] of loadDeltas(t.before, t.after)) {
      if (delta > 0) {
        const c =
          t.expectedLoad !== undefined && t.expectedLoad !== null && userId === t.after.assigneeId
            ? all(
                loadUnchanged(t.expectedLoad),
                underCapacityAfter(t.expectedLoad + 1),
                ...(t.requireAvailable ? [stillAvailable] : []),
              )
            : all(roomForOneMore);
        tx.add(
          {
            Update: {
              TableName: this.tableName,
              Key: keys.user(userId),
              UpdateExpression: t.markAssigned ? "ADD openCount :one SET lastAssignedAt = :now" : "ADD openCount :one",
              ConditionExpression: c.ConditionExpression,
              ExpressionAttributeValues: {
                ...c.values,
                ":one": 1,
                ...(t.markAssigned ? { ":now": now.toISOString() } : {}),
              },
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
          { kind: "user", userId },
        );
      } else {
        tx.add(
          {
            Update: {
              TableName: this.tableName,
              Key: keys.user(userId),
              UpdateExpression: "ADD openCount :minusOne",
              ExpressionAttributeValues: { ":minusOne": -1 },
            },
          },
          { kind: "user", userId },
        );
      }
    }
    const result = await runTransaction(this.db, tx);
    if (result.ok) return { type: "committed" };
    // A dedupe record that exists means this very change was applied before; then a changed
    // conversation; then a user whose load or capacity refused it; anything else is worth a retry.
    if (result.conditions.some((f) => f.kind === "dedupe")) return { type: "duplicate" };
    if (result.conditions.some((f) => f.kind === "conversation")) return { type: "stale" };
    const user = result.conditions.find((f) => f.kind === "user");
    if (user) return { type: "user_conflict", userId: user.userId!, fresh: user.old ? itemToUser(user.old) : null };
    return { type: "transient" };
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
