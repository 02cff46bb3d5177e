import { SendEmailCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import type { CustomerMailer, OwnerNotifier } from "../../domain/ports";

/** One factory for the SES (v2 API) client; `endpoint` points it at aws-ses-v2-local. */
export function createSesClient(opts: { region: string; endpoint?: string | undefined }): SESv2Client {
  return new SESv2Client({
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {}),
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
  ) {}

  async notifyOfflineOwner({ owner, conversation, customerMessage }: Parameters<OwnerNotifier["notifyOfflineOwner"]>[0]): Promise<void> {
    const link = `${this.opts.appUrl.replace(/\/$/, "")}/conversations/${encodeURIComponent(conversation.id)}`;
    const about = conversation.subject ? `: ${conversation.subject}` : "";
    await this.ses.send(
      new SendEmailCommand({
        FromEmailAddress: headerSafe(this.opts.from),
        Destination: { ToAddresses: [headerSafe(owner.email)] },
        Content: {
          Simple: {
            Subject: text(headerSafe(`New ${conversation.channelType} conversation from your contact${about}`).slice(0, 200)),
            Body: { Text: text(`Hello ${owner.name},\n\nA contact you own wrote while you were away:\n\n${customerMessage}\n\nOpen the conversation: ${link}\n`) },
          },
        },
      }),
    );
  }
}

/**
 * Replies to customers through SES SendEmail, simple content with In-Reply-To and References naming
 * the customer's last message. SES gives the reply its own Message-ID; the customer's answer carries
 * this chain in its References, which is how it threads back into the conversation.
 */
export class SesCustomerMailer implements CustomerMailer {
  constructor(private readonly ses: SESv2Client) {}

  async sendReply(input: Parameters<CustomerMailer["sendReply"]>[0]): Promise<void> {
    const thread = input.inReplyTo ? headerSafe(input.inReplyTo) : null;
    await this.ses.send(
      new SendEmailCommand({
        FromEmailAddress: headerSafe(input.from),
        Destination: { ToAddresses: [headerSafe(input.to)] },
        Content: {
          Simple: {
            Subject: text(headerSafe(input.subject).slice(0, 200)),
            Body: { Text: text(input.text) },
            ...(thread ? { Headers: [{ Name: "In-Reply-To", Value: thread }, { Name: "References", Value: thread }] } : {}),
          },
        },
      }),
    );
  }
}
