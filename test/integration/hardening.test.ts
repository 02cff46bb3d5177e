import { createHmac } from "node:crypto";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { itemToContact } from "#shared/adapters/dynamo/items";
import { ENTITY } from "#shared/adapters/dynamo/keys";
import { parseEmail } from "#shared/adapters/mime/parse";
import type { InboundEmail } from "#shared/domain/email";
import { formSigningSecret, signatureHeader } from "#shared/http/signature";
import { dump, invariantViolations } from "../support/harness";
import { ADMIN, apiHarness, FORM_KEY } from "../support/http";
import { countCalls } from "../support/instrument";

type H = Awaited<ReturnType<typeof apiHarness>>;

/** Visitor tokens in the contract's format (docs/api.md): 22-128 base64url characters. */
const tok = (name: string) => `${name}-${"x".repeat(22)}`.slice(0, 40);
const identityHash = (secret: string, email: string) =>
  createHmac("sha256", secret).update(email.trim().toLowerCase()).digest("hex");
const rule = (userIds: string[], teamIds: string[] = []) => ({
  autoAssign: true,
  target: { type: "users_and_teams", userIds, teamIds },
});

async function contacts(h: H) {
  const out = await h.app.db.doc.send(new ScanCommand({ TableName: h.app.tableName, ConsistentRead: true }));
  const items = out.Items ?? [];
  return {
    contacts: items.filter((i) => i.entityType === ENTITY.contact).map(itemToContact),
    visitorLinks: items.filter((i) => typeof i.pk === "string" && i.pk.startsWith("VISITOR#") && i.sk === "LOOKUP"),
  };
}

/** Support team (alice, bob primary; carol additional), a restricted inbox, chat/owner/bot/email channels. */
async function seed(h: H) {
  const put = async (path: string, body: unknown) => {
    const r = await h.call({ method: "PUT", path, body, as: ADMIN });
    expect(r.status, `${path}: ${JSON.stringify(r.json)}`).toBeLessThan(300);
    return r.json;
  };
  await put("/teams/support", { name: "Support" });
  await put("/teams/sales", { name: "Sales" });
  await put("/users/alice", { name: "Alice", email: "alice@example.com", seat: "service", primaryTeamId: "support" });
  await put("/users/bob", { name: "Bob", email: "bob@example.com", seat: "sales", primaryTeamId: "support" });
  await put("/users/carol", {
    name: "Carol",
    email: "carol@example.com",
    seat: "service",
    primaryTeamId: "sales",
    additionalTeamIds: ["support"],
  });
  await put("/users/root", { name: "Root", email: "root@example.com", seat: "none", role: "admin" });
  await put("/inboxes/main", { name: "Main", access: { type: "restricted", teamIds: ["support"], userIds: [] } });
  await put("/channels/web-chat", { inboxId: "main", type: "chat", name: "Web chat", routing: rule([], ["support"]) });
  const owner = await put("/channels/owner-chat", {
    inboxId: "main",
    type: "chat",
    name: "Owner chat",
    routing: { autoAssign: true, target: { type: "contact_owner" } },
  });
  await put("/channels/bot", { inboxId: "main", type: "bot", name: "Bot", routing: rule(["bob"]) });
  await put("/channels/mail", {
    inboxId: "main",
    type: "email",
    name: "Mail",
    address: "help@shop.example",
    routing: rule(["alice"]),
  });
  await put("/contacts/vip", { email: "vip@corp.test", ownerId: "bob" });
  return { identitySecret: owner.identitySecret as string };
}

const inbound = (over: Partial<InboundEmail>): InboundEmail => ({
  sesMessageId: `ses-${Math.random().toString(36).slice(2)}`,
  recipients: ["help@shop.example"],
  verdicts: { spam: false, virus: false },
  messageId: null,
  inReplyTo: [],
  references: [],
  from: { address: "kim@customer.example", name: "Kim" },
  subject: "Order",
  text: "hello",
  ...over,
});

