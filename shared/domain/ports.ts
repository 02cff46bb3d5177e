import type { AdminService } from "./admin";
import type { ConversationService } from "./conversations";
import type { Decision, RandomSource } from "./decide";
import type { FormService } from "./forms";
import type { PresenceService } from "./presence";
import type { PreviewRequest, RulePreview } from "./rule-preview";
import type { VisitorService } from "./visitors";
import type { ChannelStats } from "./waiting-line";
import type {
  Channel,
  Contact,
  ContactKey,
  Conversation,
  ConversationStatus,
  Inbox,
  Message,
  MessageDelivery,
  QueueEntry,
  Team,
  User,
  VersionedConversation,
  WaitEntry,
} from "./types";

/** Injected time, so tie-breaks and "active recently" are exact in tests. */
export interface Clock {
  now(): Date;
}

export type { RandomSource };

/**
 * A monotonic time source in milliseconds, for waits and time budgets only (never stored): the routing
 * queue's polling and the deadline of a request. Injected like the Clock, so tests control it.
 */
export interface Stopwatch {
  elapsedMs(): number;
}

/**
 * The time a request has left (deployed: the Lambda's remaining time, under API Gateway's 30 s). Routing
 * stops before it runs out and answers with the conversation created and waiting (docs/routing.md §5.5).
 */
export interface Deadline {
  remainingMs(): number;
}

/** Users, teams and inboxes named by id, read together: never the whole directory (docs/routing.md §5). */
export interface Entities {
  users: Map<string, User>;
  teams: Map<string, Team>;
  inboxes: Map<string, Inbox>;
}

/** Which entities to read. */
export interface EntityIds {
  userIds?: readonly string[];
  teamIds?: readonly string[];
  inboxIds?: readonly string[];
}

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
  /** A dedupe record written with the change (an email threaded by Message-ID): applied at most once. */
  dedupe?: { key: string; expiresAt?: number };
}

export type DrainOutcome =
  | { type: "committed" }
  | {
      type: "conflict";
      freshUsers: User[];
      /** Entries whose conversation changed meanwhile (taken by hand) while the entry is still queued. */
      gone: QueueEntry[];
      transient: boolean;
    };

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

export type TransitionOutcome =
  | { type: "committed" }
  | { type: "stale" } // the conversation changed since it was read
  | { type: "user_conflict"; userId: string; fresh: User | null } // capacity reached or load moved
  | { type: "duplicate" } // the dedupe record exists: this change was applied before
  | { type: "transient" };

/** The store the routing module needs. Implemented once, by the DynamoDB adapter. */
export interface RoutingStore {
  getChannel(channelId: string): Promise<Channel | null>;
  /** The channel and the first `queueLimit` entries of its routing queue: one consistent Query. */
  readChannel(channelId: string, queueLimit: number): Promise<ChannelState | null>;
  /** The named users, teams and inboxes, read consistently: cost grows with the ids, never the directory. */
  loadEntities(ids: EntityIds): Promise<Entities>;
  /** Ids of the primary members of a team (the candidates it brings to a rule). */
  teamMembers(teamId: string): Promise<string[]>;
  findContact(key: ContactKey): Promise<Contact | null>;
  getContact(id: string): Promise<Contact | null>;
  /** The named contacts, by id (one BatchGetItem per 100): missing ones are left out. */
  getContacts(ids: readonly string[]): Promise<Map<string, Contact>>;
  /** Create every conversation of the batch and apply every assignment, all or nothing. */
  commitNewConversations(plans: CommitPlan[], now: Date): Promise<CommitOutcome>;
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
  getConversation(id: string): Promise<VersionedConversation | null>;
  /**
   * Add a system note to a conversation's thread after the fact, without changing the conversation
   * (an owner notification that could not be sent). A second call with the same note changes nothing.
   */
  addNote(note: Message): Promise<void>;
  /** The channel's line, oldest first: at most `limit` entries, after `after` when given. */
  waitingEntries(channelId: string, limit: number, after?: WaitEntry): Promise<WaitEntry[]>;
  removeWaitEntry(entry: WaitEntry): Promise<void>;
  /** Entries from the head of the line up to and including `until` (all when absent). */
  countWaiting(channelId: string, until?: { since: string; conversationId: string }): Promise<number>;
  /** How long the conversations assigned from the line since `since` waited (ms). */
  waitedSince(channelId: string, since: string): Promise<number[]>;
  /** Channels whose rule can pick the user: listed in person or through their primary team. */
  channelsFor(userId: string, teamId: string | null): Promise<string[]>;
  /** Remember that the user can take the channel's conversations (a waiting contact owner). */
  addChannelRef(userId: string, channelId: string): Promise<void>;
  commitWaitingAssignments(plans: Array<{ entry: WaitEntry; decision: Decision }>, now: Date): Promise<WaitingOutcome>;
  /** One page of every channel's id (the sweeper's walk). */
  listChannelIds(cursor?: string): Promise<{ ids: string[]; nextCursor: string | null }>;
  commitTransition(t: Transition, now: Date): Promise<TransitionOutcome>;
}

