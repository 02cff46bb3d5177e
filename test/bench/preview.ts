/**
 * `npm run bench -- preview`: the rule preview (docs/routing.md §8) over 5,000 recorded conversations of
 * one channel, in a table that also holds other channels' traffic. Ours reads the channel's window from
 * the keys-only gsi5 and BatchGetItem; the naive preview scans the table and filters by channel. Both
 * replay with the same decision function, so the difference is the read.
 */
import { performance } from "node:perf_hooks";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { createDynamoClients } from "#shared/adapters/dynamo/client";
import { conversationToItem, itemToConversation } from "#shared/adapters/dynamo/items";
import { createApp, ensureTable, systemRandom } from "#shared/app";
import { replayRule } from "#shared/domain/rule-preview";
import type { Conversation, DecisionRecord } from "#shared/domain/types";
import { withoutVersion } from "#shared/domain/types";
import { countCalls } from "../support/instrument";
import { putItems } from "./seed";

export interface PreviewRow {
  design: "ours (gsi5 + BatchGetItem)" | "naive (Scan + filter)";
  conversations: number;
  tableConversations: number;
  dynamoCalls: number;
  itemsExamined: number;
  ms: number;
  withinBudget: boolean;
}

const AGENTS = 20;
const CHANNEL_CONVERSATIONS = 5_000;
/** Traffic of other channels sharing the table: what a scan reads for nothing. */
const OTHER_CONVERSATIONS = 15_000;
const BUDGET_MS = 2_000;

/** A conversation as routing leaves it: assigned by least busy among the 20 agents, with its record. */
function recorded(channelId: string, i: number, at: Date): Conversation {
  const assignee = `agent-${String(i % AGENTS).padStart(2, "0")}`;
  const routing: DecisionRecord = {
    decidedAt: at.toISOString(),
    rule: { autoAssign: true, target: { type: "users_and_teams", userIds: [], teamIds: ["team"] } },
    strategy: "least_busy",
    candidates: Array.from({ length: AGENTS }, (_, k) => ({
      userId: `agent-${String(k).padStart(2, "0")}`,
      source: "team:team" as const,
      kept: true,
      reason: "eligible" as const,
      load: (i + k) % 5,
      activeRecently: k % 2 === 0,
      lastAssignedAt: null,
    })),
    outcome: { type: "assigned", userId: assignee, why: "least busy" },
  };
  return {
    id: `${channelId}-${String(i).padStart(6, "0")}`,
    inboxId: "inbox",
    channelId,
    channelType: "chat",
    status: "closed",
    assigneeId: assignee,
    teamId: null,
    contactId: null,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    routing,
  };
}

export async function benchPreview(endpoint: string): Promise<PreviewRow[]> {
  const tableName = `bench-preview-${Date.now()}`;
  const db = createDynamoClients({ region: "us-east-1", endpoint });
  await ensureTable(db, tableName);
  const app = createApp({ db, tableName });
  await app.store.putInbox({ id: "inbox", name: "Support", access: { type: "everyone" } });
  await app.store.putTeam({ id: "team", name: "Team" });
  for (let k = 0; k < AGENTS; k++) {
    const id = `agent-${String(k).padStart(2, "0")}`;
    await app.store.putUser({
      id,
      name: id,
      email: `${id}@example.com`,
      seat: "service",
      role: "agent",
      primaryTeamId: "team",
      additionalTeamIds: [],
      capacity: null,
    });
  }
  const channel = {
    id: "chat",
    inboxId: "inbox",
    type: "chat" as const,
    name: "Chat",
    routing: { autoAssign: true, target: { type: "users_and_teams" as const, userIds: [], teamIds: ["team"] } },
  };
  await app.store.putChannel(channel);
  const now = Date.now();
  const spread = 6 * 86_400_000;
  process.stderr.write(`bench: seeding ${CHANNEL_CONVERSATIONS + OTHER_CONVERSATIONS} conversations...\n`);
  const items = [
    ...Array.from({ length: CHANNEL_CONVERSATIONS }, (_, i) =>
      recorded("chat", i, new Date(now - spread + (i * spread) / CHANNEL_CONVERSATIONS)),
    ),
    ...Array.from({ length: OTHER_CONVERSATIONS }, (_, i) => recorded(`other-${i % 10}`, i, new Date(now - i * 1000))),
  ].map((c) => conversationToItem(c, 1));
  await putItems(db, tableName, items);

  // The proposed rule: half the team's agents listed by name instead of the team.
  const rule = {
    autoAssign: true,
    target: {
      type: "users_and_teams" as const,
      userIds: Array.from({ length: AGENTS / 2 }, (_, k) => `agent-${String(k).padStart(2, "0")}`),
      teamIds: [],
    },
  };
  const rows: PreviewRow[] = [];

  const calls = countCalls(db.client);
  calls.reset();
  let started = performance.now();
  const ours = await app.queries.previewRule("chat", { rule });
  let ms = performance.now() - started;
  rows.push({
    design: "ours (gsi5 + BatchGetItem)",
    conversations: ours.conversations,
    tableConversations: items.length,
    dynamoCalls: calls.total(),
    itemsExamined: ours.conversations * 2,
    ms: Math.round(ms),
    withinBudget: ms <= BUDGET_MS,
  });

  calls.reset();
  started = performance.now();
  const from = new Date(now - 7 * 86_400_000).toISOString();
  const found: Conversation[] = [];
  let scanned = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.doc.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: "entityType = :conv AND channelId = :c AND createdAt >= :from",
        ExpressionAttributeValues: { ":conv": "conversation", ":c": "chat", ":from": from },
        ExclusiveStartKey: start,
      }),
    );
    scanned += out.ScannedCount ?? 0;
    for (const item of out.Items ?? []) found.push(withoutVersion(itemToConversation(item)));
    start = out.LastEvaluatedKey;
  } while (start);
  found.sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
  const { users, inboxes } = await app.store.loadEntities({
    userIds: Array.from({ length: AGENTS }, (_, k) => `agent-${String(k).padStart(2, "0")}`),
    inboxIds: ["inbox"],
  });
  const naive = replayRule({
    channel,
    rule,
    inbox: inboxes.get("inbox")!,
    conversations: found,
    usersNow: users,
    contacts: new Map(),
    random: systemRandom,
    window: { from, to: new Date().toISOString() },
  });
  ms = performance.now() - started;
  rows.push({
    design: "naive (Scan + filter)",
    conversations: naive.conversations,
    tableConversations: items.length,
    dynamoCalls: calls.total(),
    itemsExamined: scanned,
    ms: Math.round(ms),
    withinBudget: ms <= BUDGET_MS,
  });
  return rows;
}
