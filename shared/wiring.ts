import { createDynamoClients } from "./adapters/dynamo/client";
import { createSesClient, type SendObserver, SesCustomerMailer, SesOwnerNotifier } from "./adapters/ses/mailer";
import { createApp } from "./app";
import type { SenderConfig, StoreConfig } from "./config";
import { noMetrics } from "./domain/ports";

/**
 * The app as every entry point runs it: DynamoDB store, SES for notifications and replies. `observe`
 * is where failed sends are logged and what counts them (deployed: Powertools Logger and EMF metrics).
 */
export function createWiredApp(store: StoreConfig, sender: SenderConfig, observe?: Partial<SendObserver>) {
  const db = createDynamoClients({ region: store.region, endpoint: store.dynamodbEndpoint });
  const ses = createSesClient({ region: store.region, endpoint: sender.sesEndpoint });
  const observer: SendObserver = { logger: observe?.logger ?? { error: () => {} }, metrics: observe?.metrics ?? noMetrics };
  return createApp({
    db,
    tableName: store.tableName,
    notifier: new SesOwnerNotifier(ses, { from: sender.notifyFrom, appUrl: sender.appUrl }, observer),
    mailer: new SesCustomerMailer(ses, observer),
    replyFrom: sender.notifyFrom,
    metrics: observer.metrics,
  });
}
