import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { LapseTimer } from "#shared/domain/ports/lapses";
import type { RoutingRule, User } from "#shared/domain/types";
import {
  created,
  invariantViolations,
  profile,
  seedChannel,
  type TestApp,
  testApp,
  usersAndTeams,
} from "../support/harness";
import { ADMIN, apiHarness } from "../support/http";
import { countCalls } from "../support/instrument";

/** The timer as the test sees it: what was asked for, fired by hand. */
function recordingTimer() {
  const scheduled: Array<{ conversationId: string; at: string }> = [];
  const timer: LapseTimer = {
    schedule: async (lapses) => {
      scheduled.push(...lapses);
    },
  };
  return { timer, scheduled };
}

const rerouting = (agents: string[], over: Partial<NonNullable<RoutingRule["rerouteAfter"]>> = {}): RoutingRule => ({
  ...usersAndTeams(agents),
  rerouteAfter: { seconds: 60, maxTimes: 2, ...over },
});

async function seeded(agents: string[], rule: RoutingRule, type: "chat" | "bot" = "chat") {
  const { timer, scheduled } = recordingTimer();
  const app = await testApp({ lapseTimer: timer });
  for (const id of agents) await app.store.putUser(profile(id));
  await seedChannel(app, { rule, type });
  return { app, scheduled };
}

const chat = (app: TestApp, text = "hello") =>
  app.inbound.receive({ channelId: "chat-1", accepts: ["chat"], text, contactKey: null }).then(created);
const user = async (app: TestApp, id: string) => (await app.store.getUser(id)) as User;

