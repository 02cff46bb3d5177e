import { decideInOrder, type Decision } from "./decide";
import { ContentionError, NotFoundError } from "./errors";
import type { Clock, CommitOutcome, CommitPlan, Directory, NewConversation, OwnerNotifier, RandomSource, RoutingStore } from "./ports";
import { queueEntryOf, routesLeastBusy } from "./queue";
import type { Channel, Contact, ContactKey, Conversation, QueueEntry } from "./types";

export interface RouterOptions {
  store: RoutingStore;
  clock: Clock;
  random: RandomSource;
  notifier?: OwnerNotifier;
  /** Re-decisions before giving up with ContentionError (direct path). */
  maxAttempts?: number;
  /** Most conversations in one transaction (each takes up to 4 of DynamoDB's 100 items). */
  maxBatch?: number;
  /** Backoff between attempts: full jitter, `base * 2^attempt` capped at `cap` (ms). */
  backoff?: { baseMs: number; capMs: number };
  /**
   * Routing queue: a waiting router reads the head every `pollMs`, doubling up to `maxPollMs`; a head
   * that has not moved for `staleMs` is taken as abandoned (its router crashed) and drained by others.
   */
  queue?: { pollMs: number; maxPollMs: number; staleMs: number; maxWaitMs: number; drainBudgetMs: number };
  sleep?: (ms: number) => Promise<void>;
}

export interface RouteRequest {
  channel: Channel;
  item: NewConversation;
  /** How to find the contact for `contact_owner` rules. */
  contactKey: ContactKey | null;
  /** Route now (false = create unassigned, e.g. a bot chat before hand-off). */
  route: boolean;
}

export interface RouteResult {
  conversation: Conversation;
  /** False when the dedupe key already existed: `conversation` carries the earlier one's id. */
  created: boolean;
  existingConversationId?: string;
  decision: Decision | null;
  attempts: number;
  /** True when the conversation went through the channel's routing queue. */
  queued?: boolean;
}

