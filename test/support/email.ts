import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import type { SESv2Client } from "@aws-sdk/client-sesv2";
import type { SESEvent } from "aws-lambda";
import { createS3Client } from "#shared/adapters/s3/raw-email";
import { TEST_BUCKET } from "./global-setup";

/** Team email as SES hands it over: the raw message in the S3 emulator, the receipt event, SES's store. */

export const fixture = (name: string) => readFileSync(new URL(`../fixtures/email/${name}`, import.meta.url));
const eventTemplate = JSON.parse(
  readFileSync(new URL("../fixtures/ses-receipt-event.json", import.meta.url), "utf8"),
) as SESEvent;
export const s3 = createS3Client({ region: "us-east-1", endpoint: process.env.S3_ENDPOINT });
export const sesEndpoint = () => process.env.SES_ENDPOINT!;

/** Stores the raw message in S3 as the receipt rule's S3 action would, and builds the Lambda action's event. */
export async function deliver(
  raw: Buffer | string,
  over: {
    sesMessageId?: string;
    recipients?: string[];
    spam?: "PASS" | "FAIL";
    virus?: "PASS" | "FAIL";
    prefix?: string;
  } = {},
) {
  const sesMessageId = over.sesMessageId ?? randomUUID().replace(/-/g, "");
  const prefix = over.prefix ?? "inbound/";
  await s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: `${prefix}${sesMessageId}`, Body: raw }));
  const event = structuredClone(eventTemplate);
  const rec = event.Records[0]!.ses;
  rec.mail.messageId = sesMessageId;
  rec.receipt.recipients = over.recipients ?? ["help@shop.example"];
  rec.receipt.spamVerdict = { status: over.spam ?? "PASS" };
  rec.receipt.virusVerdict = { status: over.virus ?? "PASS" };
  return { event, sesMessageId };
}

export async function sesStore(): Promise<
  Array<{ subject: string; destination: { to: string[] }; body: { text?: string } }>
> {
  return ((await (await fetch(`${sesEndpoint()}/store`)).json()) as { emails: Awaited<ReturnType<typeof sesStore>> })
    .emails;
}

type SesHeaders = Array<{ Name?: string; Value?: string }>;

/**
 * Records the custom headers of each SendEmail the client makes (the emulator stores messages without
 * them), in order; a send without custom headers records `[]`.
 */
export function recordSesHeaders(ses: SESv2Client): SesHeaders[] {
  const sent: SesHeaders[] = [];
  ses.middlewareStack.add(
    (next) => async (args) => {
      const simple = (args.input as { Content?: { Simple?: { Headers?: SesHeaders } } }).Content?.Simple;
      if (simple) sent.push(simple.Headers ?? []);
      return next(args);
    },
    { step: "initialize", name: "recordHeaders" },
  );
  return sent;
}
