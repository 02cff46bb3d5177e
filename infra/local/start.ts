/**
 * `npm start`: the whole service on one machine. dynoxide (data on disk), s3rver and aws-ses-v2-local,
 * the table and bucket, and the HTTP API through the same route table and handlers as the Lambdas.
 * `npm run demo` (`--demo`) also seeds a sample account and prints curl examples.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { createDynamoClients } from "#shared/adapters/dynamo/client";
import { handleStreamEvent, LIVE_STREAM_FILTERS, matchesFilter } from "#shared/adapters/dynamo/stream";
import { parseEmail } from "#shared/adapters/mime/parse";
import { createS3Client } from "#shared/adapters/s3/raw-email";
import { ingestSesEvent } from "#shared/adapters/ses/email-ingest";
import { handleLapseEvent } from "#shared/adapters/sqs/lapse-queue";
import { createWiredApp, ensureTable } from "#shared/app";
import { createApiHandler } from "#shared/http/api";
import { errorBody } from "#shared/http/errors";
import { createLiveHandler, type SocketEvent } from "#shared/http/live";
import { buildWeb, formatSizes, WEB_DIST } from "../../web/build";
import { seedDemo } from "./demo";
import { EmulatorError, startDynoxide } from "./dynoxide";
import { type RunningEmulator, startS3, startSes } from "./emulators";
import { createGateway, issueToken } from "./gateway";
import { LocalLapseTimer } from "./lapse-timer";
import { startLiveGateway, startStreamPoller } from "./live";
import { sesReceiptEvent } from "./ses-event";
import { localWeb } from "./web";

const TABLE = "routing-local";
const BUCKET = "routing-inbound-local";
/** Conversations' files (docs/routing.md §6.3), open to the inbox by CORS as the deployed bucket is. */
const ATTACHMENTS_BUCKET = "routing-attachments-local";
const PREFIX = "inbound/";

function intEnv(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === "") return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new EmulatorError(`${name} must be a port number, not ${v}`);
  return n;
}

function log(line: string) {
  process.stdout.write(`${line}\n`);
}

async function listen(server: Server, port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(
        err.code === "EADDRINUSE" ? new EmulatorError(`port ${port} is already in use: set PORT to another port`) : err,
      ),
    );
    server.listen(port, "127.0.0.1", () => resolve());
  });
}

