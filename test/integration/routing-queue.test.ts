import { describe, expect, it } from "vitest";
import { createApp } from "#shared/app";
import { queueEntryOf } from "#shared/domain/routing-queue";
import type { Conversation } from "#shared/domain/types";
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
import { countCalls } from "../support/instrument";

/** Puts a conversation in the chat channel's queue as a router that then crashed would leave it. */
async function strandInQueue(app: Awaited<ReturnType<typeof testApp>>, id: string, at: Date) {
  const conversation: Conversation = {
    id,
    inboxId: "inbox-1",
    channelId: "chat-1",
    channelType: "chat",
    status: "open",
    assigneeId: null,
    teamId: null,
    contactId: null,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    routingPending: true,
  };
  const outcome = await app.store.enqueueNewConversations([
    { item: { conversation, message: null, dedupeKey: `conv:${id}` }, entry: queueEntryOf(conversation, at) },
  ]);
  expect(outcome.type).toBe("committed");
}

describe("the routing queue (cross-router group commit)", () => {
  it(
    "creating and routing one chat with no contention takes 3 DynamoDB calls: " +
      "channel and queue head, the pool, one write",
    async () => {
      const app = await testApp();
      for (const id of ["a", "b", "c"]) await app.store.putUser(profile(id));
      await seedChannel(app, { rule: usersAndTeams(["a", "b", "c"]) });
      const calls = countCalls(app.db.client);
      const r = await app.inbound
        .receive({ channelId: "chat-1", accepts: ["chat"], text: "hi", contactKey: null })
        .then(created);
      expect(r.conversation.assigneeId).toBe("a");
      expect(Object.fromEntries(calls.counts)).toEqual({
        QueryCommand: 1,
        BatchGetItemCommand: 1,
        TransactWriteItemsCommand: 1,
      });
    },
  );

  it(
    "a conversation left in the queue by a crashed router " + "is routed by the next router once the head stops moving",
    async () => {
      const app = await testApp({
        router: { queue: { pollMs: 5, maxPollMs: 20, staleMs: 100, maxWaitMs: 5000, drainBudgetMs: 1000 } },
      });
      await app.store.putUser(profile("alice"));
      await seedChannel(app, { rule: usersAndTeams(["alice"]) });
      await strandInQueue(app, "stranded", new Date(app.clock.now().getTime() - 1000));
      // The stranded one is visible to agents meanwhile: nothing is ever invisible.
      const before = await app.store.listConversations({
        inboxId: "inbox-1",
        view: "unassigned",
        status: "open",
        userId: "x",
        limit: 10,
      });
      expect(before.items.map((c) => c.id)).toEqual(["stranded"]);
      // A new chat sees the queue and joins it behind the stranded one (first in, first out).
      const r = await app.inbound
        .receive({ channelId: "chat-1", accepts: ["chat"], text: "hi", contactKey: null })
        .then(created);
      expect(r.queued).toBe(true);
      const stranded = await app.store.getConversation("stranded");
      expect(stranded).toMatchObject({ assigneeId: "alice" });
      expect(stranded?.routingPending).toBeUndefined();
      expect(r.conversation.assigneeId).toBe("alice");
      expect((await app.store.queueEntries("chat-1", 10)).length).toBe(0);
      expect(await invariantViolations(app)).toEqual([]);
    },
  );

  it("a queued conversation taken by hand meanwhile is not routed again, and its entry is dropped", async () => {
    const app = await testApp({
      router: { queue: { pollMs: 5, maxPollMs: 20, staleMs: 100, maxWaitMs: 5000, drainBudgetMs: 1000 } },
    });
    const alice = await app.store.putUser(profile("alice"));
    await app.store.putUser(profile("bob"));
    await seedChannel(app, { rule: usersAndTeams(["alice", "bob"]) });
    await strandInQueue(app, "taken", new Date(app.clock.now().getTime() - 1000));
    await app.conversations.assign(alice, "taken", { userId: "alice" });
    const r = await app.inbound
      .receive({ channelId: "chat-1", accepts: ["chat"], text: "hi", contactKey: null })
      .then(created);
    expect((await app.store.getConversation("taken"))?.assigneeId).toBe("alice");
    expect(r.conversation.assigneeId).toBe("bob"); // alice holds one already
    expect((await app.store.queueEntries("chat-1", 10)).length).toBe(0);
    expect(await invariantViolations(app)).toEqual([]);
  });

  it(
    "a burst from one router per chat (as Lambdas would be) " + "goes through the queue, each chat assigned once",
    async () => {
      const seedApp = await testApp();
      const agents = ["a1", "a2", "a3"];
      for (const id of agents) await seedApp.store.putUser(profile(id));
      await seedChannel(seedApp, { rule: usersAndTeams(agents) });
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          createApp({ db: clients(), tableName: seedApp.tableName })
            .inbound.receive({
              channelId: "chat-1",
              accepts: ["chat"],
              text: `c${i}`,
              contactKey: null,
            })
            .then(created),
        ),
      );
      expect(results.some((r) => r.queued)).toBe(true);
      expect(results.every((r) => r.conversation.assigneeId !== null && !r.conversation.routingPending)).toBe(true);
      const { users, conversations } = await dump(seedApp);
      expect(conversations.filter((c) => c.assigneeId).length).toBe(30);
      expect(users.map((u) => u.openCount)).toEqual([10, 10, 10]);
      expect(await invariantViolations(seedApp)).toEqual([]);
    },
  );
});

describe("bot hand-off (routing.md §5: routed when the bot hands the chat over)", () => {
  it("a bot chat waits unassigned, is routed once at hand-off, and a second hand-off changes nothing", async () => {
    const app = await testApp();
    await app.store.putUser(profile("alice"));
    await app.store.putUser(profile("bob"));
    const channel = await seedChannel(app, { type: "bot", rule: usersAndTeams(["alice", "bob"]) });
    const r = await app.inbound
      .receive({
        channelId: "bot-1",
        accepts: ["chat", "bot"],
        text: "hi bot",
        contactKey: null,
      })
      .then(created);
    expect(r.conversation).toMatchObject({ assigneeId: null, awaitingHandoff: true });
    expect(r.decision).toBeNull();
    const [first, second] = await Promise.all([
      app.conversations.handoff(r.conversation.id, null, channel),
      app.conversations.handoff(r.conversation.id, null, channel),
    ]);
    expect(first.assigneeId).toBe("alice");
    expect(second.assigneeId).toBe("alice");
    expect((await app.store.getUser("alice"))?.openCount).toBe(1);
    expect((await app.store.getConversation(r.conversation.id))?.routing?.strategy).toBe("least_busy");
    expect(await invariantViolations(app)).toEqual([]);
  });
});

describe("a queued chat the visitor writes in again (found by a code review)", () => {
  it("is still routed by the drain: a new message changes the version, not whether it waits", async () => {
    const app = await testApp();
    await app.store.putUser(profile("alice"));
    await seedChannel(app, { rule: usersAndTeams(["alice"]) });
    await strandInQueue(app, "q1", new Date(app.clock.now().getTime() - 1000));
    await app.conversations.customerMessage("q1", { text: "hello again?" });
    await app.router.queue.routeQueued((await app.store.getChannel("chat-1"))!);
    expect((await app.store.getConversation("q1"))?.assigneeId).toBe("alice");
    expect(await app.store.queueEntries("chat-1", 10)).toEqual([]);
    expect(await invariantViolations(app)).toEqual([]);
  });
});
