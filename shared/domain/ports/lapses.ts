/**
 * The re-route clock's timer and its catch-up (docs/routing.md §5.6). Deployed, the timer is an SQS
 * delay queue read by the lapse function; under `npm start` the same handler is fed by an in-process
 * timer. A lost timer loses nothing: the sweeper finds overdue clocks through `LapseStore`.
 */
export interface LapseTimer {
  /** Ask for each conversation's lapse to be checked at `at` (or soon after). Best effort. */
  schedule(lapses: ReadonlyArray<{ conversationId: string; at: string }>): Promise<void>;
}

/** The clocks that should have fired: the sweeper's catch-up. */
export interface LapseStore {
  /** Conversation ids of the channel whose clock ran out before `now`, oldest deadline first. */
  overdueLapses(channelId: string, now: Date, limit: number): Promise<string[]>;
}

/** Whoever times the clocks routing starts (the re-route service): told after each commit. */
export interface LapseClocks {
  started(conversations: ReadonlyArray<{ id: string; lapse?: { at: string } | undefined }>): Promise<void>;
}

export const noLapseTimer: LapseTimer = { schedule: async () => undefined };
