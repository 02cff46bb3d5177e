/**
 * The product's vocabulary (docs/routing.md §1). Pure data: no AWS, no HTTP.
 * Times are ISO-8601 strings so they sort lexicographically and travel as JSON unchanged.
 */

export type Seat = "sales" | "service" | "none";
export type Role = "agent" | "admin";
export type Availability = "available" | "away";
export type ChannelType = "chat" | "bot" | "email" | "form";
export type ConversationStatus = "open" | "closed";

export interface User {
  id: string;
  name: string;
  email: string;
  seat: Seat;
  role: Role;
  primaryTeamId: string | null;
  additionalTeamIds: string[];
  /** The most open conversations this user may hold; null = unlimited. */
  capacity: number | null;
  availability: Availability;
  lastInboxActivityAt: string | null;
  lastAssignedAt: string | null;
  /** Stored count of open conversations assigned to the user, in every inbox (docs/routing.md §5.3.1). */
  openCount: number;
}

export interface Team {
  id: string;
  name: string;
}

export type InboxAccess = { type: "everyone" } | { type: "restricted"; teamIds: string[]; userIds: string[] };

export interface Inbox {
  id: string;
  name: string;
  access: InboxAccess;
}

export type RoutingTarget =
  | {
      type: "users_and_teams";
      userIds: string[];
      teamIds: string[];
      /** Only in a decision record: how many listed users were left out of `userIds` for size. */
      userIdsOmitted?: number;
    }
  | { type: "contact_owner"; fallbackUserId?: string | undefined };

export interface RoutingRule {
  autoAssign: boolean;
  target: RoutingTarget;
  /**
   * Return to the line when the owner goes away (docs/routing.md §5.5): a user who turns away has the
   * open conversations of this channel unassigned and routed again. Off when absent.
   */
  returnWhenAway?: boolean | undefined;
  /**
   * Re-route when the assignee does not answer (docs/routing.md §5.6): chat and bot channels only.
   * Null or absent: the conversation stays with whoever routing gave it to.
   */
  rerouteAfter?: RerouteAfter | null | undefined;
}

export interface RerouteAfter {
  /** How long the assignee has to answer, 15..900. */
  seconds: number;
  /** How many times one conversation may lapse, 1..5. */
  maxTimes: number;
  /** Set the user it lapsed with away (they are not at their desk). */
  awayOnLapse?: boolean | undefined;
}

export type Weekday = "mon" | "tue" | "wed" | "thu" | "fri" | "sat" | "sun";

/** docs/routing.md §5.7: when a chat or bot channel is staffed, in its own time zone. */
export interface OfficeHours {
  /** An IANA time zone name (`Europe/Paris`). */
  timeZone: string;
  /** Opening intervals, local time, `HH:MM` to `HH:MM` (`24:00` = end of the day). */
  weekly: Array<{ day: Weekday; from: string; to: string }>;
  /** Local dates (`YYYY-MM-DD`) the channel stays closed. */
  closedDates?: string[] | undefined;
  /** What the widget shows while closed. */
  awayMessage?: string | undefined;
}

export interface Channel {
  id: string;
  inboxId: string;
  type: ChannelType;
  name: string;
  /** Team email address, for `email` channels. */
  address?: string | undefined;
  routing: RoutingRule;
  /** Office hours (chat and bot only); null or absent = always open. */
  hours?: OfficeHours | null | undefined;
}

export interface Contact {
  id: string;
  email: string;
  name?: string | undefined;
  ownerId: string | null;
  visitorTokens: string[];
}

/** How the contact of a new conversation is identified (docs/routing.md §5.2). */
export type ContactKey = { by: "visitorToken"; value: string } | { by: "email"; value: string };

/**
 * Mail a machine sent (docs/routing.md §6.2): an out-of-office or other auto-reply, a delivery or read
 * report, a list or bulk mailing, or one of a flood from one sender (a mail loop).
 */
export type AutomaticKind = "auto_reply" | "report" | "bulk" | "loop";

/** One recipient a delivery report says was not reached, and why, in the report's words. */
export interface DeliveryFailure {
  recipient: string;
  diagnostic: string;
}

