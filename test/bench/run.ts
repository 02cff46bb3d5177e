/**
 * `npm run bench`: routing under bursts and with large directories, our router vs the naive optimistic
 * one, in the same run, on the embedded DynamoDB (or DYNAMODB_ENDPOINT). Prints a table, then one JSON
 * line of all rows. `npm run bench -- routing|mime|preview|reroute|live` runs one part; `-- routing <scenario>...`
 * some rows; `--full` runs the naive router at full size where a row gives it fewer chats (see `naiveConversations`).
 */
import { performance } from "node:perf_hooks";
import { createDynamoClients, type DynamoClients } from "#shared/adapters/dynamo/client";
import { userToItem } from "#shared/adapters/dynamo/items";
import { ENTITY, keys, viewKeys } from "#shared/adapters/dynamo/keys";
import { createApp, ensureTable, systemRandom } from "#shared/app";
import { startDynoxide } from "../../infra/local/dynoxide";
import { dump } from "../support/harness";
import { countCalls, measureTraffic } from "../support/instrument";
import { benchLive } from "./live";
import { benchAttachments, benchAutomatic, benchHtmlToText, benchMime } from "./mime";
import { naiveRoute } from "./naive-router";
import { benchPreview } from "./preview";
import { benchReroute } from "./reroute";
import { putItems } from "./seed";

interface Plan {
  name: string;
  conversations: number;
  /** Users in the channel's pool (primary members of the team the channel lists). */
  agents: number;
  /** Users in the directory who are in no pool of this channel. */
  bystanders: number;
  routers: number;
  /** Chats arrive one after another (latency of an uncontended chat) instead of all at once. */
  sequential: boolean;
  /**
   * Fewer chats for the naive router, whose cost grows with the burst (every chat chases the same
   * least busy agents): the row compares per chat, and says so. `--full` runs the naive one at full size.
   */
  naiveConversations?: number;
}

