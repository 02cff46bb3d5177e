import type { Channel, Conversation, ConversationStatus, Inbox, Message, Team, User } from "../types";

/** One page of a listing (docs/api.md: every list answers `{items, nextCursor}`). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export type ConversationView = "unassigned" | "mine" | "all";

/** One page of an inbox view (docs/api.md `GET /inboxes/{id}/conversations`). */
export interface ConversationQuery {
  inboxId: string;
  view: ConversationView;
  status: ConversationStatus;
  /** The caller: "mine" is theirs. */
  userId: string;
  limit: number;
  cursor?: string;
}

export type ConversationPage = Page<Conversation>;

/** Conversations of an inbox changed at or after a time (the inbox's live-update feed). */
export interface ChangeBatch {
  items: Conversation[];
  /** More changes than one read returns: the client should reload its view instead. */
  truncated: boolean;
}

/** Threads and inbox views: every read bounded by a page or a count. */
export interface ConversationReads {
  listConversations(q: ConversationQuery): Promise<ConversationPage>;
  listMessages(conversationId: string): Promise<Message[]>;
  /** The newest `count` messages of a conversation, oldest first (one bounded read). */
  lastMessages(conversationId: string, count: number): Promise<Message[]>;
  /** Whether this address already wrote a message in the conversation (a participant, docs/routing.md §6.2). */
  hasMessageFrom(conversationId: string, email: string): Promise<boolean>;
}

/**
 * The reads the web inbox needs beyond the agent endpoints: small, each bounded (a page, a capped
 * count, a time window), so no request of the inbox grows with the size of the organisation.
 */
export interface WebReadStore {
  getInbox(id: string): Promise<Inbox | null>;
  listInboxes(page: PageRequest): Promise<Page<Inbox>>;
  listTeams(page: PageRequest): Promise<Page<Team>>;
  listUsers(page: PageRequest): Promise<Page<User>>;
  /**
   * The users who may be assignable in the inbox, a page in id order: a restricted inbox's listed users
   * and its teams' primary members (read by name: sized by the access list, never the directory), or
   * every user for an inbox open to everyone. Same cursors as `listUsers`.
   */
  listAccessUsers(inbox: Inbox, page: PageRequest): Promise<Page<User>>;
  listChannels(page: PageRequest): Promise<Page<Channel>>;
  /** How many conversations a view holds, counting at most `cap`. */
  countView(q: {
    inboxId: string;
    view: ConversationView;
    status: ConversationStatus;
    userId: string;
    cap: number;
  }): Promise<number>;
  changesSince(inboxId: string, sinceIso: string, limit: number): Promise<ChangeBatch>;
}

/** Who a chat visitor is, as agents see it (docs/routing.md §6.1). */
export interface VisitorIdentity {
  email: string;
  name?: string;
  verified: boolean;
  contactId?: string;
}

/** A user an Owner select offers: assignable in the inbox (docs/routing.md §2, §3.5). */
export type Assignee = Pick<User, "id" | "name" | "seat" | "availability">;

/** View sizes, each counted up to `cap`. */
export interface ViewCounts {
  unassigned: number;
  mine: number;
  all: number;
  cap: number;
}

/** The live feed: conversations changed since the last cursor, and the cursor to send next time. */
export interface InboxChanges {
  items: Conversation[];
  cursor: string;
  truncated: boolean;
}
