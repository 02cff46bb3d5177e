import { describe, expect, it } from "vitest";
import { createApp } from "#shared/app";
import type { RoutingRule } from "#shared/domain/types";
import {
  clients,
  created,
  dump,
  invariantViolations,
  lineViolations,
  profile,
  recordingNotifier,
  seedChannel,
  type TestApp,
  testApp,
  usersAndTeams,
} from "../support/harness";
import { ADMIN, apiHarness } from "../support/http";

const chat = (app: TestApp, text = "hi", channelId = "chat-1") =>
  app.inbound.receive({ channelId, accepts: ["chat"], text, contactKey: null }).then(created);

/** A chat from a visitor known by their token: contact-owner rules find the contact by it. */
const visitorChat = (app: TestApp, token: string, text: string) =>
  app.inbound
    .receive({ channelId: "chat-1", accepts: ["chat"], text, contactKey: { by: "visitorToken", value: token } })
    .then(created);

async function line(app: TestApp, channelId = "chat-1") {
  return (await app.store.waitingEntries(channelId, 500)).map((e) => e.conversationId);
}

async function seeded(agents: string[], over: Parameters<typeof profile>[1] = {}, rule?: RoutingRule) {
  const app = await testApp();
  for (const id of agents) await app.store.putUser(profile(id, over));
  await seedChannel(app, { rule: rule ?? usersAndTeams(agents) });
  return app;
}

