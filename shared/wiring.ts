import { createDynamoClients } from "./adapters/dynamo/client";
import { createSesClient, SesCustomerMailer, SesOwnerNotifier } from "./adapters/ses/mailer";
import { createApp } from "./app";
import type { SenderConfig, StoreConfig } from "./config";

/** The app as every entry point runs it: DynamoDB store, SES for notifications and replies. */
export function createWiredApp(store: StoreConfig, sender: SenderConfig) {
  const db = createDynamoClients({ region: store.region, endpoint: store.dynamodbEndpoint });
  const ses = createSesClient({ region: store.region, endpoint: sender.sesEndpoint });
  return createApp({
    db,
    tableName: store.tableName,
    notifier: new SesOwnerNotifier(ses, { from: sender.notifyFrom, appUrl: sender.appUrl }),
    mailer: new SesCustomerMailer(ses),
    replyFrom: sender.notifyFrom,
  });
}
