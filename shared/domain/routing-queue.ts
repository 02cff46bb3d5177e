import { isLiveChannel } from "./channels";
import { applyToSnapshot, decideInOrder, type RoutingSnapshot } from "./decide";
import { ContentionError, NotFoundError } from "./errors";
import { loadPool, type Pool } from "./pool";
import type { CommitOutcome, NewConversation } from "./ports/arrival";
import type { DirectoryReads } from "./ports/directory";
import type { RoutingQueueStore } from "./ports/routing-queue";
import type { Clock, RandomSource, Stopwatch } from "./ports/time";
import type { TransitionStore } from "./ports/transitions";
import type { Channel, ChannelType, Conversation, Decision, QueueEntry } from "./types";
import { withoutVersion } from "./types";

/** The entry that puts a new conversation in its channel's routing queue; position orders oldest first. */
export function queueEntryOf(c: Conversation, now: Date): QueueEntry {
  const queuedAt = now.toISOString();
  return {
    channelId: c.channelId,
    conversationId: c.id,
    inboxId: c.inboxId,
    createdAt: c.createdAt,
    queuedAt,
    position: `${queuedAt}#${c.id}`,
  };
}

/** Only least busy needs the queue: every router would chase the same "least" user. Random and owner do not. */
export function routesLeastBusy(channel: {
  type: ChannelType;
  routing: { autoAssign: boolean; target: { type: string } };
}): boolean {
  return channel.routing.autoAssign && channel.routing.target.type === "users_and_teams" && isLiveChannel(channel.type);
}

export interface QueueTiming {
  /** A waiting router reads the head every `pollMs`, doubling up to `maxPollMs`. */
  pollMs: number;
  maxPollMs: number;
  /** A head that has not moved for `staleMs` is taken as abandoned (its router crashed) and drained. */
  staleMs: number;
  /** How long a router waits for its conversations before answering them as still queued. */
  maxWaitMs: number;
  /** Time one drain may spend before handing the rest to whoever is next. */
  drainBudgetMs: number;
}

export const DEFAULT_QUEUE_TIMING: QueueTiming = {
  pollMs: 10,
  maxPollMs: 160,
  staleMs: 2_000,
  maxWaitMs: 10_000,
  drainBudgetMs: 2_000,
};

/** DynamoDB's limit of items in one transaction. */
export const MAX_TRANSACTION_ITEMS = 100;

/**
 * Split decided entries, in order, into batches that fit one transaction (`perEntry` items per entry,
 * e.g. its conversation and its queue entry, one more when it joins the waiting line, plus one per
 * user assigned), and the batches into waves whose
 * batches touch disjoint users: the batches of a wave can commit at the same time, since none of their
 * conditions depends on another's writes. A batch sharing a user with the wave starts the next one.
 */
export function waves<T extends { decision: Decision }>(
  decided: T[],
  maxItems = MAX_TRANSACTION_ITEMS,
  perEntry = 2,
): T[][][] {
  const batches: Array<{ batch: T[]; users: Set<string> }> = [];
  let current = { batch: [] as T[], users: new Set<string>() };
  for (const d of decided) {
    const user = d.decision.userId;
    // An entry nobody takes joins the waiting line: one more item.
    const entryItems = (batch: T[]) => batch.reduce((s, x) => s + perEntry + (x.decision.userId === null ? 1 : 0), 0);
    const items = entryItems([...current.batch, d]) + current.users.size + (user && !current.users.has(user) ? 1 : 0);
    if (items > maxItems) {
      batches.push(current);
      current = { batch: [], users: new Set() };
    }
    current.batch.push(d);
    if (user) current.users.add(user);
  }
  if (current.batch.length > 0) batches.push(current);
  const out: T[][][] = [];
  let wave: T[][] = [];
  let used = new Set<string>();
  for (const { batch, users } of batches) {
    if (wave.length > 0 && [...users].some((u) => used.has(u))) {
      out.push(wave);
      wave = [];
      used = new Set();
    }
    wave.push(batch);
    for (const u of users) used.add(u);
  }
  if (wave.length > 0) out.push(wave);
  return out;
}