describe("the waiting line (docs/routing.md §5.5)", () => {
  it("a chat nobody can take waits in its channel's line, visible in Unassigned, in arrival order", async () => {
    const app = await seeded(["alice"]);
    await app.setAvailability("alice", "away");
    const first = await chat(app, "one");
    app.clock.advance(1000);
    const second = await chat(app, "two");
    expect(first.conversation).toMatchObject({ assigneeId: null, waitingSince: "2026-11-24T10:00:00.000Z" });
    expect(await line(app)).toEqual([first.conversation.id, second.conversation.id]);
    const unassigned = await app.store.listConversations({
      inboxId: "inbox-1",
      view: "unassigned",
      status: "open",
      userId: "x",
      limit: 10,
    });
    expect(unassigned.items.map((c) => c.id)).toEqual([first.conversation.id, second.conversation.id]);
    expect(await app.waiting.placeOf(second.conversation)).toEqual({
      position: 2,
      since: second.conversation.waitingSince,
    });
  });

  it(
    "an away agent who turns available gets the oldest " + "waiting chat within that request; the record says why",
    async () => {
      const app = await seeded(["alice"]);
      await app.setAvailability("alice", "away");
      const waited = await chat(app);
      app.clock.advance(4 * 60_000);
      await app.setAvailability("alice", "available");
      await app.waiting.settled();
      const stored = await app.store.getConversation(waited.conversation.id);
      expect(stored).toMatchObject({ assigneeId: "alice" });
      expect(stored?.waitingSince).toBeUndefined();
      expect(stored?.routing?.waited).toMatchObject({ ms: 240_000, trigger: { kind: "available", userId: "alice" } });
      expect(stored?.routing?.outcome).toMatchObject({
        type: "assigned",
        why: expect.stringContaining("waited 4 min; assigned when alice became available"),
      });
      expect(await line(app)).toEqual([]);
      expect(await invariantViolations(app)).toEqual([]);
      expect(await lineViolations(app)).toEqual([]);
    },
  );

  it("closing, unassigning or handing over frees a slot that the line fills", async () => {
    const app = await seeded(["alice"], { capacity: 1 });
    const alice = (await app.store.getUser("alice"))!;
    const held = await chat(app, "held");
    const waiting1 = await chat(app, "w1");
    const waiting2 = await chat(app, "w2");
    expect(held.conversation.assigneeId).toBe("alice");
    expect(await line(app)).toEqual([waiting1.conversation.id, waiting2.conversation.id]);
    await app.conversations.close(alice, held.conversation.id);
    await app.waiting.settled();
    expect((await app.store.getConversation(waiting1.conversation.id))?.assigneeId).toBe("alice");
    expect((await app.store.getConversation(waiting1.conversation.id))?.routing?.waited?.trigger).toEqual({
      kind: "freed",
      userId: "alice",
    });
    await app.conversations.assign(alice, waiting1.conversation.id, { userId: null });
    await app.waiting.settled();
    // Unassigned by hand, it is triage's now (not back in the line); the next in line takes the slot.
    expect((await app.store.getConversation(waiting2.conversation.id))?.assigneeId).toBe("alice");
    expect(await line(app)).toEqual([]);
    expect(await invariantViolations(app)).toEqual([]);
    expect(await lineViolations(app)).toEqual([]);
  });

  it("a higher capacity, joining a listed team, and a rule listing someone new each drain the line", async () => {
    const app = await testApp();
    await app.store.putTeam({ id: "support", name: "Support" });
    await app.store.putUser(profile("alice", { primaryTeamId: "support", capacity: 0 }));
    await app.store.putUser(profile("bob"));
    await app.store.putUser(profile("carol"));
    await seedChannel(app, { rule: usersAndTeams([], ["support"]) });
    const [a, b, c] = [await chat(app, "a"), await chat(app, "b"), await chat(app, "c")];
    expect(await line(app)).toHaveLength(3);
    await app.admin.putUser(profile("alice", { primaryTeamId: "support", capacity: 1 }));
    await app.waiting.settled();
    expect((await app.store.getConversation(a.conversation.id))?.assigneeId).toBe("alice");
    await app.admin.putUser(profile("bob", { primaryTeamId: "support", capacity: 1 }));
    await app.waiting.settled();
    expect((await app.store.getConversation(b.conversation.id))?.routing?.waited?.trigger).toEqual({
      kind: "joined",
      userId: "bob",
    });
    await app.admin.putRule("chat-1", usersAndTeams(["carol"], ["support"]));
    await app.waiting.settled();
    expect((await app.store.getConversation(c.conversation.id))?.assigneeId).toBe("carol");
    expect(await line(app)).toEqual([]);
    expect(await invariantViolations(app)).toEqual([]);
    expect(await lineViolations(app)).toEqual([]);
  });

  it("a new user created in a listed team, and a seat turning paid, each drain the line", async () => {
    const app = await testApp();
    await app.store.putTeam({ id: "support", name: "Support" });
    await app.store.putUser(profile("alice", { primaryTeamId: "support", seat: "none" }));
    await seedChannel(app, { rule: usersAndTeams([], ["support"]) });
    const [a, b] = [await chat(app, "a"), await chat(app, "b")];
    expect(await line(app)).toHaveLength(2);
    await app.admin.putUser(profile("dan", { primaryTeamId: "support", capacity: 1 }));
    await app.waiting.settled();
    expect((await app.store.getConversation(a.conversation.id))?.routing?.waited?.trigger).toEqual({
      kind: "joined",
      userId: "dan",
    });
    await app.admin.putUser(profile("alice", { primaryTeamId: "support", seat: "service" }));
    await app.waiting.settled();
    expect((await app.store.getConversation(b.conversation.id))?.routing?.waited?.trigger).toEqual({
      kind: "seat",
      userId: "alice",
    });
    expect(await line(app)).toEqual([]);
    expect(await lineViolations(app)).toEqual([]);
  });

  it("a conversation taken by hand or closed leaves the line and is never routed again", async () => {
    const app = await seeded(["alice", "bob"]);
    await app.setAvailability("alice", "away");
    await app.setAvailability("bob", "away");
    const taken = await chat(app, "taken");
    const closed = await chat(app, "closed");
    const alice = (await app.store.getUser("alice"))!;
    await app.conversations.assign(alice, taken.conversation.id, { userId: "alice" });
    await app.conversations.close(alice, closed.conversation.id);
    expect(await line(app)).toEqual([]);
    await app.setAvailability("bob", "available");
    await app.waiting.settled();
    expect((await app.store.getConversation(taken.conversation.id))?.assigneeId).toBe("alice");
    expect(await app.store.getConversation(closed.conversation.id)).toMatchObject({
      status: "closed",
      assigneeId: null,
    });
    expect(await invariantViolations(app)).toEqual([]);
    expect(await lineViolations(app)).toEqual([]);
  });

  it(
    "a contact-owner chat waits for an owner at capacity and " +
      "goes to them when they free a slot, emailed if offline",
    async () => {
      const { sent, notifier } = recordingNotifier();
      const app = await testApp({ notifier });
      await app.store.putUser(profile("owner", { capacity: 1 }));
      await seedChannel(app, { rule: { autoAssign: true, target: { type: "contact_owner" } } });
      await app.store.putContact({
        id: "k1",
        email: "kim@example.com",
        ownerId: "owner",
        visitorTokens: ["tok-kim-0001"],
      });
      const first = await visitorChat(app, "tok-kim-0001", "1");
      const second = await visitorChat(app, "tok-kim-0001", "2");
      expect(first.conversation.assigneeId).toBe("owner");
      expect(second.conversation.waitingSince).toBeDefined();
      await app.conversations.close((await app.store.getUser("owner"))!, first.conversation.id);
      await app.waiting.settled();
      expect(await app.store.getConversation(second.conversation.id)).toMatchObject({ assigneeId: "owner" });
      // The owner never used the inbox (offline): each assignment, from the line too, emails them.
      expect(sent).toEqual([
        { ownerId: "owner", conversationId: first.conversation.id, text: "1" },
        { ownerId: "owner", conversationId: second.conversation.id, text: "2" },
      ]);
      expect(await invariantViolations(app)).toEqual([]);
      expect(await lineViolations(app)).toEqual([]);
    },
  );

  it("a waiting contact-owner chat goes to the contact's owner at drain time, not the one it waited for", async () => {
    const app = await testApp();
    await app.store.putUser(profile("former", { seat: "none" }));
    await app.store.putUser(profile("current", { capacity: 0 }));
    await seedChannel(app, { rule: { autoAssign: true, target: { type: "contact_owner" } } });
    const kim = { id: "k1", email: "kim@example.com", ownerId: "former", visitorTokens: ["tok-kim-0001"] };
    await app.store.putContact(kim);
    const waiting = await visitorChat(app, "tok-kim-0001", "hello");
    expect(waiting.conversation.waitingSince).toBeDefined(); // the owner has no paid seat
    // An admin gives Kim to another owner, then the former one gets a seat back: the line follows the contact.
    await app.admin.putContact({ ...kim, ownerId: "current" });
    await app.store.putUser(profile("former"));
    await app.waiting.sweep(async () => undefined, 60_000);
    // The current owner is full: it still waits, now for them; their next free slot takes it, no sweep needed.
    expect(await app.store.getConversation(waiting.conversation.id)).toMatchObject({ assigneeId: null });
    await app.admin.putUser(profile("current", { capacity: 1 }));
    await app.waiting.settled();
    expect(await app.store.getConversation(waiting.conversation.id)).toMatchObject({ assigneeId: "current" });
    expect(await lineViolations(app)).toEqual([]);
  });

  it("the work a trigger started can be awaited before answering (the API Lambda does: it may freeze)", async () => {
    const db = clients();
    // Slow commits: the drain outlives the trigger budget (25 ms) the request itself holds.
    db.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "TransactWriteItemsCommand") await new Promise((r) => setTimeout(r, 150));
        return next(args);
      },
      { step: "initialize" },
    );
    const app = await testApp({ db });
    await app.store.putUser(profile("alice"));
    await seedChannel(app, { rule: usersAndTeams(["alice"]) });
    await app.setAvailability("alice", "away");
    const waiting = await chat(app, "hello");
    await app.setAvailability("alice", "available");
    // The toggle answered within its budget; its drain is still committing.
    expect((await app.store.getConversation(waiting.conversation.id))?.assigneeId).toBeNull();
    expect(await app.waiting.settledWithin(1)).toBe(false);
    expect(await app.waiting.settledWithin(5000)).toBe(true);
    expect((await app.store.getConversation(waiting.conversation.id))?.assigneeId).toBe("alice");
  });

  it("returnWhenAway: a user who turns away has their open chats routed again; off by default", async () => {
    const app = await seeded(["alice", "bob"]);
    await app.setAvailability("bob", "away");
    const kept = await chat(app, "kept");
    expect(kept.conversation.assigneeId).toBe("alice");
    await app.setAvailability("alice", "away");
    await app.waiting.settled();
    expect((await app.store.getConversation(kept.conversation.id))?.assigneeId).toBe("alice");

    await app.setAvailability("alice", "available");
    await app.admin.putRule("chat-1", { ...usersAndTeams(["alice", "bob"]), returnWhenAway: true });
    await app.setAvailability("bob", "available");
    await app.setAvailability("alice", "away");
    await app.waiting.settled();
    const moved = (await app.store.getConversation(kept.conversation.id))!;
    expect(moved.assigneeId).toBe("bob");
    expect(moved.routing?.waited?.trigger).toEqual({ kind: "away", userId: "alice" });
    expect(moved.routing?.outcome).toMatchObject({ why: expect.stringContaining("alice went away") });
    expect(await invariantViolations(app)).toEqual([]);
    expect(await lineViolations(app)).toEqual([]);
  });

  it("returnWhenAway is done within the request that turns the user away (a Lambda may freeze after it)", async () => {
    const app = await testApp({ waiting: { triggerBudgetMs: 0 } });
    for (const id of ["alice", "bob"]) await app.store.putUser(profile(id));
    await seedChannel(app, { rule: { ...usersAndTeams(["alice", "bob"]), returnWhenAway: true } });
    await app.setAvailability("bob", "away");
    const kept = await chat(app, "kept");
    await app.setAvailability("bob", "available");
    await app.setAvailability("alice", "away"); // no settled(): the answer itself must come after the return
    expect((await app.store.getConversation(kept.conversation.id))?.assigneeId).not.toBe("alice");
    await app.waiting.settled();
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("returnWhenAway is refused on email and form channels (their routing ignores availability)", async () => {
    const h = await apiHarness();
    await h.app.store.putUser(profile("alice"));
    await seedChannel(h.app, { type: "email", rule: usersAndTeams(["alice"]) });
    for (const type of ["email", "form"] as const) {
      if (type === "form") await seedChannel(h.app, { type, rule: usersAndTeams(["alice"]) });
      const before = await h.app.store.getChannel(`${type}-1`);
      const r = await h.call({
        method: "PUT",
        path: `/channels/${type}-1/routing`,
        as: ADMIN,
        body: { ...usersAndTeams(["alice"]), returnWhenAway: true },
      });
      expect(r.status).toBe(400);
      expect(r.json.error.details).toEqual([
        { field: "returnWhenAway", reason: `returnWhenAway applies to chat and bot channels, not ${type}` },
      ]);
      expect(await h.app.store.getChannel(`${type}-1`)).toEqual(before);
    }
  });

  it("returnWhenAway leaves a contact-owner chat with its owner: owner routing would only give it back", async () => {
    const { sent, notifier } = recordingNotifier();
    const app = await testApp({ notifier });
    await app.store.putUser(profile("owner"));
    await seedChannel(app, { rule: { autoAssign: true, target: { type: "contact_owner" }, returnWhenAway: true } });
    await app.store.putContact({
      id: "k1",
      email: "kim@example.com",
      ownerId: "owner",
      visitorTokens: ["tok-kim-0001"],
    });
    const r = await visitorChat(app, "tok-kim-0001", "1");
    const before = (await app.store.getConversation(r.conversation.id))!;
    await app.setAvailability("owner", "away");
    await app.waiting.settled();
    expect(await app.store.getConversation(r.conversation.id)).toMatchObject({
      assigneeId: "owner",
      version: before.version,
    });
    expect(sent).toHaveLength(1); // the first assignment's email, no second one
  });

  it(
    "a contact-owner line pages past entries whose owner is full: " + "a free owner's chat is not hidden behind them",
    async () => {
      const app = await testApp({ waiting: { roundSize: 2 } });
      await app.store.putUser(profile("busy", { capacity: 1 }));
      await app.store.putUser(profile("free", { capacity: 0 }));
      await seedChannel(app, { rule: { autoAssign: true, target: { type: "contact_owner" } } });
      await app.store.putContact({
        id: "kb",
        email: "b@example.com",
        ownerId: "busy",
        visitorTokens: ["tok-busy-0001"],
      });
      await app.store.putContact({
        id: "kf",
        email: "f@example.com",
        ownerId: "free",
        visitorTokens: ["tok-free-0001"],
      });
      const from = (token: string, text: string) => visitorChat(app, token, text);
      expect((await from("tok-busy-0001", "1")).conversation.assigneeId).toBe("busy");
      await from("tok-busy-0001", "2"); // waits: busy is full
      await from("tok-busy-0001", "3"); // waits: busy is full
      const freeChat = await from("tok-free-0001", "4"); // waits behind them: free has no room yet
      expect(freeChat.conversation.waitingSince).toBeDefined();
      // More room for `free`: its chat is third in line, after a full page of `busy`'s.
      await app.admin.putUser({ ...profile("free"), capacity: 1 });
      await app.waiting.settled();
      expect((await app.store.getConversation(freeChat.conversation.id))?.assigneeId).toBe("free");
      expect(await invariantViolations(app)).toEqual([]);
      expect(await lineViolations(app)).toEqual([]);
    },
  );
});

