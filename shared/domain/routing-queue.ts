import { decideInOrder, type Decision, type RandomSource } from "./decide";
import { ContentionError, NotFoundError } from "./errors";
import { loadPool } from "./pool";
import type { Clock, CommitOutcome, NewConversation, RoutingStore, Stopwatch } from "./ports";
import type { Channel, Conversation, QueueEntry } from "./types";

/** The entry that puts a new conversation in its channel's routing queue; position orders oldest first. */
export function queueEntryOf(c: Conversation, now: Date): QueueEntry {
  const queuedAt = now.toISOString();
  return { channelId: c.channelId, conversationId: c.id, inboxId: c.inboxId, createdAt: c.createdAt, queuedAt, position: `${queuedAt}#${c.id}` };
}

/** Only least busy needs the queue: every router would chase the same "least" user. Random and owner do not. */
export function routesLeastBusy(channel: { type: string; routing: { autoAssign: boolean; target: { type: string } } }): boolean {
  return channel.routing.autoAssign && channel.routing.target.type === "users_and_teams" && (channel.type === "chat" || channel.type === "bot");
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

export const DEFAULT_QUEUE_TIMING: QueueTiming = { pollMs: 10, maxPollMs: 160, staleMs: 2_000, maxWaitMs: 10_000, drainBudgetMs: 2_000 };

/** How one queued conversation ended for the router that queued it. */
export type QueuedOutcome =
  | { type: "done"; conversation: Conversation; decision: Decision | null; routed: boolean }
  | { type: "duplicate"; index: number; existingId: string };

export interface RoutingQueueDeps {
  store: RoutingStore;
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
  async route(channel: Channel, items: NewConversation[]): Promise<Map<number, QueuedOutcome>> {
    const { store, clock, stopwatch, timing } = this.deps;
    const results = new Map<number, QueuedOutcome>();
    let live = items.map((item, index) => ({ item, index }));
    let mine: Array<{ index: number; entry: QueueEntry }> = [];
    for (let attempt = 0; live.length > 0; ) {
      const now = clock.now();
      const queued = live.map(({ item, index }) => {
        const conversation: Conversation = { ...item.conversation, assigneeId: null, routingPending: true, updatedAt: now.toISOString() };
        return { index, item: { ...item, conversation }, entry: queueEntryOf(conversation, now) };
      });
      const outcome: CommitOutcome = await store.enqueueNewConversations(queued);
      if (outcome.type === "committed") {
        mine = queued.map(({ index, entry }) => ({ index, entry }));
        break;
      }
      for (const [i, existingId] of outcome.duplicates) results.set(queued[i]!.index, { type: "duplicate", index: queued[i]!.index, existingId });
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
        await Promise.all(done.map(async ({ index, entry }) => results.set(index, await this.finalResult(entry, true))));
        mine = mine.filter((m) => !done.includes(m));
        if (mine.length === 0) break;
      }
      const headIsMine = head !== null && mine.some(({ entry }) => entry.position === head.position);
      const still = stopwatch.elapsedMs() - seenSince;
      // Drain when ours is first in line on the first look (nobody drains an empty queue), or when it has
      // been first for a moment (an active drainer moves the head every batch: do not race it), or when
      // the head has not moved for `staleMs` (its router is gone).
      const drainNow = (headIsMine && (firstLook || still >= 3 * timing.pollMs)) || (head !== null && still > timing.staleMs);
      firstLook = false;
      if (drainNow) {
        await this.drain(channel);
        poll = timing.pollMs;
      } else if (stopwatch.elapsedMs() > deadline) {
        // Never lost: the conversations exist, unassigned, and whoever drains next will route them.
        await Promise.all(mine.map(async ({ index, entry }) => results.set(index, await this.finalResult(entry, false))));
        break;
      } else {
        await this.deps.sleep(poll * (0.5 + this.deps.random.next()));
        poll = Math.min(timing.maxPollMs, poll * 2);
      }
    }
    return results;
  }

  /**
   * Drain the channel's queue in batches, oldest first, until it is empty or the time budget is spent:
   * per batch, one Query of the queue's head, the pool's read and one transaction.
   */
  async drain(channel: Channel): Promise<void> {
    const { store, clock, random, stopwatch } = this.deps;
    const until = stopwatch.elapsedMs() + this.deps.timing.drainBudgetMs;
    for (let attempt = 0; stopwatch.elapsedMs() < until; ) {
      const [entries, pool] = await Promise.all([store.queueEntries(channel.id, this.deps.maxBatch), loadPool(store, channel, [])]);
      if (entries.length === 0) return;
      const now = clock.now();
      const decisions = decideInOrder(entries.map(() => ({ channel, contact: null })), { users: pool.users, inbox: pool.inbox, now }, random);
      const outcome = await store.commitDrain(entries.map((entry, i) => ({ entry, decision: decisions[i]! })), now);
      if (outcome.type === "committed") {
        attempt = 0;
        continue;
      }
      // Taken by hand meanwhile, or drained by a router that took over: only the entry is left to drop.
      await Promise.all(outcome.gone.map((e) => store.removeQueueEntry(e)));
      if (outcome.transient || (outcome.gone.length === 0 && outcome.freshUsers.length > 0)) {
        await this.deps.sleep(this.deps.jitter(++attempt));
      }
    }
  }

  private async finalResult(entry: QueueEntry, routed: boolean): Promise<QueuedOutcome> {
    const stored = await this.deps.store.getConversation(entry.conversationId);
    if (!stored) throw new NotFoundError(`conversation ${entry.conversationId} vanished`);
    const { version: _v, ...conversation } = stored;
    const record = conversation.routing;
    const decision: Decision | null =
      routed && record ? { record, userId: conversation.assigneeId, expectedLoad: null, requireAvailable: true, notifyOwner: false } : null;
    return { type: "done", conversation, decision, routed };
  }
}
