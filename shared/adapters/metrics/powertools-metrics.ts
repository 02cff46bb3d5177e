import { MetricUnit, Metrics as PowertoolsMetrics } from "@aws-lambda-powertools/metrics";
import type { Metrics } from "../../domain/ports/metrics";
import { METRICS_NAMESPACE } from "./names";

/**
 * The Metrics port as CloudWatch Embedded Metric Format, through Powertools: each data point is one
 * EMF log line written at once, so nothing waits for a flush at the end of the invocation and a crash
 * loses nothing already counted. Dimensions: Powertools' `service`, plus those given.
 */
export class EmfMetrics implements Metrics {
  private readonly metrics: PowertoolsMetrics;

  constructor(opts: { serviceName: string; namespace?: string }) {
    this.metrics = new PowertoolsMetrics({
      namespace: opts.namespace ?? METRICS_NAMESPACE,
      serviceName: opts.serviceName,
    });
  }

  count(name: string, value = 1, dimensions?: Record<string, string>): void {
    this.emit(name, MetricUnit.Count, value, dimensions);
  }

  milliseconds(name: string, value: number, dimensions?: Record<string, string>): void {
    this.emit(name, MetricUnit.Milliseconds, value, dimensions);
  }

  private emit(
    name: string,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number,
    dimensions?: Record<string, string>,
  ): void {
    const single = this.metrics.singleMetric();
    if (dimensions) single.addDimensions(dimensions);
    single.addMetric(name, unit, value);
  }
}
