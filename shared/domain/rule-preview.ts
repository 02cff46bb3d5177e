import { isPaidSeat } from "./access";
import { decide } from "./decide";
import { NotFoundError } from "./errors";
import type { Clock, RandomSource } from "./ports/time";
import type {
  CandidateExplanation,
  Channel,
  Contact,
  ContactKey,
  Conversation,
  Inbox,
  RoutingRule,
  User,
} from "./types";

/**
 * docs/routing.md §8: what a proposed rule would have done to a channel's recent conversations. Each
 * conversation is replayed through the routing decision (`decide`) from the state its own decision
 * record saw (loads, availability, recent activity, seats); users that record did not see are taken as
 * they are now, and said to be estimated. Nothing is written.
 */

/** Days replayed when the request names none, and the most it may name. */
export const PREVIEW_DEFAULT_DAYS = 7;
export const PREVIEW_MAX_DAYS = 30;
/** Conversations replayed at the most (the newest of the window). */
export const PREVIEW_MAX_CONVERSATIONS = 5_000;
/** Changed-owner examples answered, the newest first. */
export const PREVIEW_EXAMPLES = 5;

export interface PreviewUser {
  userId: string;
  name: string | null;
  /** Conversations the recorded decisions gave the user. */
  actual: number;
  /** Conversations the proposed rule would have given them. */
  preview: number;
  /** At least one replay took this user as they are now: the recorded decision did not see them. */
  estimated: boolean;
}

export interface PreviewExample {
  conversationId: string;
  actualAssigneeId: string | null;
  previewAssigneeId: string | null;
  /** The would-be decision's outcome, in words ("least busy: 0 open conversation(s)"). */
  explanation: string;
}

export interface RulePreview {
  /** Conversations replayed (those with a recorded decision). */
  conversations: number;
  from: string;
  to: string;
  users: PreviewUser[];
  /** Conversations routing left unassigned (nobody eligible), recorded and previewed. */
  waiting: { actual: number; preview: number };
  /** Conversations whose assignee the proposed rule changes (to someone else, or to nobody). */
  changedOwner: number;
  examples: PreviewExample[];
}

export interface ReplayInput {
  /** The channel as it is (type, inbox); its stored rule is replaced by `rule`. */
  channel: Channel;
  rule: RoutingRule;
  /** The inbox as it is now: access is not part of a decision record. */
  inbox: Inbox;
  /** The conversations to replay, oldest first; those without a decision record are skipped. */
  conversations: readonly Conversation[];
  /** Users as they are now: the recorded candidates, the rule's users and teams' members, contact owners. */
  usersNow: ReadonlyMap<string, User>;
  /** The conversations' contacts as they are now (contact-owner rules). */
  contacts: ReadonlyMap<string, Contact>;
  random: RandomSource;
  window: { from: string; to: string };
}

/** The user as a recorded candidate explanation says they were, on top of what is known of them now. */
function asRecorded(
  c: CandidateExplanation,
  now: User | undefined,
  times: { decidedAt: string; inactiveAt: string },
  loadDelta: number,
): User | null {
  if (c.reason === "unknown_user") return null;
  const base: User = now ?? {
    id: c.userId,
    name: c.userId,
    email: "",
    seat: "service",
    role: "agent",
    primaryTeamId: null,
    additionalTeamIds: [],
    capacity: null,
    availability: "available",
    lastInboxActivityAt: null,
    lastAssignedAt: null,
    openCount: 0,
  };
  // Every reason after "no_seat" was reached by a user with a paid seat (decide.ts `eligibility` order).
  const seat = c.reason === "no_seat" ? "none" : isPaidSeat(base.seat) ? base.seat : "service";
  const availability = c.reason === "away" ? "away" : c.reason === "eligible" ? "available" : base.availability;
  let capacity = base.capacity;
  if (c.reason === "at_capacity") capacity = c.load;
  else if (c.reason === "eligible" && capacity !== null && capacity <= c.load) capacity = c.load + 1;
  // Only "active in the last two minutes" is recorded: an inactive user is placed well before that.
  const activity = c.activeRecently ? times.decidedAt : times.inactiveAt;
  // Built field by field (not spread): a replay builds one per candidate per conversation.
  return {
    id: base.id,
    name: base.name,
    email: base.email,
    seat,
    role: base.role,
    primaryTeamId: base.primaryTeamId,
    additionalTeamIds: base.additionalTeamIds,
    capacity,
    availability,
    lastInboxActivityAt: activity,
    lastAssignedAt: c.lastAssignedAt,
    openCount: Math.max(0, c.load + loadDelta),
  };
}

