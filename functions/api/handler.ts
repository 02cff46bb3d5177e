import { Logger } from "@aws-lambda-powertools/logger";
import { createDynamoClients } from "../../shared/adapters/dynamo/client";
import { createApp } from "../../shared/app";
import { readApiConfig, readStoreConfig } from "../../shared/config";
import { createApiHandler } from "../../shared/http/api";

// Built once per Lambda instance: clients, config and the route table are reused across invocations.
const logger = new Logger({ serviceName: "routing-api" });
const store = readStoreConfig();
const db = createDynamoClients({ region: store.region, endpoint: store.dynamodbEndpoint });
const app = createApp({ db, tableName: store.tableName });

/** The agent, admin, visitor-chat and form-webhook API (API Gateway HTTP API, payload v2). */
export const handler = createApiHandler({ app, config: readApiConfig(), now: () => new Date() }, logger);
