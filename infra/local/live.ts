/**
 * Live updates under `npm start`, the way API Gateway and Lambda run them deployed, with the same
 * handlers: a WebSocket server (the `ws` package) that turns each connect, message and disconnect into
 * the event API Gateway's WebSocket API sends; an emulation of its `@connections` management API on the
 * same port, which the same `ApiGatewayManagementApi` client posts to; and a poller of the embedded
 * engine's DynamoDB stream that hands the fan-out handler the event an event source mapping would,
 * filtered by the same patterns, retrying from the first failed record as partial batch failures ask.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { type WebSocket, WebSocketServer } from "ws";
import type { SocketEvent } from "#shared/http/live";

type SocketHandler = (event: SocketEvent & Record<string, unknown>) => Promise<{ statusCode?: number } | unknown>;

/** API Gateway's limits: a socket idle for 10 minutes closes, and none lives past 2 hours. */
export const IDLE_TIMEOUT_MS = 10 * 60_000;
export const MAX_CONNECTION_MS = 2 * 3600_000;

export interface LiveGateway {
  /** `ws://…`: what tickets point clients to. */
  url: string;
  /** `http://…`: the `@connections` endpoint the push client posts to. */
  connectionsUrl: string;
  /** Open sockets (tests drop them to prove a resume). */
  sockets: Map<string, WebSocket>;
  stop(): Promise<void>;
}

function event(routeKey: string, connectionId: string, extra: Record<string, unknown> = {}) {
  const eventType = routeKey === "$connect" ? "CONNECT" : routeKey === "$disconnect" ? "DISCONNECT" : "MESSAGE";
  return {
    requestContext: {
      routeKey,
      eventType,
      connectionId,
      apiId: "local",
      stage: "local",
      domainName: "localhost",
      requestId: randomBytes(8).toString("hex"),
      requestTimeEpoch: Date.now(),
      connectedAt: Date.now(),
    },
    isBase64Encoded: false,
    ...extra,
  };
}

/** Starts the WebSocket endpoint and its `@connections` API on one port (LIVE_PORT). */
export async function startLiveGateway(opts: {
  port: number;
  handler: SocketHandler;
  idleTimeoutMs?: number;
  log?: (line: string) => void;
}): Promise<LiveGateway> {
  const sockets = new Map<string, WebSocket>();
  const timers = new Map<string, NodeJS.Timeout>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: 128 * 1024 });
  const idle = opts.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  const touch = (id: string) => {
    clearTimeout(timers.get(id));
    timers.set(
      id,
      setTimeout(() => sockets.get(id)?.close(1001, "Going away (idle)"), idle),
    );
  };

  const server: Server = createServer((req, res) => void connections(req, res, sockets, touch));
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      // API Gateway's connection ids are 16 base64 characters ending in "=".
      const connectionId = `${randomBytes(11).toString("base64").slice(0, 15)}=`;
      const query = Object.fromEntries(url.searchParams);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      const answer = (await opts
        .handler(event("$connect", connectionId, { queryStringParameters: query, headers }))
        .catch(() => ({ statusCode: 500 }))) as { statusCode?: number };
      const status = answer?.statusCode ?? 200;
      if (status < 200 || status > 299) {
        socket.end(`HTTP/1.1 ${status} ${status === 401 ? "Unauthorized" : "Forbidden"}\r\nConnection: close\r\n\r\n`);
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => {
        sockets.set(connectionId, ws);
        touch(connectionId);
        const cap = setTimeout(() => ws.close(1001, "Going away (2 h)"), MAX_CONNECTION_MS);
        ws.on("message", (data) => {
          touch(connectionId);
          void opts.handler(event("$default", connectionId, { body: String(data) }));
        });
        ws.on("close", () => {
          clearTimeout(cap);
          clearTimeout(timers.get(connectionId));
          sockets.delete(connectionId);
          void opts.handler(event("$disconnect", connectionId));
        });
      });
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `ws://localhost:${port}`,
    connectionsUrl: `http://127.0.0.1:${port}`,
    sockets,
    stop: async () => {
      for (const ws of sockets.values()) ws.terminate();
      for (const t of timers.values()) clearTimeout(t);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `POST|GET|DELETE /@connections/{id}`, answered as API Gateway's management API answers them. */
async function connections(
  req: IncomingMessage,
  res: ServerResponse,
  sockets: Map<string, WebSocket>,
  touch: (id: string) => void,
) {
  const match = /^\/(?:[^/]+\/)?@connections\/([^/?]+)/.exec(req.url ?? "");
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const reply = (status: number, body?: unknown) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(body === undefined ? "" : JSON.stringify(body));
  };
  if (!match) return reply(404, { message: "Not Found" });
  const id = decodeURIComponent(match[1] ?? "");
  const ws = sockets.get(id);
  if (!ws || ws.readyState !== ws.OPEN) return reply(410, { __type: "GoneException", message: "Gone" });
  if (req.method === "POST") {
    ws.send(Buffer.concat(chunks).toString("utf8"));
    // A post to a connection counts as activity, as API Gateway's idle timer sees it.
    touch(id);
    return reply(200);
  }
  if (req.method === "DELETE") {
    ws.close(1000, "Closed by the service");
    return reply(204);
  }
  return reply(200, { connectedAt: new Date().toISOString(), identity: { sourceIp: "127.0.0.1" } });
}

