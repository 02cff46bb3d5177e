import type { Conversation, Message, MessageDelivery, User, VersionedConversation } from "../types";

/** A change to one existing conversation, committed only if it is still at `before.version`. */
export interface Transition {
  before: VersionedConversation;
  after: Conversation;
  message?: Message | null;
  /** A system note saying who did what by hand (docs/routing.md §3), written in the same transaction. */
  note?: Message | null;
  /** The new assignee's load the choice was based on (least busy to a team), if any. */
  expectedLoad?: number | null;
  /** Least busy chose the new assignee for being available: they must still be at commit (§5.4). */
  requireAvailable?: boolean;
  /** When the new assignee is assigned by routing, record it as their last assignment time. */
  markAssigned?: boolean;
  /** A user set away in the same transaction (a re-route with `awayOnLapse`, docs/routing.md §5.6). */
  awayUserId?: string | null;
  /** A dedupe record written with the change (an email threaded by Message-ID): applied at most once. */
  dedupe?: { key: string; expiresAt?: number };
}

export type TransitionOutcome =
  | { type: "committed" }
  | { type: "stale" } // the conversation changed since it was read
  | { type: "user_conflict"; userId: string; fresh: User | null } // capacity reached or load moved
  | { type: "duplicate" } // the dedupe record exists: this change was applied before
  | { type: "transient" };

/** Existing conversations: read one, change it under its version, add to its thread. */
export interface TransitionStore {
  getConversation(id: string): Promise<VersionedConversation | null>;
  commitTransition(t: Transition, now: Date): Promise<TransitionOutcome>;
  /**
   * Add a system note to a conversation's thread after the fact, without changing the conversation
   * (an owner notification that could not be sent). A second call with the same note changes nothing.
   */
  addNote(note: Message): Promise<void>;
  /** Records on an existing message whether its email was sent (docs/api.md: `delivery`). */
  setMessageDelivery(message: Message, delivery: MessageDelivery): Promise<void>;
}
