import type { AdminService } from "./domain/admin";
import type { AttachmentService } from "./domain/attachments";
import type { ConversationService } from "./domain/conversations";
import type { FormService } from "./domain/forms";
import type { LiveService } from "./domain/live";
import type { ChannelStatus } from "./domain/office-hours";
import type {
  Assignee,
  ConversationPage,
  ConversationQuery,
  InboxChanges,
  Page,
  PageRequest,
  ViewCounts,
  VisitorIdentity,
} from "./domain/ports/reads";
import type { PresenceService } from "./domain/presence";
import type { PreviewRequest, RulePreview } from "./domain/rule-preview";
import type { Channel, Conversation, ConversationStatus, Inbox, Message, Team, User } from "./domain/types";
import type { VisitorService } from "./domain/visitors";
import type { ChannelStats } from "./domain/waiting-line";

/**
 * The driving ports: what adapters that take requests (HTTP) may call. The composition root
 * (shared/app.ts) builds them; nothing in the domain imports this file.
 */

/** Views and lookups, with access rules applied; nothing behind it writes. */
export interface QueryPort {
  health(): Promise<void>;
  listUsers(page: PageRequest): Promise<Page<User>>;
  getUser(userId: string): Promise<User>;
  /** A channel's waiting line (docs/routing.md §5.5), for admins. */
  channelStats(channelId: string): Promise<ChannelStats>;
  /** What a proposed rule would have done to the channel's recent conversations (docs/routing.md §8). */
  previewRule(channelId: string, req: PreviewRequest): Promise<RulePreview>;
  /** A waiting conversation's place in its channel's line (docs/routing.md §5.5.6), else undefined. */
  placeInLine(conversation: Conversation): Promise<{ position: number; since: string } | undefined>;
  inboxView(actor: User, q: ConversationQuery): Promise<ConversationPage>;
  conversationForAgent(
    actor: User,
    conversationId: string,
  ): Promise<{ conversation: Conversation; messages: Message[]; visitor: VisitorIdentity | null }>;
  visitorThread(
    conversationId: string,
    visitorToken: string | undefined,
  ): Promise<{ conversation: Conversation; messages: Message[] }>;
  /** A visitor's own chat, checked against their token (a 404 for anyone else's). */
  visitorChat(conversationId: string, visitorToken: string | undefined): Promise<Conversation>;
  assigneeName(conversation: Conversation): Promise<string | null>;
  /** docs/routing.md §5.7: whether a chat or bot channel is open now and when it opens next (public). */
  chatStatus(channelId: string): Promise<ChannelStatus>;
  /** The caller's user record without recording activity (background reads), or null. */
  findUser(userId: string): Promise<User | null>;
  // The web inbox's bounded reads (docs/api.md, Reads for the web inbox)
  listInboxes(actor: User, page: PageRequest): Promise<Page<Inbox>>;
  listTeams(page: PageRequest): Promise<Page<Team>>;
  listChannels(page: PageRequest): Promise<Page<Channel>>;
  listAssignees(actor: User, inboxId: string, page: PageRequest): Promise<Page<Assignee>>;
  viewCounts(actor: User, inboxId: string, status: ConversationStatus): Promise<ViewCounts>;
  inboxChanges(actor: User, inboxId: string, since: string | undefined): Promise<InboxChanges>;
}

/** Every write a request can make goes through one of these services. */
export interface CommandServices {
  admin: AdminService;
  conversations: ConversationService;
  visitors: VisitorService;
  forms: FormService;
  presence: PresenceService;
  /** Live updates' tickets (docs/routing.md §9); absent when the deployment has no live endpoint. */
  live?: LiveService;
  /** Conversations' files (docs/routing.md §6.3); absent when the deployment keeps none. */
  attachments?: AttachmentService;
}
