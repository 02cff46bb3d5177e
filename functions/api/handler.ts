import { Logger } from "@aws-lambda-powertools/logger";
import { getSecret } from "@aws-lambda-powertools/parameters/secrets";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { EmfMetrics } from "#shared/adapters/metrics/powertools-metrics";
import { createWiredApp } from "#shared/app";
import { ConfigError, readApiConfig, readLiveConfig, readSenderConfig, readStoreConfig } from "#shared/config";
import { createApiHandler } from "#shared/http/api";

// Built once per Lambda instance: clients, config and the route table are reused across invocations.
const logger = new Logger({ serviceName: "routing-api" });
const app = createWiredApp(readStoreConfig(), readSenderConfig(), {
  logger,
  metrics: new EmfMetrics({ serviceName: "routing-api" }),
});
const config = readApiConfig();

/**
 * The master key is read once per instance (deployed: from Secrets Manager), then kept. A failed read
 * is not kept: the next request tries again, so one bad moment at cold start never leaves the instance
 * failing every request until Lambda recycles it.
 */
let ready: Promise<ReturnType<typeof createApiHandler>> | undefined;
function apiHandler() {
  ready ??= (async () => {
    const key =
      "value" in config.formSigningKey
        ? config.formSigningKey.value
        : await getSecret(config.formSigningKey.secretArn, { maxAge: 3600 });
    if (typeof key !== "string" || key === "") throw new ConfigError("the form signing key secret is empty");
    const httpConfig = {
      allowedOrigins: config.allowedOrigins,
      formSigningKey: key,
      liveUrl: readLiveConfig().liveUrl,
    };
    return createApiHandler(
      { commands: app.commands, queries: app.queries, config: httpConfig, now: () => new Date() },
      logger,
    );
  })().catch((err: unknown) => {
    ready = undefined;
    logger.error("could not read the form signing key; the next request retries", { error: err as Error });
    throw err;
  });
  return ready;
}

/** Longest a request waits for the waiting-line work it triggered, time left permitting (ms). */
const TRIGGERED_WORK_MAX_MS = 5000;

/** The agent, admin, visitor-chat and form-webhook API (API Gateway HTTP API, payload v2). */
export async function handler(event: APIGatewayProxyEventV2, context: Context) {
  const result = await (await apiHandler())(event, context);
  // A Lambda may freeze once it answers, with the drains this request triggered (an agent turning
  // available, a close) half done: they finish first, typically in tens of ms (docs/routing.md §5.5).
  const left = typeof context?.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : 0;
  const budget = Math.min(TRIGGERED_WORK_MAX_MS, left > 0 ? left - 1000 : TRIGGERED_WORK_MAX_MS);
  if (!(await app.waiting.settledWithin(budget))) logger.warn("triggered waiting-line work left to the sweeper");
  return result;
}