describe("acting as someone else: identity, threading, idempotency", () => {
  let h: H;
  let identitySecret: string;
  beforeEach(async () => {
    h = await apiHarness();
    ({ identitySecret } = await seed(h));
  });

  it(
    "a token-less replay of a known idempotency key " + "never reveals the first visitor's token or conversation",
    async () => {
      const first = await h.call({
        method: "POST",
        path: "/chat/web-chat/conversations",
        as: null,
        body: { text: "Hi", idempotencyKey: "guessable" },
      });
      expect(first.status).toBe(201);
      const replay = await h.call({
        method: "POST",
        path: "/chat/web-chat/conversations",
        as: null,
        body: { text: "Hi", idempotencyKey: "guessable" },
      });
      expect(JSON.stringify(replay.json)).not.toContain(first.json.visitorToken);
      expect(JSON.stringify(replay.json)).not.toContain(first.json.conversation.id);
      expect(replay.cookies.join()).not.toContain(first.json.visitorToken);
      // The owner of the key, with their token, gets the same answer again.
      const mine = await h.call({
        method: "POST",
        path: "/chat/web-chat/conversations",
        as: null,
        body: { text: "Hi", idempotencyKey: "k", visitorToken: tok("one") },
      });
      const again = await h.call({
        method: "POST",
        path: "/chat/web-chat/conversations",
        as: null,
        body: { text: "Hi", idempotencyKey: "k" },
        cookies: [`routing_visitor=${tok("one")}`],
      });
      expect([mine.status, again.status, again.json.conversation.id]).toEqual([201, 200, mine.json.conversation.id]);
    },
  );

  it(
    "an anonymous identify with a customer's email links nothing, " + "creates no contact and drives no owner routing",
    async () => {
      const before = await contacts(h);
      for (let i = 0; i < 20; i++) {
        const r = await h.call({
          method: "POST",
          path: "/chat/identify",
          as: null,
          body: { channelId: "owner-chat", visitorToken: tok(`anon${i}`), email: `someone${i}@corp.test` },
        });
        expect([r.status, r.json.verified]).toEqual([200, false]);
      }
      const forged = await h.call({
        method: "POST",
        path: "/chat/identify",
        as: null,
        body: {
          channelId: "owner-chat",
          visitorToken: tok("mallory"),
          email: "vip@corp.test",
          identityHash: "0".repeat(64),
        },
      });
      expect([forged.status, forged.json.verified]).toEqual([200, false]);
      expect(await contacts(h)).toEqual(before);
      const chat = await h.call({
        method: "POST",
        path: "/chat/owner-chat/conversations",
        as: null,
        body: { text: "hi" },
        cookies: [`routing_visitor=${tok("mallory")}`],
      });
      const stored = await h.app.store.getConversation(chat.json.conversation.id);
      expect(stored).toMatchObject({ assigneeId: null, contactId: null });
      // The unverified email is shown to agents on the visitor's conversation, marked unverified.
      const seen = await h.call({
        method: "GET",
        path: `/conversations/${chat.json.conversation.id}`,
        as: { sub: "alice" },
      });
      expect(seen.json.visitor).toEqual({ email: "vip@corp.test", verified: false });
    },
  );

  it("a valid identityHash (the site's backend vouches) " + "links the visitor, so owner routing applies", async () => {
    const r = await h.call({
      method: "POST",
      path: "/chat/identify",
      as: null,
      body: {
        channelId: "owner-chat",
        visitorToken: tok("vip"),
        email: " VIP@corp.test",
        identityHash: identityHash(identitySecret, "VIP@corp.test"),
      },
    });
    expect([r.status, r.json.verified]).toEqual([200, true]);
    const chat = await h.call({
      method: "POST",
      path: "/chat/owner-chat/conversations",
      as: null,
      body: { text: "hi" },
      cookies: [`routing_visitor=${tok("vip")}`],
    });
    expect(chat.json.conversation).toMatchObject({ assigned: true, agent: { name: "Bob" } });
    const seen = await h.call({
      method: "GET",
      path: `/conversations/${chat.json.conversation.id}`,
      as: { sub: "bob" },
    });
    expect(seen.json.visitor).toEqual({ email: "vip@corp.test", verified: true, contactId: "vip" });
    // The identity secret differs from a form signing secret and from other channels' secrets.
    expect(identitySecret).not.toBe(formSigningSecret(FORM_KEY, "owner-chat"));
    const other = await h.call({
      method: "POST",
      path: "/chat/identify",
      as: null,
      body: {
        channelId: "web-chat",
        visitorToken: tok("vip2"),
        email: "vip@corp.test",
        identityHash: identityHash(identitySecret, "vip@corp.test"),
      },
    });
    expect(other.json.verified).toBe(false);
  });

  it("contact creation is bounded per visitor", async () => {
    const created: number[] = [];
    for (let i = 0; i < 8; i++) {
      const email = `new${i}@corp.test`;
      const r = await h.call({
        method: "POST",
        path: "/chat/identify",
        as: null,
        body: {
          channelId: "owner-chat",
          visitorToken: tok("busy"),
          email,
          identityHash: identityHash(identitySecret, email),
        },
      });
      created.push(r.status);
    }
    expect(created.filter((s) => s === 200).length).toBeLessThan(8);
    expect(created.every((s) => s === 200 || s === 409)).toBe(true);
    expect((await contacts(h)).contacts.length).toBeLessThan(1 + 8);
  });

  it(
    "knowing a Message-ID does not thread a stranger " + "into another customer's conversation, nor reopen it",
    async () => {
      const first = await h.app.email.receive(inbound({ messageId: "<m1@customer.example>" }));
      const id = (first as { conversationId: string }).conversationId;
      await h.call({ method: "POST", path: `/conversations/${id}/close`, as: { sub: "alice" } });
      const evil = await h.app.email.receive(
        inbound({
          messageId: "<evil@evil.test>",
          inReplyTo: ["<m1@customer.example>"],
          from: { address: "mallory@evil.test" },
          text: "pay here",
        }),
      );
      expect(evil.type).toBe("created");
      const evilId = (evil as { conversationId: string }).conversationId;
      expect(evilId).not.toBe(id);
      expect((await h.app.store.getConversation(id))?.status).toBe("closed");
      expect(customerMessages(await h.app.store.listMessages(id)).map((m) => m.text)).toEqual(["hello"]);
      const evilConv = await h.call({ method: "GET", path: `/conversations/${evilId}`, as: { sub: "alice" } });
      expect(evilConv.json.threading).toMatchObject({ threaded: false, conversationId: id });
      expect(evilConv.json.messages[0].author).toMatchObject({ kind: "customer", email: "mallory@evil.test" });
      // An address that already wrote in the thread is a participant (the store reads the thread for it).
      expect(await h.app.store.hasMessageFrom(id, "kim@customer.example")).toBe(true);
      expect(await h.app.store.hasMessageFrom(id, "mallory@evil.test")).toBe(false);
      // The customer herself, and an address that already wrote in it, still thread.
      const own = await h.app.email.receive(
        inbound({ messageId: "<m2@customer.example>", inReplyTo: ["<m1@customer.example>"], text: "any news?" }),
      );
      expect(own).toEqual({ type: "threaded", conversationId: id });
      const detail = await h.call({ method: "GET", path: `/conversations/${id}`, as: { sub: "alice" } });
      expect(customerMessages(detail.json.messages).map((m) => m.author.email)).toEqual([
        "kim@customer.example",
        "kim@customer.example",
      ]);
    },
  );

  it("a From naming a participant and a stranger together does not thread, and keeps both addresses", async () => {
    const first = await h.app.email.receive(inbound({ messageId: "<m1@customer.example>" }));
    const id = (first as { conversationId: string }).conversationId;
    const raw = Buffer.from(
      "From: kim@customer.example, mallory@evil.test\r\nTo: help@acme.test\r\nSubject: Re: hi\r\n" +
        "Message-ID: <both@evil.test>\r\nIn-Reply-To: <m1@customer.example>\r\n\r\npay here\r\n",
    );
    const parsed = await parseEmail(raw);
    expect(parsed.from).toEqual({ address: "kim@customer.example", alsoFrom: ["mallory@evil.test"] });
    const r = await h.app.email.receive(
      inbound({
        messageId: "<both@evil.test>",
        inReplyTo: ["<m1@customer.example>"],
        from: parsed.from!,
        text: "pay here",
      }),
    );
    expect(r.type).toBe("created");
    const newId = (r as { conversationId: string }).conversationId;
    expect(customerMessages(await h.app.store.listMessages(id)).map((m) => m.text)).toEqual(["hello"]);
    const detail = await h.call({ method: "GET", path: `/conversations/${newId}`, as: { sub: "alice" } });
    expect(detail.json.threading.reason).toMatch(/several senders \(kim@customer\.example, mallory@evil\.test\)/);
  });
});

