import { createHmac } from "node:crypto";
import { beforeEach, describe, expect, it } from "vitest";
import { VISITOR_THREAD_MESSAGES } from "#shared/domain/queries";
import { originAllowed } from "#shared/http/route-table";
import { dump, invariantViolations } from "../support/harness";
import { ADMIN, apiHarness } from "../support/http";

type H = Awaited<ReturnType<typeof apiHarness>>;

/** Seeds an account over HTTP, as an admin would. */
async function seedAccount(h: H) {
  const put = async (path: string, body: unknown) => {
    const r = await h.call({ method: "PUT", path, body, as: ADMIN });
    expect(r.status, `${path}: ${JSON.stringify(r.json)}`).toBeLessThan(300);
    return r;
  };
  await put("/teams/support", { name: "Support" });
  await put("/users/alice", { name: "Alice", email: "alice@example.com", seat: "service", primaryTeamId: "support" });
  await put("/users/bob", { name: "Bob", email: "bob@example.com", seat: "sales", primaryTeamId: "support" });
  await put("/users/outsider", { name: "Out", email: "out@example.com", seat: "service" });
  await put("/inboxes/main", { name: "Main", access: { type: "restricted", teamIds: ["support"], userIds: [] } });
  await put("/channels/web-chat", {
    inboxId: "main",
    type: "chat",
    name: "Web chat",
    routing: { autoAssign: true, target: { type: "users_and_teams", userIds: [], teamIds: ["support"] } },
  });
}

