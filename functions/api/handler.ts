import { Logger } from "@aws-lambda-powertools/logger";
import { readApiConfig, readSenderConfig, readStoreConfig } from "../../shared/config";
import { createApiHandler } from "../../shared/http/api";
import { createWiredApp } from "../../shared/wiring";

// Built once per Lambda instance: clients, config and the route table are reused across invocations.
const logger = new Logger({ serviceName: "routing-api" });
const app = createWiredApp(readStoreConfig(), readSenderConfig());

/** The agent, admin, visitor-chat and form-webhook API (API Gateway HTTP API, payload v2). */
export const handler = createApiHandler({ app, config: readApiConfig(), now: () => new Date() }, logger);
