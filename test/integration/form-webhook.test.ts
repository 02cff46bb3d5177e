import { beforeEach, describe, expect, it } from "vitest";
import { formSigningSecret, signatureHeader } from "#shared/http/signature";
import { dump, profile, seedChannel, usersAndTeams } from "../support/harness";
import { ADMIN, apiHarness, FORM_KEY } from "../support/http";

type H = Awaited<ReturnType<typeof apiHarness>>;

describe("form webhook: POST /forms/{channelId}/submissions (signed)", () => {
  let h: H;
  let secret: string;
  const now = () => Math.floor(h.app.clock.now().getTime() / 1000);
  const submit = (raw: string, header?: string, channel = "contact-form") =>
    h.call({
      method: "POST",
      path: `/forms/${channel}/submissions`,
      as: null,
      raw,
      headers: header === undefined ? {} : { "X-Routing-Signature": header },
    });
  const body = (over: Record<string, unknown> = {}) =>
    JSON.stringify({
      submissionId: "s-1",
      email: "kim@example.com",
      name: "Kim",
      message: "Call me back",
      fields: { phone: "555" },
      ...over,
    });

  beforeEach(async () => {
    h = await apiHarness();
    await h.app.store.putUser(profile("alice"));
    await h.app.store.putInbox({ id: "inbox-1", name: "Main", access: { type: "everyone" } });
    const created = await h.call({
      method: "PUT",
      path: "/channels/contact-form",
      as: ADMIN,
      body: { inboxId: "inbox-1", type: "form", name: "Contact", routing: usersAndTeams(["alice"]) },
    });
    secret = created.json.signingSecret;
  });

  it("a correctly signed submission creates a conversation, routed at random among eligible users", async () => {
    const raw = body();
    const r = await submit(raw, signatureHeader(secret, raw, now()));
    expect(r.status).toBe(201);
    const conv = await h.app.store.getConversation(r.json.conversationId);
    expect(conv).toMatchObject({ channelType: "form", assigneeId: "alice", customerEmail: "kim@example.com" });
    const messages = await h.app.store.listMessages(r.json.conversationId);
    expect(messages[0]?.text).toBe("Call me back\n\nphone: 555");
  });

  it("the same submissionId twice creates one conversation; the second answers 200 with the same id", async () => {
    const raw = body();
    const a = await submit(raw, signatureHeader(secret, raw, now()));
    const b = await submit(raw, signatureHeader(secret, raw, now()));
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.json.conversationId).toBe(a.json.conversationId);
    expect((await dump(h.app)).conversations).toHaveLength(1);
  });

  it(
    "refuses with 401 and stores nothing: missing, wrong, stale, " +
      "future, another channel's secret, replayed with another body",
    async () => {
      const raw = body();
      const before = await dump(h.app);
      const cases: Array<[string, string | undefined, string]> = [
        ["missing", undefined, raw],
        ["garbage", "nonsense", raw],
        ["wrong secret", signatureHeader("not-the-secret", raw, now()), raw],
        ["stale", signatureHeader(secret, raw, now() - 301), raw],
        ["future", signatureHeader(secret, raw, now() + 301), raw],
        ["other channel", signatureHeader(formSigningSecret(FORM_KEY, "other-form"), raw, now()), raw],
        ["replayed with another body", signatureHeader(secret, raw, now()), body({ message: "Send me money" })],
      ];
      for (const [name, header, sent] of cases) {
        const r = await submit(sent, header);
        expect([name, r.status, r.json.error.code]).toEqual([name, 401, "unauthenticated"]);
      }
      expect(await dump(h.app)).toEqual(before);
    },
  );

  it("accepts a timestamp just inside the 300 s tolerance", async () => {
    const raw = body();
    expect((await submit(raw, signatureHeader(secret, raw, now() - 299))).status).toBe(201);
  });

  it(
    "a signed but invalid body is a 400 naming the fields, " + "a signed non-JSON body is 400, and nothing is stored",
    async () => {
      const bad = JSON.stringify({ submissionId: "", email: "not-an-email", message: "" });
      const r = await submit(bad, signatureHeader(secret, bad, now()));
      expect(r.status).toBe(400);
      expect(r.json.error.details.map((d: { field: string }) => d.field)).toEqual(
        expect.arrayContaining(["body.submissionId", "body.email", "body.message"]),
      );
      const notJson = "{oops";
      expect((await submit(notJson, signatureHeader(secret, notJson, now()))).status).toBe(400);
      expect((await dump(h.app)).conversations).toHaveLength(0);
    },
  );

  it(
    "a signed submission to a channel that is not a form " + "is refused as no such form, and nothing is stored",
    async () => {
      await seedChannel(h.app, { channelId: "chat-x", inboxId: "inbox-1", rule: usersAndTeams(["alice"]) });
      const before = await dump(h.app);
      const raw = body();
      const r = await submit(raw, signatureHeader(formSigningSecret(FORM_KEY, "chat-x"), raw, now()), "chat-x");
      expect([r.status, r.json.error.code]).toEqual([404, "not_found"]);
      expect(await dump(h.app)).toEqual(before);
    },
  );
});

describe("form channel secrets", () => {
  it("differ per channel and per deployment key", () => {
    expect(formSigningSecret("k1", "a")).not.toBe(formSigningSecret("k1", "b"));
    expect(formSigningSecret("k1", "a")).not.toBe(formSigningSecret("k2", "a"));
  });
});
