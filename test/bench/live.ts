/**
 * `npm run bench -- live`: what one change to an inbox costs the fan-out when 10, 1,000 or 10,000
 * connections watch that inbox (docs/performance.md, Live updates), ours against the naive fan-out of
 * the well-known AWS WebSocket chat sample: a Scan of every connection per change. Both run on the same
 * table shapes in the same run; besides the watchers, 10,000 connections watch other inboxes, as in any
 * account of a hundred teams. Posts go to an in-process sink that counts them (API Gateway's own time to post is the
 * same for both designs and is not in the ms column).
 */
import { performance } from "node:perf_hooks";
import { CreateTableCommand } from "@aws-sdk/client-dynamodb";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { createDynamoClients } from "#shared/adapters/dynamo/client";
import { subscriptionItem } from "#shared/adapters/dynamo/live-store";
import { createApp, ensureTable } from "#shared/app";
import type { LiveFrame, LivePush } from "#shared/domain/ports/live";
import type { Conversation } from "#shared/domain/types";
import { measureTraffic } from "../support/instrument";
import { putItems } from "./seed";

export interface LiveRow {
  watchers: number;
  design: "ours" | "naive";
  dynamoCalls: number;
  itemsRead: number;
  readUnits: number;
  posts: number;
  msPerChange: number;
}

/** Connections watching other inboxes: a mid-size account (100 inboxes of 100 agents) beside the watched one. */
const OTHERS = 10_000;
const CHANGES = 5;

class CountingPush implements LivePush {
  posts = 0;
  async send(_id: string, frame: LiveFrame): Promise<"sent"> {
    JSON.stringify(frame);
    this.posts++;
    return "sent";
  }
  async close() {}
}

const agent = { id: "bench-agent", role: "agent" as const, primaryTeamId: null, additionalTeamIds: [] };

function subscriptionItems(prefix: string, inboxId: string, n: number) {
  return Array.from({ length: n }, (_, i) =>
    subscriptionItem({
      topic: `inbox:${inboxId}`,
      connectionId: `${prefix}${i}=`,
      audience: { kind: "agent", user: agent },
      expiresAt: 2e9,
    }),
  );
}

export async function benchLive(endpoint: string): Promise<LiveRow[]> {
  const rows: LiveRow[] = [];
  for (const watchers of [10, 1_000, 10_000]) {
    const db = createDynamoClients({ region: "us-east-1", endpoint });
    const tableName = `bench-live-${watchers}-${Date.now()}`;
    await ensureTable(db, tableName);
    const push = new CountingPush();
    const app = createApp({ db, tableName, push });
    await app.store.putInbox({ id: "watched", name: "Watched", access: { type: "everyone" } });
    await putItems(db, tableName, [
      ...subscriptionItems("w", "watched", watchers),
      ...subscriptionItems("o", "other", OTHERS),
    ]);
    // The naive design's own connections table, as the sample keeps it: one item per connection.
    const naiveTable = `${tableName}-connections`;
    await db.client.send(
      new CreateTableCommand({
        TableName: naiveTable,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "connectionId", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "connectionId", KeyType: "HASH" }],
      }),
    );
    const naiveItems: Array<Record<string, unknown>> = [];
    for (let i = 0; i < watchers; i++)
      naiveItems.push({ connectionId: `w${i}=`, inboxId: "watched", userId: agent.id });
    for (let i = 0; i < OTHERS; i++) naiveItems.push({ connectionId: `o${i}=`, inboxId: "other", userId: agent.id });
    await putItems(db, naiveTable, naiveItems);

    const change = (i: number): Conversation => ({
      id: `c${i}`,
      inboxId: "watched",
      channelId: "chat-1",
      channelType: "chat",
      status: "open",
      assigneeId: null,
      teamId: null,
      contactId: null,
      createdAt: "2026-12-01T10:00:00.000Z",
      updatedAt: new Date(Date.parse("2026-12-01T10:00:00.000Z") + i).toISOString(),
    });
    const meter = measureTraffic(db.client);
    const measure = async (design: "ours" | "naive", run: (i: number) => Promise<void>) => {
      meter.reset();
      push.posts = 0;
      let calls = 0;
      const name = `calls-${design}-${watchers}`;
      db.client.middlewareStack.add(
        (next) => async (args) => {
          calls++;
          return next(args);
        },
        { step: "initialize", name },
      );
      const began = performance.now();
      for (let i = 0; i < CHANGES; i++) await run(i);
      const ms = performance.now() - began;
      db.client.middlewareStack.remove(name);
      const t = meter.traffic;
      rows.push({
        watchers,
        design,
        dynamoCalls: calls / CHANGES,
        itemsRead: t.itemsRead / CHANGES,
        readUnits: Math.round((t.readUnits / CHANGES) * 10) / 10,
        posts: push.posts / CHANGES,
        msPerChange: Math.round((ms / CHANGES) * 10) / 10,
      });
    };
    const live = app.live!;
    await measure("ours", async (i) => {
      const r = await live.fanOut([{ kind: "conversation", conversation: change(i) }]);
      if (r.error) throw r.error;
    });
    await measure("naive", async (i) => {
      // Every connection of the account, every change, then a post to each watcher of the inbox.
      let start: Record<string, unknown> | undefined;
      do {
        const out = await db.doc.send(new ScanCommand({ TableName: naiveTable, ExclusiveStartKey: start }));
        for (const c of out.Items ?? [])
          if (c.inboxId === "watched")
            await push.send(String(c.connectionId), {
              type: "conversation",
              topic: "inbox:watched",
              cursor: change(i).updatedAt,
              conversation: change(i),
            });
        start = out.LastEvaluatedKey;
      } while (start);
    });
    process.stderr.write(`bench: live fan-out with ${watchers} watchers done\n`);
  }
  return rows;
}
