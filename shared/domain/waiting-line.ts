import { applyToSnapshot, decide, type RoutingSnapshot } from "./decide";
import { emailOfflineOwner } from "./owner-notice";
import { loadPool } from "./pool";
import type { ArrivalStore } from "./ports/arrival";
import type { ContactReads } from "./ports/contacts";
import type { DirectoryReads } from "./ports/directory";
import type { LapseClocks } from "./ports/lapses";
import type { Metrics } from "./ports/metrics";
import { METRIC } from "./ports/metrics";
import type { OwnerNotifier } from "./ports/outbound-email";
import type { Clock, RandomSource, Stopwatch } from "./ports/time";
import type { TransitionStore } from "./ports/transitions";
import type { WaitingLineStore } from "./ports/waiting-line";
import { backoffMs, sleep } from "./retry";
import { waves } from "./routing-queue";
import type { Channel, Contact, Conversation, Decision, EligibilityTrigger, User, WaitEntry } from "./types";

export interface WaitingLineDeps {
  store: WaitingLineStore &
    DirectoryReads &
    Pick<ArrivalStore, "readChannel"> &
    Pick<ContactReads, "getContacts"> &
    Pick<TransitionStore, "getConversation" | "addNote">;
  clock: Clock;
  random: RandomSource;
  stopwatch: Stopwatch;
  metrics: Metrics;
  /** Emails an owner who is offline when a waiting conversation is assigned to them (docs/routing.md §5.2). */
  notifier?: OwnerNotifier;
  /** Entries decided per round (oldest first). */
  roundSize?: number;
  /** Rounds one drain may run before leaving the rest to the next trigger or the sweeper. */
  maxRounds?: number;
  /**
   * How long the request that made someone eligible waits for the assignments it triggers before
   * answering; the work goes on after the answer, and the sweeper backs it up (docs/routing.md §5.5).
   */
  triggerBudgetMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Told of conversations routing assigned with a re-route clock, to time it (docs/routing.md §5.6). */
  clocks?: LapseClocks;
}

/** Per channel, what a support lead asks for (docs/api.md `GET /channels/{id}/stats`). */
export interface ChannelStats {
  channelId: string;
  waiting: number;
  oldestWaitingSince: string | null;
  oldestWaitMs: number | null;
  /** Conversations assigned from the line in the last hour, and how long they waited. */
  lastHour: { assigned: number; p50Ms: number | null; p95Ms: number | null };
}

const HOUR_MS = 3_600_000;
/**
 * A drain's first round decides this many entries; each next round twice as many, up to `roundSize`.
 * Every round reads the pool again, so agents who come back while a drain runs (three agents turning
 * available at once) are seen after a few assignments, and least busy levels them, instead of the
 * first one back taking the whole line. A long line still reaches full rounds within a few.
 */
const FIRST_ROUND = 4;
/** How long a drain triggered by someone turning available waits for others turning available with them. */
const RETURN_GRACE_MS = 20;
/** Channels swept at the same time. */
const SWEEP_CONCURRENCY = 8;

/** "4 min", "12 s", "2 h 5 min": how a person reads a wait. */
export function humanDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

export function describeTrigger(t: EligibilityTrigger): string {
  switch (t.kind) {
    case "available":
      return `${t.userId} became available`;
    case "freed":
      return `${t.userId} freed capacity`;
    case "capacity":
      return `${t.userId} got a higher capacity`;
    case "joined":
      return `${t.userId} joined a listed team`;
    case "seat":
      return `${t.userId} got a paid seat`;
    case "rule":
      return "the channel's rule changed";
    case "away":
      return `${t.userId} went away`;
    case "sweep":
      return "the periodic sweep found someone eligible";
  }
}

/** Nearest-rank quantile of ascending values: the smallest value with at least q of them at or below it. */
const quantile = (sorted: number[], q: number) => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? null;

/**
 * The waiting line (docs/routing.md §5.5): conversations automatic routing could not assign wait in
 * their channel's line, in arrival order, visible in Unassigned all along. Whenever someone may have
 * become eligible (a trigger) or on the periodic sweep, the oldest are assigned by the channel's
 * policy with the routing commit's conditions (docs/routing.md §5.4): each conversation must still be
 * waiting, each user's load still the load read. Two drains racing each other (two agents freeing at
 * once, a sweeper and a request) lose nothing and assign nothing twice: the loser re-reads.
 */
