import { NotFoundError } from "./errors";
import type { ArrivalStore, ChannelState } from "./ports/arrival";
import type { LapseClocks } from "./ports/lapses";
import type { Clock, Deadline } from "./ports/time";
import type { RouteResult, Router } from "./router";
import type { Attachment, AutomaticKind, ChannelType, ContactKey, Conversation, Message } from "./types";

export interface InboundMessage {
  channelId: string;
  /** Channel types this entry point accepts (the chat endpoint takes chat and bot, and so on). */
  accepts: ChannelType[];
  text: string;
  subject?: string;
  customer?: { name?: string };
  contactKey: ContactKey | null;
  contactId?: string | null;
  /** Idempotency within the channel; absent = a fresh key (safe SDK retries, no cross-request dedupe). */
  dedupeKey?: string;
  dedupeTtlSeconds?: number;
  emailMessageId?: string;
  /** SES verdict FAIL: keep the conversation, never route it (docs/routing.md §6). */
  spam?: boolean;
  /** Mail a machine sent: kept and marked, never routed (docs/routing.md §6.2). */
  automatic?: AutomaticKind;
  /** Files of the first message, already stored (docs/routing.md §6.3). */
  attachments?: Attachment[];
  /** The visitor's token (chat, bot), kept on the conversation as the visitor's credential. */
  visitorToken?: string;
  /** The customer's address (email sender, form submitter): replies go there. */
  senderEmail?: string;
  /** Set when the message named another conversation's message but could not join it. */
  threading?: Conversation["threading"];
  /** A conversation id chosen by the caller (email: derived from the SES message id, so redelivery is harmless). */
  conversationId?: string;
  /** The time the request has left: routing answers before it runs out (router.ts). */
  deadline?: Deadline;
}

/** Entry point for every new conversation: chat start, bot chat, team email, form submission. */
export class InboundService {
  /** Reads of a channel already in flight: a burst on one channel reads it once, never from a cache. */
  private readonly channelReads = new Map<string, Promise<ChannelState | null>>();

  constructor(
    private readonly deps: {
      store: Pick<ArrivalStore, "readChannel">;
      router: Router;
      clock: Clock;
      newId: () => string;
      /** Told of conversations routing assigned with a re-route clock, to time it (docs/routing.md §5.6). */
      clocks?: LapseClocks;
    },
  ) {}

  /** One Query of partition CHANNEL#<id>: the channel and whether its routing queue holds entries. */
  private readChannel(id: string): Promise<ChannelState | null> {
    let read = this.channelReads.get(id);
    if (!read) {
      read = this.deps.store.readChannel(id, 1).finally(() => this.channelReads.delete(id));
      this.channelReads.set(id, read);
    }
    return read;
  }

  async receive(input: InboundMessage): Promise<RouteResult> {
    const { router, clock, newId } = this.deps;
    const state = await this.readChannel(input.channelId);
    const channel = state?.channel;
    // A channel of another type answers as no channel at all: public routes reveal nothing of the
    // account's configuration (a chat URL must not confirm that an email or form channel exists).
    if (!channel || !input.accepts.includes(channel.type)) {
      throw new NotFoundError(`channel ${input.channelId} does not exist`);
    }
    const now = clock.now();
    const createdAt = now.toISOString();
    const id = input.conversationId ?? newId();
    const isBot = channel.type === "bot";
    const conversation: Conversation = {
      id,
      inboxId: channel.inboxId,
      channelId: channel.id,
      channelType: channel.type,
      status: "open",
      assigneeId: null,
      teamId: null,
      contactId: input.contactId ?? null,
      ...(input.subject !== undefined ? { subject: input.subject } : {}),
      preview: firstLine(input.text),
      createdAt,
      updatedAt: createdAt,
      ...(isBot ? { awaitingHandoff: true } : {}),
      ...(input.spam ? { spam: true } : {}),
      ...(input.automatic ? { automatic: input.automatic } : {}),
      ...(input.visitorToken ? { visitorToken: input.visitorToken } : {}),
      ...(input.senderEmail ? { customerEmail: input.senderEmail } : {}),
      ...(input.threading ? { threading: input.threading } : {}),
    };
    const message: Message = {
      id: newId(),
      conversationId: id,
      author: {
        kind: "customer",
        ...(input.customer?.name ? { name: input.customer.name } : {}),
        ...(input.senderEmail ? { email: input.senderEmail.toLowerCase() } : {}),
      },
      text: input.text,
      createdAt,
      ...(input.emailMessageId ? { emailMessageId: input.emailMessageId } : {}),
      ...(input.automatic ? { automatic: input.automatic } : {}),
      ...(input.attachments ? { attachments: input.attachments } : {}),
    };
    const result = await router.createAndRoute({
      channel,
      queueWaiting: state.queue.length > 0,
      ...(input.deadline ? { deadline: input.deadline } : {}),
      contactKey: input.contactKey,
      route: !isBot && !input.spam && !input.automatic,
      item: {
        conversation,
        message,
        dedupeKey: input.dedupeKey ?? `conv:${id}`,
        ...(input.dedupeTtlSeconds
          ? { dedupeExpiresAt: Math.floor(now.getTime() / 1000) + input.dedupeTtlSeconds }
          : {}),
      },
    });
    if (result.type === "created" && result.conversation.lapse) await this.deps.clocks?.started([result.conversation]);
    return result;
  }
}

/** An inbox row shows one line: the first non-empty line of the text, at most 140 characters. */
export function firstLine(text: string): string {
  const line =
    text
      .split(/\r?\n/)
      .map((l) => l.trim())
      .find((l) => l !== "") ?? "";
  return line.length > 140 ? `${line.slice(0, 139)}…` : line;
}
