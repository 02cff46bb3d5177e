import { hasAccess, isAssignable } from "./access";
import { isLiveChannel } from "./channels";
import { ForbiddenError, NotFoundError } from "./errors";
import { type ChannelStatus, channelStatus } from "./office-hours";
import type { ArrivalStore } from "./ports/arrival";
import type { ContactStore } from "./ports/contacts";
import type { DirectoryStore } from "./ports/directory";
import type { ConversationReads } from "./ports/reads";
import type { TransitionStore } from "./ports/transitions";

/** What the query side reads beyond the web inbox's bounded reads. */
type QueryReads = ConversationReads &
  Pick<DirectoryStore, "getUser" | "getInbox" | "listUsers"> &
  Pick<ContactStore, "findContact" | "getVisitorProfile"> &
  Pick<ArrivalStore, "getChannel"> &
  Pick<TransitionStore, "getConversation">;

import type {
  Assignee,
  ConversationPage,
  ConversationQuery,
  InboxChanges,
  Page,
  PageRequest,
  ViewCounts,
  VisitorIdentity,
  WebReadStore,
} from "./ports/reads";
import type { Clock } from "./ports/time";
import type { PreviewRequest, RulePreview, RulePreviewService } from "./rule-preview";
import type { Channel, Conversation, ConversationStatus, Inbox, Message, Team, User } from "./types";

/** View counts stop here: past it the inbox shows "100+" (a capped COUNT query, not a scan). */
export const COUNT_CAP = 100;
/**
 * The live feed re-reads this much before the client's cursor: a change committed by another Lambda
 * a moment before this read may reach the index a moment later (index propagation is usually well
 * under a second). Clients drop what they already have. Every poll re-reads it, so it is kept short.
 */
export const CHANGE_OVERLAP_MS = 5_000;
/**
 * Rows one poll answers; more means "truncated" and the client reloads its view. With 2 s polls and the
 * overlap, an inbox's feed follows up to ~28 conversation changes a second (docs/performance.md, Capacity model).
 */
const CHANGE_LIMIT = 200;

import { withoutVersion } from "./types";
import { visitorsConversation } from "./visitors";
import type { ChannelStats, WaitingLine } from "./waiting-line";

/**
 * The read side the HTTP layer gets (views and lookups), with the access rules applied here rather than
 * by each caller: a user reads an inbox they have access to (docs/routing.md §2), a visitor only their
 * own chat (§6.1.4). Nothing here writes.
 */
/** How many of a chat's newest messages its visitor's thread answers (system notes then left out). */
export const VISITOR_THREAD_MESSAGES = 100;

export class QueryService {
  private readonly store: QueryReads;
  private readonly web: WebReadStore;
  private readonly clock: Clock;
  private readonly waiting: WaitingLine;

  private readonly preview: RulePreviewService;

  constructor(deps: {
    store: QueryReads;
    web: WebReadStore;
    clock: Clock;
    waiting: WaitingLine;
    preview: RulePreviewService;
  }) {
    this.preview = deps.preview;
    this.store = deps.store;
    this.web = deps.web;
    this.clock = deps.clock;
    this.waiting = deps.waiting;
  }

  /** The table answers: one GetItem on a key that never exists. */
  async health(): Promise<void> {
    await this.store.getChannel("__health__");
  }

  /** One page of users by id: a request never reads the whole directory. */
  listUsers(page: PageRequest): Promise<Page<User>> {
    return this.store.listUsers(page);
  }

  async channelStats(channelId: string): Promise<ChannelStats> {
    if (!(await this.store.getChannel(channelId))) throw new NotFoundError(`channel ${channelId} does not exist`);
    return this.waiting.stats(channelId);
  }

  previewRule(channelId: string, req: PreviewRequest): Promise<RulePreview> {
    return this.preview.preview(channelId, req);
  }

