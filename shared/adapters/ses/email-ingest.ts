import type { S3Client } from "@aws-sdk/client-s3";
import type { SESEvent } from "aws-lambda";
import type { EmailOutcome, EmailService } from "../../domain/email";
import { DomainError } from "../../domain/errors";
import { type Metrics, noMetrics } from "../../domain/ports/metrics";
import { METRIC } from "../metrics/names";
import { MIME_LIMITS, type ParsedEmail, parseEmail } from "../mime/parse";
import { type PartSummary, readRawEmail } from "../s3/raw-email";

export interface EmailIngestConfig {
  bucket: string;
  /** The receipt rule's S3 object key prefix; the object key is prefix + SES message id. */
  prefix: string;
}

/**
 * The SES receipt event (S3 action first, then this Lambda action), the inbound side of SES next to the
 * sending side (email-sender.ts); the email service it feeds is shared/domain/email.ts. Here: for each
 * record, read the raw message SES stored, parse it under caps, and hand it to the email service. A message
 * over the size cap (SES accepts up to 40 MB) still becomes a conversation: its head is parsed, its parts
 * are listed as omitted, and the raw message stays in the bucket for whoever needs it.
 * A message that cannot be accepted (hostile, unreadable) is dropped with a reason, not retried
 * forever; infrastructure errors propagate so Lambda retries and then the DLQ keeps the event.
 */
export async function ingestSesEvent(
  event: SESEvent,
  deps: { s3: S3Client; email: EmailService; config: EmailIngestConfig; metrics?: Metrics },
): Promise<EmailOutcome[]> {
  const outcomes: EmailOutcome[] = [];
  for (const record of event.Records) {
    const { mail, receipt } = record.ses;
    try {
      const key = `${deps.config.prefix}${mail.messageId}`;
      const raw = await readRawEmail(deps.s3, deps.config.bucket, key, MIME_LIMITS.maxBytes);
      let parsed: ParsedEmail;
      if (raw.kind === "whole") {
        parsed = await parseEmail(raw.raw);
      } else {
        (deps.metrics ?? noMetrics).count(METRIC.oversizedEmail);
        const head = await parseHead(raw.head);
        const note = omittedNote(raw.size, raw.parts, raw.head.length, `s3://${deps.config.bucket}/${key}`);
        // The head may end inside a part: its files are listed as omitted, none is kept half.
        parsed = { ...head, attachments: [], text: `${head.text}\n\n${note}`.trim() };
      }
      outcomes.push(
        await deps.email.receive({
          sesMessageId: mail.messageId,
          recipients: receipt.recipients.map((r) => r.toLowerCase()),
          verdicts: { spam: receipt.spamVerdict?.status === "FAIL", virus: receipt.virusVerdict?.status === "FAIL" },
          messageId: parsed.messageId,
          inReplyTo: parsed.inReplyTo,
          references: parsed.references,
          from: parsed.from,
          subject: parsed.subject,
          text: parsed.text,
          automatic: parsed.automatic,
          report: parsed.report,
          attachments: parsed.attachments.map((a) => ({
            filename: a.filename,
            contentType: a.mimeType,
            content: a.content,
          })),
        }),
      );
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      outcomes.push({ type: "dropped", reason: `${err.message}: ${err.details.map((d) => d.reason).join("; ")}` });
    }
  }
  return outcomes;
}

/**
 * The first bytes of an oversized message, cut mid-part: parsed as a message they give the headers
 * and, in the usual layout (text first, attachments after), the text. If the cut confuses the parser,
 * the header block alone still gives sender, subject and threading.
 */
async function parseHead(head: Buffer): Promise<ParsedEmail> {
  try {
    return await parseEmail(head);
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    const end = head.indexOf("\r\n\r\n") !== -1 ? head.indexOf("\r\n\r\n") : head.indexOf("\n\n");
    const headers = end === -1 ? head : head.subarray(0, end);
    return { ...(await parseEmail(Buffer.concat([headers, Buffer.from("\r\n\r\n")]))), text: "" };
  }
}

const megabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

/** What the agent reads under the text: the message was too big, which parts are missing, where it is. */
export function omittedNote(size: number, parts: PartSummary[], headBytes: number, location: string): string {
  // Parts read in full with the head are the text the agent sees; every other part is omitted.
  const omitted = parts.filter(
    (p) => p.filename !== null || !p.mimeType.startsWith("text/") || p.offset + p.bytes > headBytes,
  );
  const list = omitted.map((p) => `- ${p.filename ?? "(unnamed part)"} (${p.mimeType}, about ${megabytes(p.bytes)})`);
  return [
    `[This email is ${megabytes(size)}, over the ${megabytes(MIME_LIMITS.maxBytes)} the inbox reads.`,
    ...(list.length > 0 ? ["Omitted parts:", ...list] : []),
    `The complete message is kept as ${location} for 30 days.]`,
  ].join("\n");
}
