import type { APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { createApp } from "#shared/app";
import { queueEntryOf } from "#shared/domain/routing-queue";
import { createApiHandler } from "#shared/http/api";
import {
  clients,
  created,
  invariantViolations,
  lineViolations,
  profile,
  seedChannel,
  testApp,
  usersAndTeams,
} from "../support/harness";
import { apiEvent, FORM_KEY } from "../support/http";
import { countCalls, injectFaults } from "../support/instrument";

/** A request's remaining time, as the Lambda context reports it. */
const deadline = (...remaining: number[]) => {
  let i = 0;
  return { remainingMs: () => remaining[Math.min(i++, remaining.length - 1)]! };
};

describe("deadline-aware routing: answer before the Lambda or API Gateway gives up", () => {
  it(
    "with less time left than the reserve, " + "the chat is created waiting in its line in one write, and routed later",
    async () => {
      const app = await testApp();
      await app.store.putUser(profile("alice"));
      await seedChannel(app, { rule: usersAndTeams(["alice"]) });
      const calls = countCalls(app.db.client);
      const r = await app.inbound
        .receive({
          channelId: "chat-1",
          accepts: ["chat"],
          text: "hi",
          contactKey: null,
          deadline: deadline(200),
        })
        .then(created);
      expect(r.type).toBe("created");
      expect(r.conversation).toMatchObject({ assigneeId: null, waitingSince: expect.any(String) });
      expect(r.conversation.routing?.outcome).toEqual({
        type: "unassigned",
        why: "routing ran out of time: waiting in the channel's line",
      });
      // The channel's read, then one write and its line ticket (docs/routing.md §5.5.6): no pool read,
      // no routing attempt.
      expect(Object.fromEntries(calls.counts)).toEqual({
        QueryCommand: 1,
        UpdateItemCommand: 1,
        TransactWriteItemsCommand: 1,
      });
      const unassigned = await app.store.listConversations({
        inboxId: "inbox-1",
        view: "unassigned",
        status: "open",
        userId: "x",
        limit: 5,
      });
      expect(unassigned.items.map((c) => c.id)).toEqual([r.conversation.id]);
      expect(await app.sweep()).toMatchObject({ assigned: 1 });
      expect((await app.store.getConversation(r.conversation.id))?.assigneeId).toBe("alice");
      expect(await invariantViolations(app)).toEqual([]);
      expect(await lineViolations(app)).toEqual([]);
    },
  );

  it("a contact-owner chat created waiting for lack of time still goes to the contact's owner", async () => {
    const app = await testApp();
    await app.store.putUser(profile("owner"));
    await seedChannel(app, { rule: { autoAssign: true, target: { type: "contact_owner" } } });
    await app.store.putContact({
      id: "k1",
      email: "kim@example.com",
      ownerId: "owner",
      visitorTokens: ["tok-kim-0001"],
    });
    const r = await app.inbound
      .receive({
        channelId: "chat-1",
        accepts: ["chat"],
        text: "hi",
        contactKey: { by: "visitorToken", value: "tok-kim-0001" },
        deadline: deadline(100),
      })
      .then(created);
    expect(r.conversation).toMatchObject({ assigneeId: null, contactId: "k1", waitingSince: expect.any(String) });
    await app.sweep();
    expect((await app.store.getConversation(r.conversation.id))?.assigneeId).toBe("owner");
    expect(await lineViolations(app)).toEqual([]);
  });

  it("a lost race that would outlast the deadline stops retrying and answers the chat waiting", async () => {
    const app = await testApp();
    await app.store.putUser(profile("alice"));
    await seedChannel(app, { type: "email", channelId: "email-1", rule: usersAndTeams(["alice"]) });
    const db = clients({ maxAttempts: 1 });
    injectFaults(db.client, (name, call) => (name === "TransactWriteItemsCommand" && call === 0 ? "conflict" : null));
    const router = createApp({
      db,
      tableName: app.tableName,
      clock: app.clock,
      router: { backoff: { baseMs: 1, capMs: 5 } },
    });
    // Plenty of time for the first attempt, then the clock runs down.
    const r = await router.inbound
      .receive({
        channelId: "email-1",
        accepts: ["email"],
        text: "x",
        contactKey: null,
        deadline: deadline(10_000, 10_000, 900),
      })
      .then(created);
    expect(r.conversation).toMatchObject({ assigneeId: null, waitingSince: expect.any(String) });
    expect(await lineViolations(app)).toEqual([]);
    expect(await invariantViolations(app)).toEqual([]);
  });

  it(
    "a chat waiting behind a stuck routing queue answers " + "before the deadline, created and visible, never lost",
    async () => {
      const app = await testApp({
        router: { queue: { pollMs: 5, maxPollMs: 20, staleMs: 60_000, maxWaitMs: 60_000, drainBudgetMs: 1000 } },
      });
      await app.store.putUser(profile("alice"));
      await seedChannel(app, { rule: usersAndTeams(["alice"]) });
      // Queued a second earlier by a router that is still alive (the head is not stale yet).
      const at = new Date(app.clock.now().getTime() - 1000);
      const stuck = {
        id: "stuck",
        inboxId: "inbox-1",
        channelId: "chat-1",
        channelType: "chat" as const,
        status: "open" as const,
        assigneeId: null,
        teamId: null,
        contactId: null,
        createdAt: at.toISOString(),
        updatedAt: at.toISOString(),
        routingPending: true,
      };
      await app.store.enqueueNewConversations([
        { item: { conversation: stuck, message: null, dedupeKey: "conv:stuck" }, entry: queueEntryOf(stuck, at) },
      ]);
      const started = performance.now();
      const r = await app.inbound
        .receive({
          channelId: "chat-1",
          accepts: ["chat"],
          text: "hi",
          contactKey: null,
          deadline: deadline(10_000, 10_000, 10_000, 100),
        })
        .then(created);
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(r).toMatchObject({ type: "created", queued: true, decision: null });
      expect(r.conversation).toMatchObject({ assigneeId: null, routingPending: true });
      // Whoever drains next (here: the sweep, once the head is stale) routes both, oldest first.
      app.clock.advance(61_000);
      await app.sweep();
      expect((await app.store.getConversation(r.conversation.id))?.assigneeId).toBe("alice");
      expect(await invariantViolations(app)).toEqual([]);
    },
  );

  it("over HTTP: a Lambda with 200 ms left answers 201 with the chat waiting and its place in line", async () => {
    const app = await testApp();
    await app.store.putUser(profile("alice"));
    await seedChannel(app, { rule: usersAndTeams(["alice"]) });
    const services = { commands: app.commands, queries: app.queries, now: () => app.clock.now() };
    const config = { allowedOrigins: [], formSigningKey: FORM_KEY };
    const handler = createApiHandler({ ...services, config }, { error: () => {} });
    const context = { getRemainingTimeInMillis: () => 200 } as unknown as Context;
    const res = (await handler(
      apiEvent({ method: "POST", path: "/chat/chat-1/conversations", body: { text: "hello" } }),
      context,
    )) as APIGatewayProxyStructuredResultV2;
    expect(res.statusCode).toBe(201);
    const body = JSON.parse(res.body!);
    expect(body.conversation).toMatchObject({ assigned: false, waiting: { position: 1, since: expect.any(String) } });
  });
});