/** The stream poller: what a Lambda event source mapping does, against dynoxide's DynamoDB Streams API. */
export function startStreamPoller(opts: {
  endpoint: string;
  region: string;
  tableName: string;
  handler: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
  filter: (record: DynamoDBRecord) => boolean;
  intervalMs?: number;
  /** Tries of a failing record before it goes to the "on-failure destination" (here: the log). */
  maxTries?: number;
  log: (line: string) => void;
}) {
  const client = new DynamoDBStreamsClient({
    region: opts.region,
    endpoint: opts.endpoint,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const interval = opts.intervalMs ?? 50;
  const maxTries = opts.maxTries ?? 3;
  let stopped = false;
  let pending: DynamoDBRecord[] = [];
  let tries = 0;

  const iterators = async (): Promise<string[]> => {
    const { Streams } = await client.send(new ListStreamsCommand({ TableName: opts.tableName }));
    const arn = Streams?.[0]?.StreamArn;
    if (!arn) throw new Error(`table ${opts.tableName} has no stream`);
    const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamArn: arn }));
    return Promise.all(
      (StreamDescription?.Shards ?? []).map(
        async (s) =>
          (
            await client.send(
              new GetShardIteratorCommand({ StreamArn: arn, ShardId: s.ShardId, ShardIteratorType: "LATEST" }),
            )
          ).ShardIterator ?? "",
      ),
    );
  };

  const deliver = async () => {
    if (pending.length === 0) return;
    const batch = pending.slice(0, 100);
    const r = await opts.handler({ Records: batch }).catch((err: Error) => {
      opts.log(`live: fan-out threw (${err.message}); retrying the batch`);
      return { batchItemFailures: [{ itemIdentifier: batch[0]?.dynamodb?.SequenceNumber ?? "" }] };
    });
    const failed = new Set(r.batchItemFailures.map((f) => f.itemIdentifier));
    const first = batch.findIndex((x) => failed.has(x.dynamodb?.SequenceNumber ?? ""));
    if (first < 0) {
      pending = pending.slice(batch.length);
      tries = 0;
      return;
    }
    // Retried from the first failure, as a mapping with ReportBatchItemFailures does.
    pending = pending.slice(first);
    if (++tries >= maxTries) {
      opts.log(
        `live: record ${pending[0]?.dynamodb?.SequenceNumber} failed ${tries} times; sent to the on-failure log`,
      );
      pending = pending.slice(1);
      tries = 0;
    }
  };

  let waiters: Array<() => void> = [];
  let started: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    started = resolve;
  });
  const loop = (async () => {
    let its = await iterators();
    started();
    while (!stopped) {
      let got = 0;
      const next: string[] = [];
      for (const it of its) {
        if (!it) continue;
        const out = await client.send(new GetRecordsCommand({ ShardIterator: it, Limit: 1000 })).catch((err: Error) => {
          // A failed read is retried from the same iterator after a pause, as a mapping does.
          opts.log(`live: reading the stream failed (${err.message}); retrying`);
          return { Records: [], NextShardIterator: it };
        });
        got += out.Records?.length ?? 0;
        pending.push(...(out.Records ?? []).map(toLambdaRecord).filter(opts.filter));
        if (out.NextShardIterator) next.push(out.NextShardIterator);
      }
      its = next.length > 0 ? next : await iterators();
      await deliver();
      if (got === 0 && pending.length === 0) {
        for (const w of waiters) w();
        waiters = [];
        await new Promise((r) => setTimeout(r, interval));
      }
    }
  })().catch((err: Error) => {
    started();
    opts.log(`live: the stream poller stopped: ${err.message}`);
  });

  return {
    /** Reading from the stream's end: what is written from now on is delivered. */
    ready,
    /** Resolves once everything written so far has been delivered. */
    drained: () => new Promise<void>((resolve) => waiters.push(resolve)),
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

/** The Streams API's record, as Lambda hands it over (same fields; dates as epoch seconds). */
function toLambdaRecord(r: _Record): DynamoDBRecord {
  const d = r.dynamodb;
  return {
    eventID: r.eventID,
    eventName: r.eventName as DynamoDBRecord["eventName"],
    eventVersion: r.eventVersion,
    eventSource: "aws:dynamodb",
    awsRegion: r.awsRegion,
    eventSourceARN: "local",
    dynamodb: {
      ...(d?.ApproximateCreationDateTime
        ? { ApproximateCreationDateTime: Math.floor(d.ApproximateCreationDateTime.getTime() / 1000) }
        : {}),
      Keys: d?.Keys as NonNullable<DynamoDBRecord["dynamodb"]>["Keys"],
      ...(d?.NewImage ? { NewImage: d.NewImage as NonNullable<DynamoDBRecord["dynamodb"]>["NewImage"] } : {}),
      SequenceNumber: d?.SequenceNumber,
      SizeBytes: d?.SizeBytes,
      StreamViewType: d?.StreamViewType as NonNullable<DynamoDBRecord["dynamodb"]>["StreamViewType"],
    },
  };
}
