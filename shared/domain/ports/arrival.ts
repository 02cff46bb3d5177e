import type { Channel, Conversation, Decision, Message, QueueEntry, User } from "../types";

/** A channel with the head of its routing queue, read together (one Query of the channel's partition). */
export interface ChannelState {
  channel: Channel;
  /** The first entries of the channel's routing queue, oldest first (as many as asked). */
  queue: QueueEntry[];
}

/** A conversation to create, with its first message and the key that makes its creation idempotent. */
export interface NewConversation {
  conversation: Conversation;
  message: Message | null;
  /** Per channel: `chat:<idempotencyKey>`, `form:<submissionId>`, `email:<Message-ID>`, or `conv:<id>`. */
  dedupeKey: string;
  /** Epoch seconds after which the dedupe record may expire (TTL); absent = kept. */
  dedupeExpiresAt?: number;
}

export interface CommitPlan {
  item: NewConversation;
  /** Null when the conversation is created without routing (auto-assign off, bot before hand-off). */
  decision: Decision | null;
}

/** What a failed commit tells the router, so it can re-decide without reading again. */
export type CommitOutcome =
  | { type: "committed" }
  | {
      type: "conflict";
      /** Users whose condition failed, as they are now (from ALL_OLD): their load moved. */
      freshUsers: User[];
      /** Plan index -> id of the conversation that already holds this dedupe key. */
      duplicates: Map<number, string>;
      /** Failed for a reason that retrying later may fix (transaction conflict, throttling). */
      transient: boolean;
    };

/** Where new conversations arrive: their channel, their idempotency keys and the commit that creates them. */
export interface ArrivalStore {
  getChannel(channelId: string): Promise<Channel | null>;
  /** The channel and the first `queueLimit` entries of its routing queue: one consistent Query. */
  readChannel(channelId: string, queueLimit: number): Promise<ChannelState | null>;
  /** The channel of a team email address (docs/api.md "Inbound email"). */
  findChannelByAddress(address: string): Promise<Channel | null>;
  findByDedupeKey(channelId: string, key: string): Promise<string | null>;
  /** The conversation each dedupe key points at, in one batched read (missing keys are absent). */
  findByDedupeKeys(channelId: string, keys: string[]): Promise<Map<string, string>>;
  /** Create every conversation of the batch and apply every assignment, all or nothing. */
  commitNewConversations(plans: CommitPlan[], now: Date): Promise<CommitOutcome>;
}
