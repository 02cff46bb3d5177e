/**
 * How often one sender has written one channel lately (docs/routing.md §6.2): a mail loop or a flood
 * is told by its rate. Each call counts the message it is asked about.
 */
export interface MailRate {
  /** Counts this message and answers how many the sender wrote the channel within `windowSeconds`. */
  count(channelId: string, sender: string, now: Date, windowSeconds: number): Promise<number>;
}

/** No counting: every sender is within bounds (tests of other rules, tools). */
export const noMailRate: MailRate = { count: async () => 1 };
