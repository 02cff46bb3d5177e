import { isLiveChannel } from "./channels";
import { decideInOrder } from "./decide";
import type { Pool } from "./pool";
import type { CommitOutcome, CommitPlan, NewConversation } from "./ports/arrival";
import type { Deadline, RandomSource } from "./ports/time";
import type { QueuedOutcome } from "./routing-queue";
import type { Channel, Contact, ContactKey, Conversation, Decision, Strategy, User } from "./types";
import { OUT_OF_TIME_WHY } from "./wording";

/**
 * One batch of the router's group commit (router.ts): the requests, what each came to, and the pure
 * steps between reads and writes (decide in order, settle duplicates, build the "out of time" plans).
 */

export interface RouteRequest {
  channel: Channel;
  /**
   * Whether the channel's routing queue held entries when the channel was read for this request (the
   * same Query returns both). Unknown = read it with the pool.
   */
  queueWaiting?: boolean;
  item: NewConversation;
  /** How to find the contact for `contact_owner` rules. */
  contactKey: ContactKey | null;
  /** Route now (false = create unassigned, e.g. a bot chat before hand-off). */
  route: boolean;
  /** The time the request has left; absent = no limit but the router's own. */
  deadline?: Deadline;
}

/**
 * What creating a conversation came to: a new conversation (routed or not), or a duplicate delivery
 * (its dedupe key already names a conversation, which is left as it is: docs/routing.md §5.4).
 */
export type RouteResult =
  | {
      type: "created";
      conversation: Conversation;
      decision: Decision | null;
      attempts: number;
      /** True when the conversation went through the channel's routing queue. */
      queued?: boolean;
    }
  | { type: "duplicate"; conversationId: string; attempts: number };

/** A request waiting in the router for its batch's commit. */
export interface Pending {
  request: RouteRequest;
  contact: Contact | null;
  resolve: (r: RouteResult) => void;
  reject: (e: unknown) => void;
}

/** A batch being committed: who is still to be created, what the others came to, and what was read. */
export interface BatchRun {
  live: Pending[];
  results: Map<Pending, RouteResult>;
  /** A batch is one channel, so one inbox and one policy. */
  channel: Channel;
  routed: boolean;
  /** Least busy: a lost race joins the routing queue instead of chasing. */
  queueable: boolean;
  snap: { pool: Pool | null; queueWaiting: boolean } | null;
  useQueue: boolean;
}

/** The strategy a channel's rule routes by (for a record written without a decision). */
export function strategyOf(channel: Channel): Strategy {
  if (!channel.routing.autoAssign) return "manual";
  if (channel.routing.target.type === "contact_owner") return "contact_owner";
  return isLiveChannel(channel.type) ? "least_busy" : "random";
}

/**
 * Two copies of one dedupe key in one batch (a double click) would be the same item twice in one
 * transaction: only the first (the leader) is committed, the others get its outcome.
 */
export function dedupeLeaders(batch: Pending[]): {
  leaders: Pending[];
  followers: Array<{ p: Pending; leader: Pending }>;
} {
  const leaders = new Map<string, Pending>();
  const followers: Array<{ p: Pending; leader: Pending }> = [];
  for (const p of batch) {
    const leader = leaders.get(p.request.item.dedupeKey);
    if (leader) followers.push({ p, leader });
    else leaders.set(p.request.item.dedupeKey, p);
  }
  return { leaders: [...leaders.values()], followers };
}

/** Every request of the batch gets its answer; a follower, its leader's as a duplicate. */
export function answerAll(results: Map<Pending, RouteResult>, followers: Array<{ p: Pending; leader: Pending }>) {
  for (const [p, r] of results) p.resolve(r);
  for (const { p, leader } of followers) {
    const r = results.get(leader)!;
    p.resolve(
      r.type === "created" ? { type: "duplicate", conversationId: r.conversation.id, attempts: r.attempts } : r,
    );
  }
}

