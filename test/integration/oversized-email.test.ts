import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { SESEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { MIME_LIMITS } from "#shared/adapters/mime/parse";
import { createS3Client, OVERSIZED_HEAD_BYTES, readRawEmail } from "#shared/adapters/s3/raw-email";
import { ingestSesEvent } from "#shared/adapters/ses/email-ingest";
import type { Metrics } from "#shared/domain/ports/metrics";
import { TEST_BUCKET } from "../support/global-setup";
import { profile, SequenceRandom, seedChannel, testApp, usersAndTeams } from "../support/harness";

const eventTemplate = JSON.parse(
  readFileSync(new URL("../fixtures/ses-receipt-event.json", import.meta.url), "utf8"),
) as SESEvent;
const s3 = createS3Client({ region: "us-east-1", endpoint: process.env.S3_ENDPOINT });

const base64Lines = (bytes: number) => randomBytes(bytes).toString("base64").replace(/.{76}/g, "$&\r\n");

/** A customer's email with a big attachment: text first, as mail clients write it, then the files. */
function bigMessage(attachmentBytes: number): Buffer {
  return Buffer.from(
    [
      "From: Lee <lee@customer.test>",
      "To: help@shop.test",
      "Subject: Scans of the damaged parcel",
      "Message-ID: <big-1@customer.test>",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="outer"',
      "",
      "--outer",
      'Content-Type: multipart/alternative; boundary="alt"',
      "",
      "--alt",
      "Content-Type: text/plain; charset=utf-8",
      "",
      "The parcel arrived crushed, photos attached.",
      "--alt",
      "Content-Type: text/html; charset=utf-8",
      "",
      "<p>The parcel arrived crushed, photos attached.</p>",
      "--alt--",
      "--outer",
      'Content-Type: application/pdf; name="scan.pdf"',
      "Content-Disposition: attachment;",
      ' filename="scan.pdf"',
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(attachmentBytes),
      "--outer",
      "Content-Type: image/png",
      'Content-Disposition: attachment; filename="photo.png"',
      "Content-Transfer-Encoding: base64",
      "",
      base64Lines(300 * 1024),
      "--outer--",
      "",
    ].join("\r\n"),
  );
}

describe("email over the 10 MB cap (SES accepts up to 40 MB)", () => {
  it("becomes a conversation with its text, its omitted parts listed, and the raw message kept in S3", async () => {
    const counted: string[] = [];
    const metrics: Metrics = { count: (name) => void counted.push(name), milliseconds: () => {} };
    const app = await testApp({ random: new SequenceRandom([0]) });
    await app.store.putUser(profile("alice"));
    await seedChannel(app, {
      channelId: "help",
      type: "email",
      address: "help@shop.test",
      rule: usersAndTeams(["alice"]),
    });

    const raw = bigMessage(11 * 1024 * 1024);
    expect(raw.length).toBeGreaterThan(MIME_LIMITS.maxBytes);
    const sesMessageId = randomUUID().replace(/-/g, "");
    await s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: `inbound/${sesMessageId}`, Body: raw }));
    const event = structuredClone(eventTemplate);
    event.Records[0]!.ses.mail.messageId = sesMessageId;
    event.Records[0]!.ses.receipt.recipients = ["help@shop.test"];

    const [outcome] = await ingestSesEvent(event, {
      s3,
      email: app.email,
      metrics,
      config: { bucket: TEST_BUCKET, prefix: "inbound/" },
    });
    expect(outcome).toMatchObject({ type: "created" });
    const id = (outcome as { conversationId: string }).conversationId;
    const conv = await app.store.getConversation(id);
    expect(conv).toMatchObject({
      subject: "Scans of the damaged parcel",
      customerEmail: "lee@customer.test",
      assigneeId: "alice",
    });
    const [message] = await app.store.listMessages(id);
    expect(message!.emailMessageId).toBe("<big-1@customer.test>");
    const lines = message!.text.split("\n");
    expect(lines[0]).toBe("The parcel arrived crushed, photos attached.");
    expect(message!.text).toMatch(/\[This email is 15\.\d MB, over the 10\.0 MB the inbox reads\./);
    expect(lines.filter((l) => l.startsWith("- "))).toEqual([
      expect.stringMatching(/^- scan\.pdf \(application\/pdf, about 15\.\d MB\)$/),
      expect.stringMatching(/^- photo\.png \(image\/png, about 0\.4 MB\)$/),
    ]);
    expect(message!.text).toContain(
      `The complete message is kept as s3://${TEST_BUCKET}/inbound/${sesMessageId} for 30 days.]`,
    );
    // The raw message is still where the receipt rule put it.
    const head = await s3.send(new HeadObjectCommand({ Bucket: TEST_BUCKET, Key: `inbound/${sesMessageId}` }));
    expect(head.ContentLength).toBe(raw.length);
    expect(counted).toEqual(["OversizedEmail"]);
  }, 60_000);

  it("a message under the cap is read whole; over it, only the head is kept and every leaf part is found", async () => {
    const small = bigMessage(1024);
    await s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: "inbound/small-1", Body: small }));
    const whole = await readRawEmail(s3, TEST_BUCKET, "inbound/small-1", MIME_LIMITS.maxBytes);
    expect(whole.kind === "whole" && whole.raw.equals(small)).toBe(true);

    const big = bigMessage(2 * 1024 * 1024);
    await s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: "inbound/big-2", Body: big }));
    const r = await readRawEmail(s3, TEST_BUCKET, "inbound/big-2", 1024 * 1024);
    if (r.kind !== "oversized") throw new Error("expected oversized");
    expect(r.size).toBe(big.length);
    expect(r.head.equals(big.subarray(0, OVERSIZED_HEAD_BYTES))).toBe(true);
    expect(r.parts.map((p) => [p.mimeType, p.filename])).toEqual([
      ["text/plain", null],
      ["text/html", null],
      ["application/pdf", "scan.pdf"],
      ["image/png", "photo.png"],
    ]);
    // Sizes add up to the encoded bodies: the PDF's base64 is 4/3 of its bytes plus line breaks.
    expect(r.parts[2]!.bytes).toBeGreaterThan((2 * 1024 * 1024 * 4) / 3);
    expect(r.parts[2]!.bytes).toBeLessThan(((2 * 1024 * 1024 * 4) / 3) * 1.03 + 100);
  }, 60_000);
});
