/**
 * Operational metrics (deployed: CloudWatch through Powertools EMF). Names are PascalCase, e.g.
 * `EmailSendFailed`, `ConversationsWaiting`; dimensions stay low-cardinality (channel id, strategy).
 */
export interface Metrics {
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
  milliseconds(name: string, value: number, dimensions?: Record<string, string>): void;
}

/**
 * The service's metric names, shared by the domain that reports them, the EMF adapter, the dashboard and
 * the alarms, so a rename cannot leave a widget or an alarm watching nothing. Every emitted name is here.
 */
export const METRIC = {
  /** An outbound email (reply to a customer, owner notification) SES refused or that failed to send. */
  emailSendFailed: "EmailSendFailed",
  /** A conversation assigned by routing; dimension `strategy`. */
  routed: "Routed",
  /** Conversations in a channel's waiting line (docs/routing.md §5.5). */
  conversationsWaiting: "ConversationsWaiting",
  /** Age of the oldest conversation in a waiting line. */
  oldestWaitMs: "OldestWaitMs",
  /** A conversation that joined its channel's waiting line (nobody could take it). */
  enteredWaitingLine: "EnteredWaitingLine",
  /** An eligibility trigger that failed after its request answered (the sweep catches up). */
  waitingLineTriggerFailed: "WaitingLineTriggerFailed",
  /** A channel the sweeper could not drain this minute (the others still were). */
  sweepChannelFailed: "SweepChannelFailed",
  /**
   * How long a conversation that waited in the line waited before its assignment: the same figure as
   * `GET /channels/{id}/stats` (a conversation routed on arrival waits for nothing and is not counted).
   */
  timeToAssignmentMs: "TimeToAssignmentMs",
  /** An inbound email over the size cap, kept with its large parts omitted. */
  oversizedEmail: "OversizedEmail",
  /** Conversations a request had no time left to route: created and left for the routing queue's drain. */
  routingOutOfTime: "RoutingOutOfTime",
  /** A chat its assignee did not answer in time, re-routed (docs/routing.md §5.6); dimension `channel`. */
  lapsed: "ConversationLapsed",
  /** Re-route clocks whose timer could not be set (the sweeper catches them within a minute). */
  lapseTimerFailed: "LapseTimerFailed",
} as const;

/** Metrics that go nowhere: the default where nothing observes them. */
export const noMetrics: Metrics = { count: () => {}, milliseconds: () => {} };