describe("visitors see their place in line (docs/api.md)", () => {
  it(
    "the start answer, its replay, the thread and a bot " + "hand-off that waits all carry waiting: {position, since}",
    async () => {
      const h = await apiHarness();
      await h.app.store.putUser(profile("alice"));
      await seedChannel(h.app, { rule: usersAndTeams(["alice"]) });
      await seedChannel(h.app, { channelId: "bot-1", type: "bot", rule: usersAndTeams(["alice"]) });
      await h.app.setAvailability("alice", "away");
      const token = "visitor-token-0123456789abcdef";
      const body = { text: "first", visitorToken: token, idempotencyKey: "k-1" };
      const first = await h.call({ method: "POST", path: "/chat/chat-1/conversations", as: null, body });
      expect(first.json.conversation.waiting).toEqual({ position: 1, since: expect.any(String) });
      const replay = await h.call({ method: "POST", path: "/chat/chat-1/conversations", as: null, body });
      expect(replay.status).toBe(200);
      expect(replay.json.conversation.waiting).toEqual(first.json.conversation.waiting);
      const thread = await h.call({
        method: "GET",
        path: `/chat/conversations/${first.json.conversation.id}/messages`,
        as: null,
        query: { visitorToken: token },
      });
      expect(thread.json.conversation.waiting).toEqual({ position: 1, since: expect.any(String) });
      const bot = await h.call({
        method: "POST",
        path: "/chat/bot-1/conversations",
        as: null,
        body: { text: "bot", visitorToken: token },
      });
      expect(bot.json.conversation.waiting).toBeUndefined();
      const handedOff = await h.call({
        method: "POST",
        path: `/chat/conversations/${bot.json.conversation.id}/handoff`,
        as: null,
        body: { visitorToken: token },
      });
      expect(handedOff.json).toMatchObject({ assigned: false, waiting: { position: 1, since: expect.any(String) } });
    },
  );
});

