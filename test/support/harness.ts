import { randomUUID } from "node:crypto";
import type { DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { createDynamoClients, type DynamoClients } from "#shared/adapters/dynamo/client";
import { itemToConversation, itemToUser } from "#shared/adapters/dynamo/items";
import { ENTITY } from "#shared/adapters/dynamo/keys";
import { S3AttachmentStore } from "#shared/adapters/s3/attachment-store";
import { createS3Client } from "#shared/adapters/s3/raw-email";
import { type AppDeps, createApp, ensureTable } from "#shared/app";
import type { OwnerNotifier } from "#shared/domain/ports/outbound-email";
import type { Clock, RandomSource } from "#shared/domain/ports/time";
import type { RouteResult } from "#shared/domain/router";
import type { Channel, ChannelType, Conversation, InboxAccess, RoutingRule, User } from "#shared/domain/types";
import { TEST_ATTACHMENTS_BUCKET } from "./global-setup";

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  constructor(private t = Date.parse("2026-11-24T10:00:00.000Z")) {}
  now() {
    return new Date(this.t);
  }
  set(iso: string) {
    this.t = Date.parse(iso);
  }
  advance(ms: number) {
    this.t += ms;
  }
}

/** Random numbers from a list (cycled), so random routing is exact in tests. */
export class SequenceRandom implements RandomSource {
  private i = 0;
  constructor(private readonly values: number[]) {}
  next() {
    const v = this.values[this.i % this.values.length]!;
    this.i++;
    return v;
  }
}

export function endpoint(): string {
  const e = process.env.DYNAMODB_ENDPOINT;
  if (!e) throw new Error("DYNAMODB_ENDPOINT is not set: the vitest global setup starts dynoxide");
  return e;
}

export function clients(overrides?: Partial<DynamoDBClientConfig>): DynamoClients {
  return createDynamoClients({ region: "us-east-1", endpoint: endpoint(), ...(overrides ? { overrides } : {}) });
}

/** A fresh table on the shared emulator, so test files never see each other's data. */
export async function freshTable(db: DynamoClients = clients()): Promise<string> {
  const tableName = `routing-test-${randomUUID().slice(0, 8)}`;
  await ensureTable(db, tableName);
  return tableName;
}

export async function testApp(
  opts: Partial<AppDeps> & { clock?: TestClock; random?: RandomSource; notifier?: OwnerNotifier } = {},
) {
  const db = opts.db ?? clients();
  const tableName = opts.tableName ?? (await freshTable(db));
  const clock = (opts.clock as TestClock | undefined) ?? new TestClock();
  const app = createApp({
    files: new S3AttachmentStore(
      createS3Client({ region: "us-east-1", endpoint: process.env.S3_ENDPOINT }),
      TEST_ATTACHMENTS_BUCKET,
    ),
    ...opts,
    db,
    tableName,
    clock,
    router: { backoff: { baseMs: 1, capMs: 10 }, ...opts.router },
  });
  return { ...app, db, tableName, clock };
}

export type TestApp = Awaited<ReturnType<typeof testApp>>;

export { profile } from "./users";

/** Seeds one inbox with one channel of the given type and rule. */
export async function seedChannel(
  app: TestApp,
  o: {
    channelId?: string;
    inboxId?: string;
    type?: ChannelType;
    rule: RoutingRule;
    access?: InboxAccess;
    /** An email channel's team address. */
    address?: string;
  },
): Promise<Channel> {
  const inboxId = o.inboxId ?? "inbox-1";
  await app.store.putInbox({ id: inboxId, name: "Support", access: o.access ?? { type: "everyone" } });
  const channel: Channel = {
    id: o.channelId ?? `${o.type ?? "chat"}-1`,
    inboxId,
    type: o.type ?? "chat",
    name: "Channel",
    routing: o.rule,
    ...(o.address ? { address: o.address } : {}),
  };
  await app.store.putChannel(channel);
  return channel;
}

export const usersAndTeams = (userIds: string[], teamIds: string[] = []): RoutingRule => ({
  autoAssign: true,
  target: { type: "users_and_teams", userIds, teamIds },
});