async function main() {
  const started = Date.now();
  const demo = process.argv.includes("--demo");
  const port = intEnv("PORT") ?? 3000;
  const livePort = intEnv("LIVE_PORT") ?? port + 1;
  const dataDir = path.resolve(process.env.ROUTING_DATA_DIR ?? ".data");
  const jwtSecret = process.env.ROUTING_DEV_JWT_SECRET ?? "local-dev-secret";
  const formSigningKey = process.env.FORM_SIGNING_KEY ?? "local-form-signing-key";
  const baseUrl = `http://localhost:${port}`;
  // The inbox and the demo site are served from this very origin (under either host name).
  const ownOrigins = [baseUrl, `http://127.0.0.1:${port}`];
  const allowedOrigins = [
    ...ownOrigins,
    ...(process.env.ALLOWED_ORIGINS ?? "http://localhost:5173,http://localhost:8080")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  ];
  mkdirSync(dataDir, { recursive: true });

  const stops: Array<() => Promise<void>> = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const s of stops.reverse()) await s().catch(() => undefined);
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  // dynoxide runs under a watchdog tied to our stdin pipe: it ends with this process however it ends.

  try {
    // Any DynamoDB-compatible server may stand in for the embedded engine (a platform dynoxide has no build for).
    const external = process.env.DYNAMODB_ENDPOINT;
    const dynamo = external
      ? { endpoint: external, stop: async () => {} }
      : await startDynoxide({ port: intEnv("DYNAMODB_PORT"), dbPath: path.join(dataDir, "dynamodb.sqlite") });
    stops.push(dynamo.stop);
    const s3 = await startS3({
      port: intEnv("S3_PORT"),
      directory: path.join(dataDir, "s3"),
      buckets: [BUCKET],
      browserBuckets: [ATTACHMENTS_BUCKET],
    });
    stops.push(s3.stop);
    const ses: RunningEmulator = await startSes({ port: intEnv("SES_PORT") ?? 8005 });
    stops.push(ses.stop);

    const store = { tableName: TABLE, region: "us-east-1", dynamodbEndpoint: dynamo.endpoint };
    await ensureTable(createDynamoClients({ region: store.region, endpoint: dynamo.endpoint }), TABLE);
    const logger = {
      error: (message: string, extra: Record<string, unknown>) =>
        console.error(JSON.stringify({ level: "ERROR", message, ...extra })),
    };
    const sender = {
      sesEndpoint: ses.endpoint,
      notifyFrom: process.env.NOTIFY_FROM ?? "routing@localhost",
      appUrl: process.env.APP_URL ?? baseUrl,
    };
    // The re-route timer: what SQS and the lapse function do deployed, fed to the same handler.
    const lapses = new LocalLapseTimer();
    // Live updates: API Gateway's WebSocket API and its @connections API, with the same handlers.
    let onSocket: (e: SocketEvent) => Promise<unknown> = async () => ({ statusCode: 503 });
    const gateway = await startLiveGateway({ port: livePort, handler: (e) => onSocket(e) }).catch((err) => {
      throw (err as NodeJS.ErrnoException).code === "EADDRINUSE"
        ? new EmulatorError(`port ${livePort} is already in use: set LIVE_PORT to another port`)
        : err;
    });
    stops.push(gateway.stop);
    const app = createWiredApp(
      store,
      sender,
      { logger },
      lapses,
      { attachmentsBucket: ATTACHMENTS_BUCKET, s3Endpoint: s3.endpoint },
      { liveUrl: gateway.url, connectionsUrl: gateway.connectionsUrl },
    );
    const live = app.live;
    if (!live) throw new Error("live updates were not wired");
    onSocket = createLiveHandler({ live, push: live.push, logger });
    // What the table's stream and the fan-out's event source mapping do deployed.
    const poller = startStreamPoller({
      endpoint: dynamo.endpoint,
      region: store.region,
      tableName: TABLE,
      filter: (r) => LIVE_STREAM_FILTERS.some((p) => matchesFilter(r, p)),
      handler: (event) => handleStreamEvent(event, live, logger),
      log,
    });
    stops.unshift(poller.stop);
    await poller.ready;
    lapses.attach((event) =>
      handleLapseEvent(event, app.reroute, {
        info: (_m, extra) => extra.outcome === "rerouted" && log(`lapse: ${extra.conversationId} re-routed`),
        error: logger.error,
      }),
    );
    stops.unshift(async () => lapses.stop());
    const { commands, queries } = app;
    const api = createApiHandler(
      { commands, queries, config: { allowedOrigins, formSigningKey, liveUrl: gateway.url }, now: () => new Date() },
      logger,
    );
    const s3Client = createS3Client({ region: "us-east-1", endpoint: s3.endpoint });

    // POST /local/inbound-email: what SES does for a real message, then the very same email function.
    const webSizes = buildWeb();
    const web = localWeb({ distDir: WEB_DIST, web: app.web, jwtSecret, liveUrl: gateway.url });
    const local = async (req: import("node:http").IncomingMessage, body: Buffer, url: URL) => {
      const page = await web(req, body, url);
      if (page) return page;
      if (url.pathname !== "/local/inbound-email") return null;
      if (req.method !== "POST") return errorBody(404, "not_found", "POST a raw message here");
      if (!/^message\/rfc822/i.test(req.headers["content-type"] ?? ""))
        return errorBody(415, "unsupported_media_type", "send Content-Type: message/rfc822");
      if (body.length === 0) return errorBody(400, "validation_failed", "the body is empty: send a raw message");
      let parsed: Awaited<ReturnType<typeof parseEmail>>;
      try {
        parsed = await parseEmail(body);
      } catch (err) {
        return errorBody(400, "validation_failed", (err as Error).message);
      }
      const recipient = url.searchParams.get("recipient");
      const recipients = recipient ? [recipient.toLowerCase()] : parsed.to;
      if (recipients.length === 0)
        return errorBody(400, "validation_failed", "no recipient: add To/Cc headers or ?recipient=");
      const messageId = randomUUID().replace(/-/g, "");
      await s3Client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${PREFIX}${messageId}`, Body: body }));
      const event = sesReceiptEvent({
        messageId,
        recipients,
        from: parsed.from?.address ?? "",
        subject: parsed.subject,
      });
      const outcomes = await ingestSesEvent(event, {
        s3: s3Client,
        email: app.email,
        config: { bucket: BUCKET, prefix: PREFIX },
      });
      return {
        statusCode: 202,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ sesMessageId: messageId, outcomes }),
      };
    };

    const server = createServer(createGateway({ api, jwtSecret, allowedOrigins, local }));
    await listen(server, port);
    stops.unshift(() => new Promise<void>((resolve) => server.close(() => resolve())));

    // What the deployed EventBridge schedule does every minute: drain the waiting lines (docs/routing.md §5.5).
    const sweepEvery = Number(process.env.SWEEP_INTERVAL_MS ?? 60_000);
    const sweeper = setInterval(() => {
      app
        .sweep()
        .then(
          (r) =>
            r.assigned > 0 && log(`sweep: ${r.assigned} waiting conversation(s) assigned in ${r.channels} channel(s)`),
        )
        .catch((err: Error) =>
          console.error(JSON.stringify({ level: "ERROR", message: "sweep failed", error: err.message })),
        );
    }, sweepEvery);
    stops.unshift(async () => {
      clearInterval(sweeper);
      await app.waiting.settled();
    });

    // The printed admin token's user: an admin with no seat (never routed to) who can read every inbox,
    // so the token works on the agent routes too. Created once; a restart keeps what it holds.
    const localAdmin = await app.store.getUser("admin");
    if (!localAdmin) {
      await app.commands.admin.putUser({
        id: "admin",
        name: "Local admin",
        email: "admin@routing.localhost",
        seat: "none",
        role: "admin",
        primaryTeamId: null,
        additionalTeamIds: [],
        capacity: null,
      });
    }
    const adminToken = await issueToken(jwtSecret, "admin", { admin: true });
    const dynamoData = external ? "external" : `data ${path.join(dataDir, "dynamodb.sqlite")}`;
    const sesNote = `${ses.endpoint} (sent mail: ${ses.endpoint}/store)`;
    log(`emulators: dynamodb ${dynamo.endpoint} (${dynamoData}), s3 ${s3.endpoint}, ses ${sesNote}`);
    log(`live: ${gateway.url} (WebSocket; @connections at ${gateway.connectionsUrl})`);
    log(`admin token: ${adminToken}`);
    log(
      `web: inbox ${baseUrl}/ (developer sign-in), ` +
        `demo site with the chat widget ${baseUrl}/demo; ${formatSizes(webSizes)}`,
    );
    if (demo)
      await seedDemo({ baseUrl, adminToken, jwtSecret, formSigningKey, sesStore: `${ses.endpoint}/store`, log });
    log(`ready: ${baseUrl} (started in ${Date.now() - started} ms; Ctrl-C stops everything)`);
  } catch (err) {
    console.error(`npm start failed: ${(err as Error).message}`);
    await stop(1);
  }
}

void main();
