import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { createApp } from "#shared/app";
import {
  clients,
  created,
  dump,
  invariantViolations,
  profile,
  seedChannel,
  testApp,
  usersAndTeams,
} from "../support/harness";
import { injectFaults } from "../support/instrument";

const AGENTS = ["a1", "a2", "a3"];

async function seeded() {
  const app = await testApp();
  for (const id of AGENTS) await app.store.putUser(profile(id));
  await seedChannel(app, { rule: usersAndTeams(AGENTS) });
  return app;
}

/** A router on its own client, with faults injected into that client only. */
function faultyRouter(tableName: string, setup: (client: DynamoDBClient) => void) {
  const db = clients({ maxAttempts: 3 });
  setup(db.client);
  return createApp({ db, tableName, router: { backoff: { baseMs: 1, capMs: 10 } } });
}

describe("faults the emulator never raises, injected into the SDK client", () => {
  it("throttling on every other write: routing retries with backoff and the invariants hold", async () => {
    const app = await seeded();
    let injected = { throttle: 0, conflict: 0 };
    const router = faultyRouter(app.tableName, (c) => {
      injected = injectFaults(c, (name, call) =>
        name === "TransactWriteItemsCommand" && call % 2 === 0 ? "throttle" : null,
      );
    });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        router.inbound
          .receive({ channelId: "chat-1", accepts: ["chat"], text: `${i}`, contactKey: null })
          .then(created),
      ),
    );
    expect(injected.throttle).toBeGreaterThan(0);
    expect(results.every((r) => r.conversation.assigneeId !== null)).toBe(true);
    expect((await dump(app)).conversations).toHaveLength(20);
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("TransactionConflict cancellations: routing and manual operations retry and the invariants hold", async () => {
    const app = await seeded();
    let injected = { throttle: 0, conflict: 0 };
    const router = faultyRouter(app.tableName, (c) => {
      injected = injectFaults(c, (name, call) =>
        name === "TransactWriteItemsCommand" && call % 3 !== 2 ? "conflict" : null,
      );
    });
    const made = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        router.inbound
          .receive({ channelId: "chat-1", accepts: ["chat"], text: `${i}`, contactKey: null })
          .then(created),
      ),
    );
    const a1 = (await app.store.getUser("a1"))!;
    for (const r of made.slice(0, 4)) await router.conversations.close(a1, r.conversation.id);
    await router.conversations.assign(a1, made[5]!.conversation.id, { userId: null });
    await router.conversations.reopen(a1, made[0]!.conversation.id);
    expect(injected.conflict).toBeGreaterThan(5);
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("a commit that succeeded but whose answer was lost is not applied twice when retried", async () => {
    const app = await seeded();
    let lost = 0;
    const router = faultyRouter(app.tableName, (c) => {
      // Inside the SDK's retry loop: the write reaches the table, then the answer is dropped once.
      c.middlewareStack.add(
        (next, context) => async (args) => {
          const out = await next(args);
          if (context.commandName === "TransactWriteItemsCommand" && lost === 0) {
            lost++;
            throw Object.assign(new Error("socket hang up"), { name: "TimeoutError", $metadata: {} });
          }
          return out;
        },
        { step: "deserialize", name: "loseOneAnswer" },
      );
    });
    const r = await router.inbound
      .receive({ channelId: "chat-1", accepts: ["chat"], text: "once", contactKey: null })
      .then(created);
    expect(lost).toBe(1);
    expect(r.type).toBe("created");
    const { conversations, users } = await dump(app);
    expect(conversations.map((c) => c.id)).toEqual([r.conversation.id]);
    expect(users.reduce((s, u) => s + u.openCount, 0)).toBe(1);
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("throttling that outlasts the SDK's own retries: the router's retry still completes the burst", async () => {
    const app = await seeded();
    const router = faultyRouter(app.tableName, (c) => {
      injectFaults(c, (name, call) => (name === "TransactWriteItemsCommand" && call < 6 ? "throttle" : null));
    });
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        router.inbound
          .receive({ channelId: "chat-1", accepts: ["chat"], text: `${i}`, contactKey: null })
          .then(created),
      ),
    );
    expect(results.every((r) => r.conversation.assigneeId !== null)).toBe(true);
    expect(await invariantViolations(app)).toEqual([]);
  });
});

describe("a bot hand-off decided by least busy (found by a code review)", () => {
  it("is not committed to an agent who turned away between the decision and the commit", async () => {
    const app = await testApp();
    for (const id of ["alice", "bob"]) await app.store.putUser(profile(id));
    await app.store.updatePresence("bob", { availability: "away" });
    await seedChannel(app, { channelId: "bot-1", type: "bot", rule: usersAndTeams(["alice", "bob"]) });
    const chat = await app.inbound
      .receive({ channelId: "bot-1", accepts: ["bot"], text: "a person, please", contactKey: null })
      .then(created);
    // Alice goes away and Bob comes back just before the hand-off's first commit reaches the table.
    const racer = clients();
    let raced = false;
    racer.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (!raced && context.commandName === "TransactWriteItemsCommand") {
          raced = true;
          await app.store.updatePresence("alice", { availability: "away" });
          await app.store.updatePresence("bob", { availability: "available" });
        }
        return next(args);
      },
      { step: "initialize", name: "race-availability" },
    );
    const router = createApp({ db: racer, tableName: app.tableName, clock: app.clock });
    const channel = (await app.store.getChannel("bot-1"))!;
    const handed = await router.conversations.handoff(chat.conversation.id, null, channel);
    expect(raced).toBe(true);
    expect(handed.assigneeId).toBe("bob");
    expect(await invariantViolations(app)).toEqual([]);
  });
});
