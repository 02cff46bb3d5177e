/**
 * The CloudWatch namespace of the service's own metrics; their names live beside the Metrics port
 * (shared/domain/ports/metrics.ts), so the domain, the EMF adapter, the dashboard and the alarms share them.
 */
export const METRICS_NAMESPACE = "ConversationRouting";

export { METRIC } from "../../domain/ports/metrics";