/** Decide every conversation of the batch in order, each seeing the load the previous ones add. */
export function planBatch(live: Pending[], pool: Pool | null, now: Date, random: RandomSource): CommitPlan[] {
  const channel = live[0]!.request.channel;
  const decisions = pool
    ? decideInOrder(
        live.map((p) => ({ channel, contact: p.contact })),
        { users: pool.users, inbox: pool.inbox, now },
        random,
      )
    : [];
  return live.map((p, i) => {
    const decision = decisions[i] ?? null;
    const { item } = p.request;
    // Automatic routing found nobody: the conversation joins its channel's line (docs/routing.md §5.5).
    const waits = decision !== null && decision.userId === null && decision.record.strategy !== "manual";
    const conversation: Conversation = {
      ...item.conversation,
      contactId: item.conversation.contactId ?? p.contact?.id ?? null,
      assigneeId: decision?.userId ?? null,
      routing: decision?.record ?? item.conversation.routing,
      updatedAt: now.toISOString(),
      ...(waits ? { waitingSince: now.toISOString() } : {}),
      ...(decision?.lapse ? { lapse: decision.lapse } : {}),
    };
    return { item: { ...item, conversation }, decision };
  });
}

/** Out of time: each conversation created unassigned, waiting in its channel's line, saying why. */
export function waitingPlans(live: Pending[], now: Date): CommitPlan[] {
  const why = OUT_OF_TIME_WHY;
  return live.map((p) => {
    const { item, channel } = p.request;
    const conversation: Conversation = {
      ...item.conversation,
      contactId: item.conversation.contactId ?? p.contact?.id ?? null,
      assigneeId: null,
      routing: {
        decidedAt: now.toISOString(),
        rule: channel.routing,
        strategy: strategyOf(channel),
        candidates: [],
        outcome: { type: "unassigned", why },
      },
      updatedAt: now.toISOString(),
      waitingSince: now.toISOString(),
    };
    return { item: { ...item, conversation }, decision: null };
  });
}

/** The batch's live requests were committed as planned: each is created; none is left live. */
export function recordCreated(run: BatchRun, plans: CommitPlan[], attempts: number): void {
  plans.forEach((plan, i) =>
    run.results.set(run.live[i]!, {
      type: "created",
      conversation: plan.item.conversation,
      decision: plan.decision,
      attempts,
    }),
  );
  run.live = [];
}

/** Dedupe keys that already existed resolve to the earlier conversation; returns who is still live. */
export function settleDuplicates(run: BatchRun, outcome: CommitOutcome, plans: CommitPlan[], attempts: number) {
  if (outcome.type === "committed") return run.live;
  for (const [index, existingId] of outcome.duplicates) {
    const p = run.live[index]!;
    run.results.set(p, duplicateResult(p, plans[index]!.item.conversation, existingId, attempts));
  }
  return run.live.filter((_, i) => !outcome.duplicates.has(i));
}

/** Our own id means an earlier attempt did commit (its answer was lost): report it as created. */
function duplicateResult(p: Pending, mine: Conversation, existingId: string, attempts: number): RouteResult {
  return existingId === p.request.item.conversation.id
    ? { type: "created", conversation: mine, decision: null, attempts }
    : { type: "duplicate", conversationId: existingId, attempts };
}

/** What a request that went through the routing queue came to. */
export function queuedResult(p: Pending, o: QueuedOutcome): RouteResult {
  if (o.type === "duplicate") return duplicateResult(p, p.request.item.conversation, o.existingId, 1);
  return { type: "created", conversation: o.conversation, decision: o.decision, attempts: 1, queued: true };
}

/** The pool with the users a failed commit handed back as they are now. */
export function withFreshUsers(pool: Pool, fresh: User[]): Pool {
  const users = new Map(pool.users);
  for (const u of fresh) users.set(u.id, u);
  return { ...pool, users };
}
