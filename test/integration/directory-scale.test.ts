import { describe, expect, it } from "vitest";
import {
  created,
  dump,
  invariantViolations,
  profile,
  seedChannel,
  type TestApp,
  testApp,
  usersAndTeams,
} from "../support/harness";
import { ADMIN, apiHarness } from "../support/http";
import { countCalls, measureTraffic } from "../support/instrument";

/** Users that belong to nobody's pool: the rest of a large organisation. */
async function addBystanders(app: TestApp, n: number) {
  await app.store.putTeam({ id: "elsewhere", name: "Elsewhere" });
  for (let i = 0; i < n; i += 25) {
    await Promise.all(
      Array.from({ length: Math.min(25, n - i) }, (_, j) =>
        app.store.putUser(profile(`by-${String(i + j).padStart(4, "0")}`, { primaryTeamId: "elsewhere" })),
      ),
    );
  }
}

/** A chat on a channel listing one user and the team `support` (three primary members). */
async function seeded(bystanders: number) {
  const app = await testApp();
  await app.store.putTeam({ id: "support", name: "Support" });
  for (const id of ["ann", "ben", "cat"]) await app.store.putUser(profile(id, { primaryTeamId: "support" }));
  await app.store.putUser(profile("dan"));
  await seedChannel(app, { rule: usersAndTeams(["dan"], ["support"]) });
  await addBystanders(app, bystanders);
  return app;
}

async function routeOneMeasured(app: TestApp) {
  const calls = countCalls(app.db.client);
  const traffic = measureTraffic(app.db.client);
  const r = await app.inbound
    .receive({ channelId: "chat-1", accepts: ["chat"], text: "hi", contactKey: null })
    .then(created);
  return { r, calls: Object.fromEntries(calls.counts), itemsRead: traffic.traffic.itemsRead };
}