/** Emails an offline owner (docs/routing.md §5.2). */
export interface OwnerNotifier {
  notifyOfflineOwner(input: { owner: User; conversation: Conversation; customerMessage: string }): Promise<void>;
}

/** Sends an agent's reply to the customer of an email or form conversation (docs/api.md "Outbound email"). */
export interface CustomerEmailSender {
  sendReply(input: {
    /** For the adapter's failure log line. */
    conversationId: string;
    from: string;
    to: string;
    subject: string;
    text: string;
    /** The customer's last Message-ID, for In-Reply-To and References: their answer threads back by it. */
    inReplyTo: string | null;
  }): Promise<void>;
}

/**
 * Operational metrics (deployed: CloudWatch through Powertools EMF). Names are PascalCase, e.g.
 * `EmailSendFailed`, `ConversationsWaiting`; dimensions stay low-cardinality (channel id, strategy).
 */
export interface Metrics {
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
  milliseconds(name: string, value: number, dimensions?: Record<string, string>): void;
}

/**
 * The service's metric names, shared by the domain that reports them, the EMF adapter, the dashboard and
 * the alarms, so a rename cannot leave a widget or an alarm watching nothing.
 */
export const METRIC = {
  /** An outbound email (reply to a customer, owner notification) SES refused or that failed to send. */
  emailSendFailed: "EmailSendFailed",
  /** A conversation assigned by routing; dimension `strategy`. */
  routed: "Routed",
  /** Conversations in a channel's waiting line (docs/routing.md §5.5). */
  conversationsWaiting: "ConversationsWaiting",
  /** Age of the oldest conversation in a waiting line. */
  oldestWaitMs: "OldestWaitMs",
  /** A conversation that joined its channel's waiting line (nobody could take it). */
  enteredWaitingLine: "EnteredWaitingLine",
  /** An eligibility trigger that failed after its request answered (the sweep catches up). */
  waitingLineTriggerFailed: "WaitingLineTriggerFailed",
  /** A channel the sweeper could not drain this minute (the others still were). */
  sweepChannelFailed: "SweepChannelFailed",
  /**
   * How long a conversation that waited in the line waited before its assignment: the same figure as
   * `GET /channels/{id}/stats` (a conversation routed on arrival waits for nothing and is not counted).
   */
  timeToAssignmentMs: "TimeToAssignmentMs",
  /** An inbound email over the size cap, kept with its large parts omitted. */
  oversizedEmail: "OversizedEmail",
} as const;

/** Metrics that go nowhere: the default where nothing observes them. */
export const noMetrics: Metrics = { count: () => {}, milliseconds: () => {} };

// ---- Configuration and read models, on top of what routing needs

