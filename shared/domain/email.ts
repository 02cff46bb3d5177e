import { createHash } from "node:crypto";
import { dedupeKeys } from "./dedupe";
import type { ArrivalStore } from "./ports/arrival";
import type { AttachmentStore } from "./ports/attachments";
import type { ContactReads } from "./ports/contacts";
import type { MailRate } from "./ports/mail-rate";
import type { ConversationReads } from "./ports/reads";
import type { Clock } from "./ports/time";
import type { TransitionStore } from "./ports/transitions";

/** What threading an email reads: its channel, its Message-IDs, the conversation and who wrote in it. */
type EmailReads = Pick<ArrivalStore, "findByDedupeKey" | "findByDedupeKeys" | "findChannelByAddress"> &
  Pick<ContactReads, "getContact"> &
  Pick<TransitionStore, "getConversation"> &
  Pick<ConversationReads, "hasMessageFrom">;

import { safeContentType, safeFilename } from "./attachments";
import type { ConversationService } from "./conversations";
import type { InboundService } from "./inbound";
import type { Attachment, AutomaticKind, Conversation, DeliveryReport } from "./types";

/** docs/routing.md §6.2: more than `max` emails from one sender to one channel within the window is a flood. */
export const MAIL_FLOOD = { max: 20, windowSeconds: 600 } as const;

/** An inbound email as SES delivered it, already parsed. */
export interface InboundEmail {
  sesMessageId: string;
  /** Envelope recipients (SES receipt), in order. */
  recipients: string[];
  verdicts: { spam: boolean; virus: boolean };
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  /** `alsoFrom`: further mailboxes of a `From` that names several. */
  from: { address: string; name?: string; alsoFrom?: string[] } | null;
  subject: string;
  text: string;
  /** Sent by a machine, as its headers tell (docs/routing.md §6.2); null or absent = a person. */
  automatic?: AutomaticKind | null;
  /** For a delivery report: whom it failed to reach, and the ids of the message it returns. */
  report?: DeliveryReport | null;
  /** Its files, decoded (docs/routing.md §6.3). */
  attachments?: ReadonlyArray<{ filename: string | null; contentType: string; content: Uint8Array }>;
}

export type EmailOutcome =
  | { type: "created"; conversationId: string; spam: boolean; automatic?: AutomaticKind }
  | { type: "threaded"; conversationId: string; automatic?: AutomaticKind }
  /** A delivery failure of one of our replies: a note on that reply's conversation (§6.2). */
  | { type: "bounced"; conversationId: string }
  | { type: "duplicate"; conversationId: string }
  | { type: "dropped"; reason: string };

/**
 * How many of an email's references are looked up, newest first. The newest name the thread; the 256 KiB
 * header cap would otherwise allow ~65,000 reads for one message.
 */
export const MAX_THREAD_REFERENCES = 20;

