import { createHash } from "node:crypto";
import type { AdminStore } from "./admin-ports";
import type { ConversationService } from "./conversations";
import type { InboundService } from "./inbound";

/** An inbound email as SES delivered it, already parsed. */
export interface InboundEmail {
  sesMessageId: string;
  /** Envelope recipients (SES receipt), in order. */
  recipients: string[];
  verdicts: { spam: boolean; virus: boolean };
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  from: { address: string; name?: string } | null;
  subject: string;
  text: string;
}

export type EmailOutcome =
  | { type: "created"; conversationId: string; spam: boolean }
  | { type: "threaded"; conversationId: string }
  | { type: "duplicate"; conversationId: string }
  | { type: "dropped"; reason: string };

/** A conversation id that is the same every time SES delivers the same message. */
export function conversationIdForSes(sesMessageId: string): string {
  const h = createHash("sha256").update(`ses:${sesMessageId}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Team email (docs/routing.md §5, §6; docs/api.md "Team email"): find the channel by recipient, thread replies by
 * In-Reply-To/References, dedupe by Message-ID per channel and by the SES message id, keep spam
 * unrouted, drop viruses, otherwise create and route.
 */
export class EmailService {
  constructor(private readonly deps: { store: AdminStore; inbound: InboundService; conversations: ConversationService }) {}

  async receive(mail: InboundEmail): Promise<EmailOutcome> {
    const { store, inbound, conversations } = this.deps;
    if (mail.verdicts.virus) return { type: "dropped", reason: "virus verdict FAIL" };
    if (!mail.from) return { type: "dropped", reason: "no sender address" };

    let channel = null;
    for (const r of mail.recipients) {
      channel = await store.findChannelByAddress(r);
      if (channel?.type === "email") break;
      channel = null;
    }
    if (!channel) return { type: "dropped", reason: `no email channel for ${mail.recipients.join(", ")}` };

    // The Message-ID identifies the message across deliveries; without one, SES's own id does.
    const dedupeKey = mail.messageId ? `email:${mail.messageId}` : `ses:${mail.sesMessageId}`;
    const seen = await store.findByDedupeKey(channel.id, dedupeKey);
    if (seen) return { type: "duplicate", conversationId: seen };

    // A reply names an earlier message of the thread: the newest reference is the best match.
    for (const ref of [...mail.inReplyTo, ...[...mail.references].reverse()]) {
      const conversationId = await store.findByDedupeKey(channel.id, `email:${ref}`);
      if (!conversationId) continue;
      const r = await conversations.customerMessage(conversationId, {
        text: mail.text,
        ...(mail.from.name ? { name: mail.from.name } : {}),
        ...(mail.messageId ? { emailMessageId: mail.messageId } : {}),
        dedupeKey,
      });
      return r.duplicate ? { type: "duplicate", conversationId } : { type: "threaded", conversationId };
    }

    const r = await inbound.receive({
      channelId: channel.id,
      accepts: ["email"],
      conversationId: conversationIdForSes(mail.sesMessageId),
      text: mail.text,
      subject: mail.subject,
      customer: { ...(mail.from.name ? { name: mail.from.name } : {}) },
      contactKey: { by: "email", value: mail.from.address },
      senderEmail: mail.from.address,
      dedupeKey,
      ...(mail.messageId ? { emailMessageId: mail.messageId } : {}),
      spam: mail.verdicts.spam,
    });
    if (!r.created) return { type: "duplicate", conversationId: r.existingConversationId ?? r.conversation.id };
    return { type: "created", conversationId: r.conversation.id, spam: mail.verdicts.spam };
  }
}
