import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceInUseException,
  UpdateTableCommand,
} from "@aws-sdk/client-dynamodb";
import { ApiGatewayPush, createConnectionsClient } from "./adapters/apigw/connections";
import { DynamoAdminStore } from "./adapters/dynamo/admin-store";
import { DynamoChannelHistory } from "./adapters/dynamo/channel-history";
import { createDynamoClients, type DynamoClients } from "./adapters/dynamo/client";
import { DynamoLapseStore } from "./adapters/dynamo/lapse-store";
import { DynamoLiveStore } from "./adapters/dynamo/live-store";
import { DynamoMailRate } from "./adapters/dynamo/mail-rate-store";
import { createTableInput } from "./adapters/dynamo/table";
import { DynamoWebStore } from "./adapters/dynamo/web-store";
import { S3AttachmentStore } from "./adapters/s3/attachment-store";
import { createS3Client } from "./adapters/s3/raw-email";
import {
  createSesClient,
  type SendObserver,
  SesCustomerEmailSender,
  SesOwnerNotifier,
} from "./adapters/ses/email-sender";
import { createSqsClient, SqsLapseTimer } from "./adapters/sqs/lapse-queue";
import {
  type AttachmentConfig,
  type LiveConfig,
  readAttachmentConfig,
  readLiveConfig,
  type SenderConfig,
  type StoreConfig,
  type TimerConfig,
} from "./config";
import { AdminService } from "./domain/admin";
import { AttachmentService } from "./domain/attachments";
import { ConversationService } from "./domain/conversations";
import { EmailService } from "./domain/email";
import { FormService } from "./domain/forms";
import { InboundService } from "./domain/inbound";
import { LiveService } from "./domain/live";
import type { AttachmentStore } from "./domain/ports/attachments";
import { type LapseTimer, noLapseTimer } from "./domain/ports/lapses";
import type { LivePush } from "./domain/ports/live";
import { type Metrics, noMetrics } from "./domain/ports/metrics";
import type { CustomerEmailSender, OwnerNotifier } from "./domain/ports/outbound-email";
import type { Clock, RandomSource, Stopwatch } from "./domain/ports/time";
import { PresenceService } from "./domain/presence";
import { QueryService } from "./domain/queries";
import { Reroute } from "./domain/reroute";
import { Router, type RouterOptions } from "./domain/router";
import { DEFAULT_QUEUE_TIMING } from "./domain/routing-queue";
import { RulePreviewService } from "./domain/rule-preview";
import type { Availability } from "./domain/types";
import { VisitorService } from "./domain/visitors";
import { WaitingLine, type WaitingLineDeps } from "./domain/waiting-line";
import { renderFrame } from "./http/live-frames";
import { timeOrderedId } from "./ids";
import type { CommandServices, QueryPort } from "./services";

/**
 * The composition root: the domain services wired to their adapters, for the Lambdas, `npm start`, the
 * CLI and the tests. `createApp` takes the clients (tests inject clocks and faults); `createWiredApp`
 * builds them from configuration, with SES for notifications and replies.
 */

export const systemClock: Clock = { now: () => new Date() };
export const systemRandom: RandomSource = { next: () => Math.random() };
export const systemStopwatch: Stopwatch = { elapsedMs: () => performance.now() };

export interface AppDeps {
  db: DynamoClients;
  tableName: string;
  clock?: Clock;
  random?: RandomSource;
  stopwatch?: Stopwatch;
  notifier?: OwnerNotifier;
  newId?: () => string;
  router?: Partial<Omit<RouterOptions, "store" | "clock" | "random" | "stopwatch" | "notifier" | "metrics">>;
  /** The waiting line's tuning (trigger budget, round size). */
  waiting?: Partial<Pick<WaitingLineDeps, "roundSize" | "maxRounds" | "triggerBudgetMs">>;
  /** Outbound replies on email and form conversations, and their sender for forms. */
  emailSender?: CustomerEmailSender;
  replyFrom?: string;
  /** Operational metrics (deployed: CloudWatch EMF). @default noMetrics */
  metrics?: Metrics;
  /**
   * Times re-route clocks (docs/routing.md §5.6): deployed an SQS delay queue, under `npm start` an
   * in-process timer feeding the same handler. @default noLapseTimer (the sweeper catches every clock)
   */
  lapseTimer?: LapseTimer;
  /** Where conversations' files are kept (docs/routing.md §6.3). @default none: attachments are dropped */
  files?: AttachmentStore;
  /** Posts to live-update connections (docs/routing.md §9). @default none: no live updates, clients poll */
  push?: LivePush;
  newTicket?: () => string;
}