export class WaitingLine {
  private readonly roundSize: number;
  private readonly maxRounds: number;
  private readonly triggerBudgetMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly deps: WaitingLineDeps) {
    this.roundSize = deps.roundSize ?? 96;
    this.maxRounds = deps.maxRounds ?? 20;
    this.triggerBudgetMs = deps.triggerBudgetMs ?? 25;
    this.sleep = deps.sleep ?? sleep;
  }

  /**
   * Someone may now take more conversations: drain the lines of every channel that can pick them.
   * Waits at most the trigger budget; the rest finishes after the answer (see `settled`).
   */
  userMayTakeMore(user: Pick<User, "id" | "primaryTeamId">, trigger: EligibilityTrigger): Promise<void> {
    return this.withinBudget(async () => {
      if (trigger.kind === "available") await this.sleep(RETURN_GRACE_MS);
      const ids = await this.deps.store.channelsFor(user.id, user.primaryTeamId);
      await Promise.all(ids.map((id) => this.drainById(id, trigger)));
    });
  }

  /**
   * A user toggled their availability: turning available may let them take waiting conversations;
   * turning away returns theirs to the line on channels that ask for it (`returnToLine`).
   */
  availabilityChanged(user: User, returnToLine: (user: User) => Promise<number>): Promise<void> {
    if (user.availability === "available") return this.userMayTakeMore(user, { kind: "available", userId: user.id });
    // Inside the request, not after it: no sweep redoes it, and a Lambda may freeze once it answered.
    // Its cost is the user's own open conversations on such channels, nothing more.
    return returnToLine(user)
      .then(() => undefined)
      .catch(() => this.deps.metrics.count(METRIC.waitingLineTriggerFailed));
  }

  /** A channel's rule changed: its line may now have takers. */
  ruleChanged(channel: Channel): Promise<void> {
    return this.withinBudget(() =>
      this.serveLine(channel, { kind: "rule", channelId: channel.id }).then(() => undefined),
    );
  }

  /** Resolves when every drain started by a trigger has ended (tests, `npm start` shutting down). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * `settled`, waiting at most `ms`. A Lambda may freeze as soon as it answers, so the API function
   * waits here before answering: the assignments a request triggered are made by that request. Returns
   * whether everything ended in time (what did not is the sweeper's, within a minute).
   */
  async settledWithin(ms: number): Promise<boolean> {
    if (this.inFlight.size === 0) return true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, ms));
    });
    const done = await Promise.race([this.settled().then(() => true as const), late]);
    clearTimeout(timer);
    return done;
  }

  private withinBudget(work: () => Promise<void>): Promise<void> {
    const running = work().catch(() => {
      // A trigger is best effort: the sweeper drains every line within a minute.
      this.deps.metrics.count(METRIC.waitingLineTriggerFailed);
    });
    this.inFlight.add(running);
    void running.finally(() => this.inFlight.delete(running));
    return Promise.race([running, this.sleep(this.triggerBudgetMs)]);
  }

  private async drainById(channelId: string, trigger: EligibilityTrigger): Promise<number> {
    const state = await this.deps.store.readChannel(channelId, 0);
    return state ? this.serveLine(state.channel, trigger) : 0;
  }

  /**
   * Assign the oldest waiting conversations of the channel to whoever is eligible now, round after
   * round, until nobody in the line can be assigned. Returns how many were assigned.
   */
  async serveLine(channel: Channel, trigger: EligibilityTrigger): Promise<number> {
    if (!channel.routing.autoAssign) return 0;
    // Contact-owner lines wait for a different person per entry: entries nobody can take yet must not
    // hide later ones whose owner is free, so serving pages past them (within its rounds).
    const perEntryOwners = channel.routing.target.type === "contact_owner";
    const conflicts = { count: 0 };
    let assigned = 0;
    let after: WaitEntry | undefined;
    for (let round = 0, size = FIRST_ROUND; round < this.maxRounds; round++) {
      size = Math.min(this.roundSize, round === 0 ? FIRST_ROUND : size * 2);
      const entries = await this.deps.store.waitingEntries(channel.id, size, after);
      if (entries.length === 0) return assigned;
      const { plans, users, now } = await this.decideRound(channel, entries, trigger);
      const { committed, lost } = await this.commitRound(channel, plans, users, now, conflicts);
      assigned += committed;
      // Some are still for nobody. One pool serves every entry of a users-and-teams line, so the rest of
      // it waits for the next trigger or sweep; a contact-owner line goes on past this page.
      if (lost || plans.length === entries.length) continue;
      if (!perEntryOwners || entries.length < size) return assigned;
      after = entries.at(-1);
    }
    return assigned;
  }

  /** One round's decisions, in line order, each seeing the load the previous ones add. */
  private async decideRound(channel: Channel, entries: WaitEntry[], trigger: EligibilityTrigger) {
    const { store, clock, random } = this.deps;
    const contacts = await this.contactsOf(channel, entries);
    const pool = await loadPool(store, channel, contacts);
    const now = clock.now();
    let snapshot: RoutingSnapshot = { users: pool.users, inbox: pool.inbox, now };
    const plans: Array<{ entry: WaitEntry; decision: Decision }> = [];
    const newOwners = new Set<string>();
    entries.forEach((entry, i) => {
      const decision = decide({ channel, contact: contacts[i] ?? null }, snapshot, random);
      const owner = contacts[i]?.ownerId;
      // Given to another owner while it waits: their next free slot must find this line, as the
      // first owner's would (the link routing made is theirs).
      if (!decision.userId && owner && owner !== entry.ownerId) newOwners.add(owner);
      if (!decision.userId) return; // still nobody for this one: it keeps its place
      snapshot = applyToSnapshot(snapshot, decision.userId);
      plans.push({ entry, decision: withWait(decision, entry, now, trigger) });
    });
    await Promise.all([...newOwners].map((u) => store.addChannelRef(u, channel.id).catch(() => undefined)));
    return { plans, users: pool.users, now };
  }

  /**
   * The round's assignments, in transactions of at most 100 items (three per entry: the conversation,
   * its line entry, the recorded wait; plus one per user). A lost race ends the round (`lost`): entries
   * whose conversation left the line are dropped, and the next round reads again.
   */
  private async commitRound(
    channel: Channel,
    plans: Array<{ entry: WaitEntry; decision: Decision }>,
    users: Map<string, User>,
    now: Date,
    conflicts: { count: number },
  ): Promise<{ committed: number; lost: boolean }> {
    const { store, random, metrics } = this.deps;
    let committed = 0;
    for (const wave of waves(plans, 100, 3)) {
      const outcomes = await Promise.all(wave.map((batch) => store.commitWaitingAssignments(batch, now)));
      const notify: Array<{ entry: WaitEntry; decision: Decision }> = [];
      outcomes.forEach((o, i) => {
        if (o.type !== "committed") return;
        for (const p of wave[i]!) {
          committed++;
          metrics.count(METRIC.routed, 1, { strategy: p.decision.record.strategy });
          metrics.milliseconds(METRIC.timeToAssignmentMs, p.decision.record.waited?.ms ?? 0, { channel: channel.id });
          if (p.decision.notifyOwner && p.decision.userId) notify.push(p);
        }
      });
      await this.notifyOwners(notify, users);
      const started = outcomes.flatMap((o, i) =>
        o.type === "committed" ? wave[i]!.map((p) => ({ id: p.entry.conversationId, lapse: p.decision.lapse })) : [],
      );
      await this.deps.clocks?.started(started);
      const failed = outcomes.filter((o) => o.type === "conflict");
      if (failed.length === 0) continue;
      await Promise.all(failed.flatMap((o) => o.gone).map((e) => store.removeWaitEntry(e)));
      if (failed.some((o) => o.transient)) await this.sleep(random.next() * backoffMs(++conflicts.count, 100));
      return { committed, lost: true };
    }
    return { committed, lost: false };
  }

  /** The record says "offline: emailed": so it is, best effort (the assignment stands either way). */
  private async notifyOwners(plans: Array<{ entry: WaitEntry; decision: Decision }>, users: Map<string, User>) {
    if (!this.deps.notifier) return;
    await Promise.all(
      plans.map(async ({ entry, decision }) => {
        const owner = users.get(decision.userId!);
        const conversation = owner ? await this.deps.store.getConversation(entry.conversationId) : null;
        if (!owner || !conversation) return;
        await emailOfflineOwner(this.deps, { owner, conversation, customerMessage: conversation.preview ?? "" });
      }),
    );
  }

  /**
   * Contact-owner lines decide by each conversation's contact as it is now (its owner may have changed
   * while it waited: the new owner takes it, never the former one). Without a stored contact, the owner
   * recorded when it joined the line. One BatchGetItem for the round's contacts.
   */
  private async contactsOf(channel: Channel, entries: WaitEntry[]): Promise<Array<Contact | null>> {
    if (channel.routing.target.type !== "contact_owner") return entries.map(() => null);
    const ids = entries.flatMap((e) => (e.contactId ? [e.contactId] : []));
    const contacts = ids.length > 0 ? await this.deps.store.getContacts(ids) : new Map<string, Contact>();
    return entries.map((e) => {
      if (e.contactId) return contacts.get(e.contactId) ?? null;
      if (e.ownerId) return { id: "", email: "", ownerId: e.ownerId, visitorTokens: [] } satisfies Contact;
      return null;
    });
  }

  /**
   * The periodic sweep: every channel's line drained, and every routing queue whose head stopped moving
   * (its router crashed) drained too. Idempotent; racing requests and other sweepers is safe.
   */
  async sweep(
    drainQueue: (channel: Channel) => Promise<void>,
    staleMs: number,
    /** More per-channel work of the minute (the re-route clocks' catch-up). */
    alsoPerChannel: (channel: Channel) => Promise<unknown> = async () => undefined,
  ): Promise<{ channels: number; assigned: number; failed: number }> {
    const { store, clock, metrics } = this.deps;
    let cursor: string | undefined;
    let channels = 0;
    let assigned = 0;
    let failed = 0;
    const sweepOne = async (id: string) => {
      const state = await store.readChannel(id, 1);
      if (!state) return;
      channels++;
      const head = state.queue[0];
      if (head && clock.now().getTime() - Date.parse(head.queuedAt) > staleMs) await drainQueue(state.channel);
      assigned += await this.serveLine(state.channel, { kind: "sweep" });
      await alsoPerChannel(state.channel);
      const stats = await this.stats(id, { window: false });
      metrics.count(METRIC.conversationsWaiting, stats.waiting, { channel: id });
      if (stats.oldestWaitMs !== null) metrics.milliseconds(METRIC.oldestWaitMs, stats.oldestWaitMs, { channel: id });
    };
    // One channel failing (throttled, a missing inbox) must not cost every later channel its minute.
    const sweepSafely = (id: string) =>
      sweepOne(id).catch(() => {
        failed++;
        metrics.count(METRIC.sweepChannelFailed, 1, { channel: id });
      });
    do {
      const page = await store.listChannelIds(cursor);
      // A few channels at a time: a minute's sweep of hundreds of channels stays well inside its timeout.
      for (let i = 0; i < page.ids.length; i += SWEEP_CONCURRENCY)
        await Promise.all(page.ids.slice(i, i + SWEEP_CONCURRENCY).map(sweepSafely));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return { channels, assigned, failed };
  }

  /** Waiting now, the oldest wait, and time to assignment p50/p95 over the last hour. */
  async stats(channelId: string, opts: { window: boolean } = { window: true }): Promise<ChannelStats> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const [head, waiting, waits] = await Promise.all([
      store.waitingEntries(channelId, 1),
      store.countWaiting(channelId),
      opts.window ? store.waitedSince(channelId, new Date(now.getTime() - HOUR_MS).toISOString()) : Promise.resolve([]),
    ]);
    const oldest = head[0]?.since ?? null;
    const sorted = [...waits].sort((a, b) => a - b);
    return {
      channelId,
      waiting,
      oldestWaitingSince: oldest,
      oldestWaitMs: oldest ? Math.max(0, now.getTime() - Date.parse(oldest)) : null,
      lastHour: { assigned: sorted.length, p50Ms: quantile(sorted, 0.5), p95Ms: quantile(sorted, 0.95) },
    };
  }

  /** The visitor's place (1 = next): ticket minus the head's, plus one; two reads (docs/routing.md §5.5). */
  async placeOf(c: Conversation): Promise<{ position: number; since: string } | undefined> {
    if (!c.waitingSince || c.assigneeId !== null || c.status !== "open") return undefined;
    const entry = { since: c.waitingSince, conversationId: c.id };
    const t = await this.deps.store.lineTickets(c.channelId, entry);
    const position = t ? t.mine - t.head + 1 : await this.deps.store.countWaiting(c.channelId, entry);
    return { position: Math.max(1, position), since: c.waitingSince };
  }
}

/** The decision record of a conversation leaving the line: how long it waited, and why it could go. */
function withWait(decision: Decision, entry: WaitEntry, now: Date, trigger: EligibilityTrigger): Decision {
  const ms = Math.max(0, now.getTime() - Date.parse(entry.since));
  const outcome = decision.record.outcome;
  const why =
    `${outcome.type === "assigned" ? outcome.why : ""}; ` +
    `waited ${humanDuration(ms)}; assigned when ${describeTrigger(trigger)}`;
  return {
    ...decision,
    record: {
      ...decision.record,
      outcome: outcome.type === "assigned" ? { ...outcome, why } : outcome,
      waited: { since: entry.since, ms, trigger },
    },
  };
}
