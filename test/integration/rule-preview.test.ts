import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { describe, expect, it } from "vitest";
import type { RandomSource } from "#shared/domain/ports/time";
import { created, profile, seedChannel, type TestApp, TestClock, testApp, usersAndTeams } from "../support/harness";
import { ADMIN, apiHarness } from "../support/http";

/** A seeded random source (mulberry32), so shares over many draws are reproducible. */
function seeded(seed: number): RandomSource {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

async function itemCount(app: TestApp): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const out = await app.db.doc.send(
      new ScanCommand({ TableName: app.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    count += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start);
  return count;
}

const chat = (app: TestApp, i: number) =>
  app.inbound.receive({ channelId: "chat-1", accepts: ["chat"], text: `chat ${i}`, contactKey: null }).then(created);

const email = (app: TestApp, from: string | null) =>
  app.inbound
    .receive({
      channelId: "email-1",
      accepts: ["email"],
      text: "hello",
      contactKey: from ? { by: "email", value: from } : null,
      ...(from ? { senderEmail: from } : {}),
    })
    .then(created);

describe("routing.md §8: previewing a rule on recorded traffic", () => {
  it("a channel moved from one user to a team is shared as least busy would share it", async () => {
    const { app, call } = await apiHarness();
    await app.store.putTeam({ id: "t", name: "Team" });
    await app.store.putUser(profile("alice"));
    await app.store.putUser(profile("bob", { primaryTeamId: "t" }));
    await app.store.putUser(profile("carol", { primaryTeamId: "t" }));
    await seedChannel(app, { type: "chat", rule: usersAndTeams(["alice"]) });
    for (let i = 0; i < 10; i++) {
      await chat(app, i);
      app.clock.advance(60_000);
    }
    const res = await call({
      method: "POST",
      path: "/channels/chat-1/routing/preview",
      body: { rule: usersAndTeams([], ["t"]) },
      as: ADMIN,
    });
    expect(res.status).toBe(200);
    expect(res.json.conversations).toBe(10);
    const byUser = Object.fromEntries(res.json.users.map((u: { userId: string }) => [u.userId, u]));
    expect(byUser.alice).toMatchObject({ actual: 10, preview: 0, estimated: false });
    // Bob and Carol were not in the recorded decisions: taken as they are now, and said so.
    expect(byUser.bob).toMatchObject({ actual: 0, preview: 5, estimated: true });
    expect(byUser.carol).toMatchObject({ actual: 0, preview: 5, estimated: true });
    expect(res.json.changedOwner).toBe(10);
    expect(res.json.waiting).toEqual({ actual: 0, preview: 0 });
    expect(res.json.examples).toHaveLength(5);
    expect(res.json.examples[0].explanation).toMatch(/least busy/);
  });

  it("replays each conversation from its recorded state, matching a replay done by hand", async () => {
    const { app, call } = await apiHarness();
    await app.store.putUser(profile("alice"));
    await app.store.putUser(profile("bob"));
    await seedChannel(app, { type: "chat", rule: usersAndTeams(["alice", "bob"]) });
    // 1: Alice away, so Bob. 2: Alice back at load 0, Bob at 1: Alice. 3: both at 1, Bob assigned
    // longer ago: Bob.
    await app.setAvailability("alice", "away");
    const c1 = (await chat(app, 1)).conversation;
    app.clock.advance(60_000);
    await app.setAvailability("alice", "available");
    const c2 = (await chat(app, 2)).conversation;
    app.clock.advance(60_000);
    const c3 = (await chat(app, 3)).conversation;
    expect([c1.assigneeId, c2.assigneeId, c3.assigneeId]).toEqual(["bob", "alice", "bob"]);
    // Alice alone, by hand: 1 waits (she was away then); 2 goes to her (recorded load 0); 3: recorded
    // load 1, minus the one the preview replaced (c2 was hers either way: +1 -1), so 1 and still hers.
    const res = await call({
      method: "POST",
      path: "/channels/chat-1/routing/preview",
      body: { rule: usersAndTeams(["alice"]) },
      as: ADMIN,
    });
    expect(res.status).toBe(200);
    const byUser = Object.fromEntries(res.json.users.map((u: { userId: string }) => [u.userId, u]));
    expect(byUser.alice).toMatchObject({ actual: 1, preview: 2, estimated: false });
    expect(byUser.bob).toMatchObject({ actual: 2, preview: 0 });
    expect(res.json.waiting).toEqual({ actual: 0, preview: 1 });
    expect(res.json.changedOwner).toBe(2);
    expect(res.json.examples.map((e: { conversationId: string }) => e.conversationId).sort()).toEqual(
      [c1.id, c3.id].sort(),
    );
    const waited = res.json.examples.find((e: { conversationId: string }) => e.conversationId === c1.id);
    expect(waited).toMatchObject({ actualAssigneeId: "bob", previewAssigneeId: null });
  });

  it("a random rule (email) shares within tolerance over a seeded random source", async () => {
    const app = await testApp({ random: seeded(42) });
    for (const id of ["alice", "bob", "carol", "dave"]) await app.store.putUser(profile(id));
    await seedChannel(app, { type: "email", rule: usersAndTeams(["alice"]) });
    for (let i = 0; i < 200; i++) await email(app, null);
    const preview = await app.queries.previewRule("email-1", {
      rule: usersAndTeams(["alice", "bob", "carol", "dave"]),
    });
    expect(preview.conversations).toBe(200);
    const shares = preview.users.map((u) => u.preview);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(200);
    // 200 draws over 4 users: 50 each expected, sigma ~6.1; 4 sigma either side.
    for (const share of shares) expect(Math.abs(share - 50)).toBeLessThan(25);
    expect(preview.users.map((u) => u.userId).sort()).toEqual(["alice", "bob", "carol", "dave"]);
  });

  it("a contact-owner rule follows the conversations' contacts", async () => {
    const app = await testApp();
    for (const id of ["alice", "bob", "carol"]) await app.store.putUser(profile(id));
    await app.store.putContact({ id: "c1", email: "lee@x.example", ownerId: "bob", visitorTokens: [] });
    await app.store.putContact({ id: "c2", email: "kim@x.example", ownerId: "carol", visitorTokens: [] });
    await seedChannel(app, { type: "email", rule: usersAndTeams(["alice"]) });
    for (const from of ["lee@x.example", "lee@x.example", "kim@x.example", "nobody@x.example"]) {
      await email(app, from);
    }
    const preview = await app.queries.previewRule("email-1", {
      rule: { autoAssign: true, target: { type: "contact_owner" } },
    });
    const byUser = Object.fromEntries(preview.users.map((u) => [u.userId, u]));
    expect(byUser.alice).toMatchObject({ actual: 4, preview: 0 });
    expect(byUser.bob).toMatchObject({ actual: 0, preview: 2 });
    expect(byUser.carol).toMatchObject({ actual: 0, preview: 1 });
    // The sender with no contact would have waited: nobody to route it to.
    expect(preview.waiting).toEqual({ actual: 0, preview: 1 });
    expect(preview.changedOwner).toBe(4);
  });

  it("writes nothing: the table holds the same items after a preview", async () => {
    const { app, call } = await apiHarness();
    await app.store.putUser(profile("alice"));
    await app.store.putUser(profile("bob"));
    await seedChannel(app, { type: "chat", rule: usersAndTeams(["alice"]) });
    for (let i = 0; i < 5; i++) await chat(app, i);
    const before = await itemCount(app);
    const res = await call({
      method: "POST",
      path: "/channels/chat-1/routing/preview",
      body: { rule: usersAndTeams(["bob"]) },
      as: ADMIN,
    });
    expect(res.status).toBe(200);
    expect(await itemCount(app)).toBe(before);
    expect((await app.store.getUser("bob"))!.openCount).toBe(0);
  });

  it("replays only the window asked for, newest conversations first up to the limit", async () => {
    const clock = new TestClock();
    const app = await testApp({ clock });
    await app.store.putUser(profile("alice"));
    await seedChannel(app, { type: "chat", rule: usersAndTeams(["alice"]) });
    await chat(app, 0);
    clock.advance(3 * 86_400_000);
    for (let i = 1; i <= 4; i++) await chat(app, i);
    expect((await app.queries.previewRule("chat-1", { rule: usersAndTeams(["alice"]) })).conversations).toBe(5);
    expect((await app.queries.previewRule("chat-1", { rule: usersAndTeams(["alice"]), days: 2 })).conversations).toBe(
      4,
    );
    const limited = await app.queries.previewRule("chat-1", { rule: usersAndTeams(["alice"]), limit: 2 });
    expect(limited.conversations).toBe(2);
  });

  it("refuses what could not be saved, a bad window, a missing channel and a non-admin", async () => {
    const { app, call } = await apiHarness();
    await app.store.putUser(profile("alice"));
    await seedChannel(app, { type: "chat", rule: usersAndTeams(["alice"]) });
    const path = "/channels/chat-1/routing/preview";
    const unknown = await call({ method: "POST", path, body: { rule: usersAndTeams(["ghost"]) }, as: ADMIN });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.json.error.details)).toContain("ghost");
    const days = await call({ method: "POST", path, body: { rule: usersAndTeams(["alice"]), days: 31 }, as: ADMIN });
    expect(days.status).toBe(400);
    expect(days.json.error.details[0].field).toBe("body.days");
    const limit = await call({ method: "POST", path, body: { rule: usersAndTeams(["alice"]), limit: 0 }, as: ADMIN });
    expect(limit.status).toBe(400);
    const missing = await call({
      method: "POST",
      path: "/channels/nope/routing/preview",
      body: { rule: usersAndTeams(["alice"]) },
      as: ADMIN,
    });
    expect(missing.status).toBe(404);
    const agent = await call({ method: "POST", path, body: { rule: usersAndTeams(["alice"]) }, as: { sub: "alice" } });
    expect(agent.status).toBe(403);
  });
});
