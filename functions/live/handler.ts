import { Logger } from "@aws-lambda-powertools/logger";
import type { APIGatewayProxyWebsocketEventV2 } from "aws-lambda";
import { EmfMetrics } from "#shared/adapters/metrics/powertools-metrics";
import { createWiredApp } from "#shared/app";
import { ConfigError, readSenderConfig, readStoreConfig } from "#shared/config";
import { createLiveHandler } from "#shared/http/live";

// Built once per Lambda instance.
const logger = new Logger({ serviceName: "routing-live" });
const app = createWiredApp(readStoreConfig(), readSenderConfig(), {
  logger,
  metrics: new EmfMetrics({ serviceName: "routing-live" }),
});
if (!app.live) throw new ConfigError("missing environment variable LIVE_CONNECTIONS_URL");
const live = createLiveHandler({ live: app.live, push: app.live.push, logger });

/**
 * The live-update WebSocket API's routes (`$connect` with a ticket, `$disconnect`, `$default`):
 * docs/api.md, Live updates. Locally infra/local/live.ts sends this handler the same events.
 */
export function handler(event: APIGatewayProxyWebsocketEventV2 & { queryStringParameters?: Record<string, string> }) {
  return live(event);
}
