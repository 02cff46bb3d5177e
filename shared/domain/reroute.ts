import { isLiveChannel } from "./channels";
import { collectCandidates, pickByPolicy, withLapseClock } from "./decide";
import { isOpen } from "./office-hours";
import type { ArrivalStore } from "./ports/arrival";
import type { DirectoryReads } from "./ports/directory";
import type { LapseStore, LapseTimer } from "./ports/lapses";
import { METRIC, type Metrics } from "./ports/metrics";
import type { Clock, RandomSource } from "./ports/time";
import type { TransitionStore } from "./ports/transitions";
import { backoffMs, sleep } from "./retry";
import type { CandidateExplanation, Channel, Conversation, Lapse, Message, VersionedConversation } from "./types";
import { lapseText } from "./wording";

/** A lapse delivered this much early is on time (timers round to the second). */
const EARLY_TOLERANCE_MS = 1_000;
/** Overdue clocks one sweep of one channel retries: the rest wait for the next minute. */
const CATCH_UP_PER_SWEEP = 25;

export interface RerouteDeps {
  store: TransitionStore & DirectoryReads & Pick<ArrivalStore, "getChannel">;
  lapses: LapseStore;
  timer: LapseTimer;
  clock: Clock;
  random: RandomSource;
  metrics: Metrics;
  newId: () => string;
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * What a lapse came to: re-routed; stays (nobody else eligible now, the clock left to run out again);
 * stale (answered, taken, closed, or the rule changed: nothing to do); early (the timer fired before
 * the deadline: scheduled again).
 */
export type LapseOutcome = "rerouted" | "stays" | "stale" | "early";

/**
 * docs/routing.md §5.6: re-route a chat its assignee did not answer. One conditional write per lapse:
 * the conversation at its read version (still open, same assignee, no reply since: a reply, a manual
 * change or a close rewrites it and clears its clock), the former assignee's load down by one and the
 * new one's up by one on the conditions routing uses.
 */
export class Reroute {
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: RerouteDeps) {
    this.maxAttempts = deps.maxAttempts ?? 6;
    this.sleep = deps.sleep ?? sleep;
  }

  /** Ask for the clocks of conversations just assigned by routing to be checked when they run out. */
  async started(conversations: ReadonlyArray<{ id: string; lapse?: { at: string } | undefined }>): Promise<void> {
    const due = conversations.flatMap((c) => (c.lapse ? [{ conversationId: c.id, at: c.lapse.at }] : []));
    if (due.length === 0) return;
    // Best effort: the assignment stands, and the sweeper finds a clock whose timer was lost.
    await this.deps.timer.schedule(due).catch(() => this.deps.metrics.count(METRIC.lapseTimerFailed, due.length));
  }