describe("routing reads the channel's pool, never the directory (docs/routing.md §5)", () => {
  it("a chat costs the same calls and reads the same items with 150 unrelated users as with none", async () => {
    const small = await routeOneMeasured(await seeded(0));
    const large = await routeOneMeasured(await seeded(150));
    expect(large.r.conversation.assigneeId).toBe(small.r.conversation.assigneeId);
    expect(large.calls).toEqual(small.calls);
    // The channel, the team's 3 memberships, the 4 pool users and the inbox.
    expect(large.itemsRead).toBe(small.itemsRead);
    expect(large.itemsRead).toBe(1 + 3 + 4 + 1);
  });

  it("a user who changes primary team leaves the old team's pool and joins the new one", async () => {
    const app = await seeded(0);
    await app.store.putTeam({ id: "sales", name: "Sales" });
    await app.store.putUser(profile("ann", { primaryTeamId: "sales" }));
    expect(await app.store.teamMembers("support")).toEqual(["ben", "cat"]);
    expect(await app.store.teamMembers("sales")).toEqual(["ann"]);
    await app.store.putUser(profile("ben", { primaryTeamId: null }));
    expect(await app.store.teamMembers("support")).toEqual(["cat"]);
    const picked = new Set<string>();
    for (let i = 0; i < 4; i++)
      picked.add(
        (
          await app.inbound
            .receive({ channelId: "chat-1", accepts: ["chat"], text: `${i}`, contactKey: null })
            .then(created)
        ).conversation.assigneeId!,
      );
    expect([...picked].sort()).toEqual(["cat", "dan"]);
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("concurrent profile changes of one user leave exactly one membership, the user's primary team", async () => {
    const app = await seeded(0);
    for (const t of ["t1", "t2", "t3"]) await app.store.putTeam({ id: t, name: t });
    await Promise.all(
      ["t1", "t2", "t3", "t1", "t2", "t3"].map((t) => app.store.putUser(profile("ann", { primaryTeamId: t }))),
    );
    const ann = (await app.store.getUser("ann"))!;
    const memberships = await Promise.all(
      ["support", "t1", "t2", "t3"].map(async (t) => ((await app.store.teamMembers(t)).includes("ann") ? t : null)),
    );
    expect(memberships.filter((t) => t !== null)).toEqual([ann.primaryTeamId]);
  });

  it("team assignment and bot hand-off read the team's members, not the directory", async () => {
    const app = await seeded(40);
    const ann = (await app.store.getUser("ann"))!;
    const fresh = await app.inbound
      .receive({ channelId: "chat-1", accepts: ["chat"], text: "x", contactKey: null })
      .then(created);
    const traffic = measureTraffic(app.db.client);
    const moved = await app.conversations.assign(ann, fresh.conversation.id, { teamId: "support" });
    expect(moved.teamId).toBe("support");
    expect(["ann", "ben", "cat"]).toContain(moved.assigneeId);
    // The conversation, the team's memberships, and inbox + team + actor + members + current assignee.
    expect(traffic.traffic.itemsRead).toBeLessThanOrEqual(1 + 3 + 1 + 1 + 4 + 1);
    expect(await invariantViolations(app)).toEqual([]);
  });
});

describe("agent and admin requests read what they name", () => {
  it("an inbox view reads the caller, the inbox and one index page, whatever the directory's size", async () => {
    const h = await apiHarness();
    await h.app.store.putUser(profile("alice"));
    await seedChannel(h.app, { rule: usersAndTeams(["alice"]) });
    for (let i = 0; i < 3; i++)
      await h.app.inbound
        .receive({ channelId: "chat-1", accepts: ["chat"], text: `${i}`, contactKey: null })
        .then(created);
    await addBystanders(h.app, 60);
    // Alice's first request this minute records her activity; the view below is another one.
    await h.call({ method: "POST", path: "/me/heartbeat", as: { sub: "alice" } });
    const calls = countCalls(h.app.db.client);
    const traffic = measureTraffic(h.app.db.client);
    const r = await h.call({
      method: "GET",
      path: "/inboxes/inbox-1/conversations",
      as: { sub: "alice" },
      query: { view: "all" },
    });
    expect(r.status).toBe(200);
    expect(r.json.items).toHaveLength(3);
    // The caller (its activity already recorded this minute: no write), the inbox, the page.
    expect(Object.fromEntries(calls.counts)).toEqual({ GetItemCommand: 2, QueryCommand: 1 });
    expect(traffic.traffic.itemsRead).toBe(1 + 1 + 3);
  });

  it("a routing rule is validated by reading the ids it names only", async () => {
    const app = await seeded(60);
    const traffic = measureTraffic(app.db.client);
    await app.admin.putRule("chat-1", usersAndTeams(["ann", "dan"], ["support"]));
    // The channel (and again for its address lookup when it is written), the inbox, 2 users, 1 team.
    expect(traffic.traffic.itemsRead).toBe(2 + 4);
  });

  it("GET /users pages through every user by id; a malformed or foreign cursor is a 400", async () => {
    const h = await apiHarness();
    for (const id of ["u1", "u2", "u3", "u4", "u5"]) await h.app.store.putUser(profile(id));
    const seen: string[] = [];
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const r = await h.call({
        method: "GET",
        path: "/users",
        as: ADMIN,
        query: { limit: "2", ...(cursor ? { cursor } : {}) },
      });
      expect(r.status).toBe(200);
      expect(r.json.items.length).toBeLessThanOrEqual(2);
      seen.push(...r.json.items.map((u: { id: string }) => u.id));
      cursor = r.json.nextCursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(["u1", "u2", "u3", "u4", "u5"]);
    expect(pages).toBeGreaterThanOrEqual(3);
    for (const bad of [
      "!!",
      "bm90IGpzb24",
      Buffer.from(JSON.stringify({ pk: "CONV#x", sk: "CONV", gsi3pk: "OTHER", gsi3sk: "x" })).toString("base64url"),
    ]) {
      const r = await h.call({ method: "GET", path: "/users", as: ADMIN, query: { cursor: bad } });
      expect(r.status, bad).toBe(400);
      expect(r.json.error.details).toEqual([{ field: "cursor", reason: "not a cursor returned by this API" }]);
    }
    expect((await h.call({ method: "GET", path: "/users", as: ADMIN, query: { limit: "0" } })).status).toBe(400);
    // A cursor of another view is refused too, before DynamoDB sees it.
    const foreign = Buffer.from(
      JSON.stringify({ pk: "CONV#x", sk: "CONV", gsi1pk: "INBOX#a#STATUS#open", gsi1sk: "x" }),
    ).toString("base64url");
    const v = await h.call({
      method: "GET",
      path: "/inboxes/inbox-1/conversations",
      as: ADMIN,
      query: { cursor: foreign },
    });
    expect([400, 403, 404]).toContain(v.status);
  });
});

describe("presence writes at most once a minute per user", () => {
  it(
    "an app calling every few seconds costs one activity write a minute; " + "availability is written each time",
    async () => {
      const h = await apiHarness();
      await h.app.store.putUser(profile("alice"));
      const calls = countCalls(h.app.db.client);
      for (let i = 0; i < 12; i++) {
        expect((await h.call({ method: "POST", path: "/me/heartbeat", as: { sub: "alice" } })).status).toBe(200);
        h.app.clock.advance(5_000);
      }
      // 12 calls over 60 s: written at 0 s and again at 60 s? No: the last call is at 55 s.
      expect(calls.writes()).toBe(1);
      h.app.clock.advance(5_000);
      await h.call({ method: "POST", path: "/me/heartbeat", as: { sub: "alice" } });
      expect(calls.writes()).toBe(2);
      expect((await h.app.store.getUser("alice"))?.lastInboxActivityAt).toBe(h.app.clock.now().toISOString());
      await h.call({ method: "PUT", path: "/me/availability", as: { sub: "alice" }, body: { availability: "away" } });
      expect(calls.writes()).toBe(3);
    },
  );

  it("no write goes to a key shared by every user: loads and presence land on each user's own partition", async () => {
    const app = await testApp();
    for (const id of ["a", "b", "c"]) await app.store.putUser(profile(id));
    await seedChannel(app, { rule: usersAndTeams(["a", "b", "c"]) });
    const traffic = measureTraffic(app.db.client);
    for (let i = 0; i < 6; i++)
      await app.inbound
        .receive({ channelId: "chat-1", accepts: ["chat"], text: `${i}`, contactKey: null })
        .then(created);
    for (const id of ["a", "b", "c"]) await app.store.updatePresence(id, { activityAt: app.clock.now().toISOString() });
    const keys = [...traffic.traffic.writesByKey.keys()];
    expect(keys.filter((k) => k.startsWith("USER#")).sort()).toEqual(["USER#a", "USER#b", "USER#c"]);
    expect(traffic.traffic.writesByKey.get("USER#a")).toBe(3);
    expect((await dump(app)).users.map((u) => u.openCount)).toEqual([2, 2, 2]);
  });
});
