import type { Decision, User, WaitEntry } from "../types";

/** How assigning conversations from the waiting line went. */
export type WaitingOutcome =
  | { type: "committed" }
  | {
      type: "conflict";
      freshUsers: User[];
      /** Entries whose conversation left the line while the entry stayed. */
      gone: WaitEntry[];
      transient: boolean;
    };

/** The waiting line: a channel's conversations nobody could take yet, oldest first (docs/routing.md §5.5). */
export interface WaitingLineStore {
  /** The channel's line, oldest first: at most `limit` entries, after `after` when given. */
  waitingEntries(channelId: string, limit: number, after?: WaitEntry): Promise<WaitEntry[]>;
  removeWaitEntry(entry: WaitEntry): Promise<void>;
  /** Entries from the head of the line up to and including `until` (all when absent). */
  countWaiting(channelId: string, until?: { since: string; conversationId: string }): Promise<number>;
  /**
   * The line tickets of a waiting conversation and of the head of its line (two reads whatever the
   * line's length); null when the entry is gone or carries no ticket (written before tickets were).
   */
  lineTickets(
    channelId: string,
    entry: { since: string; conversationId: string },
  ): Promise<{ mine: number; head: number } | null>;
  /** How long the conversations assigned from the line since `since` waited (ms). */
  waitedSince(channelId: string, since: string): Promise<number[]>;
  /** Channels whose rule can pick the user: listed in person or through their primary team. */
  channelsFor(userId: string, teamId: string | null): Promise<string[]>;
  /** Remember that the user can take the channel's conversations (a waiting contact owner). */
  addChannelRef(userId: string, channelId: string): Promise<void>;
  commitWaitingAssignments(plans: Array<{ entry: WaitEntry; decision: Decision }>, now: Date): Promise<WaitingOutcome>;
  /** One page of every channel's id (the sweeper's walk). */
  listChannelIds(cursor?: string): Promise<{ ids: string[]; nextCursor: string | null }>;
}