describe("hostile input: bounded cost, 4xx never 500", () => {
  let h: H;
  beforeEach(async () => {
    h = await apiHarness();
    await seed(h);
  });

  it("a References header with 5,000 ids costs a bounded number of table reads", async () => {
    await h.app.email.receive(inbound({ messageId: "<m1@customer.example>" }));
    const refs = Array.from({ length: 5000 }, (_, i) => `<r${i}@elsewhere.example>`);
    const calls = countCalls(h.app.db.client);
    const o = await h.app.email.receive(
      inbound({ messageId: "<m9@customer.example>", references: ["<m1@customer.example>", ...refs] }),
    );
    expect(o.type).toBe("created"); // m1 is the oldest reference: beyond the bounded look-up
    expect(calls.total()).toBeLessThan(20);
    const recent = await h.app.email.receive(
      inbound({ messageId: "<m10@customer.example>", references: [...refs, "<m1@customer.example>"] }),
    );
    expect(recent.type).toBe("threaded");
  });

  it("an undecodable cookie is ignored on every route, /health included", async () => {
    expect((await h.call({ method: "GET", path: "/health", as: null, cookies: ["ga=100%"] })).status).toBe(200);
    const r = await h.call({
      method: "POST",
      path: "/chat/web-chat/conversations",
      as: null,
      body: { text: "hi" },
      cookies: ["x=%E0%A4%A", "routing_visitor=%ZZ"],
    });
    expect(r.status).toBe(201);
    expect((await h.call({ method: "GET", path: "/users", as: ADMIN, cookies: ["a=%"] })).status).toBe(200);
  });

  it(
    "a visitor token in the wrong format is a 400 before any write, " + "from the body, the query or the cookie",
    async () => {
      const before = await dump(h.app);
      const bad = [
        `${tok("a")}; Domain=evil.example`,
        `${tok("a")}\r\nSet-Cookie: x=1`,
        `${tok("a")}é`,
        "short",
        "a".repeat(129),
      ];
      for (const visitorToken of bad) {
        const start = await h.call({
          method: "POST",
          path: "/chat/web-chat/conversations",
          as: null,
          body: { text: "hi", visitorToken, idempotencyKey: "k1" },
        });
        expect([start.status, start.json?.error?.code], visitorToken).toEqual([400, "validation_failed"]);
        const cookie = await h.call({
          method: "POST",
          path: "/chat/web-chat/conversations",
          as: null,
          body: { text: "hi" },
          cookies: [`routing_visitor=${encodeURIComponent(visitorToken)}`],
        });
        expect(cookie.status, visitorToken).toBe(400);
        const identify = await h.call({
          method: "POST",
          path: "/chat/identify",
          as: null,
          body: { channelId: "owner-chat", visitorToken, email: "kim@example.com" },
        });
        expect(identify.status, visitorToken).toBe(400);
      }
      expect(await dump(h.app)).toEqual(before);
      expect((await contacts(h)).visitorLinks).toEqual([]);
    },
  );

  it("a malformed or forged cursor is a 400, and a cursor is bound to its inbox, view and status", async () => {
    for (let i = 0; i < 3; i++)
      await h.call({ method: "POST", path: "/chat/web-chat/conversations", as: null, body: { text: `c${i}` } });
    const page = await h.call({
      method: "GET",
      path: "/inboxes/main/conversations",
      as: { sub: "alice" },
      query: { view: "all", limit: "1" },
    });
    const cursor = page.json.nextCursor as string;
    expect(typeof cursor).toBe("string");
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const decoded = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    const forged = [
      enc({}),
      enc({ pk: 1 }),
      enc({ ...decoded, extra: "x" }),
      enc([1]),
      "%%%",
      enc({ ...decoded, gsi1pk: 7 }),
    ];
    for (const c of forged) {
      const r = await h.call({
        method: "GET",
        path: "/inboxes/main/conversations",
        as: { sub: "alice" },
        query: { view: "all", cursor: c },
      });
      expect([r.status, r.json.error?.code], c).toEqual([400, "validation_failed"]);
    }
    const wrongPlaces: Array<Record<string, string>> = [
      { view: "mine", cursor },
      { view: "all", status: "closed", cursor },
      { view: "unassigned", cursor },
    ];
    for (const query of wrongPlaces) {
      const r = await h.call({ method: "GET", path: "/inboxes/main/conversations", as: { sub: "alice" }, query });
      expect([r.status, r.json.error?.code], JSON.stringify(query)).toEqual([400, "validation_failed"]);
    }
    const next = await h.call({
      method: "GET",
      path: "/inboxes/main/conversations",
      as: { sub: "alice" },
      query: { view: "all", limit: "1", cursor },
    });
    expect(next.status).toBe(200);
  });

  it("signed form fields are capped in depth and total size; nothing is stored", async () => {
    await h.call({
      method: "PUT",
      path: "/channels/form",
      as: ADMIN,
      body: { inboxId: "main", type: "form", name: "Form", routing: rule(["alice"]) },
    });
    const secret = formSigningSecret(FORM_KEY, "form");
    const now = Math.floor(h.app.clock.now().getTime() / 1000);
    const before = await dump(h.app);
    const deep =
      `{"submissionId":"s1","email":"k@example.com","message":"hi",` +
      `"fields":{"a":${"[".repeat(20_000)}${"]".repeat(20_000)}}}`;
    const wide = JSON.stringify({
      submissionId: "s2",
      email: "k@example.com",
      message: "x".repeat(19_000),
      fields: Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}`, "y".repeat(2000)])),
    });
    for (const raw of [deep, wide]) {
      const r = await h.call({
        method: "POST",
        path: "/forms/form/submissions",
        as: null,
        raw,
        headers: { "X-Routing-Signature": signatureHeader(secret, raw, now) },
      });
      expect([400, 413]).toContain(r.status);
      expect(r.json.error.code).toMatch(/validation_failed|payload_too_large/);
    }
    expect(await dump(h.app)).toEqual(before);
    expect(h.errors).toEqual([]);
  });
});

describe("concurrency, admins and the visitor's view", () => {
  let h: H;
  let identitySecret: string;
  beforeEach(async () => {
    h = await apiHarness();
    ({ identitySecret } = await seed(h));
  });

  it("concurrent identify calls for one email are idempotent and leave no orphaned visitor link", async () => {
    const email = "new@corp.test";
    const hash = identityHash(identitySecret, email);
    const tokens = [tok("t0"), tok("t1"), tok("t2"), tok("t0"), tok("t1"), tok("t3"), tok("t0"), tok("t2")];
    const results = await Promise.all(
      tokens.map((visitorToken) =>
        h.call({
          method: "POST",
          path: "/chat/identify",
          as: null,
          body: { channelId: "owner-chat", visitorToken, email, identityHash: hash },
        }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(tokens.map(() => 200));
    const { contacts: all, visitorLinks } = await contacts(h);
    const created = all.filter((c) => c.email === email);
    expect(created).toHaveLength(1);
    expect([...created[0]!.visitorTokens].sort()).toEqual([tok("t0"), tok("t1"), tok("t2"), tok("t3")].sort());
    expect(visitorLinks.map((l) => [l.pk, l.contactId]).sort()).toEqual(
      created[0]!.visitorTokens.map((t) => [`VISITOR#${t}`, created[0]!.id]).sort(),
    );
    // Moving a token to another verified email leaves no link behind either.
    const other = "other@corp.test";
    await h.call({
      method: "POST",
      path: "/chat/identify",
      as: null,
      body: {
        channelId: "owner-chat",
        visitorToken: tok("t0"),
        email: other,
        identityHash: identityHash(identitySecret, other),
      },
    });
    const after = await contacts(h);
    for (const link of after.visitorLinks) {
      const owner = after.contacts.find((c) => c.id === link.contactId);
      expect(owner?.visitorTokens).toContain(String(link.pk).slice("VISITOR#".length));
    }
    for (const c of after.contacts)
      for (const t of c.visitorTokens)
        expect(after.visitorLinks.some((l) => l.pk === `VISITOR#${t}` && l.contactId === c.id)).toBe(true);
  });

  it(
    "admins read every inbox (routing.md §2.4), " +
      "by role or by token group, but are not assignable where not listed",
    async () => {
      const c = (await h.call({ method: "POST", path: "/chat/web-chat/conversations", as: null, body: { text: "x" } }))
        .json.conversation;
      expect((await h.call({ method: "GET", path: "/inboxes/main/conversations", as: { sub: "root" } })).status).toBe(
        200,
      );
      expect((await h.call({ method: "GET", path: `/conversations/${c.id}`, as: { sub: "root" } })).status).toBe(200);
      await h.call({
        method: "PUT",
        path: "/users/agent-admin",
        as: ADMIN,
        body: { name: "AA", email: "aa@example.com", seat: "service" },
      });
      expect(
        (
          await h.call({
            method: "GET",
            path: "/inboxes/main/conversations",
            as: { sub: "agent-admin", groups: "[admins]" },
          })
        ).status,
      ).toBe(200);
      expect(
        (await h.call({ method: "GET", path: "/inboxes/main/conversations", as: { sub: "agent-admin" } })).status,
      ).toBe(403);
      const toRoot = await h.call({
        method: "PUT",
        path: `/conversations/${c.id}/assignee`,
        as: { sub: "alice" },
        body: { userId: "root" },
      });
      expect(toRoot.status).toBe(400);
    },
  );

  it(
    "an additional-team member takes an unassigned conversation (self-assign, reply), " +
      "but is never a reassignment target nor routed to",
    async () => {
      await h.call({
        method: "PUT",
        path: "/channels/manual",
        as: ADMIN,
        body: {
          inboxId: "main",
          type: "chat",
          name: "Manual",
          routing: { autoAssign: false, target: { type: "users_and_teams", userIds: [], teamIds: [] } },
        },
      });
      const a = (await h.call({ method: "POST", path: "/chat/manual/conversations", as: null, body: { text: "a" } }))
        .json.conversation;
      const b = (await h.call({ method: "POST", path: "/chat/manual/conversations", as: null, body: { text: "b" } }))
        .json.conversation;
      const self = await h.call({
        method: "PUT",
        path: `/conversations/${a.id}/assignee`,
        as: { sub: "carol" },
        body: { userId: "carol" },
      });
      expect([self.status, self.json.assigneeId]).toEqual([200, "carol"]);
      const reply = await h.call({
        method: "POST",
        path: `/conversations/${b.id}/messages`,
        as: { sub: "carol" },
        body: { text: "on it" },
      });
      expect([reply.status, reply.json.conversation.assigneeId]).toEqual([201, "carol"]);
      await h.call({
        method: "PUT",
        path: `/conversations/${a.id}/assignee`,
        as: { sub: "alice" },
        body: { userId: "alice" },
      });
      const back = await h.call({
        method: "PUT",
        path: `/conversations/${a.id}/assignee`,
        as: { sub: "alice" },
        body: { userId: "carol" },
      });
      expect([back.status, back.json.error?.code]).toEqual([400, "validation_failed"]);
      const takeOver = await h.call({
        method: "PUT",
        path: `/conversations/${a.id}/assignee`,
        as: { sub: "carol" },
        body: { userId: "carol" },
      });
      expect(takeOver.status).toBe(400);
      // Routing to the team never picks carol, however idle she is.
      await h.call({ method: "PUT", path: "/me/availability", as: { sub: "alice" }, body: { availability: "away" } });
      await h.call({ method: "PUT", path: "/me/availability", as: { sub: "bob" }, body: { availability: "away" } });
      const routed = await h.call({
        method: "POST",
        path: "/chat/web-chat/conversations",
        as: null,
        body: { text: "x" },
      });
      expect(routed.json.conversation.assigned).toBe(false);
      expect(await invariantViolations(h.app)).toEqual([]);
    },
  );

  it("public chat routes answer another type of channel exactly as an unknown one", async () => {
    const token = "visitor-oracle-aaaaaaaaaaaaaaaaaa";
    const start = async (channel: string) =>
      h.call({
        method: "POST",
        path: `/chat/${channel}/conversations`,
        as: null,
        body: { text: "hi", visitorToken: token },
      });
    const identify = async (channelId: string) =>
      h.call({
        method: "POST",
        path: "/chat/identify",
        as: null,
        body: { channelId, visitorToken: token, email: "x@y.example" },
      });
    const shape = (r: { status: number; json: { error: { code: string; message: string } } }, id: string) => [
      r.status,
      r.json.error.code,
      r.json.error.message.replace(id, "<id>"),
    ];
    expect(shape(await start("mail"), "mail")).toEqual(shape(await start("ghost"), "ghost"));
    expect(shape(await identify("mail"), "mail")).toEqual(shape(await identify("ghost"), "ghost"));
    expect((await start("mail")).status).toBe(404);
  });

  it("every public chat route answers the visitor's view only: " + "no routing record, no internal ids", async () => {
    const start = await h.call({
      method: "POST",
      path: "/chat/web-chat/conversations",
      as: null,
      body: { text: "Hi", visitorToken: tok("v") },
    });
    expect(start.status).toBe(201);
    expect(Object.keys(start.json).sort()).toEqual(["conversation", "visitorToken"]);
    expect(start.json.conversation).toEqual({
      id: start.json.conversation.id,
      status: "open",
      assigned: true,
      agent: { name: "Alice" },
    });
    const id = start.json.conversation.id;
    await h.call({
      method: "POST",
      path: `/conversations/${id}/messages`,
      as: { sub: "alice" },
      body: { text: "Hello" },
    });
    const msg = await h.call({
      method: "POST",
      path: `/chat/conversations/${id}/messages`,
      as: null,
      body: { text: "Thanks", visitorToken: tok("v") },
    });
    const thread = await h.call({
      method: "GET",
      path: `/chat/conversations/${id}/messages`,
      as: null,
      query: { visitorToken: tok("v") },
    });
    const bot = await h.call({
      method: "POST",
      path: "/chat/bot/conversations",
      as: null,
      body: { text: "bot", visitorToken: tok("v") },
    });
    const handoff = await h.call({
      method: "POST",
      path: `/chat/conversations/${bot.json.conversation.id}/handoff`,
      as: null,
      body: { visitorToken: tok("v") },
    });
    expect(handoff.json).toEqual({
      id: bot.json.conversation.id,
      status: "open",
      assigned: true,
      agent: { name: "Bob" },
    });
    for (const r of [start, msg, thread, bot, handoff]) {
      const text = JSON.stringify(r.json);
      expect(text).not.toMatch(
        /routing|candidates|assigneeId|userId|inboxId|channelId|contactId|"alice"|"bob"|@example\.com/,
      );
    }
    expect(thread.json.conversation).toMatchObject({ id, status: "open", assigned: true, agent: { name: "Alice" } });
    expect(msg.json.message).toEqual({
      id: msg.json.message.id,
      text: "Thanks",
      createdAt: msg.json.message.createdAt,
      author: { kind: "customer", name: "You" },
    });
  });
});

/** Without the inbox's system notes (a close by hand leaves one): what the customers wrote. */
function customerMessages<M extends { author: { kind: string; email?: string }; text: string }>(ms: M[]): M[] {
  return ms.filter((m) => m.author.kind !== "system");
}
