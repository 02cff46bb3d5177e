import { hasAccess, hasPaidSeat, isAssignable } from "./access";
import { isLiveChannel } from "./channels";
import { isOpen, opensWhen } from "./office-hours";
import type { RandomSource } from "./ports/time";
import type {
  CandidateExplanation,
  CandidateReason,
  Channel,
  Contact,
  Decision,
  DecisionRecord,
  Inbox,
  RoutingRule,
  Strategy,
  User,
} from "./types";

/** docs/routing.md §5.3.3: "used the inbox in the last two minutes". */
export const ACTIVE_RECENTLY_MS = 2 * 60_000;
/** docs/routing.md §5.2: offline = away, or no inbox activity in the last 5 minutes. */
export const OFFLINE_AFTER_MS = 5 * 60_000;
/**
 * Explanations list at most this many candidates (kept ones first, in rank order), so a 1,000-agent pool
 * cannot bloat the item; the rest are counted by reason in `omitted`.
 */
export const MAX_EXPLAINED_CANDIDATES = 50;

/** Everything a decision reads. Built from one consistent read; decisions never do I/O. */
export interface RoutingSnapshot {
  users: ReadonlyMap<string, User>;
  inbox: Inbox;
  now: Date;
}

/** What the decision needs to know about the new conversation. */
export interface RoutingSubject {
  channel: Channel;
  /** The identified contact, for `contact_owner` (null when unknown). */
  contact: Contact | null;
}

export function isActiveRecently(user: User, now: Date): boolean {
  return (
    user.lastInboxActivityAt !== null && now.getTime() - Date.parse(user.lastInboxActivityAt) <= ACTIVE_RECENTLY_MS
  );
}

export function isOffline(user: User, now: Date): boolean {
  if (user.availability === "away") return true;
  return user.lastInboxActivityAt === null || now.getTime() - Date.parse(user.lastInboxActivityAt) > OFFLINE_AFTER_MS;
}

export function atCapacity(user: User): boolean {
  return user.capacity !== null && user.openCount >= user.capacity;
}

/**
 * docs/routing.md §5.3 ordering: fewest open, then active in the last two minutes, then least recently assigned
 * (never = longest ago), then smallest id. Negative when `a` should be preferred.
 */
export function compareLeastBusy(a: User, b: User, now: Date): number {
  return compareWithActivity(a, isActiveRecently(a, now), b, isActiveRecently(b, now));
}

/** compareLeastBusy with "active recently" already known: a 1,000-user pool sorts without re-parsing dates. */
function compareWithActivity(a: User, activeA: boolean, b: User, activeB: boolean): number {
  if (a.openCount !== b.openCount) return a.openCount - b.openCount;
  if (activeA !== activeB) return activeA ? -1 : 1;
  const lastA = a.lastAssignedAt ?? "";
  const lastB = b.lastAssignedAt ?? "";
  if (lastA !== lastB) return lastA < lastB ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Candidates of a users_and_teams rule: listed users, then primary members of listed teams, no duplicates. */
export function collectCandidates(
  target: { userIds: string[]; teamIds: string[] },
  users: ReadonlyMap<string, User>,
): Array<{ userId: string; source: CandidateExplanation["source"] }> {
  const seen = new Set<string>();
  const out: Array<{ userId: string; source: CandidateExplanation["source"] }> = [];
  for (const userId of target.userIds) {
    if (!seen.has(userId)) {
      seen.add(userId);
      out.push({ userId, source: "listed_user" });
    }
  }
  const teams = new Set(target.teamIds);
  const members = [...users.values()]
    .filter((u) => u.primaryTeamId !== null && teams.has(u.primaryTeamId))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const u of members) {
    if (!seen.has(u.id)) {
      seen.add(u.id);
      out.push({ userId: u.id, source: `team:${u.primaryTeamId}` });
    }
  }
  return out;
}

function explain(
  userId: string,
  source: CandidateExplanation["source"],
  user: User | undefined,
  reason: CandidateReason,
  now: Date,
): CandidateExplanation {
  return {
    userId,
    source,
    kept: reason === "eligible",
    reason,
    load: user?.openCount ?? 0,
    activeRecently: user ? isActiveRecently(user, now) : false,
    lastAssignedAt: user?.lastAssignedAt ?? null,
  };
}

/** docs/routing.md §5.1 eligibility: exists, paid seat, assignable; plus availability and capacity when asked. */
export function eligibility(
  user: User | undefined,
  inbox: Inbox,
  opts: { requireAvailable: boolean },
): CandidateReason {
  if (!user) return "unknown_user";
  if (!hasPaidSeat(user)) return "no_seat";
  if (!hasAccess(user, inbox)) return "no_access";
  if (!isAssignable(user, inbox)) return "not_assignable";
  if (opts.requireAvailable && user.availability !== "available") return "away";
  // The capacity invariant (docs/routing.md §5.4) holds for every strategy, not only least busy.
  if (atCapacity(user)) return "at_capacity";
  return "eligible";
}

