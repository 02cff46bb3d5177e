import type { SESEvent } from "aws-lambda";
import type { S3Client } from "@aws-sdk/client-s3";
import { parseMail, MIME_LIMITS } from "./adapters/mime/parse";
import { readRawMail } from "./adapters/s3/raw-mail";
import type { EmailOutcome, EmailService } from "./domain/email";
import { DomainError } from "./domain/errors";

export interface MailIngestConfig {
  bucket: string;
  /** The receipt rule's S3 object key prefix; the object key is prefix + SES message id. */
  prefix: string;
}

/**
 * The SES receipt event (S3 action first, then this Lambda action): for each record, read the raw
 * message SES stored, parse it under caps, and hand it to the email service.
 * A message that cannot be accepted (too large, hostile, unreadable) is dropped with a reason, not
 * retried forever; infrastructure errors propagate so Lambda retries and then the DLQ keeps the event.
 */
export async function ingestSesEvent(event: SESEvent, deps: { s3: S3Client; email: EmailService; config: MailIngestConfig }): Promise<EmailOutcome[]> {
  const outcomes: EmailOutcome[] = [];
  for (const record of event.Records) {
    const { mail, receipt } = record.ses;
    try {
      const raw = await readRawMail(deps.s3, deps.config.bucket, `${deps.config.prefix}${mail.messageId}`, MIME_LIMITS.maxBytes);
      const parsed = await parseMail(raw);
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
        }),
      );
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      outcomes.push({ type: "dropped", reason: `${err.message}: ${err.details.map((d) => d.reason).join("; ")}` });
    }
  }
  return outcomes;
}