/** Wires the domain services to the DynamoDB store: the composition root of Lambdas, `npm start` and tests. */
export function createApp(deps: AppDeps) {
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? systemRandom;
  const newId = deps.newId ?? timeOrderedId;
  const stopwatch = deps.stopwatch ?? systemStopwatch;
  const store = new DynamoAdminStore(deps.db, deps.tableName);
  const metrics = deps.metrics ?? noMetrics;
  // What both routing paths need: the router for new conversations, the waiting line for those that wait.
  const engine = { store, clock, random, stopwatch, metrics, ...(deps.notifier ? { notifier: deps.notifier } : {}) };
  const router = new Router({ ...engine, ...deps.router });
  const reroute = new Reroute({
    store,
    lapses: new DynamoLapseStore(deps.db, deps.tableName),
    timer: deps.lapseTimer ?? noLapseTimer,
    clock,
    random,
    metrics,
    newId,
  });
  const waiting = new WaitingLine({ ...engine, ...deps.waiting, clocks: reroute });
  const attachments = deps.files ? new AttachmentService({ store, files: deps.files, newId }) : undefined;
  const conversations = new ConversationService({
    store,
    clock,
    random,
    newId,
    waiting,
    clocks: reroute,
    ...(deps.emailSender ? { emailSender: deps.emailSender } : {}),
    ...(deps.replyFrom ? { replyFrom: deps.replyFrom } : {}),
    ...(attachments && deps.files ? { attachments, files: deps.files } : {}),
  });
  const web = new DynamoWebStore(deps.db, deps.tableName, store.reads);
  const inbound = new InboundService({ store, router, clock, newId, clocks: reroute });
  const live = deps.push ? liveService(deps, store, web, waiting, clock, deps.push) : undefined;
  const admin = new AdminService(store, newId, waiting, live ? (user) => live.accessChanged(user) : undefined);
  const visitors = new VisitorService({ store, inbound, conversations, admin });
  const forms = new FormService({ inbound });
  const presence = new PresenceService({ store, clock, waiting, conversations });
  // What request adapters (HTTP) get: every write through a service, reads through the query port.
  const commands: CommandServices = {
    admin,
    conversations,
    visitors,
    forms,
    presence,
    ...(attachments ? { attachments } : {}),
    ...(live ? { live } : {}),
  };
  const history = new DynamoChannelHistory(deps.db, deps.tableName, store.reads);
  // The preview reads (through the store and the channel's history) and writes nothing (docs/routing.md §8).
  const preview = new RulePreviewService({
    reads: {
      getChannel: (id) => store.getChannel(id),
      channelConversations: (id, from, to, limit) => history.channelConversations(id, from, to, limit),
      loadEntities: (ids) => store.loadEntities(ids),
      teamMembers: (teamId) => store.teamMembers(teamId),
      getContacts: (ids) => store.getContacts(ids),
      findContact: (key) => store.findContact(key),
    },
    clock,
    random,
    checkRule: (channel, rule) => admin.checkRule(channel, rule),
  });
  const queries: QueryPort = new QueryService({ store, web, clock, waiting, preview });
  return {
    store,
    metrics: deps.metrics ?? noMetrics,
    router,
    admin,
    conversations,
    waiting,
    /** Re-routes a chat its assignee did not answer (docs/routing.md §5.6): the lapse function's service. */
    reroute,
    /** A user's availability toggle, and what it means for the waiting line (docs/routing.md §5.5). */
    setAvailability: (userId: string, availability: Availability) => presence.setAvailability(userId, availability),
    /** The sweeper's run: every line and every stale routing queue drained (docs/routing.md §5.5). */
    sweep: () =>
      waiting.sweep(
        (channel) => router.queue.routeQueued(channel),
        (deps.router?.queue ?? DEFAULT_QUEUE_TIMING).staleMs,
        (channel) => reroute.catchUp(channel),
      ),
    inbound,
    email: new EmailService({
      store,
      inbound,
      conversations,
      rate: new DynamoMailRate(deps.db, deps.tableName),
      clock,
      ...(deps.files ? { files: deps.files } : {}),
    }),
    web,
    commands,
    queries,
    /** Live updates (docs/routing.md §9), when the app was given a way to post to connections. */
    live,
  };
}