/**
 * Replays the conversations under the proposed rule, oldest first. A user's load in each replay is the
 * one recorded (or today's, estimated), plus the conversations the preview gave them earlier in the
 * replay and minus those it took away: the preview's own assignments spread the work as routing would.
 * Closing is not replayed (a conversation given in the preview counts until the end of the window).
 */
export function replayRule(input: ReplayInput): RulePreview {
  const { rule, inbox, usersNow, contacts, random } = input;
  const channel: Channel = { ...input.channel, routing: rule };
  const delta = new Map<string, number>();
  const counts = new Map<string, { actual: number; preview: number }>();
  const estimated = new Set<string>();
  const bump = (userId: string, field: "actual" | "preview") => {
    const c = counts.get(userId) ?? { actual: 0, preview: 0 };
    c[field] += 1;
    counts.set(userId, c);
  };
  const changed: PreviewExample[] = [];
  let replayed = 0;
  const waiting = { actual: 0, preview: 0 };

  for (const conversation of input.conversations) {
    const recorded = conversation.routing;
    if (!recorded) continue;
    replayed++;
    // Each user built once: as recorded if the decision saw them, else as now; either with the replay's delta.
    const times = {
      decidedAt: recorded.decidedAt,
      inactiveAt: new Date(Date.parse(recorded.decidedAt) - 10 * 60_000).toISOString(),
    };
    const seen = new Set<string>();
    const users = new Map<string, User>();
    for (const c of recorded.candidates) {
      seen.add(c.userId);
      const user = asRecorded(c, usersNow.get(c.userId), times, delta.get(c.userId) ?? 0);
      if (user) users.set(c.userId, user);
    }
    for (const [id, user] of usersNow) {
      if (seen.has(id)) continue;
      const d = delta.get(id) ?? 0;
      users.set(id, d === 0 ? user : { ...user, openCount: Math.max(0, user.openCount + d) });
    }

    const contact = conversation.contactId ? (contacts.get(conversation.contactId) ?? null) : null;
    const decision = decide({ channel, contact }, { users, inbox, now: new Date(recorded.decidedAt) }, random);
    for (const c of decision.record.candidates) if (!seen.has(c.userId)) estimated.add(c.userId);

    const actualId = recorded.outcome.type === "assigned" ? recorded.outcome.userId : null;
    const previewId = decision.userId;
    if (actualId) {
      bump(actualId, "actual");
      delta.set(actualId, (delta.get(actualId) ?? 0) - 1);
    }
    if (previewId) {
      bump(previewId, "preview");
      delta.set(previewId, (delta.get(previewId) ?? 0) + 1);
    }
    if (!actualId && recorded.rule?.autoAssign) waiting.actual++;
    if (!previewId && rule.autoAssign) waiting.preview++;
    if (actualId !== previewId) {
      changed.push({
        conversationId: conversation.id,
        actualAssigneeId: actualId,
        previewAssigneeId: previewId,
        explanation: decision.record.outcome.why,
      });
    }
  }

  const users = [...counts.entries()]
    .map(([userId, c]) => ({
      userId,
      name: usersNow.get(userId)?.name ?? null,
      actual: c.actual,
      preview: c.preview,
      estimated: estimated.has(userId),
    }))
    .sort((a, b) => Math.max(b.actual, b.preview) - Math.max(a.actual, a.preview) || (a.userId < b.userId ? -1 : 1));
  return {
    conversations: replayed,
    from: input.window.from,
    to: input.window.to,
    users,
    waiting,
    changedOwner: changed.length,
    examples: changed.slice(-PREVIEW_EXAMPLES).reverse(),
  };
}

/** The reads a preview makes: each bounded by the window, the conversation cap or the ids named. */
export interface PreviewReads {
  getChannel(channelId: string): Promise<Channel | null>;
  /** The channel's conversations created in [from, to], the newest `limit`, oldest first (gsi5, paged). */
  channelConversations(channelId: string, from: string, to: string, limit: number): Promise<Conversation[]>;
  loadEntities(ids: { userIds?: readonly string[]; inboxIds?: readonly string[] }): Promise<{
    users: Map<string, User>;
    inboxes: Map<string, Inbox>;
  }>;
  teamMembers(teamId: string): Promise<string[]>;
  getContacts(ids: readonly string[]): Promise<Map<string, Contact>>;
  findContact(key: ContactKey): Promise<Contact | null>;
}