/** What a delivery report (RFC 3464) tells: who was not reached, and which message it returns. */
export interface DeliveryReport {
  failures: DeliveryFailure[];
  /** Message-ID, In-Reply-To and References of the returned message (its headers ride in the report). */
  returnedIds: string[];
}

/** A file kept with a message (docs/routing.md §6.3); its bytes are in the attachment store. */
export interface Attachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
}

export interface Message {
  id: string;
  conversationId: string;
  /** `customer` for the visitor/sender, `agent` for a user's reply, `system` for notes. */
  /** `email`: the sender's address on customer messages (email, form, identified chat), for agents only. */
  author: { kind: "customer" | "agent" | "system"; userId?: string; name?: string; email?: string };
  text: string;
  createdAt: string;
  /** RFC 5322 Message-ID, for email threading. */
  emailMessageId?: string | undefined;
  /** On an agent's reply that is emailed to the customer: whether SES accepted it (not delivered = failed). */
  delivery?: MessageDelivery | undefined;
  /** A customer message a machine sent (docs/routing.md §6.2). */
  automatic?: AutomaticKind | undefined;
  /** Files that came with an email, or that an agent sent with a reply (docs/routing.md §6.3). */
  attachments?: Attachment[] | undefined;
}

export interface MessageDelivery {
  state: "sent" | "failed";
  /** Why it was not sent (SES's error), for the agent. */
  error?: string | undefined;
}

export interface Conversation {
  id: string;
  inboxId: string;
  channelId: string;
  channelType: ChannelType;
  status: ConversationStatus;
  assigneeId: string | null;
  teamId: string | null;
  contactId: string | null;
  subject?: string | undefined;
  /** The first line of the first message, shortened: what an inbox row shows. */
  preview?: string | undefined;
  createdAt: string;
  updatedAt: string;
  /** The record of the last routing decision; `routing` is its name on the wire (docs/api.md). */
  routing?: DecisionRecord | undefined;
  /** Set while a `bot` conversation waits for its hand-off. */
  awaitingHandoff?: boolean | undefined;
  /** Kept but never routed (SES spam/virus verdict FAIL). */
  spam?: boolean | undefined;
  /**
   * Opened by mail a machine sent (docs/routing.md §6.2): kept, never routed or assigned, listed in the
   * All view only, never counted in a load.
   */
  automatic?: AutomaticKind | undefined;
  /** Waiting in its channel's routing queue behind a burst; routed within moments. */
  routingPending?: boolean | undefined;
  /**
   * In its channel's waiting line since then (docs/routing.md §5.5): automatic routing could not assign
   * it; it is assigned as soon as someone eligible frees up. Absent once it leaves the line.
   */
  waitingSince?: string | undefined;
  /**
   * The re-route clock (docs/routing.md §5.6): while set, the assignee must answer before `at` or the
   * conversation lapses. Cleared by their reply, a manual change or a close.
   */
  lapse?: Lapse | undefined;
  /** The visitor's place in the line, computed when answered (never stored). */
  waiting?: { position: number; since: string } | undefined;
  /** The visitor's token (chat, bot): the visitor's credential for the thread, never shown to agents. */
  visitorToken?: string | undefined;
  /** Where replies go, for email and form conversations. */
  customerEmail?: string | undefined;
  /**
   * An email that named a message of another conversation but was not threaded there, and why
   * (docs/routing.md §6: only that conversation's participants thread into it).
   */
  threading?: { threaded: false; conversationId: string; reason: string } | undefined;
}

/** A conversation as stored: with the version every change is conditioned on (docs/routing.md §5.4). */
export type VersionedConversation = Conversation & { version: number };

/** The stored conversation without its storage version: what callers above the store work with. */
export function withoutVersion(c: VersionedConversation): Conversation {
  const { version: _v, ...rest } = c;
  return rest;
}

/** A conversation waiting in a channel's routing queue (cross-router group commit). */
export interface QueueEntry {
  channelId: string;
  conversationId: string;
  inboxId: string;
  createdAt: string;
  queuedAt: string;
  /** Orders the queue: oldest first. */
  position: string;
}

