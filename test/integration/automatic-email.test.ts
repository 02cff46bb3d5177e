import type { SESEvent } from "aws-lambda";
import { beforeEach, describe, expect, it } from "vitest";
import { ingestSesEvent } from "#shared/adapters/ses/email-ingest";
import { createSesClient, SesCustomerEmailSender, SesOwnerNotifier } from "#shared/adapters/ses/email-sender";
import { MAIL_FLOOD } from "#shared/domain/email";
import { ConflictError } from "#shared/domain/errors";
import { deliver, fixture, recordSesHeaders, s3, sesEndpoint } from "../support/email";
import { TEST_BUCKET } from "../support/global-setup";
import {
  dump,
  invariantViolations,
  lineViolations,
  profile,
  SequenceRandom,
  seedChannel,
  type TestApp,
  testApp,
  usersAndTeams,
} from "../support/harness";

/** docs/routing.md §6.2: mail sent by machines is kept and marked, never routed, reopened or counted. */
describe("team email sent by machines", () => {
  let app: TestApp;
  let sesHeaders: ReturnType<typeof recordSesHeaders>;
  const ingest = async (raw: Buffer | string) =>
    (
      await ingestSesEvent((await deliver(raw)).event as SESEvent, {
        s3,
        email: app.email,
        config: { bucket: TEST_BUCKET, prefix: "inbound/" },
      })
    )[0]!;
  const idOf = (o: unknown) => (o as { conversationId: string }).conversationId;
  const view = (v: "unassigned" | "mine" | "all", userId = "alice") =>
    app.store.listConversations({ inboxId: "inbox-1", view: v, status: "open", userId, limit: 100 });
  const loads = async () =>
    Promise.all(["alice", "bob"].map(async (id) => (await app.store.getUser(id))?.openCount ?? 0));

  beforeEach(async () => {
    const ses = createSesClient({ region: "us-east-1", endpoint: sesEndpoint() });
    sesHeaders = recordSesHeaders(ses);
    app = await testApp({ random: new SequenceRandom([0]), emailSender: new SesCustomerEmailSender(ses) });
    await app.store.putUser(profile("alice"));
    await app.store.putUser(profile("bob"));
    await seedChannel(app, {
      channelId: "help",
      type: "email",
      address: "help@shop.example",
      rule: usersAndTeams(["alice", "bob"]),
    });
  });

  it.each([
    ["auto-reply.eml", "auto_reply"],
    ["x-autoreply.eml", "auto_reply"],
    ["precedence-bulk.eml", "bulk"],
    ["list-id.eml", "bulk"],
    ["mailer-daemon.eml", "report"],
    ["read-receipt.eml", "report"],
    ["bounce.eml", "report"],
  ])("%s is kept as %s: unassigned, in All only, in nobody's load", async (file, kind) => {
    const outcome = await ingest(fixture(file));
    expect(outcome).toMatchObject({ type: "created", automatic: kind });
    const conv = await app.store.getConversation(idOf(outcome));
    expect(conv).toMatchObject({ automatic: kind, status: "open", assigneeId: null });
    expect(conv?.waitingSince).toBeUndefined();
    expect((await app.store.listMessages(conv!.id))[0]).toMatchObject({ automatic: kind });
    expect((await view("all")).items.map((c) => c.id)).toEqual([conv!.id]);
    expect((await view("unassigned")).items).toEqual([]);
    expect(await loads()).toEqual([0, 0]);
    expect(await lineViolations(app)).toEqual([]);
  });

  it("an out-of-office answer to a closed conversation joins its thread, marked, and leaves it closed", async () => {
    const id = idOf(await ingest(fixture("plain.eml")));
    const alice = (await app.store.getUser("alice"))!;
    await app.conversations.reply(alice, id, "It ships tomorrow.");
    await app.conversations.close(alice, id);
    const outcome = await ingest(fixture("auto-reply.eml"));
    expect(outcome).toEqual({ type: "threaded", conversationId: id, automatic: "auto_reply" });
    expect(await app.store.getConversation(id)).toMatchObject({ status: "closed", assigneeId: "alice" });
    const last = (await app.store.listMessages(id)).at(-1);
    expect(last).toMatchObject({ text: "I am out of the office until Monday.", automatic: "auto_reply" });
    expect(await loads()).toEqual([0, 0]);
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("a bounce of our reply is a note on its conversation, once, and not a conversation", async () => {
    const id = idOf(await ingest(fixture("plain.eml")));
    const r = await app.conversations.reply((await app.store.getUser("alice"))!, id, "It ships tomorrow.");
    expect(r.emailed).toBe(true);
    const bounce = fixture("bounce.eml");
    expect(await ingest(bounce)).toEqual({ type: "bounced", conversationId: id });
    // SES delivering the same report again (or another copy of it) adds nothing.
    expect(await ingest(bounce)).toEqual({ type: "duplicate", conversationId: id });
    const notes = (await app.store.listMessages(id)).filter((m) => m.author.kind === "system");
    expect(notes.map((m) => m.text)).toEqual(["Your reply to kim@customer.example bounced: 550 5.1.1 user unknown"]);
    expect((await dump(app)).conversations).toHaveLength(1);
    expect(await app.store.getConversation(id)).toMatchObject({ status: "open", assigneeId: "alice" });
    expect(await loads()).toEqual([1, 0]);
  });

  it("a report naming someone else than the conversation's customer writes nothing into it", async () => {
    const id = idOf(await ingest(fixture("plain.eml")));
    const forged = fixture("bounce.eml")
      .toString()
      .replace("Final-Recipient: rfc822; kim@customer.example", "Final-Recipient: rfc822; mallory@evil.example")
      .replace("<bounce-1@amazonses.com>", "<bounce-2@amazonses.com>");
    const outcome = await ingest(forged);
    expect(outcome).toMatchObject({ type: "created", automatic: "report" });
    expect(idOf(outcome)).not.toBe(id);
    expect((await app.store.listMessages(id)).map((m) => m.author.kind)).toEqual(["customer"]);
  });

  it(`over ${MAIL_FLOOD.max} mails from one sender in 10 minutes: the rest are kept unrouted, as a loop`, async () => {
    const mail = (n: number) =>
      `From: bot@loop.example\r\nTo: help@shop.example\r\nSubject: Ticket ${n}\r\n` +
      `Message-ID: <loop-${n}@loop.example>\r\nContent-Type: text/plain\r\n\r\nmessage ${n}\r\n`;
    const outcomes = [];
    for (let n = 1; n <= MAIL_FLOOD.max + 5; n++) {
      app.clock.advance(1000);
      outcomes.push(await ingest(mail(n)));
    }
    const routed = outcomes.filter((o) => !("automatic" in o));
    expect(routed).toHaveLength(MAIL_FLOOD.max);
    expect(outcomes.slice(MAIL_FLOOD.max).every((o) => o.type === "created" && o.automatic === "loop")).toBe(true);
    const [a, b] = await loads();
    expect(a! + b!).toBe(MAIL_FLOOD.max);
    // Another sender is not held back; and the looping one is routed again once the window has passed.
    expect(await ingest(fixture("plain.eml"))).not.toHaveProperty("automatic");
    app.clock.advance(2 * MAIL_FLOOD.windowSeconds * 1000);
    expect(await ingest(mail(100))).not.toHaveProperty("automatic");
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("an automatic conversation cannot be assigned; a reply to it leaves it unassigned", async () => {
    const id = idOf(await ingest(fixture("x-autoreply.eml")));
    const alice = (await app.store.getUser("alice"))!;
    await expect(app.conversations.assign(alice, id, { userId: "alice" })).rejects.toBeInstanceOf(ConflictError);
    const r = await app.conversations.reply(alice, id, "Noted, thanks.");
    expect(r.conversation.assigneeId).toBeNull();
    expect(await loads()).toEqual([0, 0]);
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("owner notifications say Auto-Submitted: auto-generated; agents' replies do not", async () => {
    const ses = createSesClient({ region: "us-east-1", endpoint: sesEndpoint() });
    const notified = recordSesHeaders(ses);
    const owned = await testApp({
      random: new SequenceRandom([0]),
      notifier: new SesOwnerNotifier(ses, { from: "routing@shop.example", appUrl: "https://inbox.shop.example" }),
    });
    await seedChannel(owned, {
      channelId: "owned",
      type: "email",
      address: "help@shop.example",
      rule: { autoAssign: true, target: { type: "contact_owner" } },
    });
    await owned.store.putUser(profile("owner", {}));
    await owned.store.putContact({ id: "kim", email: "kim@customer.example", ownerId: "owner", visitorTokens: [] });
    const o = await ingestSesEvent((await deliver(fixture("plain.eml"))).event, {
      s3,
      email: owned.email,
      config: { bucket: TEST_BUCKET, prefix: "inbound/" },
    });
    expect((await owned.store.getConversation(idOf(o[0])))?.assigneeId).toBe("owner");
    expect(notified).toEqual([[{ Name: "Auto-Submitted", Value: "auto-generated" }]]);

    const id = idOf(await ingest(fixture("plain.eml")));
    await app.conversations.reply((await app.store.getUser("alice"))!, id, "It ships tomorrow.");
    expect(sesHeaders.at(-1)?.some((h) => h.Name === "Auto-Submitted")).toBe(false);
  });
});
