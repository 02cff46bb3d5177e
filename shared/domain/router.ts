import {
  answerAll,
  type BatchRun,
  dedupeLeaders,
  type Pending,
  planBatch,
  queuedResult,
  type RouteRequest,
  type RouteResult,
  recordCreated,
  settleDuplicates,
  waitingPlans,
  withFreshUsers,
} from "./batch";
import { ContentionError } from "./errors";
import { emailOfflineOwner } from "./owner-notice";
import { loadPool, type Pool } from "./pool";
import type { ArrivalStore, CommitPlan } from "./ports/arrival";
import type { ContactReads } from "./ports/contacts";
import type { Metrics } from "./ports/metrics";
import { METRIC } from "./ports/metrics";
import type { OwnerNotifier } from "./ports/outbound-email";
import type { Clock, RandomSource, Stopwatch } from "./ports/time";
import type { TransitionStore } from "./ports/transitions";
import type { WaitingLineStore } from "./ports/waiting-line";
import { backoffMs, sleep } from "./retry";
import {
  DEFAULT_QUEUE_TIMING,
  type QueueTiming,
  RoutingQueue,
  type RoutingQueueDeps,
  routesLeastBusy,
} from "./routing-queue";
import type { Channel } from "./types";

/** What the router reads and writes: arrivals, the routing queue, and what a decision reads. */
export type RouterStore = ArrivalStore &
  RoutingQueueDeps["store"] &
  Pick<ContactReads, "findContact"> &
  Pick<WaitingLineStore, "addChannelRef"> &
  Pick<TransitionStore, "addNote">;

export interface RouterOptions {
  store: RouterStore;
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

export type { RouteRequest, RouteResult } from "./batch";

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
    this.sleep = opts.sleep ?? sleep;
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
    const { leaders, followers } = dedupeLeaders(batch);
    const channel = leaders[0]!.request.channel;
    const routed = leaders[0]!.request.route;
    const queueable = routed && routesLeastBusy(channel);
    const run: BatchRun = {
      live: leaders,
      results: new Map(),
      channel,
      routed,
      queueable,
      snap: null,
      useQueue: false,
    };
    const seenWithChannel = first && run.live.every((p) => p.request.queueWaiting !== undefined);
    // Not even time to read the pool: create them waiting, one write (docs/routing.md §5.5).
    if (routed && this.outOfTime(run.live)) await this.createWaiting(run, 0);
    // Not routed (a bot chat before hand-off): nothing to read, one write.
    if (routed && run.live.length > 0) run.snap = await this.snapshot(channel, run.live, queueable && !seenWithChannel);
    // FIFO: while a burst is being drained for this channel, new conversations join the queue.
    run.useQueue =
      queueable && (seenWithChannel ? run.live.some((p) => p.request.queueWaiting) : (run.snap?.queueWaiting ?? false));
    if (!run.useQueue) await this.commitDirect(run);
    const finish = () => answerAll(run.results, followers);
    if (!run.useQueue || run.live.length === 0) {
      finish();
      return {};
    }
    return this.joinQueue(run, finish);
  }

  /**
   * The direct path. A lost race first retries at once on the fresh items the failed conditions handed
   * back (no read); losing again means others are committing now: back off with jitter and read after
   * the sleep, so the next decision is as fresh as the commit that follows it. Least busy that loses to
   * another router switches to the routing queue (`run.useQueue`) instead of chasing.
   */
  private async commitDirect(run: BatchRun): Promise<void> {
    const { store, clock } = this.opts;
    let patchedSinceRead = false;
    for (let attempt = 0; !run.useQueue && run.live.length > 0; attempt++) {
      if (attempt >= this.maxAttempts)
        throw new ContentionError(`routing gave up after ${attempt} attempts under contention`);
      if (run.routed && this.outOfTime(run.live)) return this.createWaiting(run, attempt);
      const now = clock.now();
      const plans = planBatch(run.live, run.snap?.pool ?? null, now, this.opts.random);
      const outcome = await store.commitNewConversations(plans, now);
      if (outcome.type === "committed") {
        recordCreated(run, plans, attempt + 1);
        this.report(run.channel, plans);
        await Promise.all([this.notifyOwners(plans, run.snap?.pool ?? null), this.rememberOwners(run.channel, plans)]);
        return;
      }
      run.live = settleDuplicates(run, outcome, plans, attempt + 1);
      // Only duplicates failed: retry the rest at once.
      if (outcome.freshUsers.length === 0 && !outcome.transient) continue;
      if (run.queueable && outcome.freshUsers.length > 0) run.useQueue = true;
      else if (run.snap?.pool && outcome.freshUsers.length > 0 && !outcome.transient && !patchedSinceRead) {
        run.snap = { ...run.snap, pool: withFreshUsers(run.snap.pool, outcome.freshUsers) };
        patchedSinceRead = true;
      } else {
        await this.sleep(this.jitter(attempt));
        if (run.routed) run.snap = await this.snapshot(run.channel, run.live, false);
        patchedSinceRead = false;
      }
    }
  }

  /** The rest of the batch joins the channel's routing queue; answers come when its drain routes them. */
  private async joinQueue(run: BatchRun, finish: () => void): Promise<{ queued: Promise<void> }> {
    let enqueued!: () => void;
    const isEnqueued = new Promise<void>((resolve) => (enqueued = resolve));
    const live = run.live;
    const queued = this.queue
      .route(
        run.channel,
        live.map((p) => p.request.item),
        () => this.outOfTime(live),
        enqueued,
      )
      .then((outcomes) => {
        outcomes.forEach((o, index) => run.results.set(live[index]!, queuedResult(live[index]!, o)));
        finish();
      });
    await Promise.race([isEnqueued, queued]);
    return { queued };
  }

  /**
   * Out of time: create the conversations unassigned, waiting in the channel's line (one write, no
   * read), so the answer goes out before the deadline; the waiting line or the sweeper routes them.
   */
  private async createWaiting(run: BatchRun, attempts: number): Promise<void> {
    for (let attempt = 0; run.live.length > 0; attempt++) {
      if (attempt >= 3) throw new ContentionError("could not create the conversations before the deadline");
      const now = this.opts.clock.now();
      const plans = waitingPlans(run.live, now);
      const outcome = await this.opts.store.commitNewConversations(plans, now);
      if (outcome.type === "committed") {
        this.opts.metrics?.count(METRIC.routingOutOfTime, plans.length, { channel: run.channel.id });
        recordCreated(run, plans, attempts + 1);
        return;
      }
      run.live = settleDuplicates(run, outcome, plans, attempts + 1);
    }
  }

  /** Whether the request with the least time left in the batch is within the reserve of its deadline. */
  private outOfTime(live: Pending[]): boolean {
    const reserve = this.opts.deadlineReserveMs ?? 1500;
    return live.some((p) => p.request.deadline !== undefined && p.request.deadline.remainingMs() < reserve);
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
    return this.opts.random.next() * backoffMs(attempt, this.backoff.capMs, this.backoff.baseMs);
  }
}