describe("triggers do not hold the request", () => {
  it(
    "the request that makes someone eligible answers within its budget; " + "the assignments finish right after",
    async () => {
      const app = await testApp({ waiting: { triggerBudgetMs: 0 } });
      await app.store.putUser(profile("alice"));
      await seedChannel(app, { rule: usersAndTeams(["alice"]) });
      await app.setAvailability("alice", "away");
      for (let i = 0; i < 30; i++) await chat(app, `${i}`);
      await app.setAvailability("alice", "available");
      // Answered before the drain (several reads and a transaction) could finish.
      expect((await line(app)).length).toBeGreaterThan(0);
      await app.waiting.settled();
      expect(await line(app)).toEqual([]);
      expect((await app.store.getUser("alice"))?.openCount).toBe(30);
    },
  );
});

describe("the waiting line under bursts", () => {
  it(
    "a burst from one router per chat with every agent away: " +
      "each chat waits once, directly or through the routing queue",
    async () => {
      const app = await seeded(["a1", "a2"], { capacity: 6 });
      for (const id of ["a1", "a2"]) await app.setAvailability(id, "away");
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          createApp({ db: clients(), tableName: app.tableName, clock: app.clock })
            .inbound.receive({
              channelId: "chat-1",
              accepts: ["chat"],
              text: `${i}`,
              contactKey: null,
            })
            .then(created),
        ),
      );
      expect(results.every((r) => r.conversation.assigneeId === null)).toBe(true);
      expect((await line(app)).sort()).toEqual(results.map((r) => r.conversation.id).sort());
      expect(await lineViolations(app)).toEqual([]);
      // The first back takes all it can (capacity 6) at once; the second takes the rest.
      await app.setAvailability("a1", "available");
      await app.waiting.settled();
      expect((await dump(app)).users.map((u) => u.openCount)).toEqual([6, 0]);
      await app.setAvailability("a2", "available");
      await app.waiting.settled();
      expect((await dump(app)).users.map((u) => u.openCount)).toEqual([6, 6]);
      expect(await invariantViolations(app)).toEqual([]);
      expect(await lineViolations(app)).toEqual([]);
    },
  );
});

