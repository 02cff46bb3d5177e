import { randomBytes } from "node:crypto";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { beforeEach, describe, expect, it } from "vitest";
import { ingestSesEvent } from "#shared/adapters/ses/email-ingest";
import { createSesClient, SesCustomerEmailSender } from "#shared/adapters/ses/email-sender";
import { ATTACHMENT_LIMITS } from "#shared/domain/attachments";
import { conversationIdForSes } from "#shared/domain/email";
import { deliver, s3, sesEndpoint, sesStore } from "../support/email";
import { TEST_ATTACHMENTS_BUCKET, TEST_BUCKET } from "../support/global-setup";
import { profile, SequenceRandom, seedChannel, usersAndTeams } from "../support/harness";
import { apiHarness } from "../support/http";

const ALICE = { sub: "alice" };
const EVE = { sub: "eve" };

/** A multipart email with the given files, base64-encoded as mail clients send them. */
function mailWith(files: Array<{ name: string; type: string; content: Buffer }>, id = "files-1"): string {
  const parts = files.map(
    (f) =>
      `--b\r\nContent-Type: ${f.type}; name="${f.name}"\r\n` +
      `Content-Disposition: attachment; filename*=UTF-8''${encodeURIComponent(f.name)}\r\n` +
      `Content-Transfer-Encoding: base64\r\n\r\n${f.content.toString("base64").replace(/.{76}/g, "$&\r\n")}\r\n`,
  );
  return (
    "From: Kim <kim@customer.example>\r\nTo: help@shop.example\r\nSubject: Files\r\n" +
    `Message-ID: <${id}@customer.example>\r\n` +
    `MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n` +
    `--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n${parts.join("")}--b--\r\n`
  );
}