/** Every user, and every conversation, as stored now (a full scan: tests only). */
export async function dump(app: { db: DynamoClients; tableName: string }) {
  const users: User[] = [];
  const conversations: Conversation[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await app.db.doc.send(
      new ScanCommand({ TableName: app.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    for (const item of out.Items ?? []) {
      if (item.entityType === ENTITY.user) users.push(itemToUser(item));
      if (item.entityType === ENTITY.conversation) conversations.push(itemToConversation(item));
    }
    start = out.LastEvaluatedKey;
  } while (start);
  return { users, conversations };
}

/**
 * docs/routing.md §5.4 invariants, checked against a recount from the conversations themselves (mail by
 * machines counts in no load, §6.2).
 * Returns the problems found (empty = all hold), so a failing test says which one broke.
 */
export async function invariantViolations(app: { db: DynamoClients; tableName: string }): Promise<string[]> {
  const { users, conversations } = await dump(app);
  const truth = new Map<string, number>();
  for (const c of conversations)
    if (c.status === "open" && c.assigneeId && !c.automatic)
      truth.set(c.assigneeId, (truth.get(c.assigneeId) ?? 0) + 1);
  const problems: string[] = [];
  for (const u of users) {
    const real = truth.get(u.id) ?? 0;
    if (u.openCount !== real) problems.push(`user ${u.id}: stored openCount ${u.openCount}, real ${real}`);
    if (u.capacity !== null && real > u.capacity)
      problems.push(`user ${u.id}: ${real} open over capacity ${u.capacity}`);
  }
  for (const [id] of truth)
    if (!users.some((u) => u.id === id)) problems.push(`conversations assigned to unknown user ${id}`);
  return problems;
}

/**
 * docs/routing.md §5.5: the waiting line holds exactly the open, unassigned conversations waiting in it
 * (each with its entry, each entry with its conversation).
 */
export async function lineViolations(app: { db: DynamoClients; tableName: string }): Promise<string[]> {
  const problems: string[] = [];
  const entries = new Set<string>();
  let start: Record<string, unknown> | undefined;
  const waiting: Conversation[] = [];
  do {
    const out = await app.db.doc.send(
      new ScanCommand({ TableName: app.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    for (const item of out.Items ?? []) {
      if (item.entityType === ENTITY.waitEntry) entries.add(String(item.conversationId));
      if (item.entityType === ENTITY.conversation) {
        const c = itemToConversation(item);
        if (c.waitingSince) waiting.push(c);
      }
    }
    start = out.LastEvaluatedKey;
  } while (start);
  for (const c of waiting) {
    if (c.assigneeId !== null || c.status !== "open")
      problems.push(`conversation ${c.id} waits but is ${c.status}, assignee ${c.assigneeId}`);
    if (!entries.has(c.id)) problems.push(`conversation ${c.id} waits without a line entry`);
    entries.delete(c.id);
  }
  for (const id of entries) problems.push(`line entry for ${id}, which does not wait`);
  return problems;
}

/** Max - min of stored loads over the given users. */
export async function spread(app: TestApp, userIds: string[]): Promise<number> {
  const { users } = await dump(app);
  const loads = users.filter((u) => userIds.includes(u.id)).map((u) => u.openCount);
  return Math.max(...loads) - Math.min(...loads);
}

/** A recording notifier: the OwnerNotifier port as a test double (not the data layer). */
export function recordingNotifier() {
  const sent: Array<{ ownerId: string; conversationId: string; text: string }> = [];
  const notifier: OwnerNotifier = {
    async notifyOfflineOwner({ owner, conversation, customerMessage }) {
      sent.push({ ownerId: owner.id, conversationId: conversation.id, text: customerMessage });
    },
  };
  return { sent, notifier };
}

/** The created conversation of a route result; a duplicate where a creation was expected fails the test. */
export function created(r: RouteResult): Extract<RouteResult, { type: "created" }> {
  if (r.type !== "created") throw new Error(`expected a new conversation, got a duplicate of ${r.conversationId}`);
  return r;
}
