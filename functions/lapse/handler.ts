import { Logger } from "@aws-lambda-powertools/logger";
import type { SQSEvent } from "aws-lambda";
import { EmfMetrics } from "#shared/adapters/metrics/powertools-metrics";
import { handleLapseEvent } from "#shared/adapters/sqs/lapse-queue";
import { createWiredApp, lapseTimerFrom } from "#shared/app";
import { readSenderConfig, readStoreConfig, readTimerConfig } from "#shared/config";

// Built once per Lambda instance.
const logger = new Logger({ serviceName: "routing-lapse" });
const store = readStoreConfig();
const app = createWiredApp(
  store,
  readSenderConfig(),
  { logger, metrics: new EmfMetrics({ serviceName: "routing-lapse" }) },
  lapseTimerFrom(readTimerConfig(), store.region),
);

/**
 * The re-route timer's messages (SQS, delayed to each clock's deadline): a chat its assignee did not
 * answer is routed again (docs/routing.md §5.6). Failed messages are reported one by one.
 */
export function handler(event: SQSEvent) {
  return handleLapseEvent(event, app.reroute, logger);
}