/** The rule as the record keeps it: a rule listing hundreds of users keeps the first ones and a count. */
function ruleForRecord(rule: RoutingRule | null): RoutingRule | null {
  if (rule?.target.type !== "users_and_teams" || rule.target.userIds.length <= MAX_EXPLAINED_CANDIDATES) return rule;
  const { userIds } = rule.target;
  return {
    ...rule,
    target: {
      ...rule.target,
      userIds: userIds.slice(0, MAX_EXPLAINED_CANDIDATES),
      userIdsOmitted: userIds.length - MAX_EXPLAINED_CANDIDATES,
    },
  };
}

function record(
  rule: RoutingRule | null,
  strategy: Strategy,
  candidates: CandidateExplanation[],
  outcome: DecisionRecord["outcome"],
  now: Date,
): DecisionRecord {
  // Kept candidates first (in rank order), then dropped ones; capped for very large pools.
  const ordered = [...candidates].sort((a, b) => Number(b.kept) - Number(a.kept) || (a.rank ?? 0) - (b.rank ?? 0));
  const shown = ordered.slice(0, MAX_EXPLAINED_CANDIDATES);
  const decision: DecisionRecord = {
    decidedAt: now.toISOString(),
    rule: ruleForRecord(rule),
    strategy,
    candidates: shown,
    outcome,
  };
  if (ordered.length > shown.length) {
    const omitted: Partial<Record<CandidateReason, number>> = {};
    for (const c of ordered.slice(shown.length)) omitted[c.reason] = (omitted[c.reason] ?? 0) + 1;
    decision.omitted = omitted;
  }
  return decision;
}

/**
 * Pick among users by the channel's automatic policy: least busy for chat/bot, uniform random for
 * email/form (docs/routing.md §5.1). Used by routing and by "assign to team" (docs/routing.md §3.5).
 */
export function pickByPolicy(
  channelType: Channel["type"],
  pool: Array<{ userId: string; source: CandidateExplanation["source"] }>,
  snapshot: RoutingSnapshot,
  random: RandomSource,
  rule: RoutingRule | null,
): Decision {
  const { users, inbox, now } = snapshot;
  const leastBusy = isLiveChannel(channelType);
  const candidates = pool.map(({ userId, source }) => {
    const user = users.get(userId);
    return explain(userId, source, user, eligibility(user, inbox, { requireAvailable: leastBusy }), now);
  });
  const eligible = candidates.filter((c) => c.kept).map((c) => users.get(c.userId)!);
  const strategy: Strategy = leastBusy ? "least_busy" : "random";
  if (eligible.length === 0) {
    const why = pool.length === 0 ? "no candidates" : "no eligible candidate";
    return none(record(rule, strategy, candidates, { type: "unassigned", why }, now));
  }

  let chosen: User;
  if (leastBusy) {
    const byId = new Map(candidates.map((c) => [c.userId, c]));
    // Each candidate's "active recently" was worked out once, for its explanation.
    eligible.sort((a, b) => compareWithActivity(a, byId.get(a.id)!.activeRecently, b, byId.get(b.id)!.activeRecently));
    eligible.forEach((u, i) => {
      const c = byId.get(u.id);
      if (c) c.rank = i + 1;
    });
    chosen = eligible[0]!;
  } else {
    // Sort first so that the same random number always picks the same user (replayable decisions).
    eligible.sort((a, b) => (a.id < b.id ? -1 : 1));
    chosen = eligible[Math.min(eligible.length - 1, Math.floor(random.next() * eligible.length))]!;
  }
  const why = leastBusy
    ? `least busy: ${chosen.openCount} open conversation(s)${isActiveRecently(chosen, now) ? ", active recently" : ""}`
    : `picked at random among ${eligible.length} eligible user(s)`;
  return {
    record: record(rule, strategy, candidates, { type: "assigned", userId: chosen.id, why }, now),
    userId: chosen.id,
    expectedLoad: chosen.openCount,
    requireAvailable: leastBusy,
    notifyOwner: false,
  };
}

function none(record: DecisionRecord): Decision {
  return { record, userId: null, expectedLoad: null, requireAvailable: false, notifyOwner: false };
}