/** How one queued conversation ended for the router that queued it. */
export type QueuedOutcome =
  | { type: "done"; conversation: Conversation; decision: Decision | null; routed: boolean }
  | { type: "duplicate"; index: number; existingId: string };

export interface RoutingQueueDeps {
  store: RoutingQueueStore & DirectoryReads & Pick<TransitionStore, "getConversation">;
  clock: Clock;
  random: RandomSource;
  stopwatch: Stopwatch;
  sleep: (ms: number) => Promise<void>;
  timing: QueueTiming;
  maxBatch: number;
  maxAttempts: number;
  /** Backoff before attempt n (ms). */
  jitter: (attempt: number) => number;
}

/**
 * The routing queue across processes (least busy only, docs/routing.md §5.4). A router that lost the
 * race, or sees a queue already forming for its channel, creates its conversations unassigned with a
 * queue entry (one write). The router whose entry is first in line drains the queue: one snapshot read
 * and one transaction per batch. The others only read the head until theirs are done. So routers in
 * separate processes (one Lambda per chat) combine their work instead of chasing the same user.
 */
export class RoutingQueue {
  constructor(private readonly deps: RoutingQueueDeps) {}

  /**
   * Enqueue the items (one write), then drain when at the head, or wait while another router drains.
   * Returns, per item index, how it ended; duplicates are reported as soon as the enqueue says so.
   */
  async route(
    channel: Channel,
    items: NewConversation[],
    outOfTime: () => boolean = () => false,
    onEnqueued: () => void = () => {},
  ): Promise<Map<number, QueuedOutcome>> {
    const { store, clock, stopwatch, timing } = this.deps;
    const results = new Map<number, QueuedOutcome>();
    let live = items.map((item, index) => ({ item, index }));
    let mine: Array<{ index: number; entry: QueueEntry }> = [];
    for (let attempt = 0; live.length > 0; ) {
      const now = clock.now();
      const queued = live.map(({ item, index }) => {
        const conversation: Conversation = {
          ...item.conversation,
          assigneeId: null,
          routingPending: true,
          updatedAt: now.toISOString(),
        };
        return { index, item: { ...item, conversation }, entry: queueEntryOf(conversation, now) };
      });
      const outcome: CommitOutcome = await store.enqueueNewConversations(queued);
      if (outcome.type === "committed") {
        mine = queued.map(({ index, entry }) => ({ index, entry }));
        onEnqueued();
        break;
      }
      for (const [i, existingId] of outcome.duplicates)
        results.set(queued[i]!.index, { type: "duplicate", index: queued[i]!.index, existingId });
      live = live.filter((_, i) => !outcome.duplicates.has(i));
      if (live.length === 0) break;
      if (++attempt >= this.deps.maxAttempts) throw new ContentionError("could not enqueue the conversations");
      await this.deps.sleep(this.deps.jitter(attempt));
    }

    const deadline = stopwatch.elapsedMs() + timing.maxWaitMs;
    let seenHead: string | null = null;
    let seenSince = stopwatch.elapsedMs();
    let poll = timing.pollMs;
    let firstLook = true;
    while (mine.length > 0) {
      const head = await store.queueHead(channel.id);
      if (head?.position !== seenHead) {
        seenHead = head?.position ?? null;
        seenSince = stopwatch.elapsedMs();
      }
      // Entries are removed oldest first: ours are done once the head has moved past them.
      const done = mine.filter(({ entry }) => head === null || entry.position < head.position);
      if (done.length > 0) {
        await Promise.all(
          done.map(async ({ index, entry }) => results.set(index, await this.finalResult(entry, true))),
        );
        mine = mine.filter((m) => !done.includes(m));
        if (mine.length === 0) break;
      }
      const headIsMine = head !== null && mine.some(({ entry }) => entry.position === head.position);
      const still = stopwatch.elapsedMs() - seenSince;
      // Drain when ours is first in line on the first look (nobody drains an empty queue), or when it has
      // been first for a moment (an active drainer moves the head every batch: do not race it), or when
      // the head has not moved for `staleMs` (its router is gone).
      const drainNow =
        (headIsMine && (firstLook || still >= 3 * timing.pollMs)) || (head !== null && still > timing.staleMs);
      firstLook = false;
      if (drainNow && !outOfTime()) {
        await this.routeQueued(channel);
        poll = timing.pollMs;
      } else if (stopwatch.elapsedMs() > deadline || outOfTime()) {
        // Never lost: the conversations exist, unassigned, and whoever drains next (a router, the
        // sweeper) will route them.
        await Promise.all(
          mine.map(async ({ index, entry }) => results.set(index, await this.finalResult(entry, false))),
        );
        break;
      } else {
        await this.deps.sleep(poll * (0.5 + this.deps.random.next()));
        poll = Math.min(timing.maxPollMs, poll * 2);
      }
    }
    return results;
  }

