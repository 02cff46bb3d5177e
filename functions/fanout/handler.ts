import { Logger } from "@aws-lambda-powertools/logger";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { handleStreamEvent } from "#shared/adapters/dynamo/stream";
import { EmfMetrics } from "#shared/adapters/metrics/powertools-metrics";
import { createWiredApp } from "#shared/app";
import { ConfigError, readSenderConfig, readStoreConfig } from "#shared/config";

// Built once per Lambda instance.
const logger = new Logger({ serviceName: "routing-fanout" });
const app = createWiredApp(readStoreConfig(), readSenderConfig(), {
  logger,
  metrics: new EmfMetrics({ serviceName: "routing-fanout" }),
});
if (!app.live) throw new ConfigError("missing environment variable LIVE_CONNECTIONS_URL");
const live = app.live;

/**
 * The table's stream, filtered to conversations, messages and the line moving (the mapping's filter
 * criteria), fanned out to the connections listening: docs/design.md, Live updates. Records not sent
 * are reported one by one (partial batch failure) and retried; the on-failure destination keeps the rest.
 */
export async function handler(event: DynamoDBStreamEvent) {
  const { batchItemFailures, sent, gone } = await handleStreamEvent(event, live, logger);
  logger.info("fan-out", { records: event.Records.length, sent, gone, failed: batchItemFailures.length });
  return { batchItemFailures };
}
