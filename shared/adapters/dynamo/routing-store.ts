import { unmarshall } from "@aws-sdk/util-dynamodb";
import { GetCommand, QueryCommand, TransactWriteCommand, type TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import type {
  CommitOutcome,
  CommitPlan,
  Directory,
  RoutingStore,
  Transition,
  TransitionOutcome,
} from "../../domain/ports";
import type { Channel, Contact, ContactKey, Conversation, Team, User, Inbox } from "../../domain/types";
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
import { DIRECTORY_PK, ENTITY, keys } from "./keys";

type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];
type Raw = Record<string, AttributeValue>;

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

  /** One consistent Query of the DIRECTORY collection: users, teams and inboxes (paged past 1 MB). */
  async loadDirectory(): Promise<Directory> {
    const users = new Map<string, User>();
    const teams = new Map<string, Team>();
    const inboxes = new Map<string, Inbox>();
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": DIRECTORY_PK },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        if (item.entityType === ENTITY.user) users.set(String(item.id), itemToUser(item));
        else if (item.entityType === ENTITY.team) teams.set(String(item.id), itemToTeam(item));
        else if (item.entityType === ENTITY.inbox) inboxes.set(String(item.id), itemToInbox(item));
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return { users, teams, inboxes };
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
    const items: TransactItem[] = [];
    const meaning: Array<{ kind: "conversation" | "dedupe" | "message" | "user"; plan?: number; userId?: string }> = [];
    const perUser = new Map<string, { seen: number; count: number; requireAvailable: boolean }>();

    plans.forEach((plan, index) => {
      const { conversation, message, dedupeKey, dedupeExpiresAt } = plan.item;
      items.push({
        Put: { TableName: this.tableName, Item: conversationToItem(conversation, 1), ConditionExpression: isNew.expression },
      });
      meaning.push({ kind: "conversation", plan: index });
      items.push({
        Put: {
          TableName: this.tableName,
          Item: {
            ...keys.dedupe(conversation.channelId, dedupeKey),
            entityType: ENTITY.dedupe,
            conversationId: conversation.id,
            ...(dedupeExpiresAt ? { expiresAt: dedupeExpiresAt } : {}),
          },
          ConditionExpression: isNew.expression,
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        },
      });
      meaning.push({ kind: "dedupe", plan: index });
      if (message) {
        items.push({ Put: { TableName: this.tableName, Item: messageToItem(message) } });
        meaning.push({ kind: "message", plan: index });
      }
      const d = plan.decision;
      if (d?.userId) {
        const entry = perUser.get(d.userId);
        // The first decision of the batch for this user saw the stored load; later ones saw it plus the batch.
        if (entry) {
          entry.count += 1;
          entry.requireAvailable ||= d.requireAvailable;
        } else perUser.set(d.userId, { seen: d.expectedLoad ?? 0, count: 1, requireAvailable: d.requireAvailable });
      }
    });

    for (const [userId, { seen, count, requireAvailable }] of perUser) {
      const cond = all(
        loadUnchanged(seen),
        underCapacityAfter(seen + count),
        ...(requireAvailable ? [stillAvailable] : []),
      );
      items.push({
        Update: {
          TableName: this.tableName,
          Key: keys.user(userId),
          UpdateExpression: "SET openCount = :afterLoad, lastAssignedAt = :now",
          ConditionExpression: cond.ConditionExpression,
          ExpressionAttributeValues: { ...cond.values, ":now": now.toISOString() },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        },
      });
      meaning.push({ kind: "user", userId });
    }

    try {
      await this.db.doc.send(new TransactWriteCommand({ TransactItems: items }));
      return { type: "committed" };
    } catch (err) {
      const reasons = cancellationReasons(err);
      if (!reasons) {
        if (isTransient(err)) return { type: "conflict", freshUsers: [], duplicates: new Map(), transient: true };
        throw err;
      }
      assertKnownReasons(reasons, err);
      const freshUsers: User[] = [];
      const duplicates = new Map<number, string>();
      let transient = false;
      reasons.forEach((reason, i) => {
        const m = meaning[i];
        if (!m || !reason.Code || reason.Code === "None") return;
        if (reason.Code !== "ConditionalCheckFailed") {
          transient = true; // TransactionConflict, throttling inside the transaction
          return;
        }
        const old = reason.Item ? unmarshall(reason.Item) : undefined;
        if (m.kind === "dedupe" && old && typeof old.conversationId === "string") duplicates.set(m.plan!, old.conversationId);
        else if (m.kind === "conversation") duplicates.set(m.plan!, plans[m.plan!]!.item.conversation.id);
        else if (m.kind === "user" && old) freshUsers.push(itemToUser(old));
        else transient = true; // a chosen user vanished: re-read the directory
      });
      return { type: "conflict", freshUsers, duplicates, transient };
    }
  }

  /**
   * One existing conversation changes (assign, reassign, reply-assign, unassign, close, reopen): the
   * conversation at its read version, and each user's load moved by exactly the difference the change
   * makes, in one transaction.
   */
  async commitTransition(t: Transition, now: Date): Promise<TransitionOutcome> {
    const deltas = loadDeltas(t.before, t.after);
    const items: TransactItem[] = [];
    const cond = all(versionIs(t.before.version));
    items.push({
      Put: {
        TableName: this.tableName,
        Item: conversationToItem({ ...t.after, updatedAt: now.toISOString() }, t.before.version + 1),
        ConditionExpression: cond.ConditionExpression,
        ExpressionAttributeValues: cond.values,
      },
    });
    if (t.message) items.push({ Put: { TableName: this.tableName, Item: messageToItem(t.message) } });
    const userAt: Array<string | null> = items.map(() => null);
    for (const [userId, delta] of deltas) {
      if (delta > 0) {
        const c =
          t.expectedLoad !== undefined && t.expectedLoad !== null && userId === t.after.assigneeId
            ? all(loadUnchanged(t.expectedLoad), underCapacityAfter(t.expectedLoad + 1))
            : all(roomForOneMore);
        items.push({
          Update: {
            TableName: this.tableName,
            Key: keys.user(userId),
            UpdateExpression: t.markAssigned ? "ADD openCount :one SET lastAssignedAt = :now" : "ADD openCount :one",
            ConditionExpression: c.ConditionExpression,
            ExpressionAttributeValues: { ...c.values, ":one": 1, ...(t.markAssigned ? { ":now": now.toISOString() } : {}) },
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          },
        });
      } else {
        items.push({
          Update: {
            TableName: this.tableName,
            Key: keys.user(userId),
            UpdateExpression: "ADD openCount :minusOne",
            ExpressionAttributeValues: { ":minusOne": -1 },
          },
        });
      }
      userAt.push(userId);
    }
    try {
      await this.db.doc.send(new TransactWriteCommand({ TransactItems: items }));
      return { type: "committed" };
    } catch (err) {
      const reasons = cancellationReasons(err);
      if (!reasons) {
        if (isTransient(err)) return { type: "transient" };
        throw err;
      }
      assertKnownReasons(reasons, err);
      let outcome: TransitionOutcome = { type: "transient" };
      reasons.forEach((reason, i) => {
        if (reason.Code !== "ConditionalCheckFailed") return;
        if (i === 0) outcome = { type: "stale" };
        else if (userAt[i] && outcome.type !== "stale") {
          outcome = { type: "user_conflict", userId: userAt[i]!, fresh: reason.Item ? itemToUser(unmarshall(reason.Item)) : null };
        }
      });
      return outcome;
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