interface Row {
  scenario: string;
  /** How this row's run differs from the plan's, when it does ("40 of 200 chats"). */
  note: string;
  router: "ours" | "naive";
  conversations: number;
  agents: number;
  directory: number;
  routers: number;
  writeAttemptsPerConversation: number;
  dynamoCallsPerConversation: number;
  bytesReadPerConversation: number;
  readUnitsPerConversation: number;
  p50Ms: number;
  p99Ms: number;
  totalMs: number;
  spread: number;
  assigned: number;
  hottestKey: string;
  hottestKeyWriteShare: number;
  hottestKeyWritesPerConversation: number;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Users outside the pool, written straight as items (the router never reads them: that is the point). */
async function seedBystanders(db: DynamoClients, tableName: string, n: number): Promise<void> {
  const items: Array<Record<string, unknown>> = [];
  for (let i = 0; i < n; i++) {
    const id = `staff-${String(i).padStart(5, "0")}`;
    const user = {
      id,
      name: id,
      email: `${id}@example.com`,
      seat: "service" as const,
      role: "agent" as const,
      primaryTeamId: "back-office",
      additionalTeamIds: [],
      capacity: null,
      availability: "available" as const,
      lastInboxActivityAt: null,
      lastAssignedAt: null,
      openCount: 0,
    };
    items.push({ ...userToItem(user), gsi3pk: viewKeys.users, gsi3sk: id });
    items.push({ ...keys.teamMember("back-office", id), entityType: ENTITY.teamMember, userId: id });
  }
  await putItems(db, tableName, items);
}

async function scenario(endpoint: string, o: Plan & { router: "ours" | "naive"; note: string }): Promise<Row> {
  const tableName = `bench-${o.name}-${o.router}-${Date.now()}`.replace(/[^a-zA-Z0-9_.-]/g, "-");
  const seed = createDynamoClients({ region: "us-east-1", endpoint });
  await ensureTable(seed, tableName);
  const admin = createApp({ db: seed, tableName });
  const agentIds = Array.from({ length: o.agents }, (_, i) => `agent-${String(i).padStart(4, "0")}`);
  await admin.store.putInbox({ id: "inbox", name: "Support", access: { type: "everyone" } });
  await admin.store.putTeam({ id: "support", name: "Support" });
  await admin.store.putTeam({ id: "back-office", name: "Back office" });
  for (let i = 0; i < agentIds.length; i += 50) {
    await Promise.all(
      agentIds.slice(i, i + 50).map((id) =>
        admin.store.putUser({
          id,
          name: id,
          email: `${id}@example.com`,
          seat: "service",
          role: "agent",
          primaryTeamId: "support",
          additionalTeamIds: [],
          capacity: null,
        }),
      ),
    );
  }
  await seedBystanders(seed, tableName, o.bystanders);
  await admin.store.putChannel({
    id: "chat",
    inboxId: "inbox",
    type: "chat",
    name: "Chat",
    routing: { autoAssign: true, target: { type: "users_and_teams", userIds: [], teamIds: ["support"] } },
  });

  const instances = Array.from({ length: o.routers }, () => {
    const db = createDynamoClients({ region: "us-east-1", endpoint, overrides: { maxAttempts: 10 } });
    return { app: createApp({ db, tableName }), calls: countCalls(db.client), traffic: measureTraffic(db.client) };
  });
  // Warm the connections so the first request does not pay for the TCP set-up, then count from zero.
  await Promise.all(instances.map((x) => x.app.store.getChannel("chat")));
  for (const x of instances) {
    x.calls.reset();
    x.traffic.reset();
  }
  const latencies: number[] = [];
  const one = async (i: number) => {
    const inst = instances[i % o.routers]!;
    const t0 = performance.now();
    if (o.router === "ours")
      await inst.app.inbound.receive({ channelId: "chat", accepts: ["chat"], text: `hello ${i}`, contactKey: null });
    else await naiveRoute(inst.app.store, "chat", `hello ${i}`, systemRandom);
    latencies.push(performance.now() - t0);
  };
  const start = performance.now();
  if (o.sequential) for (let i = 0; i < o.conversations; i++) await one(i);
  else await Promise.all(Array.from({ length: o.conversations }, (_, i) => one(i)));
  const totalMs = performance.now() - start;

  const { users, conversations } = await dump({ db: seed, tableName });
  const loads = users.filter((u) => u.primaryTeamId === "support").map((u) => u.openCount);
  const sum = (f: (x: (typeof instances)[number]) => number) => instances.reduce((s, x) => s + f(x), 0);
  const byKey = new Map<string, number>();
  for (const x of instances) for (const [k, v] of x.traffic.traffic.writesByKey) byKey.set(k, (byKey.get(k) ?? 0) + v);
  const itemWrites = sum((x) => x.traffic.traffic.itemWrites);
  const [hotKey, hotWrites] = [...byKey].sort((a, b) => b[1] - a[1])[0] ?? ["", 0];
  const n = o.conversations;
  return {
    scenario: o.name,
    note: o.note,
    router: o.router,
    conversations: n,
    agents: o.agents,
    directory: o.agents + o.bystanders,
    routers: o.routers,
    writeAttemptsPerConversation: round(sum((x) => x.calls.writes()) / n),
    dynamoCallsPerConversation: round(sum((x) => x.calls.total()) / n),
    bytesReadPerConversation: Math.round(sum((x) => x.traffic.traffic.bytesRead) / n),
    readUnitsPerConversation: round(sum((x) => x.traffic.traffic.readUnits) / n, 1),
    p50Ms: round(quantile(latencies, 0.5), 1),
    p99Ms: round(quantile(latencies, 0.99), 1),
    totalMs: round(totalMs, 0),
    spread: Math.max(...loads) - Math.min(...loads),
    assigned: conversations.filter((c) => c.assigneeId !== null).length,
    // Keys are per entity: the hottest is a user's item (or the channel's queue during a burst).
    hottestKey: hotKey.replace(/#.*/, "#…"),
    hottestKeyWriteShare: round(itemWrites === 0 ? 0 : hotWrites / itemWrites, 3),
    hottestKeyWritesPerConversation: round(hotWrites / n),
  };
}

const PLANS: Plan[] = [
  { name: "single-chat", conversations: 1, agents: 5, bystanders: 0, routers: 1, sequential: true },
  { name: "directory-20", conversations: 50, agents: 20, bystanders: 0, routers: 1, sequential: true },
  { name: "directory-10000", conversations: 50, agents: 20, bystanders: 9_980, routers: 1, sequential: true },
  { name: "burst-200x5", conversations: 200, agents: 5, bystanders: 0, routers: 4, sequential: false },
  { name: "burst-200x5-lambda", conversations: 200, agents: 5, bystanders: 0, routers: 200, sequential: false },
  // The naive router needs ~8 minutes for this burst at full size (each chat reads the 1,000-agent pool
  // again on every lost race); 40 chats at once keep its per-chat figures and the bench within 10 minutes.
  {
    name: "pool-1000",
    conversations: 200,
    agents: 1000,
    bystanders: 0,
    routers: 4,
    sequential: false,
    naiveConversations: 40,
  },
  {
    name: "burst-200x20-directory-10000",
    conversations: 200,
    agents: 20,
    bystanders: 9_980,
    routers: 4,
    sequential: false,
  },
];

async function main() {
  const [only, ...args] = process.argv.slice(2);
  // `--ours` skips the naive rows (a quick look while working; docs/performance.md's figures come from both).
  const routers = args.includes("--ours") ? (["ours"] as const) : (["ours", "naive"] as const);
  // `--full` runs every naive row at the plan's size (about 14 minutes in all, against ~7).
  const full = args.includes("--full");
  const began = performance.now();
  const elapsed = () => `${Math.round((performance.now() - began) / 1000)} s`;
  const names = args.filter((a) => !a.startsWith("--"));
  if (only !== "routing" && only !== "preview" && only !== "reroute" && only !== "live") {
    await part("MIME parsing", benchMime);
    await part("HTML to text, ours against the naive converters", benchHtmlToText);
    await part("mail sent by machines, as the parser recognises it", benchAutomatic);
    await part("a 10 MB message with 100 attachments, parsed and stored (S3 emulator)", benchAttachments);
  }
  if (only === "mime") return;
  const own = process.env.DYNAMODB_ENDPOINT ? null : await startDynoxide();
  const endpoint = process.env.DYNAMODB_ENDPOINT ?? own!.endpoint;
  if (only === undefined || only === "live") {
    await part("live fan-out of one change, ours against a scan of every connection", () => benchLive(endpoint));
    if (only === "live") {
      await own?.stop();
      return;
    }
  }
  if (only === undefined || only === "reroute") {
    await part("re-routing unanswered chats, ours against a sweep of open conversations", () => benchReroute(endpoint));
    if (only === "reroute") {
      await own?.stop();
      return;
    }
  }
  if (only === undefined || only === "preview") {
    await part("rule preview, 5,000 conversations, ours against a scan", () => benchPreview(endpoint));
    if (only === "preview") {
      await own?.stop();
      return;
    }
  }
  const plan = names.length > 0 ? PLANS.filter((p) => names.includes(p.name)) : PLANS;
  const rows: Row[] = [];
  try {
    for (const s of plan) {
      for (const router of routers) {
        const fewer = router === "naive" && !full && s.naiveConversations !== undefined;
        const conversations = fewer ? s.naiveConversations! : s.conversations;
        const note = fewer ? `${conversations} of ${s.conversations} chats, per chat (--full: all)` : "";
        process.stderr.write(`bench: ${s.name} (${router}${note ? `, ${note}` : ""}) at ${elapsed()}...\n`);
        rows.push(await scenario(endpoint, { ...s, conversations, router, note }));
      }
    }
  } finally {
    await own?.stop();
  }
  console.table(rows.map(({ hottestKey: _k, ...r }) => r));
  console.log(JSON.stringify(rows));
  process.stderr.write(`bench: done in ${elapsed()}\n`);
}

/** One part of the bench: says what runs (stderr), then prints its rows as a table and as one JSON line. */
async function part(label: string, run: () => Promise<object[]>): Promise<void> {
  process.stderr.write(`bench: ${label}...\n`);
  const rows = await run();
  console.table(rows);
  console.log(JSON.stringify(rows));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
