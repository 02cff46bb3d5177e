import type { Decision, QueueEntry, User } from "../types";
import type { CommitOutcome, NewConversation } from "./arrival";

export type DrainOutcome =
  | { type: "committed" }
  | {
      type: "conflict";
      freshUsers: User[];
      /** Entries whose conversation changed meanwhile (taken by hand) while the entry is still queued. */
      gone: QueueEntry[];
      transient: boolean;
    };

/**
 * The routing queue: a channel's conversations that arrived together and are routed by one request in
 * arrival order (docs/routing.md §5.4). Not the waiting line, which holds those nobody could take.
 */
export interface RoutingQueueStore {
  /** Create the conversations unassigned and put them in their channel's routing queue (one write). */
  enqueueNewConversations(queued: Array<{ item: NewConversation; entry: QueueEntry }>): Promise<CommitOutcome>;
  /** The oldest entry of a channel's queue, or null when it is empty. */
  queueHead(channelId: string): Promise<QueueEntry | null>;
  /** The oldest `limit` entries of a channel's queue. */
  queueEntries(channelId: string, limit: number): Promise<QueueEntry[]>;
  /** Assign queued conversations and remove their entries, all or nothing. */
  commitDrain(entries: Array<{ entry: QueueEntry; decision: Decision }>, now: Date): Promise<DrainOutcome>;
  /** Drop an entry whose conversation no longer waits (assigned by hand, or gone). */
  removeQueueEntry(entry: QueueEntry): Promise<void>;
}
