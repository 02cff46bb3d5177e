/**
 * The CloudWatch names of the service's own metrics, shared by the EMF adapter, the dashboard and the
 * alarms so a rename cannot leave a widget or an alarm watching nothing.
 */
export const METRICS_NAMESPACE = "ConversationRouting";

export const METRIC = {
  /** An outbound email (reply to a customer, owner notification) SES refused or that failed to send. */
  emailSendFailed: "EmailSendFailed",
  /** A conversation assigned by routing; dimension `strategy`. */
  routed: "Routed",
  /** Conversations in a channel's waiting line (docs/routing.md §5.5). */
  conversationsWaiting: "ConversationsWaiting",
  /** Age of the oldest conversation in a waiting line. */
  oldestWaitSeconds: "OldestWaitSeconds",
  /** From a conversation's creation to its assignment. */
  timeToAssignmentMs: "TimeToAssignmentMs",
  /** An inbound email over the size cap, kept with its large parts omitted. */
  oversizedEmail: "OversizedEmail",
} as const;
