/**
 * `npm run bench`: routing under bursts, our router vs the naive optimistic one, in the same run,
 * on the embedded DynamoDB (or DYNAMODB_ENDPOINT). Prints a table, then one JSON line of all rows.
 */
import { performance } from "node:perf_hooks";
import { createDynamoClients } from "../../shared/adapters/dynamo/client";
import { createApp, ensureTable, systemRandom } from "../../shared/app";
import { startDynoxide } from "../../infra/local/dynoxide";
import { dump } from "../support/harness";
import { countCalls } from "../support/instrument";
import { benchHtmlToText, benchMime } from "./mime";
import { naiveRoute } from "./naive-router";

interface Row {
  scenario: string;
  router: "ours" | "naive";
  conversations: number;
  agents: number;
  routers: number;
  writeAttemptsPerConversation: number;
  dynamoCallsPerConversation: number;
  p50Ms: number;
  p99Ms: number;
  totalMs: number;
  spread: number;
  assigned: number;
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

async function scenario(endpoint: string, o: { name: string; router: "ours" | "naive"; conversations: number; agents: number; routers: number }): Promise<Row> {
  const tableName = `bench-${o.name}-${o.router}-${Date.now()}`.replace(/[^a-zA-Z0-9_.-]/g, "-");
  const seed = createDynamoClients({ region: "us-east-1", endpoint });
  await ensureTable(seed, tableName);
  const admin = createApp({ db: seed, tableName });
  const agentIds = Array.from({ length: o.agents }, (_, i) => `agent-${String(i).padStart(4, "0")}`);
  await admin.store.putInbox({ id: "inbox", name: "Support", access: { type: "everyone" } });
  await Promise.all(agentIds.map((id) => admin.store.putUser({ id, name: id, email: `${id}@example.com`, seat: "service", role: "agent", primaryTeamId: null, additionalTeamIds: [], capacity: null })));
  await admin.store.putChannel({ id: "chat", inboxId: "inbox", type: "chat", name: "Chat", routing: { autoAssign: true, target: { type: "users_and_teams", userIds: agentIds, teamIds: [] } } });

  const instances = Array.from({ length: o.routers }, () => {
    const db = createDynamoClients({ region: "us-east-1", endpoint, overrides: { maxAttempts: 10 } });
    return { app: createApp({ db, tableName }), calls: countCalls(db.client) };
  });
  // Warm the connections so the first request does not pay for the TCP set-up, then count from zero.
  await Promise.all(instances.map((x) => x.app.store.getChannel("chat")));
  for (const x of instances) x.calls.reset();
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: o.conversations }, async (_, i) => {
      const inst = instances[i % o.routers]!;
      const t0 = performance.now();
      if (o.router === "ours") await inst.app.inbound.receive({ channelId: "chat", accepts: ["chat"], text: `hello ${i}`, contactKey: null });
      else await naiveRoute(inst.app.store, "chat", `hello ${i}`, systemRandom);
      latencies.push(performance.now() - t0);
    }),
  );
  const totalMs = performance.now() - start;
  const { users, conversations } = await dump({ db: seed, tableName });
  const loads = users.map((u) => u.openCount);
  const calls = instances.reduce((s, x) => s + x.calls.total(), 0);
  const writes = instances.reduce((s, x) => s + x.calls.writes(), 0);
  return {
    scenario: o.name,
    router: o.router,
    conversations: o.conversations,
    agents: o.agents,
    routers: o.routers,
    writeAttemptsPerConversation: round(writes / o.conversations),
    dynamoCallsPerConversation: round(calls / o.conversations),
    p50Ms: round(quantile(latencies, 0.5), 1),
    p99Ms: round(quantile(latencies, 0.99), 1),
    totalMs: round(totalMs, 0),
    spread: Math.max(...loads) - Math.min(...loads),
    assigned: conversations.filter((c) => c.assigneeId !== null).length,
  };
}

async function main() {
  // `npm run bench -- mime` or `-- routing` runs one part; no argument runs both.
  const only = process.argv[2];
  if (only !== "routing") {
    process.stderr.write("bench: MIME parsing...\n");
    const mime = await benchMime();
    console.table(mime);
    console.log(JSON.stringify(mime));
    process.stderr.write("bench: HTML to text, ours against the naive converters...\n");
    const html = await benchHtmlToText();
    console.table(html);
    console.log(JSON.stringify(html));
  }
  if (only === "mime") return;
  const own = process.env.DYNAMODB_ENDPOINT ? null : await startDynoxide();
  const endpoint = process.env.DYNAMODB_ENDPOINT ?? own!.endpoint;
  const plan = [
    { name: "single-chat", conversations: 1, agents: 5, routers: 1 },
    { name: "burst-200x5", conversations: 200, agents: 5, routers: 4 },
    { name: "burst-200x5-lambda", conversations: 200, agents: 5, routers: 200 },
    { name: "pool-1000", conversations: 200, agents: 1000, routers: 4 },
  ];
  const rows: Row[] = [];
  try {
    for (const s of plan) {
      for (const router of ["ours", "naive"] as const) {
        process.stderr.write(`bench: ${s.name} (${router})...\n`);
        rows.push(await scenario(endpoint, { ...s, router }));
      }
    }
  } finally {
    await own?.stop();
  }
  console.table(rows);
  console.log(JSON.stringify(rows));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
