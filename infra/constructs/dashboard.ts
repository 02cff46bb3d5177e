import { Duration } from "aws-cdk-lib";
import { Dashboard, GraphWidget, type IMetric, MathExpression, TextWidget } from "aws-cdk-lib/aws-cloudwatch";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { Construct } from "constructs";
import { METRIC, METRICS_NAMESPACE } from "#shared/adapters/metrics/names";

export interface RoutingDashboardProps {
  readonly functions: Record<string, IFunction>;
  /** @default "<stack name>-routing" */
  readonly dashboardName?: string;
}

/**
 * One CloudWatch dashboard for the people who run the service: how conversations are routed (per
 * strategy), the waiting line, time to assignment, outbound email failures, and the functions' health.
 * The service's metrics carry Powertools' `service` dimension (and `strategy` where it applies), so the
 * widgets use SEARCH expressions: whatever dimensions a metric is emitted with, it shows.
 */
export class RoutingDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: RoutingDashboardProps) {
    super(scope, id);
    const period = Duration.minutes(1);
    // A SEARCH returns one line per dimension set (per strategy, per channel): labels name them.
    const search = (metric: string, stat: string, label: string): IMetric =>
      new MathExpression({
        expression: `SEARCH('{${METRICS_NAMESPACE}} MetricName="${metric}"', '${stat}', 60)`,
        label: `${label} \${PROP('Dim.strategy')}\${PROP('Dim.channel')}`,
        period,
        usingMetrics: {},
      });
    this.dashboard = new Dashboard(this, "Dashboard", {
      ...(props.dashboardName ? { dashboardName: props.dashboardName } : {}),
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: "# Conversation routing\nRouting, waiting line and outbound email (namespace `ConversationRouting`).",
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({ title: "Routed per strategy", left: [search(METRIC.routed, "Sum", "routed")], width: 8 }),
      new GraphWidget({
        title: "Waiting",
        left: [search(METRIC.conversationsWaiting, "Maximum", "waiting")],
        right: [search(METRIC.oldestWaitMs, "Maximum", "oldest wait (ms)")],
        width: 8,
      }),
      new GraphWidget({
        title: "Time to assignment from the line (ms)",
        left: [search(METRIC.timeToAssignmentMs, "p50", "p50"), search(METRIC.timeToAssignmentMs, "p95", "p95")],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: "Outbound email failures",
        left: [search(METRIC.emailSendFailed, "Sum", "failed sends")],
        width: 8,
      }),
      new GraphWidget({
        title: "Function errors",
        left: Object.entries(props.functions).map(([name, fn]) => fn.metricErrors({ period, label: name })),
        width: 8,
      }),
      new GraphWidget({
        title: "Function duration p99 (ms)",
        left: Object.entries(props.functions).map(([name, fn]) =>
          fn.metricDuration({ period, statistic: "p99", label: name }),
        ),
        width: 8,
      }),
    );
  }
}
