import { decideInOrder, type Decision } from "./decide";
import { ContentionError } from "./errors";
import { emailOfflineOwner } from "./owner-notice";
import { loadPool, type Pool } from "./pool";
import type {
  Clock,
  CommitOutcome,
  CommitPlan,
  Deadline,
  Metrics,
  NewConversation,
  OwnerNotifier,
  RandomSource,
  RoutingStore,
  Stopwatch,
} from "./ports";
import { METRIC } from "./ports";
import { DEFAULT_QUEUE_TIMING, type QueueTiming, RoutingQueue, routesLeastBusy } from "./routing-queue";
import type { Channel, Contact, ContactKey, Conversation, Strategy } from "./types";

export interface RouterOptions {
  store: RoutingStore;
  clock: Clock;
  random: RandomSource;
  stopwatch: Stopwatch;
  notifier?: OwnerNotifier;
  metrics?: Metrics;
  /** Re-decisions before giving up with ContentionError (direct path). */
  maxAttempts?: number;
  /** Most conversations in one transaction (each takes up to 4 of DynamoDB's 100 items). */
  maxBatch?: number;
  /** Backoff between attempts: full jitter, `base * 2^attempt` capped at `cap` (ms). */
  backoff?: { baseMs: number; capMs: number };
  /** The routing queue's timing (routing-queue.ts). */
  queue?: QueueTiming;
  /**
   * Time kept in hand before a request's deadline: with less left, routing stops and the conversation
   * is created waiting in its channel's line instead (one write). @default 1500
   */
  deadlineReserveMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

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

interface Pending {
  request: RouteRequest;
  contact: Contact | null;
  resolve: (r: RouteResult) => void;
  reject: (e: unknown) => void;
}

/** The strategy a channel's rule routes by (for a record written without a decision). */
function strategyOf(channel: Channel): Strategy {
  if (!channel.routing.autoAssign) return "manual";
  if (channel.routing.target.type === "contact_owner") return "contact_owner";
  return channel.type === "chat" || channel.type === "bot" ? "least_busy" : "random";
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Creates conversations and routes them atomically (docs/routing.md §5, §5.4).
 *
 * Three layers keep a burst close to one write per chat:
 * 1. Group commit in the process: routings of one channel that arrive while a commit for it is in
 *    flight go together in the next transaction, decided one after another from one snapshot.
 * 2. Direct commit: the batch is created and assigned in one transaction whose conditions say the
 *    chosen users' loads are still the loads read. With no contention that is the only write.
 * 3. The routing queue across processes (routing-queue.ts), for least busy.
 * A lost race is a normal outcome, re-decided from fresh data; nothing is ever half-written. Every
 * read is the channel's pool (pool.ts), so the cost of a chat does not grow with the directory.
 */
export class Router {
  private readonly pending = new Map<string, Pending[]>();
  private readonly flushing = new Set<string>();
  private readonly maxAttempts: number;
  private readonly maxBatch: number;
  private readonly backoff: { baseMs: number; capMs: number };
  private readonly sleep: (ms: number) => Promise<void>;
  readonly queue: RoutingQueue;

  constructor(private readonly opts: RouterOptions) {
    this.maxAttempts = opts.maxAttempts ?? 40;
    this.maxBatch = opts.maxBatch ?? 24;
    this.backoff = opts.backoff ?? { baseMs: 2, capMs: 50 };
    this.sleep = opts.sleep ?? defaultSleep;
    this.queue = new RoutingQueue({
      store: opts.store,
      clock: opts.clock,
      random: opts.random,
      stopwatch: opts.stopwatch,
      sleep: this.sleep,
      timing: opts.queue ?? DEFAULT_QUEUE_TIMING,
      maxBatch: this.maxBatch,
      maxAttempts: this.maxAttempts,
      jitter: (attempt) => this.jitter(attempt),
    });
  }

  /** Create one conversation and, when asked and the rule says so, assign it. */
  async createAndRoute(request: RouteRequest): Promise<RouteResult> {
    const rule = request.channel.routing;
    const contact =
      request.route && rule.autoAssign && rule.target.type === "contact_owner" && request.contactKey
        ? await this.opts.store.findContact(request.contactKey)
        : null;
    return new Promise<RouteResult>((resolve, reject) => {
      // Batches are per channel and per "routed or not", so one batch has one policy.
      const key = `${request.channel.id}#${request.route ? "route" : "create"}`;
      const waiting = this.pending.get(key) ?? [];
      waiting.push({ request, contact, resolve, reject });
      this.pending.set(key, waiting);
      if (!this.flushing.has(key)) void this.flush(key);
    });
  }

  private async flush(key: string): Promise<void> {
    this.flushing.add(key);
    try {
      // The first batch was read with its channel a moment ago; batches that waited behind a commit
      // read the queue again with their pool.
      for (let first = true; ; first = false) {
        const waiting = this.pending.get(key);
        if (!waiting || waiting.length === 0) break;
        const batch = waiting.splice(0, this.maxBatch);
        // A batch that joined the routing queue waits for its drain on its own: the next batch goes on
        // (it will see the queue and join it), so a burst's conversations all reach the queue at once.
        const fail = (err: unknown) => {
          for (const p of batch) p.reject(err);
        };
        try {
          const { queued } = await this.commitBatch(batch, first);
          queued?.catch(fail);
        } catch (err) {
          fail(err);
        }
      }
    } finally {
      this.flushing.delete(key);
      this.pending.delete(key);
    }
  }

  /**
   * The pool and, when the queue matters and was not read with the channel, whether it holds entries.
   * The queue's head is read first: a batch that will join the queue needs no pool (a 1,000-user pool
   * is 10 BatchGetItem calls).
   */
  private async snapshot(
    channel: Channel,
    live: Pending[],
    readQueue: boolean,
  ): Promise<{ pool: Pool | null; queueWaiting: boolean }> {
    const { store } = this.opts;
    if (readQueue && (await store.queueHead(channel.id)) !== null) return { pool: null, queueWaiting: true };
    return {
      pool: await loadPool(
        store,
        channel,
        live.map((p) => p.contact),
      ),
      queueWaiting: false,
    };
  }

  /** Commits the batch; when it joins the routing queue, returns once enqueued with `queued` for the rest. */
  private async commitBatch(batch: Pending[], first: boolean): Promise<{ queued?: Promise<void> }> {
    const { store, clock } = this.opts;
    // Two copies of one dedupe key in one batch (a double click) would be the same item twice in one
    // transaction: only the first is committed, the others get its outcome.
    const leaders = new Map<string, Pending>();
    const followers: Array<{ p: Pending; leader: Pending }> = [];
    for (const p of batch) {
      const leader = leaders.get(p.request.item.dedupeKey);
      if (leader) followers.push({ p, leader });
      else leaders.set(p.request.item.dedupeKey, p);
    }
    let live = [...leaders.values()];
    const results = new Map<Pending, RouteResult>();
    const channel = live[0]!.request.channel;
    const routed = live[0]!.request.route;
    const queueable = live[0]!.request.route && routesLeastBusy(channel);
    const seenWithChannel = first && live.every((p) => p.request.queueWaiting !== undefined);
    const outOfTime = () => this.outOfTime(live);
    if (routed && outOfTime()) {
      // Not even time to read the pool: create them waiting, one write (docs/routing.md §5.5).
      await this.createWaiting(live, results, 0);
      live = [];
    }

    // Not routed (a bot chat before hand-off): nothing to read, one write.
    let snap = routed && live.length > 0 ? await this.snapshot(channel, live, queueable && !seenWithChannel) : null;
    // FIFO: while a burst is being drained for this channel, new conversations join the queue.
    let useQueue =
      queueable && (seenWithChannel ? live.some((p) => p.request.queueWaiting) : (snap?.queueWaiting ?? false));

    // Direct path. A lost race first retries at once on the fresh items the failed conditions handed
    // back (no read); losing again means others are committing now: back off with jitter and read
    // after the sleep, so the next decision is as fresh as the commit that follows it.
    let patchedSinceRead = false;
    for (let attempt = 0; !useQueue && live.length > 0; attempt++) {
      if (attempt >= this.maxAttempts)
        throw new ContentionError(`routing gave up after ${attempt} attempts under contention`);
      if (routed && outOfTime()) {
        await this.createWaiting(live, results, attempt);
        live = [];
        break;
      }
      const now = clock.now();
      const plans = this.plan(live, snap?.pool ?? null, now);
      const outcome = await store.commitNewConversations(plans, now);
      if (outcome.type === "committed") {
        plans.forEach((plan, i) =>
          results.set(live[i]!, {
            type: "created",
            conversation: plan.item.conversation,
            decision: plan.decision,
            attempts: attempt + 1,
          }),
        );
        this.report(channel, plans);
        await Promise.all([this.notifyOwners(plans, snap?.pool ?? null), this.rememberOwners(channel, plans)]);
        live = [];
        break;
      }
      live = this.settleDuplicates(
        live,
        outcome,
        plans.map((p) => p.item),
        results,
        attempt + 1,
      );
      if (live.length === 0) break;
      // Only duplicates failed: retry the rest at once.
      if (outcome.freshUsers.length === 0 && !outcome.transient) continue;
      if (queueable && outcome.freshUsers.length > 0) {
        useQueue = true; // least busy lost to another router: combine through the queue instead of chasing
      } else if (snap?.pool && outcome.freshUsers.length > 0 && !outcome.transient && !patchedSinceRead) {
        const users = new Map(snap.pool.users);
        for (const u of outcome.freshUsers) users.set(u.id, u);
        snap = { ...snap, pool: { ...snap.pool, users } };
        patchedSinceRead = true;
      } else {
        await this.sleep(this.jitter(attempt));
        if (routed) snap = await this.snapshot(channel, live, false);
        patchedSinceRead = false;
      }
    }

    const finish = () => {
      for (const [p, r] of results) p.resolve(r);
      for (const { p, leader } of followers) {
        const r = results.get(leader)!;
        // The same dedupe key in one batch: the first one created it, the others are its duplicates.
        p.resolve(
          r.type === "created" ? { type: "duplicate", conversationId: r.conversation.id, attempts: r.attempts } : r,
        );
      }
    };
    if (!useQueue || live.length === 0) {
      finish();
      return {};
    }
    let enqueued!: () => void;
    const isEnqueued = new Promise<void>((resolve) => (enqueued = resolve));
    const queued = this.queue
      .route(
        channel,
        live.map((p) => p.request.item),
        outOfTime,
        enqueued,
      )
      .then((outcomes) => {
        outcomes.forEach((o, index) => {
          const p = live[index]!;
          if (o.type === "duplicate") {
            // Our own id means an earlier attempt did commit (its answer was lost): report it as created.
            const own = o.existingId === p.request.item.conversation.id;
            results.set(
              p,
              own
                ? { type: "created", conversation: p.request.item.conversation, decision: null, attempts: 1 }
                : { type: "duplicate", conversationId: o.existingId, attempts: 1 },
            );
          } else
            results.set(p, {
              type: "created",
              conversation: o.conversation,
              decision: o.decision,
              attempts: 1,
              queued: true,
            });
        });
        finish();
      });
    await Promise.race([isEnqueued, queued]);
    return { queued };
  }

  /** Whether the request with the least time left in the batch is within the reserve of its deadline. */
  private outOfTime(live: Pending[]): boolean {
    const reserve = this.opts.deadlineReserveMs ?? 1500;
    return live.some((p) => p.request.deadline !== undefined && p.request.deadline.remainingMs() < reserve);
  }

  /**
   * Out of time: create the conversations unassigned, waiting in the channel's line (one write, no
   * read), so the answer goes out before the deadline; the waiting line or the sweeper routes them.
   */
  private async createWaiting(live: Pending[], results: Map<Pending, RouteResult>, attempts: number): Promise<void> {
    const { clock } = this.opts;
    for (let attempt = 0; live.length > 0; attempt++) {
      if (attempt >= 3) throw new ContentionError("could not create the conversations before the deadline");
      const now = clock.now();
      const why = "routing ran out of time: waiting in the channel's line";
      const plans: CommitPlan[] = live.map((p) => {
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
      const outcome = await this.opts.store.commitNewConversations(plans, now);
      if (outcome.type === "committed") {
        plans.forEach((plan, i) =>
          results.set(live[i]!, {
            type: "created",
            conversation: plan.item.conversation,
            decision: null,
            attempts: attempts + 1,
          }),
        );
        this.opts.metrics?.count("RoutingOutOfTime", plans.length, { channel: live[0]!.request.channel.id });
        return;
      }
      live = this.settleDuplicates(
        live,
        outcome,
        plans.map((p) => p.item),
        results,
        attempts + 1,
      );
    }
  }

  /** Dedupe keys that already existed resolve to the earlier conversation; returns who is still live. */
  private settleDuplicates(
    live: Pending[],
    outcome: CommitOutcome,
    items: NewConversation[],
    results: Map<Pending, RouteResult>,
    attempts: number,
  ): Pending[] {
    if (outcome.type === "committed") return live;
    for (const [index, existingId] of outcome.duplicates) {
      const p = live[index]!;
      // Our own id means an earlier attempt did commit (its answer was lost): report it as created.
      const own = existingId === p.request.item.conversation.id;
      results.set(
        p,
        own
          ? { type: "created", conversation: items[index]!.conversation, decision: null, attempts }
          : { type: "duplicate", conversationId: existingId, attempts },
      );
    }
    return live.filter((_, i) => !outcome.duplicates.has(i));
  }

  /** Decide every conversation of the batch in order, each seeing the load the previous ones add. */
  private plan(live: Pending[], pool: Pool | null, now: Date): CommitPlan[] {
    // A batch is one channel, so one inbox and one policy.
    const channel = live[0]!.request.channel;
    const decisions = pool
      ? decideInOrder(
          live.map((p) => ({ channel, contact: p.contact })),
          { users: pool.users, inbox: pool.inbox, now },
          this.opts.random,
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
      };
      return { item: { ...item, conversation }, decision };
    });
  }

  private report(channel: Channel, plans: CommitPlan[]): void {
    const metrics = this.opts.metrics;
    if (!metrics) return;
    for (const p of plans) {
      if (!p.decision) continue;
      // Time to assignment is the waiting line's figure (recorded when one leaves it), as in the stats.
      if (p.decision.userId) metrics.count(METRIC.routed, 1, { strategy: p.decision.record.strategy });
      else if (p.item.conversation.waitingSince) metrics.count(METRIC.enteredWaitingLine, 1, { channel: channel.id });
    }
  }

  /** A conversation waiting for its contact's owner: the owner's next free slot should find this channel. */
  private async rememberOwners(channel: Channel, plans: CommitPlan[]): Promise<void> {
    const owners = new Set(
      plans
        .filter((p) => p.item.conversation.waitingSince)
        .map((p) => p.decision?.record.candidates.find((c) => c.source === "contact_owner")?.userId)
        .filter((u): u is string => u !== undefined),
    );
    await Promise.all([...owners].map((u) => this.opts.store.addChannelRef(u, channel.id).catch(() => undefined)));
  }

  private async notifyOwners(plans: CommitPlan[], pool: Pool | null): Promise<void> {
    if (!this.opts.notifier || !pool) return;
    await Promise.all(
      plans
        .filter((p) => p.decision?.notifyOwner && p.decision.userId)
        .map(async (p) => {
          const owner = pool.users.get(p.decision!.userId!);
          if (!owner) return;
          await emailOfflineOwner(this.opts, {
            owner,
            conversation: p.item.conversation,
            customerMessage: p.item.message?.text ?? "",
          });
        }),
    );
  }

  private jitter(attempt: number): number {
    const ceiling = Math.min(this.backoff.capMs, this.backoff.baseMs * 2 ** attempt);
    return this.opts.random.next() * ceiling;
  }
}