/** docs/routing.md §6.3: attachments kept, listed, downloaded by those who can read, sent with replies. */
describe("attachments", () => {
  let h: Awaited<ReturnType<typeof apiHarness>>;
  const png = randomBytes(30_000);
  const html = Buffer.from("<html><script>alert(document.cookie)</script></html>");
  const pdf = randomBytes(5_000);

  const receive = async (raw: string) => {
    const { event } = await deliver(raw);
    const [o] = await ingestSesEvent(event, {
      s3,
      email: h.app.email,
      config: { bucket: TEST_BUCKET, prefix: "inbound/" },
    });
    return (o as { conversationId: string }).conversationId;
  };
  const linkOf = async (conversationId: string, attachmentId: string, as = ALICE) =>
    h.call({
      method: "GET",
      path: `/conversations/${conversationId}/attachments/${attachmentId}`,
      headers: { accept: "application/json" },
      as,
    });

  const post = (path: string, body: unknown) => h.call({ method: "POST", path, body, as: ALICE });
  /** An upload link for a file of `size` bytes on the conversation, asked as Alice. */
  const uploadFor = (conversationId: string, filename: string, contentType: string, size: number) =>
    post(`/conversations/${conversationId}/uploads`, { filename, contentType, size });
  const putTo = (upload: { json: { url: string; headers: Record<string, string> } }, body: BodyInit) =>
    fetch(upload.json.url, { method: "PUT", headers: upload.json.headers, body });
  const replyWith = (conversationId: string, text: string, attachments: string[]) =>
    post(`/conversations/${conversationId}/messages`, { text, attachments });

  beforeEach(async () => {
    const ses = createSesClient({ region: "us-east-1", endpoint: sesEndpoint() });
    h = await apiHarness({ random: new SequenceRandom([0]), emailSender: new SesCustomerEmailSender(ses) });
    await h.app.store.putUser(profile("alice"));
    await h.app.store.putUser(profile("eve"));
    await seedChannel(h.app, {
      channelId: "help",
      type: "email",
      address: "help@shop.example",
      rule: usersAndTeams(["alice"]),
      access: { type: "restricted", userIds: ["alice"], teamIds: [] },
    });
  });

  it("an email's files are listed on its message and download byte for byte, images inline", async () => {
    const id = await receive(
      mailWith([
        { name: "screenshot.png", type: "image/png", content: png },
        { name: "Rechnung März.pdf", type: "application/pdf", content: pdf },
      ]),
    );
    const [message] = await h.app.store.listMessages(id);
    expect(message?.attachments?.map(({ id: _i, ...a }) => a)).toEqual([
      { filename: "screenshot.png", contentType: "image/png", size: png.length },
      { filename: "Rechnung März.pdf", contentType: "application/pdf", size: pdf.length },
    ]);
    // The conversation as the inbox reads it lists them too.
    const read = await h.call({ method: "GET", path: `/conversations/${id}`, as: ALICE });
    expect(read.json.messages[0].attachments).toHaveLength(2);

    const [a, b] = message!.attachments!;
    const link = await linkOf(id, a!.id);
    expect(link.status).toBe(200);
    expect(link.headers["cache-control"]).toBe("no-store");
    expect(Date.parse(link.json.expiresAt) - Date.now()).toBeLessThanOrEqual(ATTACHMENT_LIMITS.linkSeconds * 1000);
    const file = await fetch(link.json.url);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).equals(png)).toBe(true);
    expect(file.headers.get("content-type")).toBe("image/png");
    expect(file.headers.get("content-disposition")).toMatch(/^inline; filename="screenshot.png"/);

    const second = await fetch((await linkOf(id, b!.id)).json.url);
    expect(Buffer.from(await second.arrayBuffer()).equals(pdf)).toBe(true);
    expect(second.headers.get("content-disposition")).toContain("filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf");

    // Links are background reads (one per previewed picture): they do not count as inbox activity.
    await h.call({ method: "POST", path: "/me/heartbeat", as: ALICE });
    const active = (await h.app.store.getUser("alice"))!.lastInboxActivityAt;
    h.app.clock.advance(5 * 60_000);
    await linkOf(id, a!.id);
    expect((await h.app.store.getUser("alice"))!.lastInboxActivityAt).toBe(active);

    // Without Accept: application/json the route redirects to the same kind of link.
    const redirect = await h.call({
      method: "GET",
      path: `/conversations/${id}/attachments/${a!.id}`,
      headers: { Accept: "text/html,application/xhtml+xml,*/*;q=0.8" },
      as: ALICE,
    });
    expect(redirect.status).toBe(302);
    expect(Buffer.from(await (await fetch(redirect.headers.location!)).arrayBuffer()).equals(png)).toBe(true);
  });

  it("HTML is never served as HTML: a download of bytes, not a page", async () => {
    const id = await receive(mailWith([{ name: "invoice.html", type: "text/html", content: html }], "html-1"));
    const [message] = await h.app.store.listMessages(id);
    const file = await fetch((await linkOf(id, message!.attachments![0]!.id)).json.url);
    expect(file.headers.get("content-type")).toBe("application/octet-stream");
    expect(file.headers.get("content-disposition")).toMatch(/^attachment; filename="invoice.html"/);
    expect(Buffer.from(await file.arrayBuffer()).equals(html)).toBe(true);
  });

  it("only someone who can read the conversation gets a link, and only to its own files", async () => {
    const id = await receive(mailWith([{ name: "screenshot.png", type: "image/png", content: png }], "acl-1"));
    const other = await receive(mailWith([{ name: "other.png", type: "image/png", content: pdf }], "acl-2"));
    const [message] = await h.app.store.listMessages(id);
    const attachmentId = message!.attachments![0]!.id;
    expect((await linkOf(id, attachmentId, EVE)).status).toBe(403);
    expect((await h.call({ method: "GET", path: `/conversations/${id}/attachments/${attachmentId}` })).status).toBe(
      401,
    );
    // Another conversation's file, asked through a conversation the caller can read: not found.
    expect((await linkOf(other, attachmentId)).status).toBe(404);
    expect((await linkOf(id, "no-such-file")).status).toBe(404);
  });

  it("an agent attaches a file to an email reply: uploaded, listed, and in the email SES receives", async () => {
    const id = await receive(mailWith([], "reply-1"));
    const upload = await uploadFor(id, "label.pdf", "application/pdf", pdf.length);
    expect(upload.status).toBe(201);
    const put = await putTo(upload, pdf);
    expect(put.status).toBe(200);

    const before = (await sesStore()).length;
    const reply = await replyWith(id, "Your return label.", [upload.json.uploadId]);
    expect(reply.status).toBe(201);
    expect(reply.json.emailed).toBe(true);
    expect(reply.json.message.attachments).toEqual([
      { id: upload.json.uploadId, filename: "label.pdf", contentType: "application/pdf", size: pdf.length },
    ]);
    const sent = (await sesStore()).slice(before) as unknown as Array<{
      attachments?: Array<{ filename: string; contentType: string; content: string }>;
    }>;
    expect(sent).toHaveLength(1);
    const [att] = sent[0]!.attachments!;
    expect(att).toMatchObject({ filename: "label.pdf", contentType: "application/pdf" });
    expect(Buffer.from(att!.content, "base64").equals(pdf)).toBe(true);
    // The reply's file downloads like any other of the conversation.
    const file = await fetch((await linkOf(id, upload.json.uploadId)).json.url);
    expect(Buffer.from(await file.arrayBuffer()).equals(pdf)).toBe(true);
  });

  it("refusals are 400s naming the field, and nothing is sent or stored half", async () => {
    const id = await receive(mailWith([], "refuse-1"));
    const tooBig = await uploadFor(id, "huge.bin", "application/octet-stream", ATTACHMENT_LIMITS.replyMaxBytes + 1);
    expect(tooBig.status).toBe(400);
    expect(tooBig.json.error.details[0].field).toBe("body.size");
    const badType = await uploadFor(id, "a", "nope", 1);
    expect(badType.json.error.details[0].field).toBe("body.contentType");

    // Two uploads that fit one by one but not together.
    const six = randomBytes(6 * 1024 * 1024);
    const ids: string[] = [];
    for (const name of ["a.bin", "b.bin"]) {
      const u = await uploadFor(id, name, "application/octet-stream", six.length);
      await putTo(u, six);
      ids.push(u.json.uploadId);
    }
    const before = (await sesStore()).length;
    const over = await replyWith(id, "Both", ids);
    expect(over.status).toBe(400);
    expect(over.json.error.details[0].field).toBe("body.attachments");
    const unknown = await replyWith(id, "x", ["never-uploaded"]);
    expect(unknown.json.error.details[0].field).toBe("body.attachments.0");
    expect((await sesStore()).length).toBe(before);
    expect((await h.app.store.listMessages(id)).map((m) => m.author.kind)).toEqual(["customer"]);
    // The refused uploads were not taken into the conversation's files.
    expect((await linkOf(id, ids[0]!)).status).toBe(404);

    await seedChannel(h.app, { channelId: "chat", type: "chat", rule: usersAndTeams(["alice"]) });
    const chat = await h.call({
      method: "POST",
      path: "/chat/chat/conversations",
      body: { text: "hi" },
      headers: { origin: "https://shop.example" },
      as: null,
    });
    const onChat = await uploadFor(chat.json.conversation.id, "a.png", "image/png", 10);
    expect(onChat.status).toBe(400);
  });

  it("mail flagged as carrying a virus is dropped whole: no conversation and no file stored", async () => {
    const { event, sesMessageId } = await deliver(
      mailWith([{ name: "invoice.pdf", type: "application/pdf", content: pdf }], "virus-1"),
      { virus: "FAIL" },
    );
    const [outcome] = await ingestSesEvent(event, {
      s3,
      email: h.app.email,
      config: { bucket: TEST_BUCKET, prefix: "inbound/" },
    });
    expect(outcome).toMatchObject({ type: "dropped" });
    const id = conversationIdForSes(sesMessageId);
    expect(await h.app.store.getConversation(id)).toBeNull();
    const stored = await s3.send(new ListObjectsV2Command({ Bucket: TEST_ATTACHMENTS_BUCKET, Prefix: `files/${id}/` }));
    expect(stored.KeyCount ?? 0).toBe(0);
  });

  it("an upload link takes exactly the declared size, and a used upload cannot be sent twice", async () => {
    const id = await receive(mailWith([], "exact-1"));
    const u = await uploadFor(id, "note.txt", "text/plain", 10);
    // Content-Length is signed, so S3 refuses a body of another size (the emulator checks no signature).
    const signed = new URL(u.json.url).searchParams.get("X-Amz-SignedHeaders")!.split(";");
    expect(signed).toEqual(expect.arrayContaining(["content-length", "content-type", "x-amz-meta-filename"]));
    expect((await putTo(u, "0123456789")).status).toBe(200);

    // Two replies naming the same upload at once: each is sent or refused, never a 500.
    const replies = await Promise.all(["first", "second"].map((text) => replyWith(id, text, [u.json.uploadId])));
    expect(replies.map((r) => r.status).sort()).toContain(201);
    for (const r of replies) expect([201, 400]).toContain(r.status);
    // Once a reply is stored its upload is gone: naming it again is a 400 at its index.
    const again = await replyWith(id, "third", [u.json.uploadId, u.json.uploadId, "never-uploaded"]);
    expect(again.status).toBe(400);
    expect(again.json.error.details[0].field).toBe("body.attachments.0");
    const missing = await replyWith(id, "x", ["a", "a", "never"]);
    expect(missing.json.error.details[0].field).toBe("body.attachments.0");
  });

  it("names no client can break: lone surrogates, long names in any script, odd types from mail", async () => {
    const id = await receive(
      mailWith([{ name: "scan.bin", type: "image/\u4e2d", content: Buffer.from("bytes") }], "odd-1"),
    );
    const [message] = await h.app.store.listMessages(id);
    expect(message?.attachments?.[0]?.contentType).toBe("application/octet-stream");
    // A lone surrogate is no text at all: refused at the edge, like any invalid field.
    const lone = await uploadFor(id, "bad\ud800name.pdf", "application/pdf", 4);
    expect([lone.status, lone.json.error.details[0].field]).toEqual([400, "body.filename"]);
    // Long names in scripts that take 9 bytes a character once encoded still fit an S3 key.
    for (const filename of [`${"\u6f22".repeat(250)}.pdf`, `${"\u{1F600}".repeat(120)}.pdf`]) {
      const u = await uploadFor(id, filename, "application/pdf", 4);
      expect([u.status, u.json.error]).toEqual([201, undefined]);
      expect((await putTo(u, "%PDF")).status).toBe(200);
      const r = await replyWith(id, "file", [u.json.uploadId]);
      expect(r.status).toBe(201);
      const kept = r.json.message.attachments[0].filename as string;
      expect(kept.endsWith(".pdf")).toBe(true);
      expect(encodeURIComponent(kept).length).toBeLessThanOrEqual(ATTACHMENT_LIMITS.filenameBytes);
    }
  });
});
