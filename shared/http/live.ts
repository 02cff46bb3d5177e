import type { APIGatewayProxyResultV2 } from "aws-lambda";
import { DomainError, UnauthenticatedError } from "../domain/errors";
import type { ClientRequest, LiveService } from "../domain/live";
import type { LiveFrame, LivePush } from "../domain/ports/live";
import { actorOf, type Operation, ok, param, type RequestContext } from "./context";
import { HttpError } from "./errors";
import { clientRequest } from "./live-schemas";
import type { OperationName } from "./route-table";
import * as s from "./schemas";
import { visitorTokenOf } from "./visitor-operations";

/**
 * The live-update socket (docs/api.md, Live updates): the frames as clients receive them, the handler
 * of API Gateway's WebSocket events (`$connect`, `$disconnect`, `$default`), and the HTTP routes that
 * hand out tickets. The same handler runs deployed and under `npm start` (infra/local/live.ts).
 */

/** The WebSocket event fields the handler reads (API Gateway's, or the local emulation's). */
export interface SocketEvent {
  requestContext: { routeKey: string; connectionId: string };
  queryStringParameters?: Record<string, string | undefined> | null;
  body?: string | null;
}

/** Largest client frame taken: every request is a few hundred bytes (API Gateway's limit is 128 KB). */
const MAX_REQUEST_BYTES = 4096;

/**
 * API Gateway's WebSocket routes. `$connect` answers 401 without a valid ticket (the socket is refused);
 * a bad request on an open socket answers an `error` frame and changes nothing.
 */
export function createLiveHandler(deps: {
  live: LiveService;
  push: LivePush;
  logger: { error: (m: string, extra: Record<string, unknown>) => void };
}) {
  const { live, push, logger } = deps;
  return async (event: SocketEvent): Promise<APIGatewayProxyResultV2> => {
    const { routeKey, connectionId } = event.requestContext;
    try {
      if (routeKey === "$connect") {
        await live.connect(connectionId, event.queryStringParameters?.ticket ?? undefined);
        return { statusCode: 200 };
      }
      if (routeKey === "$disconnect") {
        await live.disconnect(connectionId);
        return { statusCode: 200 };
      }
      const req = parseRequest(event.body);
      const frames = "error" in req ? [req.error] : await live.receive(connectionId, req.ok);
      for (const frame of frames) await push.send(connectionId, frame);
      return { statusCode: 200 };
    } catch (err) {
      if (err instanceof UnauthenticatedError) return { statusCode: 401, body: err.message };
      if (err instanceof DomainError) return { statusCode: 400, body: err.message };
      logger.error("live request failed", { routeKey, error: err as Error });
      return { statusCode: 500 };
    }
  };
}

function parseRequest(body: string | null | undefined): { ok: ClientRequest } | { error: LiveFrame } {
  const refuse = (message: string) => ({ error: { type: "error", code: "validation_failed", message } as const });
  if (!body || body.length > MAX_REQUEST_BYTES)
    return refuse(`send one JSON request of at most ${MAX_REQUEST_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return refuse("not JSON: send {action: subscribe | unsubscribe | ping, ...}");
  }
  const parsed = clientRequest.safeParse(json);
  // The pattern checked the topic's shape: `<kind>:<id>`, as the domain's Topic type says.
  if (parsed.success) return { ok: parsed.data as ClientRequest };
  const issue = parsed.error.issues[0];
  return refuse(`${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`);
}

/** A deployment without a live endpoint answers 404: its clients keep polling. */
function liveOf(ctx: RequestContext) {
  const live = ctx.services.commands.live;
  const url = ctx.services.config.liveUrl;
  if (!live || !url) throw new HttpError(404, "not_found", "live updates are off in this deployment: poll instead");
  return { live, url };
}

/** Tickets: an agent's (their token) or a visitor's (their chat's visitor token), each for one socket. */
export const LIVE_OPERATIONS = {
  async liveTicket(ctx) {
    const { live, url } = liveOf(ctx);
    const t = await live.issueTicket({ kind: "agent", userId: actorOf(ctx).id });
    return ok({ ...t, url }, 201);
  },
  async visitorLiveTicket(ctx) {
    const body = s.parse(s.handoffBody, ctx.body ?? {});
    const conversationId = param(ctx, "conversationId");
    const { live, url } = liveOf(ctx);
    const chat = await ctx.services.queries.visitorChat(conversationId, visitorTokenOf(ctx, body.visitorToken));
    const t = await live.issueTicket({ kind: "visitor", conversationId: chat.id });
    return ok({ ...t, url }, 201);
  },
} satisfies Partial<Record<OperationName, Operation>>;
