import { Logger } from "@aws-lambda-powertools/logger";
import type { SESEvent } from "aws-lambda";
import { createDynamoClients } from "../../shared/adapters/dynamo/client";
import { createS3Client } from "../../shared/adapters/s3/raw-mail";
import { createSesClient, SesOwnerNotifier } from "../../shared/adapters/ses/mailer";
import { createApp } from "../../shared/app";
import { readMailConfig, readStoreConfig } from "../../shared/config";
import { ingestSesEvent } from "../../shared/mail-ingest";

// Built once per Lambda instance.
const logger = new Logger({ serviceName: "routing-email" });
const store = readStoreConfig();
const mail = readMailConfig();
const db = createDynamoClients({ region: store.region, endpoint: store.dynamodbEndpoint });
const ses = createSesClient({ region: store.region, endpoint: mail.sesEndpoint });
const app = createApp({ db, tableName: store.tableName, notifier: new SesOwnerNotifier(ses, { from: mail.notifyFrom, appUrl: mail.appUrl }) });
const s3 = createS3Client({ region: store.region, endpoint: mail.s3Endpoint });

/** SES receipt rule action: team email in, threaded or routed. */
export async function handler(event: SESEvent) {
  const outcomes = await ingestSesEvent(event, { s3, email: app.email, config: { bucket: mail.inboundBucket, prefix: mail.inboundPrefix } });
  for (const o of outcomes) logger.info("inbound email", { outcome: o });
  return { outcomes };
}