describe("the sweeper", () => {
  it("goes on past a channel it cannot read this minute, and counts it (found by a code review)", async () => {
    const app = await seeded(["alice"]);
    await seedChannel(app, { channelId: "chat-2", rule: usersAndTeams(["alice"]) });
    await app.setAvailability("alice", "away");
    const waited = await chat(app);
    await app.store.updatePresence("alice", { availability: "available" });
    // Throttled on everything about chat-2 only: the emulator never throttles, so the client does.
    const db = clients();
    db.client.middlewareStack.add(
      (next) => async (args) => {
        if (JSON.stringify(args.input).includes("CHANNEL#chat-2")) {
          throw Object.assign(new Error("Rate of requests exceeds the allowed throughput."), {
            name: "ThrottlingException",
            $metadata: { httpStatusCode: 400 },
          });
        }
        return next(args);
      },
      { step: "initialize", name: "throttle-chat-2" },
    );
    const sweeper = createApp({ db, tableName: app.tableName, clock: app.clock });
    expect(await sweeper.sweep()).toMatchObject({ channels: 1, assigned: 1, failed: 1 });
    expect((await app.store.getConversation(waited.conversation.id))?.assigneeId).toBe("alice");
  });

  it(
    "assigns what no request triggered, and routes a queue " +
      "left by a crashed router; running it again changes nothing",
    async () => {
      const app = await seeded(["alice"]);
      await app.setAvailability("alice", "away");
      const waited = await chat(app);
      // Availability changed behind the service's back (no trigger ran): only the sweep can notice.
      await app.store.updatePresence("alice", { availability: "available" });
      const first = await app.sweep();
      expect(first).toMatchObject({ channels: 1, assigned: 1 });
      expect((await app.store.getConversation(waited.conversation.id))?.routing?.waited?.trigger).toEqual({
        kind: "sweep",
      });
      expect(await app.sweep()).toMatchObject({ assigned: 0 });
      expect(await invariantViolations(app)).toEqual([]);
      expect(await lineViolations(app)).toEqual([]);
    },
  );

  it("a sweeper racing a request, and two sweepers, never double-assign", async () => {
    const app = await seeded(["alice", "bob", "carol"], { capacity: 4 });
    for (const id of ["alice", "bob", "carol"]) await app.setAvailability(id, "away");
    for (let i = 0; i < 12; i++) await chat(app, `${i}`);
    for (const id of ["alice", "bob", "carol"]) await app.store.updatePresence(id, { availability: "available" });
    const other = createApp({ db: clients(), tableName: app.tableName, clock: app.clock });
    await Promise.all([
      app.sweep(),
      other.sweep(),
      app.setAvailability("alice", "available"),
      other.waiting.userMayTakeMore((await app.store.getUser("bob"))!, { kind: "available", userId: "bob" }),
    ]);
    await Promise.all([app.waiting.settled(), other.waiting.settled()]);
    const { conversations, users } = await dump(app);
    expect(conversations.filter((c) => c.assigneeId !== null)).toHaveLength(12);
    expect(users.map((u) => u.openCount)).toEqual([4, 4, 4]);
    expect(await line(app)).toEqual([]);
    expect(await invariantViolations(app)).toEqual([]);
    expect(await lineViolations(app)).toEqual([]);
  });
});