  placeInLine(conversation: Conversation): Promise<{ position: number; since: string } | undefined> {
    return this.waiting.placeOf(conversation);
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
    const conversation = withoutVersion(stored);
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

  /**
   * A visitor's own chat and its messages. The inbox's system notes (who assigned or closed it) are
   * internal: the visitor sees customer and agent messages only.
   */
  async visitorThread(
    conversationId: string,
    visitorToken: string | undefined,
  ): Promise<{ conversation: Conversation; messages: Message[] }> {
    const conversation = await visitorsConversation(this.store, conversationId, visitorToken);
    // The widget asks every 2 s while open: one bounded read, whatever the thread's length.
    const messages = await this.store.lastMessages(conversation.id, VISITOR_THREAD_MESSAGES);
    return { conversation, messages: messages.filter((m) => m.author.kind !== "system") };
  }

  /** A visitor's own chat (one read): what a live ticket for it checks. */
  visitorChat(conversationId: string, visitorToken: string | undefined): Promise<Conversation> {
    return visitorsConversation(this.store, conversationId, visitorToken);
  }

  /** The display name of whoever holds the conversation (what a visitor may see of them). */
  /** One GetItem of the channel; a channel that is not a chat or bot answers as none (as the chat routes do). */
  async chatStatus(channelId: string): Promise<ChannelStatus> {
    const channel = await this.store.getChannel(channelId);
    if (!channel || !isLiveChannel(channel.type)) throw new NotFoundError(`channel ${channelId} does not exist`);
    return channelStatus(channel.hours, this.clock.now());
  }

  async assigneeName(conversation: Conversation): Promise<string | null> {
    if (!conversation.assigneeId) return null;
    return (await this.store.getUser(conversation.assigneeId))?.name ?? null;
  }

  findUser(userId: string): Promise<User | null> {
    return this.store.getUser(userId);
  }

  /** The inboxes the caller can read: one page of inboxes, filtered by access (admins: all). */
  async listInboxes(actor: User, page: PageRequest): Promise<Page<Inbox>> {
    const found = await this.web.listInboxes(page);
    return { items: found.items.filter((i) => hasAccess(actor, i)), nextCursor: found.nextCursor };
  }

  listTeams(page: PageRequest): Promise<Page<Team>> {
    return this.web.listTeams(page);
  }

  listChannels(page: PageRequest): Promise<Page<Channel>> {
    return this.web.listChannels(page);
  }

  /**
   * Users an Owner select offers in this inbox: a page of the users its access names (everyone for an
   * open inbox), those assignable here (§3.5).
   */
  async listAssignees(actor: User, inboxId: string, page: PageRequest): Promise<Page<Assignee>> {
    const inbox = await this.inboxForWeb(actor, inboxId);
    const users = await this.web.listAccessUsers(inbox, page);
    const items = users.items
      .filter((u) => isAssignable(u, inbox))
      .map((u) => ({ id: u.id, name: u.name, seat: u.seat, availability: u.availability }));
    return { items, nextCursor: users.nextCursor };
  }

  /** Unassigned, Mine and All sizes: three COUNT queries, each stopping at COUNT_CAP. */
  async viewCounts(actor: User, inboxId: string, status: ConversationStatus): Promise<ViewCounts> {
    const inbox = await this.inboxForWeb(actor, inboxId);
    const count = (view: "unassigned" | "mine" | "all") =>
      this.web.countView({ inboxId: inbox.id, view, status, userId: actor.id, cap: COUNT_CAP });
    const [unassigned, mine, all] = await Promise.all([count("unassigned"), count("mine"), count("all")]);
    return { unassigned, mine, all, cap: COUNT_CAP };
  }

  /**
   * The inbox's live feed: conversations changed since the cursor (minus CHANGE_OVERLAP_MS), at most
   * CHANGE_LIMIT of them. Without a cursor it only hands out one, so a client starts from "now".
   */
  async inboxChanges(actor: User, inboxId: string, since: string | undefined): Promise<InboxChanges> {
    const inbox = await this.inboxForWeb(actor, inboxId);
    const now = this.clock.now();
    if (!since) return { items: [], cursor: now.toISOString(), truncated: false };
    const from = new Date(Math.min(Date.parse(since), now.getTime()) - CHANGE_OVERLAP_MS).toISOString();
    const batch = await this.web.changesSince(inbox.id, from, CHANGE_LIMIT);
    // ISO-8601 instants of one format order as text: the newest change seen, never past now.
    const latest = [since, ...batch.items.map((c) => c.updatedAt)].sort().at(-1) ?? since;
    return { items: batch.items, cursor: [latest, now.toISOString()].sort()[0] ?? latest, truncated: batch.truncated };
  }

  /** The inbox, if the caller may read it (docs/routing.md §2: admins read every inbox). One GetItem. */
  private async inboxForWeb(actor: User, inboxId: string): Promise<Inbox> {
    const inbox = await this.web.getInbox(inboxId);
    if (!inbox) throw new NotFoundError(`inbox ${inboxId} does not exist`);
    if (!hasAccess(actor, inbox)) throw new ForbiddenError(`no access to inbox ${inboxId}`);
    return inbox;
  }

  /** One item read (partition INBOX#<id>): the caller is already loaded, so a view never reads the directory. */
  private async readableInbox(actor: User, inboxId: string): Promise<Inbox> {
    const inbox = await this.store.getInbox(inboxId);
    if (!inbox) throw new NotFoundError(`inbox ${inboxId} does not exist`);
    if (!hasAccess(actor, inbox)) throw new ForbiddenError(`no access to inbox ${inboxId}`);
    return inbox;
  }
}