/** The part of a user an admin sets; availability, activity and load are the user's own. */
export type UserProfile = Pick<
  User,
  "id" | "name" | "email" | "seat" | "role" | "primaryTeamId" | "additionalTeamIds" | "capacity"
>;

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

export interface ConversationPage {
  items: Conversation[];
  nextCursor: string | null;
}

/** What a visitor typed about themselves: shown to agents, never trusted for routing (docs/routing.md §6.1). */
export interface VisitorProfile {
  unverifiedEmail?: string;
  name?: string;
  /** Contacts created by this visitor's verified identify calls (bounded). */
  contactsCreated: number;
}

export interface VisitorLinkInput {
  token: string;
  email: string;
  name?: string;
  newContactId: string;
  maxContactsCreated: number;
}

/** One attempt to link a visitor token to the contact with an email; `conflict` = someone wrote meanwhile. */
export type VisitorLinkOutcome = { type: "linked"; contact: Contact } | { type: "conflict" } | { type: "limit" };

/** One page of the account's users, by id (docs/api.md `GET /users`). */
export interface UserPage {
  items: User[];
  nextCursor: string | null;
}

/** Configuration and read models, on top of what routing needs. */
export interface AdminStore extends RoutingStore {
  putUser(profile: UserProfile): Promise<User>;
  getUser(id: string): Promise<User | null>;
  updatePresence(userId: string, change: { availability?: User["availability"]; activityAt?: string }): Promise<User>;
  listUsers(q: { limit: number; cursor?: string | undefined }): Promise<UserPage>;
  getInbox(id: string): Promise<Inbox | null>;
  putTeam(team: Team): Promise<void>;
  putInbox(inbox: Inbox): Promise<void>;
  putChannel(channel: Channel): Promise<void>;
  findChannelByAddress(address: string): Promise<Channel | null>;
  findByDedupeKey(channelId: string, key: string): Promise<string | null>;
  getContact(id: string): Promise<Contact | null>;
  putContact(contact: Contact): Promise<void>;
  getVisitorProfile(token: string): Promise<VisitorProfile | null>;
  recordUnverifiedEmail(token: string, email: string, name?: string): Promise<void>;
  /**
   * Links the token to the contact with this email (created as `newContactId` if there is none, at most
   * `maxContactsCreated` per token), moving it off any other contact, all in one conditional transaction.
   */
  linkVisitor(input: VisitorLinkInput): Promise<VisitorLinkOutcome>;
  /** The conversation each dedupe key points at, in one batched read (missing keys are absent). */
  findByDedupeKeys(channelId: string, keys: string[]): Promise<Map<string, string>>;
  /** Whether this address already wrote a message in the conversation (a participant, docs/routing.md §6.2). */
  hasMessageFrom(conversationId: string, email: string): Promise<boolean>;
  listConversations(q: ConversationQuery): Promise<ConversationPage>;
  listMessages(conversationId: string): Promise<Message[]>;
  /** The newest `count` messages of a conversation, oldest first (one bounded read). */
  lastMessages(conversationId: string, count: number): Promise<Message[]>;
  /** Records on an existing message whether its email was sent (docs/api.md: `delivery`). */
  setMessageDelivery(message: Message, delivery: MessageDelivery): Promise<void>;
}

// ---- Bounded reads for the web inbox

/** One page of a listing (docs/api.md: every list answers `{items, nextCursor}`). */
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

// ---- Driving ports: what adapters that take requests (HTTP) may call

/** Who a chat visitor is, as agents see it (docs/routing.md §6.1). */
export interface VisitorIdentity {
  email: string;
  name?: string;
  verified: boolean;
  contactId?: string;
}

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
  assigneeName(conversation: Conversation): Promise<string | null>;
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

/** Every write a request can make goes through one of these services. */
export interface CommandServices {
  admin: AdminService;
  conversations: ConversationService;
  visitors: VisitorService;
  forms: FormService;
  presence: PresenceService;
}
