import type { AdminService } from "./admin";
import type { ConversationService } from "./conversations";
import { CHAT_DEDUPE_TTL_SECONDS, dedupeKeys } from "./dedupe";
import { ConflictError, NotFoundError, UnauthenticatedError, ValidationError } from "./errors";
import type { InboundService } from "./inbound";
import type { ArrivalStore } from "./ports/arrival";
import type { ContactReads } from "./ports/contacts";
import type { Deadline } from "./ports/time";
import type { TransitionStore } from "./ports/transitions";
import type { Conversation, Message } from "./types";
import { withoutVersion } from "./types";

/**
 * A visitor may act only on their own conversation: a missing token is a 401, a wrong one looks like a
 * conversation that does not exist, so ids never reveal someone else's chat (docs/routing.md §6.1.4).
 */
export async function visitorsConversation(
  store: Pick<TransitionStore, "getConversation">,
  conversationId: string,
  visitorToken: string | undefined,
): Promise<Conversation> {
  if (!visitorToken) throw new UnauthenticatedError("a visitor token is required");
  const conv = await store.getConversation(conversationId);
  if (!conv || conv.visitorToken !== visitorToken)
    throw new NotFoundError(`conversation ${conversationId} does not exist`);
  return withoutVersion(conv);
}

/** What visitors do in a chat or bot channel: start, write, hand off to a person, identify themselves. */
export class VisitorService {
  constructor(
    private readonly deps: {
      store: Pick<ContactReads, "findContact"> &
        Pick<ArrivalStore, "getChannel"> &
        Pick<TransitionStore, "getConversation">;
      inbound: InboundService;
      conversations: ConversationService;
      admin: AdminService;
    },
  ) {}

  /**
   * Starts a chat (routed at once on `chat`, at hand-off on `bot`). `visitorToken` is the caller's or a
   * fresh one (`tokenGiven` says which). The same visitor's idempotency key again answers the first
   * conversation (`created: false`); a replay without the token is refused, so a key alone never
   * reveals a chat (docs/routing.md §5.4.6, §6.1.4).
   */
  async start(input: {
    channelId: string;
    text: string;
    visitorToken: string;
    tokenGiven: boolean;
    idempotencyKey?: string | undefined;
    /** The time the request has left: routing answers before it runs out. */
    deadline?: Deadline | undefined;
  }): Promise<{ conversation: Conversation; created: boolean }> {
    const { visitorToken, tokenGiven, idempotencyKey } = input;
    const dedupe = idempotencyKey
      ? {
          dedupeKey: dedupeKeys.chat(tokenGiven ? visitorToken : undefined, idempotencyKey),
          dedupeTtlSeconds: CHAT_DEDUPE_TTL_SECONDS,
        }
      : {};
    const r = await this.deps.inbound.receive({
      channelId: input.channelId,
      accepts: ["chat", "bot"],
      text: input.text,
      contactKey: { by: "visitorToken", value: visitorToken },
      visitorToken,
      ...dedupe,
      ...(input.deadline ? { deadline: input.deadline } : {}),
    });
    if (r.type === "created") return { conversation: r.conversation, created: true };
    if (!tokenGiven) {
      throw new ConflictError("idempotency key already used", [
        {
          field: "body.idempotencyKey",
          reason: "already used by a request without a visitor token: use the conversation and token its answer gave",
        },
      ]);
    }
    const existing = await visitorsConversation(this.deps.store, r.conversationId, visitorToken);
    return { conversation: existing, created: false };
  }

  /** The visitor writes in their own chat; it keeps its assignee (docs/routing.md §6). */
  async write(conversationId: string, visitorToken: string | undefined, text: string): Promise<Message> {
    const conv = await visitorsConversation(this.deps.store, conversationId, visitorToken);
    return (await this.deps.conversations.customerMessage(conv.id, { text })).message;
  }

  /**
   * The bot's "send to team member" action: only bot conversations are handed off, and they are routed
   * by the channel's rule with the contact the visitor token is linked to (docs/routing.md §5, §5.2).
   */
  async handoff(conversationId: string, visitorToken: string | undefined): Promise<Conversation> {
    const conv = await visitorsConversation(this.deps.store, conversationId, visitorToken);
    const { store, conversations } = this.deps;
    const channel = await store.getChannel(conv.channelId);
    if (!channel) throw new NotFoundError(`channel ${conv.channelId} does not exist`);
    if (channel.type !== "bot") {
      throw new ValidationError("not a bot chat", [
        { field: "conversationId", reason: "only bot conversations are handed off" },
      ]);
    }
    const contact = await store.findContact({ by: "visitorToken", value: conv.visitorToken! });
    return conversations.handoff(conv.id, contact, channel);
  }

  /**
   * `POST /chat/identify` on a chat or bot channel. `verified` says whether the site's backend vouched
   * for the email with the channel's identity secret (docs/routing.md §6.1.3).
   */
  async identify(input: {
    channelId: string;
    visitorToken: string;
    email: string;
    name?: string | undefined;
    verified: boolean;
  }): Promise<{ verified: boolean }> {
    const channel = await this.deps.store.getChannel(input.channelId);
    // A visitor learns nothing of the account's other channels: not a chat channel = no such channel.
    if (!channel || (channel.type !== "chat" && channel.type !== "bot")) {
      throw new NotFoundError(`channel ${input.channelId} does not exist`);
    }
    return this.deps.admin.identifyVisitor({
      token: input.visitorToken,
      email: input.email,
      ...(input.name ? { name: input.name } : {}),
      verified: input.verified,
    });
  }
}