describe("HTTP API: admin configuration", () => {
  let h: H;
  beforeEach(async () => {
    h = await apiHarness();
    await seedAccount(h);
  });

  it("creates and reads users, with availability and counters", async () => {
    const r = await h.call({ method: "GET", path: "/users/alice", as: ADMIN });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      id: "alice",
      availability: "available",
      openCount: 0,
      lastAssignedAt: null,
      seat: "service",
    });
    const list = await h.call({ method: "GET", path: "/users", as: ADMIN });
    expect(list.json.items.map((u: { id: string }) => u.id)).toEqual(["alice", "bob", "outsider"]);
  });

  it("a routing rule naming bad ids is refused with 400 naming each id and why, and nothing changes", async () => {
    const before = await h.app.store.getChannel("web-chat");
    const r = await h.call({
      method: "PUT",
      path: "/channels/web-chat/routing",
      as: ADMIN,
      body: {
        autoAssign: true,
        target: { type: "users_and_teams", userIds: ["ghost", "outsider"], teamIds: ["nope"] },
      },
    });
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe("validation_failed");
    expect(r.json.error.details).toEqual([
      { field: "target.userIds[0]", reason: "user ghost does not exist" },
      { field: "target.userIds[1]", reason: "user outsider is not assignable in inbox main" },
      { field: "target.teamIds[0]", reason: "team nope does not exist" },
    ]);
    expect(await h.app.store.getChannel("web-chat")).toEqual(before);
  });

  it("a body of the wrong shape is a 400 that names the fields", async () => {
    const r = await h.call({
      method: "PUT",
      path: "/users/carol",
      as: ADMIN,
      body: { name: "", email: "nope", seat: "gold", extra: 1 },
    });
    expect(r.status).toBe(400);
    const fields = r.json.error.details.map((d: { field: string }) => d.field);
    expect(fields).toEqual(expect.arrayContaining(["body.name", "body.email", "body.seat"]));
    expect(await h.app.store.getUser("carol")).toBeNull();
  });

  it("ids that would break keys are refused", async () => {
    const r = await h.call({ method: "PUT", path: "/teams/a%23b", as: ADMIN, body: { name: "x" } });
    expect(r.status).toBe(400);
  });

  it(
    "malformed JSON is 400, a wrong content type is 415, " + "a body over 256 KiB is 413, and none changes anything",
    async () => {
      const before = await dump(h.app);
      const malformed = await h.call({ method: "PUT", path: "/teams/t2", as: ADMIN, raw: "{not json" });
      expect([malformed.status, malformed.json.error.code]).toEqual([400, "validation_failed"]);
      const wrongType = await h.call({
        method: "PUT",
        path: "/teams/t2",
        as: ADMIN,
        raw: "name=x",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
      });
      expect([wrongType.status, wrongType.json.error.code]).toEqual([415, "unsupported_media_type"]);
      const huge = await h.call({
        method: "PUT",
        path: "/teams/t2",
        as: ADMIN,
        body: { name: "x".repeat(300 * 1024) },
      });
      expect([huge.status, huge.json.error.code]).toEqual([413, "payload_too_large"]);
      expect(await dump(h.app)).toEqual(before);
      expect(h.errors).toEqual([]);
    },
  );

  it("no token is 401, an agent token on an admin route is 403", async () => {
    const none = await h.call({ method: "GET", path: "/users", as: null });
    expect([none.status, none.json.error.code]).toEqual([401, "unauthenticated"]);
    const agent = await h.call({ method: "GET", path: "/users", as: { sub: "alice", groups: "[users]" } });
    expect([agent.status, agent.json.error.code]).toEqual([403, "forbidden"]);
  });

  it("reads the admins group in the authorizer's `[a b]` claim form only", async () => {
    expect((await h.call({ method: "GET", path: "/users", as: { sub: "x", groups: ["admins"] } })).status).toBe(403);
    expect((await h.call({ method: "GET", path: "/users", as: { sub: "x", groups: "[users admins]" } })).status).toBe(
      200,
    );
  });

  it("an unknown route is a 404 in the error shape", async () => {
    const r = await h.call({ method: "GET", path: "/nothing/here", as: ADMIN });
    expect([r.status, r.json.error.code]).toEqual([404, "not_found"]);
  });

  it("a form channel's signing secret is returned once, at creation", async () => {
    const body = {
      inboxId: "main",
      type: "form",
      name: "Contact us",
      routing: { autoAssign: false, target: { type: "users_and_teams", userIds: [], teamIds: [] } },
    };
    const first = await h.call({ method: "PUT", path: "/channels/contact-form", as: ADMIN, body });
    expect(first.status).toBe(201);
    expect(typeof first.json.signingSecret).toBe("string");
    const again = await h.call({ method: "PUT", path: "/channels/contact-form", as: ADMIN, body });
    expect(again.status).toBe(200);
    expect(again.json.signingSecret).toBeUndefined();
  });

  it("an email channel needs an address, and two channels cannot share one", async () => {
    const rule = { autoAssign: false, target: { type: "users_and_teams", userIds: [], teamIds: [] } };
    expect(
      (
        await h.call({
          method: "PUT",
          path: "/channels/mail",
          as: ADMIN,
          body: { inboxId: "main", type: "email", name: "M", routing: rule },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await h.call({
          method: "PUT",
          path: "/channels/mail",
          as: ADMIN,
          body: { inboxId: "main", type: "email", name: "M", address: "help@shop.example", routing: rule },
        })
      ).status,
    ).toBe(201);
    const taken = await h.call({
      method: "PUT",
      path: "/channels/mail2",
      as: ADMIN,
      body: { inboxId: "main", type: "email", name: "M2", address: "HELP@shop.example", routing: rule },
    });
    expect([taken.status, taken.json.error.code]).toEqual([409, "conflict"]);
  });
});

