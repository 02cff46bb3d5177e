import type { SESEvent } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { ingestSesEvent } from "#shared/adapters/ses/email-ingest";
import { createSesClient, SesOwnerNotifier } from "#shared/adapters/ses/email-sender";
import { parseRoute } from "../../web/src/inbox/route";
import { deliver, fixture, recordSesHeaders, s3, sesEndpoint, sesStore } from "../support/email";
import { TEST_BUCKET } from "../support/global-setup";
import {
  dump,
  invariantViolations,
  profile,
  SequenceRandom,
  seedChannel,
  type TestApp,
  testApp,
  usersAndTeams,
} from "../support/harness";

describe("team email: the SES receipt event through the email function", () => {
  let app: TestApp;
  const ingest = (event: SESEvent) =>
    ingestSesEvent(event, { s3, email: app.email, config: { bucket: TEST_BUCKET, prefix: "inbound/" } });

  beforeEach(async () => {
    app = await testApp({
      random: new SequenceRandom([0]),
      notifier: new SesOwnerNotifier(createSesClient({ region: "us-east-1", endpoint: sesEndpoint() }), {
        from: "routing@shop.example",
        appUrl: "https://inbox.shop.example",
      }),
    });
    await app.store.putUser(profile("alice"));
    await app.store.putUser(profile("bob"));
    await seedChannel(app, {
      channelId: "help",
      type: "email",
      address: "help@shop.example",
      rule: usersAndTeams(["alice", "bob"]),
    });
  });

  it(
    "a plain email to the channel's address creates a conversation, " + "routed at random, with sender and subject",
    async () => {
      const { event } = await deliver(fixture("plain.eml"));
      const [outcome] = await ingest(event);
      expect(outcome).toMatchObject({ type: "created", spam: false });
      const conv = await app.store.getConversation((outcome as { conversationId: string }).conversationId);
      expect(conv).toMatchObject({
        channelType: "email",
        subject: "Where is my order?",
        assigneeId: "alice",
        customerEmail: "kim@customer.example",
      });
      const [message] = await app.store.listMessages(conv!.id);
      expect(message).toMatchObject({
        text: "Hello, my order #123 has not arrived.",
        emailMessageId: "<order-1@customer.example>",
        author: { kind: "customer", name: "Kim" },
      });
    },
  );

  it(
    "a reply naming an earlier message threads into its conversation, " + "keeps the assignee and is not routed again",
    async () => {
      const first = await ingest((await deliver(fixture("plain.eml"))).event);
      const id = (first[0] as { conversationId: string }).conversationId;
      const before = await app.store.getUser("alice");
      const [outcome] = await ingest((await deliver(fixture("reply.eml"))).event);
      expect(outcome).toEqual({ type: "threaded", conversationId: id });
      expect((await app.store.listMessages(id)).map((m) => m.text)).toEqual([
        "Hello, my order #123 has not arrived.",
        "Any news?",
      ]);
      expect((await app.store.getConversation(id))?.assigneeId).toBe("alice");
      expect((await app.store.getUser("alice"))?.openCount).toBe(before?.openCount);
      expect((await dump(app)).conversations).toHaveLength(1);
    },
  );

  it("a reply to a closed conversation reopens it with its assignee", async () => {
    const id = ((await ingest((await deliver(fixture("plain.eml"))).event))[0] as { conversationId: string })
      .conversationId;
    await app.conversations.close((await app.store.getUser("alice"))!, id);
    await ingest((await deliver(fixture("reply.eml"))).event);
    expect(await app.store.getConversation(id)).toMatchObject({ status: "open", assigneeId: "alice" });
    expect(await invariantViolations(app)).toEqual([]);
  });

  it(
    "HTML-only mail becomes text (scripts dropped); " + "multipart takes the text part and ignores attachments",
    async () => {
      const [html] = await ingest((await deliver(fixture("html.eml"))).event);
      const [multi] = await ingest((await deliver(fixture("multipart.eml"))).event);
      const text = async (o: unknown) =>
        (await app.store.listMessages((o as { conversationId: string }).conversationId))[0]?.text;
      expect(await text(html)).toBe("Hello team\nThanks & bye");
      expect(await text(multi)).toBe("Please see the invoice.");
    },
  );

  it("the same SES delivery twice, and the same Message-ID through another SES id, make one conversation", async () => {
    const { event } = await deliver(fixture("plain.eml"), { sesMessageId: "ses-dup-1" });
    const [a] = await ingest(event);
    const [b] = await ingest(event);
    const [c] = await ingest((await deliver(fixture("plain.eml"))).event);
    expect(a?.type).toBe("created");
    expect(b).toEqual({ type: "duplicate", conversationId: (a as { conversationId: string }).conversationId });
    expect(c).toEqual({ type: "duplicate", conversationId: (a as { conversationId: string }).conversationId });
    expect((await dump(app)).conversations).toHaveLength(1);
  });

  it("a message with no Message-ID is deduplicated by its SES message id", async () => {
    const { event } = await deliver(fixture("no-message-id.eml"));
    expect((await ingest(event))[0]?.type).toBe("created");
    expect((await ingest(event))[0]?.type).toBe("duplicate");
    expect((await dump(app)).conversations).toHaveLength(1);
  });

  it(
    "spam verdict FAIL: kept and marked as spam, never assigned, " + "not in the Unassigned view; virus FAIL: dropped",
    async () => {
      const [spam] = await ingest((await deliver(fixture("plain.eml"), { spam: "FAIL" })).event);
      expect(spam).toMatchObject({ type: "created", spam: true });
      const conv = await app.store.getConversation((spam as { conversationId: string }).conversationId);
      expect(conv).toMatchObject({ spam: true, assigneeId: null });
      const view = await app.store.listConversations({
        inboxId: "inbox-1",
        view: "unassigned",
        status: "open",
        userId: "x",
        limit: 10,
      });
      expect(view.items).toEqual([]);
      const [virus] = await ingest((await deliver(fixture("html.eml"), { virus: "FAIL" })).event);
      expect(virus).toEqual({ type: "dropped", reason: "virus verdict FAIL" });
      expect((await dump(app)).conversations).toHaveLength(1);
    },
  );

  it("mail to an address no channel owns is dropped", async () => {
    const [o] = await ingest((await deliver(fixture("plain.eml"), { recipients: ["nobody@shop.example"] })).event);
    expect(o?.type).toBe("dropped");
    expect((await dump(app)).conversations).toHaveLength(0);
  });

  it("hostile mail is refused, nothing stored: deep nesting, thousands of parts, over-size", async () => {
    let nested = "Content-Type: text/plain\r\n\r\ndeep\r\n";
    for (let i = 0; i < 40; i++)
      nested = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${nested}--b${i}--\r\n`;
    const deep = `From: x@customer.example\r\nTo: help@shop.example\r\nSubject: deep\r\nMIME-Version: 1.0\r\n${nested}`;
    const parts = Array.from(
      { length: 2000 },
      (_, i) =>
        "--P\r\nContent-Type: application/octet-stream\r\n" +
        `Content-Disposition: attachment; filename="f${i}.bin"\r\n\r\nx\r\n`,
    ).join("");
    const many =
      "From: x@customer.example\r\nTo: help@shop.example\r\nSubject: many\r\nMIME-Version: 1.0\r\n" +
      `Content-Type: multipart/mixed; boundary="P"\r\n\r\n--P\r\n` +
      `Content-Type: text/plain\r\n\r\nhi\r\n${parts}--P--\r\n`;
    const huge = Buffer.alloc(11 * 1024 * 1024, "a");
    for (const raw of [deep, many, huge]) {
      const [o] = await ingest((await deliver(raw)).event);
      expect(o?.type).toBe("dropped");
    }
    expect((await dump(app)).conversations).toHaveLength(0);
  });

  it(
    "an offline owner is emailed once, " + "with the customer's message and a link; CR/LF never reach a header",
    async () => {
      await app.store.putChannel({
        id: "help",
        inboxId: "inbox-1",
        type: "email",
        name: "Help",
        address: "help@shop.example",
        routing: { autoAssign: true, target: { type: "contact_owner" } },
      });
      await app.store.putUser(profile("owner", {}));
      await app.store.putContact({ id: "eve", email: "eve@customer.example", ownerId: "owner", visitorTokens: [] });
      const before = (await sesStore()).length;
      const [o] = await ingest((await deliver(fixture("header-injection.eml"))).event);
      const conv = await app.store.getConversation((o as { conversationId: string }).conversationId);
      expect(conv?.assigneeId).toBe("owner");
      const sent = (await sesStore()).slice(before);
      expect(sent).toHaveLength(1);
      expect(sent[0]!.destination.to).toEqual(["owner@example.com"]);
      expect(sent[0]!.subject).not.toMatch(/[\r\n]/);
      expect(sent[0]!.body.text).toContain("Header injection attempt.");
      // The link opens the inbox on that conversation: the page's own router reads it.
      const link = /Open the conversation: (\S+)/.exec(sent[0]!.body.text ?? "")![1]!;
      const url = new URL(link);
      expect(url.origin + url.pathname).toBe("https://inbox.shop.example/");
      expect(parseRoute(url.hash)).toEqual({
        kind: "inbox",
        inboxId: "inbox-1",
        view: "mine",
        status: "open",
        conversationId: conv!.id,
      });
    },
  );
});

describe("outbound email: an agent's reply on an email conversation", () => {
  it(
    "is sent from the channel's address with Re: subject, " +
      "In-Reply-To and References, and the customer's answer threads back",
    async () => {
      const { SesCustomerEmailSender } = await import("#shared/adapters/ses/email-sender");
      const ses = createSesClient({ region: "us-east-1", endpoint: sesEndpoint() });
      const headersSent = recordSesHeaders(ses);
      const app = await testApp({
        random: new SequenceRandom([0]),
        emailSender: new SesCustomerEmailSender(ses),
        replyFrom: "support@shop.example",
      });
      await app.store.putUser(profile("alice"));
      await app.store.putInbox({ id: "inbox-1", name: "Main", access: { type: "everyone" } });
      await app.store.putChannel({
        id: "help",
        inboxId: "inbox-1",
        type: "email",
        name: "Help",
        address: "help@shop.example",
        routing: { autoAssign: true, target: { type: "users_and_teams", userIds: ["alice"], teamIds: [] } },
      });
      const ingest = (event: SESEvent) =>
        ingestSesEvent(event, { s3, email: app.email, config: { bucket: TEST_BUCKET, prefix: "inbound/" } });
      const id = ((await ingest((await deliver(fixture("plain.eml"))).event))[0] as { conversationId: string })
        .conversationId;

      const before = (await sesStore()).length;
      app.clock.advance(1000);
      const r = await app.conversations.reply((await app.store.getUser("alice"))!, id, "It ships tomorrow.");
      expect(r.emailed).toBe(true);
      const sent = (await sesStore()).slice(before) as unknown as Array<{
        from: string;
        subject: string;
        destination: { to: string[] };
      }>;
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        from: "help@shop.example",
        subject: "Re: Where is my order?",
        destination: { to: ["kim@customer.example"] },
      });
      expect(headersSent).toEqual([
        [
          { Name: "In-Reply-To", Value: "<order-1@customer.example>" },
          { Name: "References", Value: "<order-1@customer.example>" },
        ],
      ]);

      // The customer's client answers our reply (whose Message-ID SES chose) carrying the chain in References.
      const sesId = "<0100018c-reply@email.amazonses.com>";
      const answer =
        "From: Kim <kim@customer.example>\r\nTo: help@shop.example\r\nSubject: Re: Re: Where is my order?\r\n" +
        `Message-ID: <order-3@customer.example>\r\nIn-Reply-To: ${sesId}\r\n` +
        `References: <order-1@customer.example> ${sesId}\r\nContent-Type: text/plain\r\n\r\nGreat, thanks!\r\n`;
      app.clock.advance(1000);
      const [o] = await ingest((await deliver(answer)).event);
      expect(o).toEqual({ type: "threaded", conversationId: id });
      expect((await app.store.listMessages(id)).map((m) => m.text)).toEqual([
        "Hello, my order #123 has not arrived.",
        "It ships tomorrow.",
        "Great, thanks!",
      ]);
    },
  );
});
