import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { type Metrics, noMetrics } from "../../domain/ports/metrics";
import type { CustomerEmailSender, OwnerNotifier } from "../../domain/ports/outbound-email";
import { METRIC } from "../metrics/names";

/** Where a failed send is reported: one structured log line and one count of `EmailSendFailed`. */
export interface SendObserver {
  logger: { error(message: string, extra: Record<string, unknown>): void };
  metrics: Metrics;
}

const silent: SendObserver = { logger: { error: () => {} }, metrics: noMetrics };

/**
 * Runs one send; a failure is logged with the conversation and SES's error, counted (the alarm
 * watches the count), and rethrown so the caller can record the delivery state.
 */
async function observed(
  observer: SendObserver,
  what: { kind: string; conversationId: string },
  send: () => Promise<unknown>,
): Promise<void> {
  try {
    await send();
  } catch (err) {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number; requestId?: string } };
    observer.logger.error("email not sent", {
      ...what,
      sesError: {
        name: e.name,
        message: e.message,
        httpStatusCode: e.$metadata?.httpStatusCode,
        requestId: e.$metadata?.requestId,
      },
    });
    observer.metrics.count(METRIC.emailSendFailed);
    throw err;
  }
}

/** One factory for the SES (v2 API) client; `endpoint` points it at aws-ses-v2-local. */
export function createSesClient(opts: { region: string; endpoint?: string | undefined }): SESv2Client {
  return new SESv2Client({
    region: opts.region,
    ...(opts.endpoint
      ? { endpoint: opts.endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } }
      : {}),
  });
}

/** Anything that ends up in an outgoing header loses its CR and LF: no header injection. */
export function headerSafe(value: string): string {
  return value.replace(/[\r\n]+/g, " ").trim();
}

const text = (data: string) => ({ Data: data, Charset: "UTF-8" });

/** Offline-owner notifications through SES SendEmail, simple content. */
export class SesOwnerNotifier implements OwnerNotifier {
  constructor(
    private readonly ses: SESv2Client,
    private readonly opts: { from: string; appUrl: string },
    private readonly observer: SendObserver = silent,
  ) {}

  async notifyOfflineOwner({
    owner,
    conversation,
    customerMessage,
  }: Parameters<OwnerNotifier["notifyOfflineOwner"]>[0]): Promise<void> {
    // The inbox's own route to it (web/src/inbox/route.ts): the owner's Mine view, the conversation open.
    const route = ["inbox", conversation.inboxId, "mine", "open", conversation.id].map(encodeURIComponent).join("/");
    const link = `${this.opts.appUrl.replace(/\/$/, "")}/#/${route}`;
    const about = conversation.subject ? `: ${conversation.subject}` : "";
    const command = new SendEmailCommand({
      FromEmailAddress: headerSafe(this.opts.from),
      Destination: { ToAddresses: [headerSafe(owner.email)] },
      Content: {
        Simple: {
          Subject: text(
            headerSafe(`New ${conversation.channelType} conversation from your contact${about}`).slice(0, 200),
          ),
          Body: {
            Text: text(
              `Hello ${owner.name},\n\nA contact you own wrote while you were away:\n\n` +
                `${customerMessage}\n\nOpen the conversation: ${link}\n`,
            ),
          },
          // RFC 3834: sent by the service on its own, so well-behaved responders do not answer it (§6.2).
          Headers: [{ Name: "Auto-Submitted", Value: "auto-generated" }],
        },
      },
    });
    await observed(this.observer, { kind: "owner_notification", conversationId: conversation.id }, () =>
      this.ses.send(command),
    );
  }
}

/**
 * Replies to customers through SES SendEmail, simple content with In-Reply-To and References naming
 * the customer's last message. SES gives the reply its own Message-ID; the customer's answer carries
 * this chain in its References, which is how it threads back into the conversation.
 */
export class SesCustomerEmailSender implements CustomerEmailSender {
  constructor(
    private readonly ses: SESv2Client,
    private readonly observer: SendObserver = silent,
  ) {}

  async sendReply(input: Parameters<CustomerEmailSender["sendReply"]>[0]): Promise<void> {
    const thread = input.inReplyTo ? headerSafe(input.inReplyTo) : null;
    const command = new SendEmailCommand({
      FromEmailAddress: headerSafe(input.from),
      Destination: { ToAddresses: [headerSafe(input.to)] },
      Content: {
        Simple: {
          Subject: text(headerSafe(input.subject).slice(0, 200)),
          Body: { Text: text(input.text) },
          ...(input.attachments?.length
            ? {
                Attachments: input.attachments.map((a) => ({
                  RawContent: a.content,
                  FileName: headerSafe(a.filename),
                  ContentType: headerSafe(a.contentType),
                  ContentDisposition: "ATTACHMENT" as const,
                })),
              }
            : {}),
          ...(thread
            ? {
                Headers: [
                  { Name: "In-Reply-To", Value: thread },
                  { Name: "References", Value: thread },
                ],
              }
            : {}),
        },
      },
    });
    await observed(this.observer, { kind: "reply", conversationId: input.conversationId }, () =>
      this.ses.send(command),
    );
  }
}