/** A conversation id that is the same every time SES delivers the same message. */
export function conversationIdForSes(sesMessageId: string): string {
  const h = createHash("sha256").update(`ses:${sesMessageId}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * Team email (docs/routing.md §5, §6; docs/api.md "Team email"): find the channel by recipient, thread replies by
 * In-Reply-To/References, dedupe by Message-ID per channel and by the SES message id, keep spam
 * unrouted, drop viruses, otherwise create and route. Mail by machines (§6.2) is kept and marked, never
 * routed and never reopens; a bounce of one of our replies becomes a note on its conversation.
 */
export class EmailService {
  constructor(
    private readonly deps: {
      store: EmailReads;
      inbound: InboundService;
      conversations: ConversationService;
      rate: MailRate;
      clock: Clock;
      /** Where attachments are kept; absent = they are dropped (tools, tests of other rules). */
      files?: AttachmentStore;
    },
  ) {}

  async receive(email: InboundEmail): Promise<EmailOutcome> {
    const { store, inbound, conversations } = this.deps;
    if (email.verdicts.virus) return { type: "dropped", reason: "virus verdict FAIL" };
    if (!email.from) return { type: "dropped", reason: "no sender address" };

    let channel = null;
    for (const r of email.recipients) {
      channel = await store.findChannelByAddress(r);
      if (channel?.type === "email") break;
      channel = null;
    }
    if (!channel) return { type: "dropped", reason: `no email channel for ${email.recipients.join(", ")}` };

    // The Message-ID identifies the message across deliveries; without one, SES's own id does.
    const dedupeKey = email.messageId ? dedupeKeys.email(email.messageId) : dedupeKeys.ses(email.sesMessageId);
    const seen = await store.findByDedupeKey(channel.id, dedupeKey);
    if (seen) return { type: "duplicate", conversationId: seen };

    // Every message counts towards its sender's rate; past the limit a person's mail is a loop or a flood.
    const rate = await this.deps.rate.count(
      channel.id,
      email.from.address,
      this.deps.clock.now(),
      MAIL_FLOOD.windowSeconds,
    );
    const automatic = email.automatic ?? (rate > MAIL_FLOOD.max ? "loop" : null);
    const marked = automatic ? { automatic } : {};
    if (automatic === "report" && email.report && email.report.failures.length > 0) {
      const bounced = await this.bounced(channel.id, email, email.report, dedupeKey);
      if (bounced) return bounced;
    }

    // A reply names earlier messages of its thread: look up the most recent few, in one batched read.
    const refs = [...new Set([...email.inReplyTo, ...[...email.references].reverse()])].slice(0, MAX_THREAD_REFERENCES);
    const refKeys = refs.map((r) => dedupeKeys.email(r));
    const found = refs.length > 0 ? await store.findByDedupeKeys(channel.id, refKeys) : new Map<string, string>();
    const ref = refs.find((r) => found.has(dedupeKeys.email(r)));
    let threading: Conversation["threading"];
    if (ref) {
      const conversationId = found.get(dedupeKeys.email(ref))!;
      const sender = email.from.address.toLowerCase();
      // A From naming several mailboxes vouches for none of them: a stranger could ride with a participant.
      const coSenders = email.from.alsoFrom ?? [];
      if (coSenders.length === 0 && (await this.isParticipant(conversationId, sender))) {
        const attachments = await this.keepFiles(conversationId, email, dedupeKey);
        const r = await conversations.customerMessage(conversationId, {
          ...(attachments.length > 0 ? { attachments } : {}),
          text: email.text,
          ...(email.from.name ? { name: email.from.name } : {}),
          email: sender,
          ...(email.messageId ? { emailMessageId: email.messageId } : {}),
          dedupeKey,
          ...marked,
        });
        return r.duplicate ? { type: "duplicate", conversationId } : { type: "threaded", conversationId, ...marked };
      }
      // Knowing a Message-ID is not enough to write into someone's conversation (docs/routing.md §6).
      const reason =
        coSenders.length > 0
          ? `the From header names several senders (${[sender, ...coSenders].join(", ")})`
          : `${sender} is not a participant of conversation ${conversationId}`;
      threading = { threaded: false, conversationId, reason };
    }

    const conversationId = conversationIdForSes(email.sesMessageId);
    const attachments = await this.keepFiles(conversationId, email, dedupeKey);
    const r = await inbound.receive({
      channelId: channel.id,
      accepts: ["email"],
      conversationId,
      ...(attachments.length > 0 ? { attachments } : {}),
      text: email.text,
      subject: email.subject,
      customer: { ...(email.from.name ? { name: email.from.name } : {}) },
      contactKey: { by: "email", value: email.from.address },
      senderEmail: email.from.address,
      dedupeKey,
      ...(email.messageId ? { emailMessageId: email.messageId } : {}),
      spam: email.verdicts.spam,
      ...(threading ? { threading } : {}),
      ...marked,
    });
    if (r.type === "duplicate") return { type: "duplicate", conversationId: r.conversationId };
    return { type: "created", conversationId: r.conversation.id, spam: email.verdicts.spam, ...marked };
  }

  /**
   * A delivery report on one of our replies: the returned message's In-Reply-To and References name the
   * customer's message our reply answered, which names the conversation. Only failures for the address
   * the conversation replies to are noted: anyone can send a report, and knowing a Message-ID must not
   * let them write into a thread what its customer did not. Null when the report matches no reply.
   */
  private async bounced(
    channelId: string,
    email: InboundEmail,
    report: DeliveryReport,
    dedupeKey: string,
  ): Promise<EmailOutcome | null> {
    const { store, conversations } = this.deps;
    const ids = [...new Set([...report.returnedIds, ...email.inReplyTo, ...email.references])].slice(
      0,
      MAX_THREAD_REFERENCES,
    );
    if (ids.length === 0) return null;
    const found = await store.findByDedupeKeys(
      channelId,
      ids.map((id) => dedupeKeys.email(id)),
    );
    for (const conversationId of new Set(found.values())) {
      const conv = await store.getConversation(conversationId);
      const to = conv?.customerEmail?.toLowerCase();
      const failures = report.failures.filter((f) => f.recipient === to);
      if (failures.length === 0) continue;
      await conversations.deliveryFailed(conversationId, { failures, dedupeKey });
      return { type: "bounced", conversationId };
    }
    return null;
  }

  /**
   * Stores the email's files under the conversation it joins, before the message that lists them is
   * written: a crash in between leaves files nobody lists, never a listed file that is missing. Ids
   * come from the message's dedupe key, so a redelivery overwrites the same objects.
   */
  private async keepFiles(conversationId: string, email: InboundEmail, seed: string): Promise<Attachment[]> {
    const files = this.deps.files;
    if (!files || !email.attachments?.length) return [];
    const kept = email.attachments.map((a, i) => ({
      id: attachmentId(seed, i),
      filename: safeFilename(a.filename, `attachment-${i + 1}`),
      contentType: safeContentType(a.contentType),
      size: a.content.byteLength,
      content: a.content,
    }));
    await Promise.all(kept.map((f) => files.put(conversationId, f)));
    return kept.map(({ content: _c, ...meta }) => meta);
  }

  /** The conversation's customer address, its contact's, or an address that already wrote in it. */
  private async isParticipant(conversationId: string, sender: string): Promise<boolean> {
    const { store } = this.deps;
    const conv = await store.getConversation(conversationId);
    if (!conv) return false;
    if (conv.customerEmail?.toLowerCase() === sender) return true;
    const contact = conv.contactId ? await store.getContact(conv.contactId) : null;
    if (contact?.email.toLowerCase() === sender) return true;
    return store.hasMessageFrom(conversationId, sender);
  }
}

/** The id of the `index`th file of a message: the same every time the same message is delivered. */
export function attachmentId(seed: string, index: number): string {
  return createHash("sha256").update(`${seed}#${index}`).digest("hex").slice(0, 24);
}