  /** The timer's call: the conversation's clock should have run out. */
  async lapse(conversationId: string): Promise<LapseOutcome> {
    const { store, clock } = this.deps;
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const conv = await store.getConversation(conversationId);
      const lapse = conv?.lapse;
      if (!conv || !lapse || conv.status !== "open" || conv.assigneeId !== lapse.assigneeId) return "stale";
      const now = clock.now();
      if (now.getTime() < Date.parse(lapse.at) - EARLY_TOLERANCE_MS) {
        await this.started([conv]);
        return "early";
      }
      const channel = await store.getChannel(conv.channelId);
      const outcome = await this.attempt(conv, lapse, channel, now);
      if (outcome !== "retry") return outcome;
      await this.sleep(this.deps.random.next() * backoffMs(attempt, 50));
    }
    return "stays";
  }

  /** The sweeper's catch-up: clocks of the channel that ran out with no timer to say so. */
  async catchUp(channel: Channel): Promise<number> {
    if (!channel.routing.rerouteAfter || !isLiveChannel(channel.type)) return 0;
    const ids = await this.deps.lapses.overdueLapses(channel.id, this.deps.clock.now(), CATCH_UP_PER_SWEEP);
    let rerouted = 0;
    for (const id of ids) if ((await this.lapse(id)) === "rerouted") rerouted++;
    return rerouted;
  }

  private async attempt(
    conv: VersionedConversation,
    lapse: Lapse,
    channel: Channel | null,
    now: Date,
  ): Promise<LapseOutcome | "retry"> {
    const { store, random } = this.deps;
    const reroute = channel?.routing.rerouteAfter;
    // The rule no longer re-routes (changed or removed): the clock stops here.
    if (!channel || !reroute || !channel.routing.autoAssign || !isLiveChannel(channel.type)) {
      const { lapse: _l, ...after } = conv;
      return this.commit(conv, after, null, null) as Promise<LapseOutcome | "retry">;
    }
    // Closed for the night: nobody is routed to; the clock is retried by the sweeper after opening.
    if (channel.hours && !isOpen(channel.hours, now)) return "stays";
    const excluded = new Set([lapse.assigneeId, ...lapse.lapsedWith]);
    const target = channel.routing.target;
    const fallback = target.type === "contact_owner" ? (target.fallbackUserId ?? null) : null;
    const members =
      target.type === "users_and_teams"
        ? (await Promise.all(target.teamIds.map((t) => store.teamMembers(t)))).flat()
        : [];
    const listed = target.type === "users_and_teams" ? target.userIds : fallback ? [fallback] : [];
    const dir = await store.loadEntities({
      inboxIds: [conv.inboxId],
      userIds: [lapse.assigneeId, ...listed, ...members],
      teamIds: [],
    });
    const inbox = dir.inboxes.get(conv.inboxId);
    if (!inbox) return "stale";
    const pool: Array<{ userId: string; source: CandidateExplanation["source"] }> =
      target.type === "users_and_teams"
        ? collectCandidates(target, dir.users)
        : fallback
          ? [{ userId: fallback, source: "fallback_user" }]
          : [];
    const others = pool.filter((c) => !excluded.has(c.userId));
    const picked = pickByPolicy(channel.type, others, { users: dir.users, inbox, now }, random, channel.routing);
    if (!picked.userId) return "stays";
    const from = dir.users.get(lapse.assigneeId);
    const to = dir.users.get(picked.userId)!;
    const text = lapseText(from?.name ?? lapse.assigneeId, reroute.seconds, to.name);
    const chain = [
      ...(conv.routing?.lapses ?? []),
      { userId: lapse.assigneeId, at: now.toISOString(), seconds: reroute.seconds },
    ];
    const decision = withLapseClock(picked, channel, now, {
      times: lapse.times + 1,
      lapsedWith: [...lapse.lapsedWith, lapse.assigneeId],
    });
    const { lapse: _old, ...rest } = conv;
    const after: Conversation = {
      ...rest,
      assigneeId: to.id,
      routing: {
        ...decision.record,
        lapses: chain,
        outcome: {
          type: "assigned",
          userId: to.id,
          why: `${text} (${(decision.record.outcome as { why: string }).why})`,
        },
      },
      ...(decision.lapse ? { lapse: decision.lapse } : {}),
    };
    const note: Message = {
      id: this.deps.newId(),
      conversationId: conv.id,
      author: { kind: "system" },
      text,
      createdAt: now.toISOString(),
    };
    const outcome = await this.commit(conv, after, note, {
      expectedLoad: picked.expectedLoad,
      awayUserId: reroute.awayOnLapse ? lapse.assigneeId : null,
    });
    if (outcome === "rerouted") {
      this.deps.metrics.count(METRIC.lapsed, 1, { channel: channel.id });
      await this.started([after]);
    }
    return outcome;
  }

  private async commit(
    before: VersionedConversation,
    after: Conversation,
    note: Message | null,
    assign: { expectedLoad: number | null; awayUserId: string | null } | null,
  ): Promise<LapseOutcome | "retry"> {
    const outcome = await this.deps.store.commitTransition(
      {
        before,
        after,
        note,
        ...(assign
          ? {
              expectedLoad: assign.expectedLoad,
              requireAvailable: true,
              markAssigned: true,
              awayUserId: assign.awayUserId,
            }
          : {}),
      },
      this.deps.clock.now(),
    );
    if (outcome.type === "committed") return assign ? "rerouted" : "stale";
    // Changed since it was read (answered, taken): read again, and most likely find nothing to do.
    return "retry";
  }
}
