import { describe, expect, it } from "vitest";
import {
  created,
  invariantViolations,
  profile,
  recordingNotifier,
  SequenceRandom,
  seedChannel,
  TestClock,
  testApp,
  usersAndTeams,
} from "../support/harness";

describe("routing.md §5.1: email and form pick at random among eligible users", () => {
  for (const type of ["email", "form"] as const) {
    it(`${type}: follows the injected random source, ignores availability, skips no-seat users`, async () => {
      const app = await testApp({ random: new SequenceRandom([0, 0.5, 0.99]) });
      await app.store.putUser(profile("alice"));
      await app.store.putUser(profile("bob"));
      await app.store.putUser(profile("carol"));
      await app.store.putUser(profile("dave", { seat: "none" }));
      await app.store.updatePresence("carol", { availability: "away" });
      await seedChannel(app, { type, rule: usersAndTeams(["alice", "bob", "carol", "dave"]) });
      const picks = [];
      for (let i = 0; i < 3; i++)
        picks.push(
          (
            await app.inbound
              .receive({ channelId: `${type}-1`, accepts: [type], text: "hi", contactKey: null })
              .then(created)
          ).conversation.assigneeId,
        );
      expect(picks).toEqual(["alice", "bob", "carol"]);
      expect(await invariantViolations(app)).toEqual([]);
    });
  }

  it("spreads evenly over many conversations with a real random source", async () => {
    const app = await testApp({ random: { next: Math.random } });
    for (const id of ["a", "b", "c", "d"]) await app.store.putUser(profile(id));
    await seedChannel(app, { type: "email", rule: usersAndTeams(["a", "b", "c", "d"]) });
    await Promise.all(
      Array.from({ length: 200 }, () =>
        app.inbound.receive({ channelId: "email-1", accepts: ["email"], text: "x", contactKey: null }).then(created),
      ),
    );
    const users = await Promise.all(["a", "b", "c", "d"].map((id) => app.store.getUser(id)));
    // 200 draws over 4 users: each expects 50; below 20 would be a 7-sigma event.
    for (const u of users) expect(u!.openCount).toBeGreaterThan(20);
    expect(await invariantViolations(app)).toEqual([]);
  });
});

describe("routing.md §5.2: contact owner routing", () => {
  async function setup(channelType: "chat" | "email" | "form" | "bot", fallbackUserId?: string) {
    const clock = new TestClock();
    const mail = recordingNotifier();
    const app = await testApp({ clock, notifier: mail.notifier });
    await app.store.putUser(profile("owner"));
    await app.store.putUser(profile("fallback"));
    await seedChannel(app, {
      type: channelType,
      rule: { autoAssign: true, target: { type: "contact_owner", ...(fallbackUserId ? { fallbackUserId } : {}) } },
    });
    return { app, clock, sent: mail.sent };
  }

  it("chat: identifies the contact by visitor token and assigns the online owner without email", async () => {
    const { app, clock, sent } = await setup("chat");
    await app.store.putContact({ id: "k1", email: "kim@example.com", ownerId: "owner", visitorTokens: ["tok-1"] });
    await app.store.updatePresence("owner", { activityAt: clock.now().toISOString() });
    const r = await app.inbound
      .receive({
        channelId: "chat-1",
        accepts: ["chat"],
        text: "hi",
        contactKey: { by: "visitorToken", value: "tok-1" },
      })
      .then(created);
    expect(r.conversation).toMatchObject({ assigneeId: "owner", contactId: "k1" });
    expect(sent).toEqual([]);
  });

  it("email: identifies the contact by sender address, assigns the offline owner and emails them once", async () => {
    const { app, sent } = await setup("email");
    await app.store.putContact({ id: "k1", email: "Kim@Example.com", ownerId: "owner", visitorTokens: [] });
    const r = await app.inbound
      .receive({
        channelId: "email-1",
        accepts: ["email"],
        text: "my order",
        contactKey: { by: "email", value: "kim@example.com" },
      })
      .then(created);
    expect(r.conversation.assigneeId).toBe("owner");
    expect(r.conversation.routing?.ownerNotified).toBe(true);
    expect(sent).toEqual([{ ownerId: "owner", conversationId: r.conversation.id, text: "my order" }]);
  });

  it("form: owner away is offline even if active: assigned and emailed", async () => {
    const { app, clock, sent } = await setup("form");
    await app.store.putContact({ id: "k1", email: "kim@example.com", ownerId: "owner", visitorTokens: [] });
    await app.store.updatePresence("owner", { availability: "away", activityAt: clock.now().toISOString() });
    const r = await app.inbound
      .receive({
        channelId: "form-1",
        accepts: ["form"],
        text: "form",
        contactKey: { by: "email", value: "kim@example.com" },
      })
      .then(created);
    expect(r.conversation.assigneeId).toBe("owner");
    expect(sent).toHaveLength(1);
  });

  it("chat: unknown visitor goes to the fallback user", async () => {
    const { app, sent } = await setup("chat", "fallback");
    const r = await app.inbound
      .receive({
        channelId: "chat-1",
        accepts: ["chat"],
        text: "hi",
        contactKey: { by: "visitorToken", value: "nobody" },
      })
      .then(created);
    expect(r.conversation.assigneeId).toBe("fallback");
    expect(sent).toEqual([]);
  });

  it("owner lost the seat: chat falls back, email stays unassigned", async () => {
    for (const type of ["chat", "email"] as const) {
      const { app } = await setup(type, type === "chat" ? "fallback" : undefined);
      await app.store.putContact({ id: "k1", email: "kim@example.com", ownerId: "owner", visitorTokens: ["tok"] });
      await app.store.putUser(profile("owner", { seat: "none" }));
      const key =
        type === "chat"
          ? { by: "visitorToken" as const, value: "tok" }
          : { by: "email" as const, value: "kim@example.com" };
      const r = await app.inbound
        .receive({ channelId: `${type}-1`, accepts: [type], text: "hi", contactKey: key })
        .then(created);
      expect(r.conversation.assigneeId).toBe(type === "chat" ? "fallback" : null);
    }
  });

  it("a failing notifier never undoes the assignment", async () => {
    const app = await testApp({
      notifier: {
        notifyOfflineOwner: async () => {
          throw new Error("SES down");
        },
      },
    });
    await app.store.putUser(profile("owner"));
    await seedChannel(app, { type: "email", rule: { autoAssign: true, target: { type: "contact_owner" } } });
    await app.store.putContact({ id: "k1", email: "kim@example.com", ownerId: "owner", visitorTokens: [] });
    const r = await app.inbound
      .receive({
        channelId: "email-1",
        accepts: ["email"],
        text: "x",
        contactKey: { by: "email", value: "kim@example.com" },
      })
      .then(created);
    expect((await app.store.getConversation(r.conversation.id))?.assigneeId).toBe("owner");
    expect(await invariantViolations(app)).toEqual([]);
  });
});
