import WebSocket from "ws";
import { ApiGatewayPush, createConnectionsClient } from "#shared/adapters/apigw/connections";
import { handleStreamEvent, LIVE_STREAM_FILTERS, matchesFilter } from "#shared/adapters/dynamo/stream";
import { createLiveHandler, type SocketEvent } from "#shared/http/live";
import { renderFrame } from "#shared/http/live-frames";
import { startLiveGateway, startStreamPoller } from "../../infra/local/live";
import { endpoint } from "./harness";
import { apiHarness } from "./http";

/**
 * The whole live path on real parts: the local WebSocket gateway and its `@connections` API, the push
 * client posting to it, the app's socket handler, and the stream poller on the test's table feeding
 * the fan-out handler (infra/local/live.ts, as `npm start` runs it).
 */
export async function liveHarness(
  opts: Parameters<typeof apiHarness>[0] & {
    idleTimeoutMs?: number;
    /** Writes made before the stream is read (a large seed the fan-out need not see). */
    before?: (h: Awaited<ReturnType<typeof apiHarness>>) => Promise<void>;
  } = {},
) {
  let onSocket: (e: SocketEvent) => Promise<unknown> = async () => ({ statusCode: 503 });
  const gateway = await startLiveGateway({
    port: 0,
    handler: (e) => onSocket(e),
    ...(opts.idleTimeoutMs ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
  });
  const client = createConnectionsClient({ endpoint: gateway.connectionsUrl, region: "us-east-1", local: true });
  const push = new ApiGatewayPush(client, renderFrame);
  const h = await apiHarness({ ...opts, push, liveUrl: gateway.url });
  const live = h.app.live!;
  const errors: unknown[] = [];
  const logger = { error: (message: string, extra: Record<string, unknown>) => errors.push({ message, ...extra }) };
  onSocket = createLiveHandler({ live, push, logger });
  await opts.before?.(h);
  const logs: string[] = [];
  const poller = startStreamPoller({
    endpoint: endpoint(),
    region: "us-east-1",
    tableName: h.app.tableName,
    filter: (r) => LIVE_STREAM_FILTERS.some((p) => matchesFilter(r, p)),
    handler: (event) => handleStreamEvent(event, live, logger),
    intervalMs: 20,
    log: (l) => logs.push(l),
  });
  await poller.ready;

  /** A socket opened with a ticket; every frame it receives is kept, in order. */
  const open = async (ticket: string) => {
    const ws = new WebSocket(`${gateway.url}?ticket=${encodeURIComponent(ticket)}`);
    const frames: Array<Record<string, unknown>> = [];
    ws.on("message", (d) => frames.push(JSON.parse(String(d))));
    const status = await new Promise<number>((resolve) => {
      ws.on("open", () => resolve(101));
      ws.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
      ws.on("error", () => resolve(0));
    });
    /** The first frame (from `from` on) that matches, waiting up to `ms`. */
    const next = async (match: (f: Record<string, unknown>) => boolean, ms = 5000, from = 0) => {
      const until = Date.now() + ms;
      for (;;) {
        const found = frames.slice(from).find(match);
        if (found) return found;
        if (Date.now() > until) throw new Error(`no matching frame in ${ms} ms; got ${JSON.stringify(frames)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const send = (body: unknown) => ws.send(typeof body === "string" ? body : JSON.stringify(body));
    const closed = new Promise<void>((resolve) => ws.on("close", () => resolve()));
    const close = () => {
      ws.close();
      return closed;
    };
    return { ws, status, frames, next, send, close };
  };

  const agentTicket = async (sub: string) =>
    (await h.call({ method: "POST", path: "/live/tickets", as: { sub } })).json.ticket as string;
  const visitorTicket = async (conversationId: string, visitorToken: string) =>
    (
      await h.call({
        method: "POST",
        path: `/chat/conversations/${conversationId}/live`,
        as: null,
        body: { visitorToken },
      })
    ).json.ticket as string;

  const stop = async () => {
    await poller.stop();
    await gateway.stop();
  };
  return { ...h, gateway, live, push, poller, open, agentTicket, visitorTicket, errors, logs, stop };
}