/** Contact look-ups a preview runs at once (a contact-owner preview of conversations with no contact id). */
const CONTACT_LOOKUPS_AT_ONCE = 16;

/** How routing would identify the conversation's contact (docs/routing.md §5.2): token in chat, else email. */
function contactKeyOf(c: Conversation): ContactKey | null {
  if (c.visitorToken) return { by: "visitorToken", value: c.visitorToken };
  if (c.customerEmail) return { by: "email", value: c.customerEmail };
  return null;
}

export interface PreviewRequest {
  rule: RoutingRule;
  days?: number | undefined;
  limit?: number | undefined;
}

/** docs/routing.md §8: reads the channel's recent conversations and who they name, then replays them. */
export class RulePreviewService {
  constructor(
    private readonly deps: {
      reads: PreviewReads;
      clock: Clock;
      random: RandomSource;
      /** The rule checks of saving (docs/routing.md §4): a rule that could not be saved is not previewed. */
      checkRule: (channel: Channel, rule: RoutingRule) => Promise<void>;
    },
  ) {}

  async preview(channelId: string, req: PreviewRequest): Promise<RulePreview> {
    const { reads, clock, random } = this.deps;
    const channel = await reads.getChannel(channelId);
    if (!channel) throw new NotFoundError(`channel ${channelId} does not exist`);
    await this.deps.checkRule(channel, req.rule);
    const to = clock.now();
    const from = new Date(to.getTime() - (req.days ?? PREVIEW_DEFAULT_DAYS) * 86_400_000);
    const window = { from: from.toISOString(), to: to.toISOString() };
    const limit = Math.min(req.limit ?? PREVIEW_MAX_CONVERSATIONS, PREVIEW_MAX_CONVERSATIONS);
    const conversations = await reads.channelConversations(channelId, window.from, window.to, limit);

    const contacts =
      req.rule.target.type === "contact_owner" ? await this.contactsOf(conversations) : new Map<string, Contact>();
    const target = req.rule.target;
    const teamMembers =
      target.type === "users_and_teams" ? await Promise.all(target.teamIds.map((t) => reads.teamMembers(t))) : [];
    // Everyone a replay may look at: recorded candidates, the rule's users, its teams' members, owners.
    const userIds = new Set<string>();
    for (const c of conversations) for (const x of c.routing?.candidates ?? []) userIds.add(x.userId);
    if (target.type === "users_and_teams") for (const id of [...target.userIds, ...teamMembers.flat()]) userIds.add(id);
    if (target.type === "contact_owner" && target.fallbackUserId) userIds.add(target.fallbackUserId);
    for (const contact of contacts.values()) if (contact.ownerId) userIds.add(contact.ownerId);
    const { users, inboxes } = await reads.loadEntities({ userIds: [...userIds], inboxIds: [channel.inboxId] });
    const inbox = inboxes.get(channel.inboxId);
    if (!inbox) throw new NotFoundError(`inbox ${channel.inboxId} does not exist`);
    return replayRule({ channel, rule: req.rule, inbox, conversations, usersNow: users, contacts, random, window });
  }

  /**
   * The contact of each conversation, keyed by contact id, and each conversation given the id it would be
   * routed by: the recorded `contactId` (a contact-owner arrival), else its visitor token or sender looked
   * up as routing would (one read per distinct key, CONTACT_LOOKUPS_AT_ONCE at a time).
   */
  private async contactsOf(conversations: Conversation[]): Promise<Map<string, Contact>> {
    const { reads } = this.deps;
    const contacts = await reads.getContacts([...new Set(conversations.flatMap((c) => c.contactId ?? []))]);
    const unknown = new Map<string, { key: ContactKey; conversations: Conversation[] }>();
    for (const c of conversations) {
      const key = c.contactId ? null : contactKeyOf(c);
      if (!key) continue;
      const k = `${key.by}:${key.value}`;
      const entry = unknown.get(k) ?? { key, conversations: [] };
      entry.conversations.push(c);
      unknown.set(k, entry);
    }
    const pending = [...unknown.values()];
    const worker = async () => {
      for (let next = pending.pop(); next; next = pending.pop()) {
        const contact = await reads.findContact(next.key);
        if (!contact) continue;
        contacts.set(contact.id, contact);
        for (const c of next.conversations) c.contactId = contact.id;
      }
    };
    await Promise.all(Array.from({ length: CONTACT_LOOKUPS_AT_ONCE }, worker));
    return contacts;
  }
}
