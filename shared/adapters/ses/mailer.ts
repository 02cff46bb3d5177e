import { SendEmailCommand, SendRawEmailCommand, SESClient } from "@aws-sdk/client-ses";
import MailComposer from "nodemailer/lib/mail-composer/index.js";
import type { CustomerMailer, OwnerNotifier } from "../../domain/ports";

export function createSesClient(opts: { region: string; endpoint?: string | undefined }): SESClient {
  return new SESClient({
    region: opts.region,
    ...(opts.endpoint ? { endpoint: opts.endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } } : {}),
  });
}

/** Anything that ends up in an outgoing header loses its CR and LF: no header injection. */
export function headerSafe(value: string): string {
  return value.replace(/[\r\n]+/g, " ").trim();
}

/** Offline-owner notifications through SES SendEmail (simple content). */
export class SesOwnerNotifier implements OwnerNotifier {
  constructor(
    private readonly ses: SESClient,
    private readonly opts: { from: string; appUrl: string },
  ) {}

  async notifyOfflineOwner({ owner, conversation, customerMessage }: Parameters<OwnerNotifier["notifyOfflineOwner"]>[0]): Promise<void> {
    const link = `${this.opts.appUrl.replace(/\/$/, "")}/conversations/${encodeURIComponent(conversation.id)}`;
    const about = conversation.subject ? `: ${conversation.subject}` : "";
    await this.ses.send(
      new SendEmailCommand({
        Source: headerSafe(this.opts.from),
        Destination: { ToAddresses: [headerSafe(owner.email)] },
        Message: {
          Subject: { Data: headerSafe(`New ${conversation.channelType} conversation from your contact${about}`).slice(0, 200), Charset: "UTF-8" },
          Body: {
            Text: {
              Data: `Hello ${owner.name},\n\nA contact you own wrote while you were away:\n\n${customerMessage}\n\nOpen the conversation: ${link}\n`,
              Charset: "UTF-8",
            },
          },
        },
      }),
    );
  }
}

/**
 * Replies to customers through SES SendRawEmail: threading needs In-Reply-To and References, which
 * simple SendEmail cannot carry. The MIME is built by nodemailer's composer, not by hand.
 */
export class SesCustomerMailer implements CustomerMailer {
  constructor(private readonly ses: SESClient) {}

  async sendReply(input: Parameters<CustomerMailer["sendReply"]>[0]): Promise<void> {
    const mail = new MailComposer({
      from: headerSafe(input.from),
      to: headerSafe(input.to),
      subject: headerSafe(input.subject),
      text: input.text,
      messageId: headerSafe(input.messageId),
      ...(input.inReplyTo ? { inReplyTo: headerSafe(input.inReplyTo), references: headerSafe(input.inReplyTo) } : {}),
    });
    const raw = await mail.compile().build();
    await this.ses.send(new SendRawEmailCommand({ RawMessage: { Data: raw } }));
  }
}