interface Pending {
  request: RouteRequest;
  contact: Contact | null;
  resolve: (r: RouteResult) => void;
  reject: (e: unknown) => void;
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
 * 3. Routing queue (least busy only): a router that lost the race, or sees a queue already forming,
 *    creates its conversations unassigned with a queue entry (one write). The router whose entry is the
 *    oldest drains the queue: decides every waiting conversation from one snapshot and commits them in
 *    one transaction. The others only read the head until theirs are done. So routers in separate
 *    processes (one Lambda per chat) combine their work instead of chasing the same least-busy user.
 * A lost race is a normal outcome, re-decided from fresh data; nothing is ever half-written.
 */
export class Router {
  private readonly queues = new Map<string, Pending[]>();
  private readonly flushing = new Set<string>();
  private readonly maxAttempts: number;
  private readonly maxBatch: number;
  private readonly backoff: { baseMs: number; capMs: number };
  private readonly queueOpts: NonNullable<RouterOptions["queue"]>;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: RouterOptions) {
    this.maxAttempts = opts.maxAttempts ?? 40;
    this.maxBatch = opts.maxBatch ?? 24;
    this.backoff = opts.backoff ?? { baseMs: 2, capMs: 50 };
    this.queueOpts = opts.queue ?? { pollMs: 10, maxPollMs: 160, staleMs: 2_000, maxWaitMs: 10_000, drainBudgetMs: 2_000 };
    this.sleep = opts.sleep ?? defaultSleep;
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
      const queue = this.queues.get(key) ?? [];
      queue.push({ request, contact, resolve, reject });
      this.queues.set(key, queue);
      if (!this.flushing.has(key)) void this.flush(key);
    });
  }

  private async flush(key: string): Promise<void> {
    this.flushing.add(key);
    try {
      for (;;) {
        const queue = this.queues.get(key);
        if (!queue || queue.length === 0) break;
        const batch = queue.splice(0, this.maxBatch);
        try {
          await this.commitBatch(batch);
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.flushing.delete(key);
      this.queues.delete(key);
    }
  }

  private async commitBatch(batch: Pending[]): Promise<void> {
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
    const queueable = live[0]!.request.route && routesLeastBusy(channel);

    let directory: Directory = await store.loadDirectory();
    // FIFO: while a burst is being drained for this channel, new conversations join the queue.
    let useQueue = queueable && (directory.queues.get(channel.id)?.length ?? 0) > 0;

    // Direct path. A lost race first retries at once on the fresh items the failed conditions handed
    // back (no read); losing again means others are committing now: back off with jitter and read
    // after the sleep, so the next decision is as fresh as the commit that follows it.
    let patchedSinceRead = false;
    for (let attempt = 0; !useQueue && live.length > 0; attempt++) {
      if (attempt >= this.maxAttempts) throw new ContentionError(`routing gave up after ${attempt} attempts under contention`);
      const now = clock.now();
      const plans = this.plan(live, directory, now);
      const outcome = await store.commitNewConversations(plans, now);
      if (outcome.type === "committed") {
        plans.forEach((plan, i) => results.set(live[i]!, { conversation: plan.item.conversation, created: true, decision: plan.decision, attempts: attempt + 1 }));
        await this.notifyOwners(plans, directory);
        live = [];
        break;
      }
      live = this.settleDuplicates(live, outcome, plans.map((p) => p.item), results, attempt + 1);
      if (live.length === 0) break;
      if (outcome.freshUsers.length === 0 && !outcome.transient) continue; // only duplicates failed: retry the rest at once
      if (queueable && outcome.freshUsers.length > 0) {
        useQueue = true; // least busy lost to another router: combine through the queue instead of chasing
      } else if (outcome.freshUsers.length > 0 && !outcome.transient && !patchedSinceRead) {
        const users = new Map(directory.users);
        for (const u of outcome.freshUsers) users.set(u.id, u);
        directory = { ...directory, users };
        patchedSinceRead = true;
      } else {
        await this.sleep(this.jitter(attempt));
        directory = await store.loadDirectory();
        patchedSinceRead = false;
      }
    }

    if (useQueue && live.length > 0) await this.routeThroughQueue(channel, live, results);

    for (const [p, r] of results) p.resolve(r);
    for (const { p, leader } of followers) {
      const r = results.get(leader)!;
      p.resolve({ ...r, created: false, existingConversationId: r.conversation.id });
    }
  }

  /** Dedupe keys that already existed resolve to the earlier conversation; returns who is still live. */
  private settleDuplicates(live: Pending[], outcome: CommitOutcome, items: NewConversation[], results: Map<Pending, RouteResult>, attempts: number): Pending[] {
    if (outcome.type === "committed") return live;
    for (const [index, existingId] of outcome.duplicates) {
      const p = live[index]!;
      // Our own id means an earlier attempt did commit (its answer was lost): report it as created.
      const own = existingId === p.request.item.conversation.id;
      results.set(p, {
        conversation: own ? items[index]!.conversation : { ...p.request.item.conversation, id: existingId },
        created: own,
        existingConversationId: existingId,
        decision: null,
        attempts,
      });
    }
    return live.filter((_, i) => !outcome.duplicates.has(i));
  }

  /** Enqueue the batch (one write), then drain when at the head, or wait while another router drains. */
  private async routeThroughQueue(channel: Channel, live: Pending[], results: Map<Pending, RouteResult>): Promise<void> {
    const { store, clock } = this.opts;
    let attempt = 0;
    let mine: Array<{ p: Pending; entry: QueueEntry }> = [];
    while (live.length > 0) {
      const now = clock.now();
      const queued = live.map((p) => {
        const conversation: Conversation = {
          ...p.request.item.conversation,
          assigneeId: null,
          routingPending: true,
          updatedAt: now.toISOString(),
        };
        return { p, item: { ...p.request.item, conversation }, entry: queueEntryOf(conversation, now) };
      });
      const outcome = await store.enqueueNewConversations(queued);
      if (outcome.type === "committed") {
        mine = queued.map(({ p, entry }) => ({ p, entry }));
        break;
      }
      live = this.settleDuplicates(live, outcome, queued.map((q) => q.item), results, attempt + 1);
      if (++attempt >= this.maxAttempts) throw new ContentionError("could not enqueue the conversations");
      await this.sleep(this.jitter(attempt));
    }

    const deadline = Date.now() + this.queueOpts.maxWaitMs;
    let seenHead: string | null = null;
    let seenSince = Date.now();
    let poll = this.queueOpts.pollMs;
    let firstLook = true;
    while (mine.length > 0) {
      const head = await store.queueHead(channel.id);
      if (head?.position !== seenHead) {
        seenHead = head?.position ?? null;
        seenSince = Date.now();
      }
      // Entries are removed oldest first: ours are done once the head has moved past them.
      const done = mine.filter(({ entry }) => head === null || entry.position < head.position);
      if (done.length > 0) {
        await Promise.all(done.map(async ({ p, entry }) => results.set(p, await this.finalResult(entry, true))));
        mine = mine.filter((m) => !done.includes(m));
        if (mine.length === 0) break;
      }
      const headIsMine = head !== null && mine.some(({ entry }) => entry.position === head.position);
      const still = Date.now() - seenSince;
      // Drain when ours is first in line on the first look (nobody drains an empty queue), or when it has
      // been first for a moment (an active drainer moves the head every batch: do not race it), or when
      // the head has not moved for `staleMs` (its router is gone).
      const drainNow = (headIsMine && (firstLook || still >= 3 * this.queueOpts.pollMs)) || (head !== null && still > this.queueOpts.staleMs);
      firstLook = false;
      if (drainNow) {
        await this.drain(channel);
        poll = this.queueOpts.pollMs;
      } else if (Date.now() > deadline) {
        // Never lost: the conversations exist, unassigned, and whoever drains next will route them.
        await Promise.all(mine.map(async ({ p, entry }) => results.set(p, await this.finalResult(entry, false))));
        break;
      } else {
        await this.sleep(poll * (0.5 + Math.random()));
        poll = Math.min(this.queueOpts.maxPollMs, poll * 2);
      }
    }
  }

  /**
   * Drain the channel's queue in batches, oldest first, until it is empty or the time budget is spent:
   * one snapshot read and one transaction per batch.
   */
  private async drain(channel: Channel): Promise<void> {
    const { store, clock, random } = this.opts;
    const until = Date.now() + this.queueOpts.drainBudgetMs;
    for (let attempt = 0; Date.now() < until; ) {
      const directory = await store.loadDirectory();
      const entries = (directory.queues.get(channel.id) ?? []).slice(0, this.maxBatch);
      if (entries.length === 0) return;
      const inbox = directory.inboxes.get(channel.inboxId);
      if (!inbox) throw new NotFoundError(`inbox ${channel.inboxId} of channel ${channel.id} does not exist`);
      const now = clock.now();
      const decisions = decideInOrder(entries.map(() => ({ channel, contact: null })), { users: directory.users, inbox, now }, random);
      const plans = entries.map((entry, i) => ({ entry, decision: decisions[i]! }));
      const outcome = await store.commitDrain(plans, now);
      if (outcome.type === "committed") {
        attempt = 0;
        continue;
      }
      // Taken by hand meanwhile, or drained by a router that took over: only the entry is left to drop.
      await Promise.all(outcome.gone.map((e) => store.removeQueueEntry(e)));
      if (outcome.transient || (outcome.gone.length === 0 && outcome.freshUsers.length > 0)) {
        await this.sleep(this.jitter(++attempt));
      }
    }
  }

  private async finalResult(entry: QueueEntry, routed: boolean): Promise<RouteResult> {
    const stored = await this.opts.store.getConversation(entry.conversationId);
    if (!stored) throw new NotFoundError(`conversation ${entry.conversationId} vanished`);
    const { version: _v, ...conversation } = stored;
    const record = conversation.routing;
    const decision: Decision | null =
      routed && record
        ? { record, userId: conversation.assigneeId, expectedLoad: null, requireAvailable: true, notifyOwner: false }
        : null;
    return { conversation, created: true, decision, attempts: 1, queued: true };
  }

  /** Decide every conversation of the batch in order, each seeing the load the previous ones add. */
  private plan(live: Pending[], directory: Directory, now: Date): CommitPlan[] {
    // A batch is one channel, so one inbox and one policy.
    const channel = live[0]!.request.channel;
    const inbox = directory.inboxes.get(channel.inboxId);
    if (!inbox) throw new NotFoundError(`inbox ${channel.inboxId} of channel ${channel.id} does not exist`);
    const routed = live[0]!.request.route;
    const decisions = routed ? decideInOrder(live.map((p) => ({ channel, contact: p.contact })), { users: directory.users, inbox, now }, this.opts.random) : [];
    return live.map((p, i) => {
      const decision = decisions[i] ?? null;
      const { item } = p.request;
      const conversation: Conversation = {
        ...item.conversation,
        contactId: item.conversation.contactId ?? p.contact?.id ?? null,
        assigneeId: decision?.userId ?? null,
        routing: decision?.record ?? item.conversation.routing,
        updatedAt: now.toISOString(),
      };
      return { item: { ...item, conversation }, decision };
    });
  }

  private async notifyOwners(plans: CommitPlan[], directory: Directory): Promise<void> {
    const notifier = this.opts.notifier;
    if (!notifier) return;
    await Promise.all(
      plans
        .filter((p) => p.decision?.notifyOwner && p.decision.userId)
        .map(async (p) => {
          const owner = directory.users.get(p.decision!.userId!);
          if (!owner) return;
          // Best effort: the assignment stands even if the email cannot be sent.
          try {
            await notifier.notifyOfflineOwner({ owner, conversation: p.item.conversation, customerMessage: p.item.message?.text ?? "" });
          } catch {
            // The notifier adapter logs its own failures.
          }
        }),
    );
  }

  private jitter(attempt: number): number {
    const ceiling = Math.min(this.backoff.capMs, this.backoff.baseMs * 2 ** attempt);
    return Math.random() * ceiling;
  }
}
