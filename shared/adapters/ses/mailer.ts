import { SendEmailCommand, SESClient } from "@aws-sdk/client-ses";
import type { OwnerNotifier } from "../../domain/ports";

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