describe("re-route when the assignee does not answer (docs/routing.md §5.6)", () => {
  it("an unanswered chat lapses to the next least busy agent; the note and the record say why", async () => {
    const { app, scheduled } = await seeded(["alice", "bob"], rerouting(["alice", "bob"]));
    const { conversation } = await chat(app);
    expect(conversation.assigneeId).toBe("alice");
    expect(scheduled).toEqual([{ conversationId: conversation.id, at: "2026-11-24T10:01:00.000Z" }]);

    app.clock.advance(60_000);
    expect(await app.reroute.lapse(conversation.id)).toBe("rerouted");
    const after = await app.store.getConversation(conversation.id);
    expect(after?.assigneeId).toBe("bob");
    expect([(await user(app, "alice")).openCount, (await user(app, "bob")).openCount]).toEqual([0, 1]);
    expect(after?.routing?.lapses).toEqual([{ userId: "alice", at: "2026-11-24T10:01:00.000Z", seconds: 60 }]);
    expect(after?.routing?.outcome).toMatchObject({
      type: "assigned",
      userId: "bob",
      why: expect.stringMatching(/^Alice did not answer within 60 s; re-routed to Bob \(least busy/),
    });
    const notes = (await app.store.listMessages(conversation.id)).filter((m) => m.author.kind === "system");
    expect(notes.map((m) => m.text)).toEqual(["Alice did not answer within 60 s; re-routed to Bob"]);
    // Bob's clock runs now (maxTimes 2), and it is timed.
    expect(after?.lapse).toMatchObject({ assigneeId: "bob", times: 1, lapsedWith: ["alice"] });
    expect(scheduled.at(-1)).toEqual({ conversationId: conversation.id, at: "2026-11-24T10:02:00.000Z" });
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("never goes back to anyone it lapsed with, and stops after maxTimes", async () => {
    const { app } = await seeded(["alice", "bob", "carol"], rerouting(["alice", "bob", "carol"], { maxTimes: 2 }));
    const { conversation } = await chat(app);
    for (const next of ["bob", "carol"]) {
      app.clock.advance(60_000);
      expect(await app.reroute.lapse(conversation.id)).toBe("rerouted");
      expect((await app.store.getConversation(conversation.id))?.assigneeId).toBe(next);
    }
    // Two lapses: the clock is not set again, and Carol keeps it.
    const last = await app.store.getConversation(conversation.id);
    expect(last?.lapse).toBeUndefined();
    app.clock.advance(600_000);
    expect(await app.reroute.lapse(conversation.id)).toBe("stale");
    expect((await app.store.getConversation(conversation.id))?.assigneeId).toBe("carol");
    expect(last?.routing?.lapses?.map((l) => l.userId)).toEqual(["alice", "bob"]);

    // With two agents and three lapses allowed, it never goes back to Alice: it stays with Bob.
    const two = await seeded(["alice", "bob"], rerouting(["alice", "bob"], { maxTimes: 3 }));
    const c = (await chat(two.app)).conversation;
    two.app.clock.advance(60_000);
    expect(await two.app.reroute.lapse(c.id)).toBe("rerouted");
    two.app.clock.advance(60_000);
    expect(await two.app.reroute.lapse(c.id)).toBe("stays");
    expect((await two.app.store.getConversation(c.id))?.assigneeId).toBe("bob");
    expect(await invariantViolations(two.app)).toEqual([]);
  });

  it("the assignee's reply, a manual assign or a close stops the clock; a customer's message does not", async () => {
    const { app } = await seeded(["alice", "bob"], rerouting(["alice", "bob"]));
    const alice = await user(app, "alice");
    const replied = (await chat(app, "one")).conversation;
    const assigned = (await chat(app, "two")).conversation; // bob (least busy)
    const closed = (await chat(app, "three")).conversation; // alice
    const nudged = (await chat(app, "four")).conversation; // bob
    await app.conversations.reply(alice, replied.id, "On it");
    await app.conversations.assign(alice, assigned.id, { userId: "alice" });
    await app.conversations.close(alice, closed.id);
    await app.conversations.customerMessage(nudged.id, { text: "anyone?" });
    for (const c of [replied, assigned, closed])
      expect((await app.store.getConversation(c.id))?.lapse, c.id).toBeUndefined();
    expect((await app.store.getConversation(nudged.id))?.lapse).toMatchObject({ assigneeId: "bob" });

    app.clock.advance(60_000);
    const outcomes = await Promise.all([replied, assigned, closed, nudged].map((c) => app.reroute.lapse(c.id)));
    expect(outcomes).toEqual(["stale", "stale", "stale", "rerouted"]);
    expect((await app.store.getConversation(nudged.id))?.assigneeId).toBe("alice");
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("a timer that fires early is set again; one lapse is one conditional write", async () => {
    const { app, scheduled } = await seeded(["alice", "bob"], rerouting(["alice", "bob"]));
    const { conversation } = await chat(app);
    app.clock.advance(30_000);
    expect(await app.reroute.lapse(conversation.id)).toBe("early");
    expect(scheduled).toHaveLength(2);
    app.clock.advance(30_000);
    const calls = countCalls(app.db.client);
    expect(await app.reroute.lapse(conversation.id)).toBe("rerouted");
    expect(calls.counts.get("TransactWriteItemsCommand")).toBe(1);
    expect(calls.writes()).toBe(1);
  });

  it("awayOnLapse sets the user it lapsed with away, in the same write", async () => {
    const { app } = await seeded(["alice", "bob"], rerouting(["alice", "bob"], { awayOnLapse: true }));
    const { conversation } = await chat(app);
    app.clock.advance(60_000);
    expect(await app.reroute.lapse(conversation.id)).toBe("rerouted");
    expect((await user(app, "alice")).availability).toBe("away");
    // No more live chats for Alice until she comes back.
    expect((await chat(app, "next")).conversation.assigneeId).toBe("bob");
  });

  it("with nobody else eligible it stays, and the sweeper re-routes it once someone is", async () => {
    const { app } = await seeded(["alice", "bob"], rerouting(["alice", "bob"]));
    await app.setAvailability("bob", "away");
    const { conversation } = await chat(app);
    app.clock.advance(60_000);
    expect(await app.reroute.lapse(conversation.id)).toBe("stays");
    await app.setAvailability("bob", "available");
    await app.waiting.settled();
    await app.sweep();
    expect((await app.store.getConversation(conversation.id))?.assigneeId).toBe("bob");
  });

  it("a timer lost to a crash loses nothing: the sweeper finds the overdue clock", async () => {
    const app = await testApp(); // no timer at all
    for (const id of ["alice", "bob"]) await app.store.putUser(profile(id));
    await seedChannel(app, { rule: rerouting(["alice", "bob"]) });
    const { conversation } = await chat(app);
    await app.sweep();
    expect((await app.store.getConversation(conversation.id))?.assigneeId).toBe("alice"); // not due yet
    app.clock.advance(61_000);
    await app.sweep();
    expect((await app.store.getConversation(conversation.id))?.assigneeId).toBe("bob");
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("a chat assigned from the waiting line and a bot hand-off start the clock too", async () => {
    const { app, scheduled } = await seeded(["alice", "bob"], rerouting(["alice", "bob"]));
    await app.setAvailability("alice", "away");
    await app.setAvailability("bob", "away");
    const waited = (await chat(app)).conversation;
    expect(scheduled).toEqual([]);
    await app.setAvailability("bob", "available");
    await app.waiting.settled();
    expect((await app.store.getConversation(waited.id))?.lapse).toMatchObject({ assigneeId: "bob" });
    expect(scheduled.map((s) => s.conversationId)).toEqual([waited.id]);

    await seedChannel(app, { channelId: "bot-1", type: "bot", rule: rerouting(["alice", "bob"]) });
    const bot = created(
      await app.inbound.receive({ channelId: "bot-1", accepts: ["bot"], text: "hi", contactKey: null }),
    );
    const channel = (await app.store.getChannel("bot-1"))!;
    const handed = await app.conversations.handoff(bot.conversation.id, null, channel);
    expect(handed.lapse).toMatchObject({ assigneeId: handed.assigneeId, times: 0 });
    expect(scheduled.map((s) => s.conversationId)).toContain(bot.conversation.id);
  });

  it("openCount equals the truth after concurrent replies and lapses (property)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ chat: fc.nat(4), act: fc.constantFrom("reply", "lapse", "close") }), {
          minLength: 4,
          maxLength: 14,
        }),
        async (steps) => {
          const { app } = await seeded(
            ["alice", "bob", "carol"],
            rerouting(["alice", "bob", "carol"], { maxTimes: 3 }),
          );
          const chats: string[] = [];
          for (let i = 0; i < 5; i++) chats.push((await chat(app, `c${i}`)).conversation.id);
          app.clock.advance(60_000);
          const repliedBy = new Map<string, string>();
          // Each batch of steps runs at once: replies, lapses and closes race on the same conversations.
          for (let i = 0; i < steps.length; i += 3) {
            await Promise.all(
              steps.slice(i, i + 3).map(async ({ chat: n, act }) => {
                const id = chats[n]!;
                if (act === "lapse") return app.reroute.lapse(id);
                const conv = await app.store.getConversation(id);
                if (!conv?.assigneeId || conv.status !== "open") return;
                const who = await user(app, conv.assigneeId);
                if (act === "close") return app.conversations.close(who, id).catch(() => undefined);
                await app.conversations.reply(who, id, "here").catch(() => undefined);
                repliedBy.set(id, who.id);
              }),
            );
            app.clock.advance(60_000);
          }
          expect(await invariantViolations(app)).toEqual([]);
          // A conversation its assignee answered has no clock left running for that assignee.
          for (const id of chats) {
            const conv = await app.store.getConversation(id);
            if (conv?.lapse) expect(conv.lapse.assigneeId).toBe(conv.assigneeId);
          }
        },
      ),
      { numRuns: 6 },
    );
  }, 120_000);
});

describe("rerouteAfter and hours are chat and bot settings (docs/api.md)", () => {
  it("email and form channels refuse them with a 400 naming the field, and nothing changes", async () => {
    const h = await apiHarness();
    await h.app.store.putUser(profile("alice"));
    const rule = { ...usersAndTeams(["alice"]), rerouteAfter: { seconds: 60, maxTimes: 1 } };
    const hours = { timeZone: "Europe/Paris", weekly: [{ day: "mon", from: "09:00", to: "17:00" }] };
    await h.app.store.putInbox({ id: "inbox-1", name: "Support", access: { type: "everyone" } });
    for (const [type, extra] of [
      ["email", { address: "help@acme.example" }],
      ["form", {}],
    ] as const) {
      const body = { inboxId: "inbox-1", type, name: "x", ...extra, routing: usersAndTeams(["alice"]) };
      const withRule = await h.call({
        method: "PUT",
        path: `/channels/${type}-1`,
        as: ADMIN,
        body: { ...body, routing: rule },
      });
      expect(withRule.status).toBe(400);
      expect(withRule.json.error.details).toContainEqual(expect.objectContaining({ field: "rerouteAfter" }));
      const withHours = await h.call({
        method: "PUT",
        path: `/channels/${type}-1`,
        as: ADMIN,
        body: { ...body, hours },
      });
      expect(withHours.status).toBe(400);
      expect(withHours.json.error.details).toContainEqual(expect.objectContaining({ field: "body.hours" }));
      expect(await h.app.store.getChannel(`${type}-1`)).toBeNull();
    }
    // And the rule route says the same of an existing email channel.
    await seedChannel(h.app, { type: "email", rule: usersAndTeams(["alice"]), address: "help@acme.example" });
    const put = await h.call({ method: "PUT", path: "/channels/email-1/routing", as: ADMIN, body: rule });
    expect([put.status, put.json.error.details[0].field]).toEqual([400, "rerouteAfter"]);
    expect((await h.app.store.getChannel("email-1"))?.routing.rerouteAfter).toBeUndefined();
  });

  it("refuses out-of-range windows, unknown time zones, bad times and from >= to, naming each field", async () => {
    const h = await apiHarness();
    await h.app.store.putUser(profile("alice"));
    await h.app.store.putInbox({ id: "inbox-1", name: "Support", access: { type: "everyone" } });
    const base = { inboxId: "inbox-1", type: "chat", name: "Chat", routing: usersAndTeams(["alice"]) };
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { routing: { ...usersAndTeams(["alice"]), rerouteAfter: { seconds: 5, maxTimes: 1 } } },
        "body.routing.rerouteAfter.seconds",
      ],
      [
        { routing: { ...usersAndTeams(["alice"]), rerouteAfter: { seconds: 60, maxTimes: 9 } } },
        "body.routing.rerouteAfter.maxTimes",
      ],
      [{ hours: { timeZone: "Mars/Olympus", weekly: [] } }, "body.hours.timeZone"],
      [{ hours: { timeZone: "+02:00", weekly: [] } }, "body.hours.timeZone"],
      [{ hours: { timeZone: "UTC", weekly: [{ day: "mon", from: "9:00", to: "17:00" }] } }, "body.hours.weekly.0.from"],
      [{ hours: { timeZone: "UTC", weekly: [{ day: "mon", from: "17:00", to: "09:00" }] } }, "body.hours.weekly.0.to"],
      [{ hours: { timeZone: "UTC", weekly: [], closedDates: ["2026-02-30"] } }, "body.hours.closedDates.0"],
    ];
    for (const [over, field] of cases) {
      const r = await h.call({ method: "PUT", path: "/channels/chat-1", as: ADMIN, body: { ...base, ...over } });
      expect([r.status, r.json.error.details.map((d: { field: string }) => d.field)]).toEqual([400, [field]]);
    }
    expect(await h.app.store.getChannel("chat-1")).toBeNull();
  });
});