/** A conversation waiting in its channel's line (docs/routing.md §5.5), oldest first. */
export interface WaitEntry {
  channelId: string;
  conversationId: string;
  inboxId: string;
  createdAt: string;
  /** When it joined the line: orders the line with the conversation id. */
  since: string;
  /** The contact and its owner when it joined (contact-owner channels decide by them). */
  contactId: string | null;
  ownerId: string | null;
}

/** What made a waiting conversation assignable (the decision record says it). */
export type EligibilityTrigger =
  | { kind: "available"; userId: string }
  | { kind: "freed"; userId: string }
  | { kind: "capacity"; userId: string }
  | { kind: "joined"; userId: string }
  | { kind: "seat"; userId: string }
  | { kind: "rule"; channelId: string }
  | { kind: "away"; userId: string }
  | { kind: "sweep" };

/** Why a candidate was kept or dropped (docs/routing.md §7). */
export type CandidateReason =
  | "no_seat"
  | "no_access"
  | "not_assignable"
  | "away"
  | "at_capacity"
  | "unknown_user"
  | "eligible";

export interface CandidateExplanation {
  userId: string;
  /** Where the candidate came from: listed in the rule, primary member of a listed team, owner, fallback. */
  source: "listed_user" | `team:${string}` | "contact_owner" | "fallback_user" | "team_assignment";
  kept: boolean;
  reason: CandidateReason;
  /** Open conversations at decision time. */
  load: number;
  activeRecently: boolean;
  lastAssignedAt: string | null;
  /** Position in the least-busy ranking (1 = chosen), when ranked. */
  rank?: number;
}

export type Strategy = "least_busy" | "random" | "contact_owner" | "manual";

export type DecisionOutcome = { type: "assigned"; userId: string; why: string } | { type: "unassigned"; why: string };

/**
 * What a decision leaves on its conversation, for people to read: the rule, the strategy, each
 * candidate and why (docs/routing.md §7). The in-memory `Decision` (below) carries one as `record`, with
 * what the commit must check.
 */
export interface DecisionRecord {
  decidedAt: string;
  rule: RoutingRule | null;
  strategy: Strategy;
  candidates: CandidateExplanation[];
  /** Candidates left out of `candidates` (very large pools), counted by reason. */
  omitted?: Partial<Record<CandidateReason, number>>;
  outcome: DecisionOutcome;
  /** True when the owner was offline and was emailed (docs/routing.md §5.2). */
  ownerNotified?: boolean;
  /** How many times the decision was re-made because a user's load changed before commit. */
  retries?: number;
  /** For a conversation assigned from the waiting line: how long it waited and what made it assignable. */
  waited?: { since: string; ms: number; trigger: EligibilityTrigger };
  /** For a conversation returned to the line: whose absence returned it. */
  returnedFrom?: string;
  /** Re-routes so far (docs/routing.md §5.6): who did not answer, and within how long. */
  lapses?: Array<{ userId: string; at: string; seconds: number }>;
}

/** A pending re-route (docs/routing.md §5.6). */
export interface Lapse {
  /** When the assignee's window ends. */
  at: string;
  /** Whom the clock runs for: a lapse fires only while they still hold it. */
  assigneeId: string;
  /** Lapses so far; the clock is not set again once it reaches the rule's `maxTimes`. */
  times: number;
  /** Users it lapsed with: never routed to again. */
  lapsedWith: string[];
}

/** A decision plus what the commit must check for it to still be true (docs/routing.md §5.4). */
export interface Decision {
  record: DecisionRecord;
  /** The chosen user, if any. */
  userId: string | null;
  /**
   * The chosen user's load as read: the commit requires the stored open count to still equal it, so
   * both "the load at commit" (least busy) and "never over capacity" are checked against what was seen.
   */
  expectedLoad: number | null;
  /** The chosen user must still be `available` at commit (least busy on chat/bot). */
  requireAvailable: boolean;
  /** Send the owner an email: the owner was offline when chosen (docs/routing.md §5.2). */
  notifyOwner: boolean;
  /** The re-route clock the assignment starts, when the channel's rule asks for one (docs/routing.md §5.6). */
  lapse?: Lapse;
}