/** docs/routing.md §5.2: the contact's owner, else (chat only) the fallback user, else unassigned. */
function decideContactOwner(
  rule: RoutingRule & { target: { type: "contact_owner" } },
  subject: RoutingSubject,
  snapshot: RoutingSnapshot,
): Decision {
  const { users, inbox, now } = snapshot;
  const candidates: CandidateExplanation[] = [];
  const ownerId = subject.contact?.ownerId ?? null;
  if (ownerId !== null) {
    const owner = users.get(ownerId);
    const reason = eligibility(owner, inbox, { requireAvailable: false });
    candidates.push(explain(ownerId, "contact_owner", owner, reason, now));
    if (owner && reason === "eligible") {
      const offline = isOffline(owner, now);
      const why = offline ? "contact owner (offline: emailed)" : "contact owner";
      return {
        record: {
          ...record(rule, "contact_owner", candidates, { type: "assigned", userId: owner.id, why }, now),
          ownerNotified: offline,
        },
        userId: owner.id,
        expectedLoad: owner.openCount,
        requireAvailable: false,
        notifyOwner: offline,
      };
    }
  }
  const fallbackId = subject.channel.type === "chat" ? rule.target.fallbackUserId : undefined;
  if (fallbackId !== undefined) {
    const fallback = users.get(fallbackId);
    const reason = eligibility(fallback, inbox, { requireAvailable: false });
    candidates.push(explain(fallbackId, "fallback_user", fallback, reason, now));
    if (fallback && reason === "eligible") {
      const why = ownerId === null ? "contact has no owner: fallback user" : "owner cannot take it: fallback user";
      return {
        record: record(rule, "contact_owner", candidates, { type: "assigned", userId: fallback.id, why }, now),
        userId: fallback.id,
        expectedLoad: fallback.openCount,
        requireAvailable: false,
        notifyOwner: false,
      };
    }
  }
  const why =
    subject.contact === null
      ? "contact not identified"
      : ownerId === null
        ? "contact has no owner"
        : "owner cannot take it";
  return none(record(rule, "contact_owner", candidates, { type: "unassigned", why }, now));
}

/**
 * docs/routing.md §5: the routing decision for one new conversation, as a pure function of a snapshot.
 * It can be replayed and property-tested; the commit that makes it true is separate (the router).
 */
export function decide(subject: RoutingSubject, snapshot: RoutingSnapshot, random: RandomSource): Decision {
  return decideFrom(subject, snapshot, random, null);
}

/** `decide` with the rule's candidate list already collected (it does not change within a batch). */
function decideFrom(
  subject: RoutingSubject,
  snapshot: RoutingSnapshot,
  random: RandomSource,
  collected: ReturnType<typeof collectCandidates> | null,
): Decision {
  const { channel } = subject;
  const rule = channel.routing;
  if (!rule.autoAssign) {
    return none(record(rule, "manual", [], { type: "unassigned", why: "automatic assignment is off" }, snapshot.now));
  }
  // docs/routing.md §5.7: outside office hours nobody is assigned; the chat waits in the line.
  if (isLiveChannel(channel.type) && channel.hours && !isOpen(channel.hours, snapshot.now)) {
    const strategy: Strategy = rule.target.type === "contact_owner" ? "contact_owner" : "least_busy";
    const why = `outside office hours: ${opensWhen(channel.hours, snapshot.now)}`;
    return none(record(rule, strategy, [], { type: "unassigned", why }, snapshot.now));
  }
  const decision =
    rule.target.type === "contact_owner"
      ? decideContactOwner(rule as RoutingRule & { target: { type: "contact_owner" } }, subject, snapshot)
      : pickByPolicy(channel.type, collected ?? collectCandidates(rule.target, snapshot.users), snapshot, random, rule);
  return withLapseClock(decision, channel, snapshot.now);
}

/**
 * docs/routing.md §5.6: an assignment by routing on a channel that re-routes unanswered chats starts
 * the assignee's clock. The lapse itself continues the chain (`shared/domain/reroute.ts`).
 */
export function withLapseClock(
  decision: Decision,
  channel: Channel,
  now: Date,
  chain: { times: number; lapsedWith: string[] } = { times: 0, lapsedWith: [] },
): Decision {
  const reroute = channel.routing.rerouteAfter;
  if (!decision.userId || !reroute || !isLiveChannel(channel.type) || chain.times >= reroute.maxTimes) return decision;
  const at = new Date(now.getTime() + reroute.seconds * 1000).toISOString();
  return { ...decision, lapse: { at, assigneeId: decision.userId, ...chain } };
}

/**
 * Decide a batch of new conversations of one channel from one snapshot, in order: each decision sees
 * the load the previous ones add (group commit and the queue drain both commit batches this way).
 */
export function decideInOrder(subjects: RoutingSubject[], snapshot: RoutingSnapshot, random: RandomSource): Decision[] {
  let current = snapshot;
  // Who the candidates are depends on the rule and the users' teams, which a batch never changes.
  const collected = new Map<RoutingRule, ReturnType<typeof collectCandidates>>();
  return subjects.map((subject) => {
    const rule = subject.channel.routing;
    let pool = collected.get(rule) ?? null;
    if (!pool && rule.autoAssign && rule.target.type === "users_and_teams") {
      pool = collectCandidates(rule.target, current.users);
      collected.set(rule, pool);
    }
    const decision = decideFrom(subject, current, random, pool);
    if (decision.userId) current = applyToSnapshot(current, decision.userId);
    return decision;
  });
}

/** A copy of the snapshot in which `userId` holds one more conversation, assigned now. */
export function applyToSnapshot(snapshot: RoutingSnapshot, userId: string): RoutingSnapshot {
  const user = snapshot.users.get(userId);
  if (!user) return snapshot;
  const users = new Map(snapshot.users);
  users.set(userId, { ...user, openCount: user.openCount + 1, lastAssignedAt: snapshot.now.toISOString() });
  return { ...snapshot, users };
}