  /**
   * Drain the channel's queue, oldest first, until it is empty or the time budget is spent. One read of
   * the pool serves every round while the commits succeed (each round's own assignments are applied to
   * it; anyone else's change fails a commit's conditions, and only then is the pool read again). A
   * round decides up to four batches in order and commits the batches whose users do not overlap at
   * the same time: a 1,000-agent pool drains in parallel, a 5-agent pool one batch after another.
   */
  async routeQueued(channel: Channel): Promise<void> {
    const { store, clock, random, stopwatch, maxBatch } = this.deps;
    const until = stopwatch.elapsedMs() + this.deps.timing.drainBudgetMs;
    let pool: Pool | null = null;
    for (let attempt = 0; stopwatch.elapsedMs() < until; ) {
      const [entries, read]: [QueueEntry[], Pool] = await Promise.all([
        store.queueEntries(channel.id, 4 * maxBatch),
        pool ? Promise.resolve(pool) : loadPool(store, channel, []),
      ]);
      if (entries.length === 0) return;
      const now = clock.now();
      const snapshot: RoutingSnapshot = { users: read.users, inbox: read.inbox, now };
      const decisions = decideInOrder(
        entries.map(() => ({ channel, contact: null })),
        snapshot,
        random,
      );
      const decided = entries.map((entry, i) => ({ entry, decision: decisions[i]! }));
      let failed = false;
      for (const wave of waves(decided)) {
        const outcomes = await Promise.all(wave.map((batch) => store.commitDrain(batch, now)));
        const conflicts = outcomes.filter((o) => o.type === "conflict");
        if (conflicts.length === 0) continue;
        failed = true;
        // Taken by hand meanwhile, or drained by a router that took over: only the entry is left to drop.
        await Promise.all(conflicts.flatMap((o) => o.gone).map((e) => store.removeQueueEntry(e)));
        const mustWait = conflicts.some((o) => o.transient || (o.gone.length === 0 && o.freshUsers.length > 0));
        if (mustWait) await this.deps.sleep(this.deps.jitter(++attempt));
        break;
      }
      if (failed) pool = null;
      else {
        attempt = 0;
        // The pool as these commits left it: each chosen user one conversation more, assigned now.
        let after = snapshot;
        for (const { decision } of decided) if (decision.userId) after = applyToSnapshot(after, decision.userId);
        pool = { inbox: read.inbox, users: new Map(after.users) };
      }
    }
  }

  private async finalResult(entry: QueueEntry, routed: boolean): Promise<QueuedOutcome> {
    const stored = await this.deps.store.getConversation(entry.conversationId);
    if (!stored) throw new NotFoundError(`conversation ${entry.conversationId} vanished`);
    const conversation = withoutVersion(stored);
    const record = conversation.routing;
    const decision: Decision | null =
      routed && record
        ? { record, userId: conversation.assigneeId, expectedLoad: null, requireAvailable: true, notifyOwner: false }
        : null;
    return { type: "done", conversation, decision, routed };
  }
}
