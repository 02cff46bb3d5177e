import { Logger } from "@aws-lambda-powertools/logger";
import { EmfMetrics } from "#shared/adapters/metrics/powertools-metrics";
import { createWiredApp } from "#shared/app";
import { readSenderConfig, readStoreConfig } from "#shared/config";

// Built once per Lambda instance.
const logger = new Logger({ serviceName: "routing-sweeper" });
// Waiting now and the oldest wait per channel, each minute: the dashboard's waiting-line widgets.
const metrics = new EmfMetrics({ serviceName: "routing-sweeper" });
const app = createWiredApp(readStoreConfig(), readSenderConfig(), { logger, metrics });

/**
 * Every minute (EventBridge schedule): drain every channel's waiting line and every routing queue
 * whose head stopped moving (docs/routing.md §5.5). Idempotent: racing requests or another sweep is safe.
 */
export async function handler() {
  const outcome = await app.sweep();
  logger.info("sweep", outcome);
  return outcome;
}
