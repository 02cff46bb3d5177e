import { ContentionError, NotFoundError } from "./errors";
import { applyToSnapshot, decide, type Decision, type RoutingSnapshot } from "./decide";
import type { Clock, CommitPlan, Directory, NewConversation, OwnerNotifier, RandomSource, RoutingStore } from "./ports";
import type { Channel, Contact, ContactKey, Conversation } from "./types";

export interface RouterOptions {
  store: RoutingStore;
  clock: Clock;
  random: RandomSource;
  notifier?: OwnerNotifier;
  /** Re-decisions before giving up with ContentionError. */
  maxAttempts?: number;
  /** Most conversations in one transaction (each takes 3 of DynamoDB's 100 items). */
  maxBatch?: number;
  /** Backoff between attempts: full jitter, `base * 2^attempt` capped at `cap` (ms). */
  backoff?: { baseMs: number; capMs: number };
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
  /** False when the dedupe key already existed: `conversation` is the earlier one's id only. */
  created: boolean;
  existingConversationId?: string;
  decision: Decision | null;
  attempts: number;
}

interface Pending {
  request: RouteRequest;
  contact: Contact | null;
  resolve: (r: RouteResult) => void;
  reject: (e: unknown) => void;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Creates conversations and routes them atomically (SPEC 5, 5.4).
 *
 * Group commit: routings of the same channel that arrive while a commit for it is in flight wait and
 * go together in the next transaction, decided one after another from one snapshot. A burst therefore
 * costs one read and one write per batch instead of every router chasing the same least-busy agent.
 * With no contention there is no waiting at all: the first request commits at once.
 *
 * A lost race (a chosen user's load moved) is a normal outcome: the failed condition hands back the
 * user's fresh item, the snapshot is patched and the batch is decided again, with jittered backoff.
 */
export class Router {
  private readonly queues = new Map<string, Pending[]>();
  private readonly flushing = new Set<string>();
  private readonly maxAttempts: number;
  private readonly maxBatch: number;
  private readonly backoff: { baseMs: number; capMs: number };
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: RouterOptions) {
    this.maxAttempts = opts.maxAttempts ?? 60;
    this.maxBatch = opts.maxBatch ?? 30;
    this.backoff = opts.backoff ?? { baseMs: 2, capMs: 40 };
    this.sleep = opts.sleep ?? defaultSleep;
  }

  /** Create one conversation and, when asked and the rule says so, assign it. */
  async createAndRoute(request: RouteRequest): Promise<RouteResult> {
    const contact =
      request.route && request.channel.routing.autoAssign && request.channel.routing.target.type === "contact_owner" && request.contactKey
        ? await this.opts.store.findContact(request.contactKey)
        : null;
    return new Promise<RouteResult>((resolve, reject) => {
      const key = request.channel.id;
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

    let directory: Directory = await store.loadDirectory();
    for (let attempt = 0; live.length > 0; attempt++) {
      if (attempt >= this.maxAttempts) {
        throw new ContentionError(`routing gave up after ${attempt} attempts under contention`);
      }
      if (attempt > 0) await this.sleep(this.jitter(attempt));
      const now = clock.now();
      const plans = this.plan(live, directory, now);
      const outcome = await store.commitNewConversations(plans, now);
      if (outcome.type === "committed") {
        plans.forEach((plan, i) => results.set(live[i]!, this.result(plan, attempt + 1)));
        await this.notifyOwners(plans, directory);
        live = [];
        break;
      }
      for (const [index, existingId] of outcome.duplicates) {
        const p = live[index]!;
        const own = existingId === p.request.item.conversation.id;
        // Our own id means an earlier attempt did commit (its answer was lost): report it as created.
        results.set(p, {
          conversation: own ? plans[index]!.item.conversation : { ...p.request.item.conversation, id: existingId },
          created: own,
          existingConversationId: existingId,
          decision: own ? plans[index]!.decision : null,
          attempts: attempt + 1,
        });
      }
      live = live.filter((_, i) => !outcome.duplicates.has(i));
      if (outcome.freshUsers.length > 0) {
        const users = new Map(directory.users);
        for (const u of outcome.freshUsers) users.set(u.id, u);
        directory = { ...directory, users };
      } else if (outcome.transient) {
        directory = await store.loadDirectory();
      }
    }
    for (const [p, r] of results) p.resolve(r);
    for (const { p, leader } of followers) {
      const r = results.get(leader)!;
      p.resolve({ ...r, created: false, existingConversationId: r.conversation.id });
    }
  }

  /** Decide every conversation of the batch in order, each seeing the load the previous ones add. */
  private plan(live: Pending[], directory: Directory, now: Date): CommitPlan[] {
    const { random } = this.opts;
    const plans: CommitPlan[] = [];
    const snapshots = new Map<string, RoutingSnapshot>();
    for (const p of live) {
      const { channel, item } = p.request;
      const inbox = directory.inboxes.get(channel.inboxId);
      if (!inbox) throw new NotFoundError(`inbox ${channel.inboxId} of channel ${channel.id} does not exist`);
      let snapshot = snapshots.get(inbox.id) ?? { users: directory.users, inbox, now };
      const decision: Decision | null = p.request.route ? decide({ channel, contact: p.contact }, snapshot, random) : null;
      if (decision?.userId) snapshot = applyToSnapshot(snapshot, decision.userId);
      snapshots.set(inbox.id, snapshot);
      const conversation: Conversation = {
        ...item.conversation,
        contactId: item.conversation.contactId ?? p.contact?.id ?? null,
        assigneeId: decision?.userId ?? null,
        routing: decision?.record ?? item.conversation.routing,
        updatedAt: now.toISOString(),
      };
      plans.push({ item: { ...item, conversation }, decision });
    }
    return plans;
  }

  private result(plan: CommitPlan, attempts: number): RouteResult {
    return { conversation: plan.item.conversation, created: true, decision: plan.decision, attempts };
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
          // Best effort: the assignment stands even if the email cannot be sent; the record says so.
          try {
            await notifier.notifyOfflineOwner({
              owner,
              conversation: p.item.conversation,
              customerMessage: p.item.message?.text ?? "",
            });
          } catch {
            if (p.item.conversation.routing) p.item.conversation.routing.ownerNotified = false;
          }
        }),
    );
  }

  private jitter(attempt: number): number {
    const ceiling = Math.min(this.backoff.capMs, this.backoff.baseMs * 2 ** attempt);
    return Math.random() * ceiling;
  }
}