/** The live-update service on the routing table: its records, and the reads a fan-out needs. */
function liveService(
  deps: AppDeps,
  store: DynamoAdminStore,
  web: DynamoWebStore,
  waiting: WaitingLine,
  clock: Clock,
  push: LivePush,
): LiveService {
  return new LiveService({
    store: new DynamoLiveStore(deps.db, deps.tableName, store.reads),
    push,
    clock,
    newTicket: deps.newTicket ?? (() => randomBytes(24).toString("base64url")),
    reads: {
      getUser: (id) => store.getUser(id),
      getInbox: (id) => store.getInbox(id),
      getConversation: (id) => store.getConversation(id),
      getConversations: (ids) => store.queries.getConversations(ids),
      changesSince: (inboxId, since, limit) => web.changesSince(inboxId, since, limit),
      messagesSince: (id, since, limit) => store.queries.messagesSince(id, since, limit),
      placeOf: (c) => waiting.placeOf(c),
    },
  });
}

export type App = ReturnType<typeof createApp>;

/** Create the table from the shared definition if it does not exist yet (tests, `npm start`). */
export async function ensureTable(db: DynamoClients, tableName: string): Promise<void> {
  const wanted = createTableInput(tableName);
  try {
    const { Table } = await db.client.send(new DescribeTableCommand({ TableName: tableName }));
    // A table from an older version (kept under .data/) gains the indexes added since, one at a time.
    const present = new Set((Table?.GlobalSecondaryIndexes ?? []).map((ix) => ix.IndexName));
    if (!Table?.StreamSpecification?.StreamEnabled)
      await db.client.send(
        new UpdateTableCommand({ TableName: tableName, StreamSpecification: wanted.StreamSpecification }),
      );
    for (const ix of wanted.GlobalSecondaryIndexes.filter((i) => !present.has(i.IndexName))) {
      await db.client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: wanted.AttributeDefinitions,
          GlobalSecondaryIndexUpdates: [{ Create: ix }],
        }),
      );
    }
    return;
  } catch (err) {
    if ((err as { name?: string }).name !== "ResourceNotFoundException") throw err;
  }
  try {
    await db.client.send(new CreateTableCommand(wanted));
  } catch (err) {
    if (!(err instanceof ResourceInUseException)) throw err;
  }
}

/**
 * The app as every entry point runs it: DynamoDB store, SES for notifications and replies. `observe`
 * is where failed sends are logged and what counts them (deployed: Powertools Logger and EMF metrics).
 */
export function createWiredApp(
  store: StoreConfig,
  sender: SenderConfig,
  observe?: Partial<SendObserver>,
  lapseTimer?: LapseTimer,
  files: AttachmentConfig = readAttachmentConfig(),
  live: LiveConfig = readLiveConfig(),
) {
  const db = createDynamoClients({ region: store.region, endpoint: store.dynamodbEndpoint });
  const ses = createSesClient({ region: store.region, endpoint: sender.sesEndpoint });
  const observer: SendObserver = {
    logger: observe?.logger ?? { error: () => {} },
    metrics: observe?.metrics ?? noMetrics,
  };
  return createApp({
    db,
    tableName: store.tableName,
    notifier: new SesOwnerNotifier(ses, { from: sender.notifyFrom, appUrl: sender.appUrl }, observer),
    emailSender: new SesCustomerEmailSender(ses, observer),
    replyFrom: sender.notifyFrom,
    metrics: observer.metrics,
    ...(lapseTimer ? { lapseTimer } : {}),
    ...(live.connectionsUrl
      ? {
          push: new ApiGatewayPush(
            createConnectionsClient({
              endpoint: live.connectionsUrl,
              region: store.region,
              local: store.dynamodbEndpoint !== undefined,
            }),
            renderFrame,
          ),
        }
      : {}),
    ...(files.attachmentsBucket
      ? {
          files: new S3AttachmentStore(
            createS3Client({ region: store.region, endpoint: files.s3Endpoint }),
            files.attachmentsBucket,
          ),
        }
      : {}),
  });
}

/** The re-route timer a Lambda uses: the SQS delay queue when the stack names one. */
export function lapseTimerFrom(config: TimerConfig, region: string): LapseTimer | undefined {
  if (!config.lapseQueueUrl) return undefined;
  const sqs = createSqsClient({ region, endpoint: config.sqsEndpoint });
  return new SqsLapseTimer(sqs, config.lapseQueueUrl, systemClock);
}
