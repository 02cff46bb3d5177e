/** Injected time, so tie-breaks and "active recently" are exact in tests. */
export interface Clock {
  now(): Date;
}

/** Injected randomness (random routing, ties), so tests can pin it. */
export interface RandomSource {
  /** A float in [0, 1). */
  next(): number;
}

/**
 * A monotonic time source in milliseconds, for waits and time budgets only (never stored): the routing
 * queue's polling and the deadline of a request. Injected like the Clock, so tests control it.
 */
export interface Stopwatch {
  elapsedMs(): number;
}

/**
 * The time a request has left (deployed: the Lambda's remaining time, under API Gateway's 30 s). Routing
 * stops before it runs out and answers with the conversation created and waiting (docs/routing.md §5.5).
 */
export interface Deadline {
  remainingMs(): number;
}
