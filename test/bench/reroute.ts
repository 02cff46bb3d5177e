/**
 * `npm run bench -- reroute`: what re-routing unanswered chats costs (docs/routing.md §5.6). A burst of
 * 200 chats with and without `rerouteAfter` (the clock rides on the conversation item: no extra write
 * at assignment); one lapse fired by its timer; against the naive design, a sweep that reads every open
 * conversation of the inbox each minute to find the unanswered ones.
 */
import { performance } from "node:perf_hooks";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { createDynamoClients } from "#shared/adapters/dynamo/client";
import { itemToConversation } from "#shared/adapters/dynamo/items";
import { viewKeys } from "#shared/adapters/dynamo/keys";
import { createApp, ensureTable } from "#shared/app";
import type { LapseTimer } from "#shared/domain/ports/lapses";
import type { Clock } from "#shared/domain/ports/time";
import type { RoutingRule } from "#shared/domain/types";
import { countCalls, measureTraffic } from "../support/instrument";

export interface RerouteRow {
  scenario: string;
  design: "ours" | "naive";
  conversations: number;
  dynamoCalls: number;
  writeCalls: number;
  itemWrites: number;
  readUnits: number;
  timerMessages: number;
  ms: number;
}

const AGENTS = 5;
const BURST = 200;

class BenchClock implements Clock {
  constructor(private t = Date.now()) {}
  now() {
    return new Date(this.t);
  }
  advance(ms: number) {
    this.t += ms;
  }
}

async function setUp(endpoint: string, rule: RoutingRule, clock: BenchClock, timer: LapseTimer) {
  const db = createDynamoClients({ region: "us-east-1", endpoint, overrides: { maxAttempts: 10 } });
  const tableName = `bench-reroute-${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
  await ensureTable(db, tableName);
  const app = createApp({ db, tableName, clock, lapseTimer: timer });
  await app.store.putInbox({ id: "inbox", name: "Support", access: { type: "everyone" } });
  for (let i = 0; i < AGENTS; i++)
    await app.store.putUser({
      id: `agent-${i}`,
      name: `Agent ${i}`,
      email: `agent-${i}@example.com`,
      seat: "service",
      role: "agent",
      primaryTeamId: null,
      additionalTeamIds: [],
      capacity: null,
    });
  await app.store.putChannel({ id: "chat", inboxId: "inbox", type: "chat", name: "Chat", routing: rule });
  return { app, db, tableName };
}

const rule = (reroute: boolean): RoutingRule => ({
  autoAssign: true,
  target: { type: "users_and_teams", userIds: Array.from({ length: AGENTS }, (_, i) => `agent-${i}`), teamIds: [] },
  ...(reroute ? { rerouteAfter: { seconds: 60, maxTimes: 2 } } : {}),
});

export async function benchReroute(endpoint: string): Promise<RerouteRow[]> {
  const rows: RerouteRow[] = [];
  for (const reroute of [false, true]) {
    const clock = new BenchClock();
    let timerMessages = 0;
    const timer: LapseTimer = {
      schedule: (lapses) => {
        timerMessages += lapses.length;
        return Promise.resolve();
      },
    };
    const { app, db, tableName } = await setUp(endpoint, rule(reroute), clock, timer);
    const calls = countCalls(db.client);
    const traffic = measureTraffic(db.client);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: BURST }, (_, i) =>
        app.inbound.receive({ channelId: "chat", accepts: ["chat"], text: `hello ${i}`, contactKey: null }),
      ),
    );
    rows.push({
      scenario: `burst of ${BURST}, ${reroute ? "rerouteAfter 60 s" : "no rerouteAfter"}`,
      design: "ours",
      conversations: BURST,
      dynamoCalls: calls.total(),
      writeCalls: calls.writes(),
      itemWrites: traffic.traffic.itemWrites,
      readUnits: Math.round(traffic.traffic.readUnits),
      timerMessages,
      ms: Math.round(performance.now() - t0),
    });
    if (!reroute) continue;

    // One lapse, as its timer fires it: the clocks of the whole burst ran out.
    clock.advance(61_000);
    const open = (
      await app.store.listConversations({
        inboxId: "inbox",
        view: "all",
        status: "open",
        userId: "x",
        limit: BURST,
      })
    ).items;
    calls.reset();
    traffic.reset();
    const t1 = performance.now();
    const outcome = await app.reroute.lapse(open[0]!.id);
    if (outcome !== "rerouted") throw new Error(`the lapse came to ${outcome}`);
    rows.push({
      scenario: "one lapse, fired by its timer",
      design: "ours",
      conversations: 1,
      dynamoCalls: calls.total(),
      writeCalls: calls.writes(),
      itemWrites: traffic.traffic.itemWrites,
      readUnits: Math.round(traffic.traffic.readUnits * 10) / 10,
      timerMessages: 1,
      ms: Math.round((performance.now() - t1) * 10) / 10,
    });

    // The naive design: each minute, read every open conversation of the inbox to find the overdue ones.
    calls.reset();
    traffic.reset();
    const t2 = performance.now();
    let overdue = 0;
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await db.doc.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: "gsi1",
          KeyConditionExpression: "gsi1pk = :pk",
          ExpressionAttributeValues: { ":pk": viewKeys.all("inbox", "open") },
          ExclusiveStartKey: cursor,
        }),
      );
      for (const item of page.Items ?? []) {
        // The views do not carry the clock: each candidate is read whole.
        const conv = await app.store.getConversation(itemToConversation(item).id);
        if (conv?.lapse && Date.parse(conv.lapse.at) <= clock.now().getTime()) overdue++;
      }
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    rows.push({
      scenario: `naive: one sweep over ${open.length} open conversations (${overdue} overdue)`,
      design: "naive",
      conversations: open.length,
      dynamoCalls: calls.total(),
      writeCalls: 0,
      itemWrites: 0,
      readUnits: Math.round(traffic.traffic.readUnits),
      timerMessages: 0,
      ms: Math.round(performance.now() - t2),
    });
  }
  return rows;
}
