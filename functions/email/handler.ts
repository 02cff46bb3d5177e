import { Logger } from "@aws-lambda-powertools/logger";
import type { SESEvent } from "aws-lambda";
import { EmfMetrics } from "#shared/adapters/metrics/powertools-metrics";
import { createS3Client } from "#shared/adapters/s3/raw-email";
import { ingestSesEvent } from "#shared/adapters/ses/email-ingest";
import { createWiredApp } from "#shared/app";
import { readInboundEmailConfig, readSenderConfig, readStoreConfig } from "#shared/config";

// Built once per Lambda instance.
const logger = new Logger({ serviceName: "routing-email" });
const store = readStoreConfig();
const inbound = readInboundEmailConfig();
const app = createWiredApp(store, readSenderConfig(), {
  logger,
  metrics: new EmfMetrics({ serviceName: "routing-email" }),
});
const s3 = createS3Client({ region: store.region, endpoint: inbound.s3Endpoint });

/** SES receipt rule action: team email in, threaded or routed. */
export async function handler(event: SESEvent) {
  const config = { bucket: inbound.inboundBucket, prefix: inbound.inboundPrefix };
  const outcomes = await ingestSesEvent(event, { s3, email: app.email, metrics: app.metrics, config });
  for (const o of outcomes) logger.info("inbound email", { outcome: o });
  return { outcomes };
}