describe("concurrency: nobody waits while an eligible agent is free", () => {
  it("two agents freeing a slot at once each take one, oldest first, never the same one", async () => {
    const app = await seeded(["alice", "bob"], { capacity: 1 });
    const [h1, h2] = [await chat(app, "h1"), await chat(app, "h2")];
    const waiting = [await chat(app, "w1"), await chat(app, "w2"), await chat(app, "w3")];
    const other = createApp({ db: clients(), tableName: app.tableName, clock: app.clock });
    const [alice, bob] = [(await app.store.getUser("alice"))!, (await app.store.getUser("bob"))!];
    await Promise.all([
      app.conversations.close(alice, h1.conversation.id),
      other.conversations.close(bob, h2.conversation.id),
    ]);
    await Promise.all([app.waiting.settled(), other.waiting.settled()]);
    const after = await Promise.all(
      waiting.map(async (w) => (await app.store.getConversation(w.conversation.id))!.assigneeId),
    );
    expect(after.slice(0, 2).sort()).toEqual(["alice", "bob"]);
    expect(after[2]).toBeNull();
    expect(await line(app)).toEqual([waiting[2]!.conversation.id]);
    expect(await invariantViolations(app)).toEqual([]);
    expect(await lineViolations(app)).toEqual([]);
  });

  it("50 waiting chats and 5 agents coming back together: each assigned once, oldest first, loads level", async () => {
    const agents = ["a1", "a2", "a3", "a4", "a5"];
    const app = await seeded(agents, { capacity: 8 });
    for (const id of agents) await app.setAvailability(id, "away");
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      ids.push((await chat(app, `${i}`)).conversation.id);
      app.clock.advance(1000);
    }
    const apps = [app, createApp({ db: clients(), tableName: app.tableName, clock: app.clock })];
    await Promise.all(agents.map((id, i) => apps[i % 2]!.setAvailability(id, "available")));
    await Promise.all(apps.map((a) => a.waiting.settled()));
    const { conversations, users } = await dump(app);
    const assigned = conversations.filter((c) => c.assigneeId !== null).map((c) => c.id);
    // 5 agents x capacity 8: the 40 oldest are assigned, the 10 newest still wait, in order.
    expect(assigned.sort()).toEqual(ids.slice(0, 40).sort());
    expect(await line(app)).toEqual(ids.slice(40));
    expect(users.map((u) => u.openCount)).toEqual([8, 8, 8, 8, 8]);
    expect(await invariantViolations(app)).toEqual([]);
    expect(await lineViolations(app)).toEqual([]);
  });

  it(
    "done when: every agent away, 20 chats wait; three turn available; " +
      "within 2 s all are assigned, oldest first, level; stats show the waits",
    async () => {
      const h = await apiHarness();
      const agents = ["alice", "bob", "carol"];
      // No capacity limit. A drain decides a few entries, then reads the pool again before more (and one
      // triggered by a return waits 20 ms for others returning with it), so all three are seen before the
      // line is gone and least busy levels them (docs/routing.md §5.5).
      for (const id of agents) await h.app.store.putUser(profile(id, { capacity: null }));
      await seedChannel(h.app, { rule: usersAndTeams(agents) });
      for (const id of agents) await h.app.setAvailability(id, "away");
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await h.call({
          method: "POST",
          path: "/chat/chat-1/conversations",
          as: null,
          body: { text: `chat ${i}` },
        });
        expect(r.status).toBe(201);
        expect(r.json.conversation.waiting).toEqual({ position: i + 1, since: expect.any(String) });
        ids.push(r.json.conversation.id);
        h.app.clock.advance(10_000);
      }
      const waitingStats = await h.call({ method: "GET", path: "/channels/chat-1/stats", as: ADMIN });
      expect(waitingStats.json).toMatchObject({ channelId: "chat-1", waiting: 20, oldestWaitMs: 200_000 });
      // From here the clock ticks 1 ms per reading, so a decision's time tells the order decisions were made in.
      const frozen = h.app.clock.now.bind(h.app.clock);
      let ticks = 0;
      h.app.clock.now = () => new Date(frozen().getTime() + ticks++);
      const started = performance.now();
      await Promise.all(
        agents.map((sub) =>
          h.call({ method: "PUT", path: "/me/availability", as: { sub }, body: { availability: "available" } }),
        ),
      );
      await h.app.waiting.settled();
      expect(performance.now() - started).toBeLessThan(2000);
      const { conversations, users } = await dump(h.app);
      expect(conversations.every((c) => c.assigneeId !== null)).toBe(true);
      const loads = users.map((u) => u.openCount);
      expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
      // Oldest first: in arrival order, the decisions were never made later for an older conversation.
      const decided = ids.map((id) => Date.parse(conversations.find((c) => c.id === id)!.routing!.decidedAt));
      expect(decided).toEqual([...decided].sort((a, b) => a - b));
      const stats = await h.call({ method: "GET", path: "/channels/chat-1/stats", as: ADMIN });
      expect(stats.json).toMatchObject({ waiting: 0, oldestWaitMs: null, lastHour: { assigned: 20 } });
      // Waits of 10 s to 200 s (one chat every 10 s), plus the clock's ticks since.
      expect(stats.json.lastHour.p50Ms - 100_000).toBeGreaterThanOrEqual(0);
      expect(stats.json.lastHour.p50Ms - 100_000).toBeLessThan(ticks);
      expect(stats.json.lastHour.p95Ms - 190_000).toBeGreaterThanOrEqual(0);
      expect(stats.json.lastHour.p95Ms - 190_000).toBeLessThan(ticks);
      expect((await h.call({ method: "GET", path: "/channels/nope/stats", as: ADMIN })).status).toBe(404);
      expect((await h.call({ method: "GET", path: "/channels/chat-1/stats", as: { sub: "alice" } })).status).toBe(403);
      expect(await invariantViolations(h.app)).toEqual([]);
      expect(await lineViolations(h.app)).toEqual([]);
    },
  );
});
