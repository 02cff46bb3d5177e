/** Waiting between attempts: the one sleep and the one backoff curve every retry loop uses. */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The ceiling of the `attempt`-th wait: `baseMs` doubling each attempt, never over `capMs`. */
export function backoffMs(attempt: number, capMs: number, baseMs = 5): number {
  return Math.min(capMs, baseMs * 2 ** attempt);
}
