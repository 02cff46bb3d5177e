import type { ConversationView } from "./admin-ports";
import type { Channel, Conversation, ConversationStatus, Inbox, Team, User } from "./types";

/** One page of a listing (API.md: every list answers `{items, nextCursor}`). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

/** Conversations of an inbox changed at or after a time (the inbox's live-update feed). */
export interface ChangeBatch {
  items: Conversation[];
  /** More changes than one read returns: the client should reload its view instead. */
  truncated: boolean;
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
