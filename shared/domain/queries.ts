import { hasAccess } from "./access";
import { ForbiddenError, NotFoundError } from "./errors";
import type { AdminStore, ConversationPage, ConversationQuery, QueryPort, VisitorIdentity } from "./ports";
import type { Conversation, Inbox, Message, User } from "./types";
import { visitorsConversation } from "./visitors";

/**
 * The read side the HTTP layer gets (views and lookups), with the access rules applied here rather than
 * by each caller: a user reads an inbox they have access to (docs/routing.md §2), a visitor only their
 * own chat (§6.1.4). Nothing here writes.
 */
export class QueryService implements QueryPort {
  constructor(private readonly store: AdminStore) {}

  /** The table answers: one GetItem on a key that never exists. */
  async health(): Promise<void> {
    await this.store.getChannel("__health__");
  }

  async listUsers(): Promise<User[]> {
    const dir = await this.store.loadDirectory();
    return [...dir.users.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async getUser(userId: string): Promise<User> {
    const user = await this.store.getUser(userId);
    if (!user) throw new NotFoundError(`user ${userId} does not exist`);
    return user;
  }

  /** One page of an inbox view, for a user with access to the inbox. */
  async inboxView(actor: User, q: ConversationQuery): Promise<ConversationPage> {
    await this.readableInbox(actor, q.inboxId);
    return this.store.listConversations({ ...q, userId: actor.id });
  }

  /**
   * A conversation with its messages, for a user with access to its inbox, and who the visitor is: the
   * contact a verified identify linked, else what they typed about themselves, marked unverified and
   * never trusted for routing (docs/routing.md §6.1).
   */
  async conversationForAgent(
    actor: User,
    conversationId: string,
  ): Promise<{ conversation: Conversation; messages: Message[]; visitor: VisitorIdentity | null }> {
    const stored = await this.store.getConversation(conversationId);
    if (!stored) throw new NotFoundError(`conversation ${conversationId} does not exist`);
    await this.readableInbox(actor, stored.inboxId);
    const { version: _v, ...conversation } = stored;
    const token = conversation.visitorToken;
    const [messages, contact, profile] = await Promise.all([
      this.store.listMessages(conversationId),
      token ? this.store.findContact({ by: "visitorToken", value: token }) : null,
      token ? this.store.getVisitorProfile(token) : null,
    ]);
    const visitor: VisitorIdentity | null = contact
      ? { email: contact.email, ...(contact.name ? { name: contact.name } : {}), verified: true, contactId: contact.id }
      : profile?.unverifiedEmail
        ? { email: profile.unverifiedEmail, ...(profile.name ? { name: profile.name } : {}), verified: false }
        : null;
    return { conversation, messages, visitor };
  }

  /** A visitor's own chat and its messages. */
  async visitorThread(
    conversationId: string,
    visitorToken: string | undefined,
  ): Promise<{ conversation: Conversation; messages: Message[] }> {
    const conversation = await visitorsConversation(this.store, conversationId, visitorToken);
    return { conversation, messages: await this.store.listMessages(conversation.id) };
  }

  /** The display name of whoever holds the conversation (what a visitor may see of them). */
  async assigneeName(conversation: Conversation): Promise<string | null> {
    if (!conversation.assigneeId) return null;
    return (await this.store.getUser(conversation.assigneeId))?.name ?? null;
  }

  private async readableInbox(actor: User, inboxId: string): Promise<Inbox> {
    const dir = await this.store.loadDirectory();
    const inbox = dir.inboxes.get(inboxId);
    if (!inbox) throw new NotFoundError(`inbox ${inboxId} does not exist`);
    if (!hasAccess(actor, inbox)) throw new ForbiddenError(`no access to inbox ${inboxId}`);
    return inbox;
  }
}
