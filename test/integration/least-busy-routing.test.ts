import { beforeEach, describe, expect, it } from "vitest";
import {
  created,
  invariantViolations,
  profile,
  seedChannel,
  type TestApp,
  TestClock,
  testApp,
  usersAndTeams,
} from "../support/harness";

const chat = (app: TestApp, text = "Hello", channelId = "chat-1") =>
  app.inbound.receive({ channelId, accepts: ["chat", "bot"], text, contactKey: null }).then(created);

describe("routing.md §5.1 / §5.3: chat goes to the least busy eligible user", () => {
  let app: TestApp;
  let clock: TestClock;

  beforeEach(async () => {
    clock = new TestClock();
    app = await testApp({ clock });
    await app.store.putTeam({ id: "team-a", name: "A" });
  });

  it("assigns to the user with the fewest open conversations", async () => {
    await app.store.putUser(profile("alice"));
    await app.store.putUser(profile("bob"));
    await seedChannel(app, { rule: usersAndTeams(["alice", "bob"]) });
    const first = await chat(app);
    const second = await chat(app);
    expect(first.conversation.assigneeId).toBe("alice"); // tie -> smallest id
    expect(second.conversation.assigneeId).toBe("bob"); // alice has 1, bob 0
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("counts open conversations in every inbox, not only this one", async () => {
    await app.store.putUser(profile("alice"));
    await app.store.putUser(profile("bob"));
    await seedChannel(app, { channelId: "other-chat", inboxId: "inbox-2", rule: usersAndTeams(["alice"]) });
    await chat(app, "elsewhere", "other-chat");
    await seedChannel(app, { rule: usersAndTeams(["alice", "bob"]) });
    expect((await chat(app)).conversation.assigneeId).toBe("bob");
  });

  it("tie on load: prefers a user active in the last two minutes", async () => {
    await app.store.putUser(profile("alice"));
    await app.store.putUser(profile("bob"));
    await app.store.updatePresence("bob", { activityAt: new Date(clock.now().getTime() - 60_000).toISOString() });
    await app.store.updatePresence("alice", { activityAt: new Date(clock.now().getTime() - 3 * 60_000).toISOString() });
    await seedChannel(app, { rule: usersAndTeams(["alice", "bob"]) });
    const r = await chat(app);
    expect(r.conversation.assigneeId).toBe("bob");
    expect(r.decision?.record.candidates.find((c) => c.userId === "bob")?.activeRecently).toBe(true);
  });

  it("tie on load and activity: prefers the least recently assigned (never assigned first)", async () => {
    for (const id of ["alice", "bob", "carol"]) await app.store.putUser(profile(id));
    await seedChannel(app, { rule: usersAndTeams(["alice", "bob", "carol"]) });
    const a = await chat(app); // alice (never, smallest id)
    clock.advance(1000);
    const b = await chat(app); // bob
    clock.advance(1000);
    await app.conversations.close((await app.store.getUser("alice"))!, a.conversation.id);
    await app.conversations.close((await app.store.getUser("bob"))!, b.conversation.id);
    // All at 0 open; carol never assigned -> carol; then alice (assigned longest ago) before bob.
    expect((await chat(app)).conversation.assigneeId).toBe("carol");
    clock.advance(1000);
    expect((await chat(app)).conversation.assigneeId).toBe("alice");
  });

  it("complete tie: the smallest user id wins, deterministically", async () => {
    for (const id of ["zoe", "mike", "anna"]) await app.store.putUser(profile(id));
    await seedChannel(app, { rule: usersAndTeams(["zoe", "mike", "anna"]) });
    const r = await chat(app);
    expect(r.conversation.assigneeId).toBe("anna");
    expect(r.decision?.record.candidates.map((c) => [c.userId, c.rank])).toEqual([
      ["anna", 1],
      ["mike", 2],
      ["zoe", 3],
    ]);
  });

  it("skips users who are away", async () => {
    await app.store.putUser(profile("alice"));
    await app.store.putUser(profile("bob"));
    await app.store.updatePresence("alice", { availability: "away" });
    await seedChannel(app, { rule: usersAndTeams(["alice", "bob"]) });
    const r = await chat(app);
    expect(r.conversation.assigneeId).toBe("bob");
    expect(r.decision?.record.candidates.find((c) => c.userId === "alice")).toMatchObject({
      kept: false,
      reason: "away",
    });
  });

  it("skips users at capacity and never exceeds it", async () => {
    await app.store.putUser(profile("alice", { capacity: 1 }));
    await app.store.putUser(profile("bob", { capacity: 2 }));
    await seedChannel(app, { rule: usersAndTeams(["alice", "bob"]) });
    const assignees = [];
    for (let i = 0; i < 4; i++) assignees.push((await chat(app)).conversation.assigneeId);
    expect(assignees).toEqual(["alice", "bob", "bob", null]);
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("skips users without a paid seat", async () => {
    await app.store.putUser(profile("alice", { seat: "none" }));
    await app.store.putUser(profile("bob", { seat: "sales" }));
    await seedChannel(app, { rule: usersAndTeams(["alice", "bob"]) });
    const r = await chat(app);
    expect(r.conversation.assigneeId).toBe("bob");
    expect(r.decision?.record.candidates.find((c) => c.userId === "alice")?.reason).toBe("no_seat");
  });

  it("takes primary members of listed teams, not members through an additional team", async () => {
    await app.store.putUser(profile("alice", { additionalTeamIds: ["team-a"] }));
    await app.store.putUser(profile("bob", { primaryTeamId: "team-a" }));
    await seedChannel(app, { rule: usersAndTeams([], ["team-a"]) });
    const r = await chat(app);
    expect(r.conversation.assigneeId).toBe("bob");
    expect(r.decision?.record.candidates.map((c) => c.userId)).toEqual(["bob"]);
    expect(r.decision?.record.candidates[0]?.source).toBe("team:team-a");
  });

  it("drops users without access to a restricted inbox, and additional-team members as not assignable", async () => {
    await app.store.putTeam({ id: "team-b", name: "B" });
    await app.store.putUser(profile("alice", { primaryTeamId: "team-b" })); // no access
    await app.store.putUser(profile("bob", { primaryTeamId: "team-b", additionalTeamIds: ["team-a"] })); // reads only
    await app.store.putUser(profile("carol", { primaryTeamId: "team-a" }));
    await seedChannel(app, {
      rule: usersAndTeams(["alice", "bob", "carol"]),
      access: { type: "restricted", teamIds: ["team-a"], userIds: [] },
    });
    const r = await chat(app);
    expect(r.conversation.assigneeId).toBe("carol");
    const reasons = Object.fromEntries(r.decision!.record.candidates.map((c) => [c.userId, c.reason]));
    expect(reasons).toEqual({ alice: "no_access", bob: "not_assignable", carol: "eligible" });
  });

  it("leaves the conversation unassigned, in the Unassigned view, when nobody can take it", async () => {
    await app.store.putUser(profile("alice"));
    await app.store.updatePresence("alice", { availability: "away" });
    await seedChannel(app, { rule: usersAndTeams(["alice"]) });
    const r = await chat(app);
    expect(r.conversation.assigneeId).toBeNull();
    expect(r.decision?.record.outcome).toEqual({ type: "unassigned", why: "no eligible candidate" });
    const view = await app.store.listConversations({
      inboxId: "inbox-1",
      view: "unassigned",
      status: "open",
      userId: "alice",
      limit: 10,
    });
    expect(view.items.map((c) => c.id)).toEqual([r.conversation.id]);
  });

  it("routing.md §3.1: with auto-assign off, new conversations are unassigned", async () => {
    await app.store.putUser(profile("alice"));
    await seedChannel(app, {
      rule: { autoAssign: false, target: { type: "users_and_teams", userIds: ["alice"], teamIds: [] } },
    });
    const r = await chat(app);
    expect(r.conversation.assigneeId).toBeNull();
    expect(r.decision?.record.outcome.why).toBe("automatic assignment is off");
  });

  it(
    "re-checks eligibility at routing time: " + "a user who lost the seat after the rule was saved is dropped",
    async () => {
      await app.store.putUser(profile("alice"));
      await app.store.putUser(profile("bob"));
      await seedChannel(app, { rule: usersAndTeams(["alice", "bob"]) });
      await app.store.putUser(profile("alice", { seat: "none" }));
      expect((await chat(app)).conversation.assigneeId).toBe("bob");
    },
  );
});