describe("HTTP API: agents and visitors", () => {
  let h: H;
  const alice = { sub: "alice" };
  const bob = { sub: "bob" };
  beforeEach(async () => {
    h = await apiHarness();
    await seedAccount(h);
  });

  it(
    "a visitor starts a chat: 201, a visitor token in " + "the body and the cookie, routed least busy at once",
    async () => {
      const r = await h.call({
        method: "POST",
        path: "/chat/web-chat/conversations",
        as: null,
        body: { text: "Hello!" },
        headers: { Origin: "https://shop.example" },
      });
      expect(r.status).toBe(201);
      expect(r.json.conversation).toMatchObject({ assigned: true, agent: { name: "Alice" } });
      expect((await h.app.store.getConversation(r.json.conversation.id))?.assigneeId).toBe("alice");
      expect(r.json.conversation.visitorToken).toBeUndefined();
      expect(r.cookies[0]).toMatch(new RegExp(`^routing_visitor=${r.json.visitorToken};.*HttpOnly`));
      expect(r.headers["access-control-allow-origin"]).toBe("https://shop.example");
    },
  );

  it("a site whose origin is not configured gets no CORS answer (the local gateway's rule too)", async () => {
    const r = await h.call({
      method: "POST",
      path: "/chat/web-chat/conversations",
      as: null,
      body: { text: "Hello!" },
      headers: { Origin: "https://elsewhere.example" },
    });
    expect(r.status).toBe(201);
    expect(r.headers["access-control-allow-origin"]).toBeUndefined();
    expect(originAllowed("https://elsewhere.example", ["https://shop.example"])).toBe(false);
  });

  it("the same idempotency key twice (double click) answers the same conversation with 200", async () => {
    const visitorToken = "visitor-aaaaaaaaaaaaaaaaaaaaaaaa";
    const a = await h.call({
      method: "POST",
      path: "/chat/web-chat/conversations",
      as: null,
      body: { text: "Hi", idempotencyKey: "k1", visitorToken },
    });
    const b = await h.call({
      method: "POST",
      path: "/chat/web-chat/conversations",
      as: null,
      body: { text: "Hi", idempotencyKey: "k1", visitorToken },
    });
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.json.conversation.id).toBe(a.json.conversation.id);
    expect(b.json.visitorToken).toBe(a.json.visitorToken);
    expect((await dump(h.app)).conversations).toHaveLength(1);
  });

  it("another visitor's idempotency key never returns that visitor's conversation", async () => {
    const mine = await h.call({
      method: "POST",
      path: "/chat/web-chat/conversations",
      as: null,
      body: { text: "Hi", idempotencyKey: "shared-key", visitorToken: "visitor-one-token-aaaaaaaaaaaa" },
    });
    const theirs = await h.call({
      method: "POST",
      path: "/chat/web-chat/conversations",
      as: null,
      body: { text: "Hi", idempotencyKey: "shared-key", visitorToken: "visitor-two-token-aaaaaaaaaaaa" },
    });
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.json.conversation.id).not.toBe(mine.json.conversation.id);
    const again = await h.call({
      method: "POST",
      path: "/chat/web-chat/conversations",
      as: null,
      body: { text: "Hi", idempotencyKey: "shared-key" },
      cookies: ["routing_visitor=visitor-one-token-aaaaaaaaaaaa"],
    });
    expect([again.status, again.json.conversation.id]).toEqual([200, mine.json.conversation.id]);
  });

  it("a visitor reads and writes their thread with their token only; agents' emails and ids never show", async () => {
    const start = await h.call({
      method: "POST",
      path: "/chat/web-chat/conversations",
      as: null,
      body: { text: "Hi" },
    });
    const id = start.json.conversation.id;
    const token = start.json.visitorToken;
    h.app.clock.advance(1000);
    await h.call({
      method: "POST",
      path: `/conversations/${id}/messages`,
      as: alice,
      body: { text: "Hello, Alice here" },
    });
    h.app.clock.advance(1000);
    const fromCookie = await h.call({
      method: "POST",
      path: `/chat/conversations/${id}/messages`,
      as: null,
      body: { text: "Thanks" },
      cookies: [`routing_visitor=${token}`],
    });
    expect(fromCookie.status).toBe(201);
    const thread = await h.call({
      method: "GET",
      path: `/chat/conversations/${id}/messages`,
      as: null,
      query: { visitorToken: token },
    });
    expect(thread.json.messages.map((m: { text: string }) => m.text)).toEqual(["Hi", "Hello, Alice here", "Thanks"]);
    expect(JSON.stringify(thread.json)).not.toMatch(/alice@example.com|"userId"/);
    expect(thread.json.messages[1].author).toEqual({ kind: "agent", name: "Alice" });
    const stranger = await h.call({
      method: "GET",
      path: `/chat/conversations/${id}/messages`,
      as: null,
      query: { visitorToken: "someone-elses-token-aaaaaaaa" },
    });
    expect(stranger.status).toBe(404);
    const noToken = await h.call({
      method: "POST",
      path: `/chat/conversations/${id}/messages`,
      as: null,
      body: { text: "x" },
    });
    expect(noToken.status).toBe(401);
  });

  it("the visitor's thread answers its newest messages, one bounded read however long the chat", async () => {
    const start = await h.call({ method: "POST", path: "/chat/web-chat/conversations", as: null, body: { text: "0" } });
    const id = start.json.conversation.id;
    for (let i = 1; i <= VISITOR_THREAD_MESSAGES + 4; i++) {
      h.app.clock.advance(1000);
      await h.app.conversations.customerMessage(id, { text: String(i) });
    }
    const thread = await h.call({
      method: "GET",
      path: `/chat/conversations/${id}/messages`,
      as: null,
      query: { visitorToken: start.json.visitorToken },
    });
    const texts = thread.json.messages.map((m: { text: string }) => m.text);
    expect(texts).toHaveLength(VISITOR_THREAD_MESSAGES);
    expect([texts[0], texts.at(-1)]).toEqual(["5", String(VISITOR_THREAD_MESSAGES + 4)]);
  });

  it("the inbox's system notes (who assigned or closed it) stay out of the visitor's thread", async () => {
    const start = await h.call({
      method: "POST",
      path: "/chat/web-chat/conversations",
      as: null,
      body: { text: "Hi" },
    });
    const id = start.json.conversation.id;
    h.app.clock.advance(1000);
    const assigned = await h.call({
      method: "PUT",
      path: `/conversations/${id}/assignee`,
      as: bob,
      body: { userId: "bob" },
    });
    expect(assigned.status).toBe(200);
    await h.call({ method: "POST", path: `/conversations/${id}/close`, as: bob });
    const agentView = await h.call({ method: "GET", path: `/conversations/${id}`, as: bob });
    const system = agentView.json.messages.filter((m: { author: { kind: string } }) => m.author.kind === "system");
    expect(system.map((m: { text: string }) => m.text)).toContain("Bob closed this");
    const thread = await h.call({
      method: "GET",
      path: `/chat/conversations/${id}/messages`,
      as: null,
      query: { visitorToken: start.json.visitorToken },
    });
    expect(thread.json.messages.map((m: { text: string }) => m.text)).toEqual(["Hi"]);
  });

  it("agents list views, read a conversation with its routing record, and act on it", async () => {
    const c1 = (await h.call({ method: "POST", path: "/chat/web-chat/conversations", as: null, body: { text: "one" } }))
      .json.conversation;
    const mine = await h.call({
      method: "GET",
      path: "/inboxes/main/conversations",
      as: alice,
      query: { view: "mine" },
    });
    expect(mine.json.items.map((c: { id: string }) => c.id)).toEqual([c1.id]);
    const detail = await h.call({ method: "GET", path: `/conversations/${c1.id}`, as: alice });
    expect(detail.json.routing.outcome).toMatchObject({ type: "assigned", userId: "alice" });
    expect(detail.json.messages).toHaveLength(1);
    expect(
      (await h.call({ method: "PUT", path: `/conversations/${c1.id}/assignee`, as: alice, body: { userId: "bob" } }))
        .json.assigneeId,
    ).toBe("bob");
    expect((await h.call({ method: "POST", path: `/conversations/${c1.id}/close`, as: bob })).json.status).toBe(
      "closed",
    );
    expect((await h.call({ method: "POST", path: `/conversations/${c1.id}/reopen`, as: bob })).json.status).toBe(
      "open",
    );
    expect(
      (await h.call({ method: "PUT", path: `/conversations/${c1.id}/assignee`, as: bob, body: { userId: null } })).json
        .assigneeId,
    ).toBeNull();
    const unassigned = await h.call({
      method: "GET",
      path: "/inboxes/main/conversations",
      as: alice,
      query: { view: "unassigned" },
    });
    expect(unassigned.json.items.map((c: { id: string }) => c.id)).toEqual([c1.id]);
    const replied = await h.call({
      method: "POST",
      path: `/conversations/${c1.id}/messages`,
      as: bob,
      body: { text: "mine now" },
    });
    expect([replied.status, replied.json.conversation.assigneeId]).toEqual([201, "bob"]);
    expect(await invariantViolations(h.app)).toEqual([]);
  });

  it("a user without access to the inbox gets 403 on its conversations and views", async () => {
    const c = (await h.call({ method: "POST", path: "/chat/web-chat/conversations", as: null, body: { text: "x" } }))
      .json.conversation;
    expect((await h.call({ method: "GET", path: `/conversations/${c.id}`, as: { sub: "outsider" } })).status).toBe(403);
    expect((await h.call({ method: "GET", path: "/inboxes/main/conversations", as: { sub: "outsider" } })).status).toBe(
      403,
    );
    expect(
      (await h.call({ method: "POST", path: `/conversations/${c.id}/close`, as: { sub: "outsider" } })).status,
    ).toBe(403);
    expect((await h.call({ method: "GET", path: "/inboxes/main/conversations", as: { sub: "nobody" } })).status).toBe(
      403,
    );
  });

  it("every authenticated request records inbox activity; availability is the user's own toggle", async () => {
    await h.call({ method: "POST", path: "/me/heartbeat", as: alice });
    expect((await h.app.store.getUser("alice"))?.lastInboxActivityAt).toBe(h.app.clock.now().toISOString());
    const away = await h.call({ method: "PUT", path: "/me/availability", as: alice, body: { availability: "away" } });
    expect(away.json.availability).toBe("away");
    // Alice away: the next chat goes to Bob.
    const c = await h.call({ method: "POST", path: "/chat/web-chat/conversations", as: null, body: { text: "x" } });
    expect(c.json.conversation.agent).toEqual({ name: "Bob" });
    expect(
      (await h.call({ method: "PUT", path: "/me/availability", as: alice, body: { availability: "busy" } })).status,
    ).toBe(400);
  });

  it("conflicts are 409 (assigning past capacity), unknown conversations 404", async () => {
    await h.call({
      method: "PUT",
      path: "/users/bob",
      as: ADMIN,
      body: { name: "Bob", email: "bob@example.com", seat: "sales", primaryTeamId: "support", capacity: 0 },
    });
    const c = (await h.call({ method: "POST", path: "/chat/web-chat/conversations", as: null, body: { text: "x" } }))
      .json.conversation;
    const r = await h.call({
      method: "PUT",
      path: `/conversations/${c.id}/assignee`,
      as: alice,
      body: { userId: "bob" },
    });
    expect([r.status, r.json.error.code]).toEqual([409, "conflict"]);
    expect((await h.call({ method: "GET", path: "/conversations/nope", as: alice })).status).toBe(404);
  });

  it("bot chats wait for the hand-off, which routes them once", async () => {
    await h.call({
      method: "PUT",
      path: "/channels/bot",
      as: ADMIN,
      body: {
        inboxId: "main",
        type: "bot",
        name: "Bot",
        routing: { autoAssign: true, target: { type: "users_and_teams", userIds: ["bob"], teamIds: [] } },
      },
    });
    const start = await h.call({
      method: "POST",
      path: "/chat/bot/conversations",
      as: null,
      body: { text: "bot, help" },
    });
    expect(start.json.conversation).toMatchObject({ assigned: false, agent: null });
    const { id } = start.json.conversation;
    const token = start.json.visitorToken;
    const handed = await h.call({
      method: "POST",
      path: `/chat/conversations/${id}/handoff`,
      as: null,
      body: { visitorToken: token },
    });
    expect([handed.status, handed.json.agent]).toEqual([200, { name: "Bob" }]);
    // The widget's retry: no body at all, the visitor token in its cookie (every body field is optional).
    const again = await h.call({
      method: "POST",
      path: `/chat/conversations/${id}/handoff`,
      as: null,
      cookies: [`routing_visitor=${token}`],
    });
    expect([again.status, again.json.agent]).toEqual([200, { name: "Bob" }]);
    expect((await h.app.store.getUser("bob"))?.openCount).toBe(1);
  });

  it(
    "a verified identify links the visitor token to the " +
      "contact (cookie tracking), so owner routing finds the owner",
    async () => {
      const created = await h.call({
        method: "PUT",
        path: "/channels/owner-chat",
        as: ADMIN,
        body: {
          inboxId: "main",
          type: "chat",
          name: "Owner chat",
          routing: { autoAssign: true, target: { type: "contact_owner" } },
        },
      });
      const secret = created.json.identitySecret as string;
      await h.call({
        method: "PUT",
        path: "/contacts/kim",
        as: ADMIN,
        body: { email: "kim@example.com", ownerId: "bob" },
      });
      const token = "visitor-token-123-aaaaaaaaaaaa";
      const identityHash = createHmac("sha256", secret).update("kim@example.com").digest("hex");
      const id = await h.call({
        method: "POST",
        path: "/chat/identify",
        as: null,
        body: { channelId: "owner-chat", visitorToken: token, email: "KIM@example.com", identityHash },
      });
      expect(id.json).toEqual({ verified: true, visitorToken: token });
      const chat = await h.call({
        method: "POST",
        path: "/chat/owner-chat/conversations",
        as: null,
        body: { text: "hi" },
        cookies: [`routing_visitor=${token}`],
      });
      expect(chat.json.conversation).toMatchObject({ assigned: true, agent: { name: "Bob" } });
      expect(await h.app.store.getConversation(chat.json.conversation.id)).toMatchObject({
        assigneeId: "bob",
        contactId: "kim",
      });
    },
  );
});
