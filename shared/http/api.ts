import middy, { type MiddlewareObj } from "@middy/core";
import httpCors from "@middy/http-cors";
import httpHeaderNormalizer from "@middy/http-header-normalizer";
import httpJsonBodyParser from "@middy/http-json-body-parser";
import httpRouterHandler from "@middy/http-router";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { ForbiddenError, NotFoundError } from "../domain/errors";
import type { User } from "../domain/types";
import { type Principal, principalOf } from "./auth";
import { errorResponse, HttpError } from "./errors";
import { type HttpServices, OPERATIONS, type Operation, type Reply, type RequestContext } from "./operations";
import { answersCors, CORS_POLICY, needsToken, originAllowed, ROUTES, type Route, type RouteSpec } from "./route-table";

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/** docs/api.md: bodies over 256 KiB are refused with 413 before anything else looks at them. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface ApiLogger {
  error(message: string, extra: Record<string, unknown>): void;
}

const RAW = Symbol("rawBody");

/**
 * Keeps the exact received bytes (signed routes verify them; the JSON parser replaces `event.body`)
 * and refuses oversized bodies before anything parses them.
 */
const rawBody = (): MiddlewareObj<Event, Result> => ({
  before: (request) => {
    const { body, isBase64Encoded } = request.event;
    const bytes = body === undefined ? Buffer.alloc(0) : Buffer.from(body, isBase64Encoded ? "base64" : "utf8");
    if (bytes.length > MAX_BODY_BYTES)
      throw new HttpError(413, "payload_too_large", `the body is over ${MAX_BODY_BYTES} bytes`);
    Object.defineProperty(request.event, RAW, { value: bytes, enumerable: false });
  },
});

/**
 * A JSON route called with no body at all (no bytes, no Content-Type) is read as `{}`: the schema then
 * names each missing field, and routes whose fields are all optional (a hand-off with the visitor
 * token in its cookie) work without one. A body that is there must still be JSON.
 */
const emptyBodyIsEmptyObject = (): MiddlewareObj<Event, Result> => ({
  before: (request) => {
    const { event } = request;
    const raw = (event as unknown as Record<symbol, Buffer>)[RAW];
    const headers = event.headers ?? {};
    if (raw && raw.length === 0 && !headers["content-type"]) {
      event.body = "{}";
      event.isBase64Encoded = false;
      event.headers = { ...headers, "content-type": "application/json" };
    }
  },
});

/** Every error, from any middleware or the operation, becomes the docs/api.md error shape. */
const errorMapper = (logger: ApiLogger): MiddlewareObj<Event, Result> => ({
  onError: (request) => {
    request.response = errorResponse(request.error, (msg, extra) =>
      logger.error(msg, { ...extra, path: request.event.rawPath }),
    );
  },
});

/** Cookies by name. The site's other cookies come along too: one that does not decode is ignored, not a 500. */
function cookiesOf(event: Event): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of event.cookies ?? []) {
    const eq = c.indexOf("=");
    if (eq <= 0) continue;
    try {
      out[c.slice(0, eq).trim()] = decodeURIComponent(c.slice(eq + 1).trim());
    } catch {
      // not percent-encoding: not ours
    }
  }
  return out;
}

/**
 * Who is calling. Agent routes need the caller's user record; the activity write that every
 * authenticated request makes (docs/api.md) returns it, so it costs no extra read. An admin without a user
 * record (the bootstrap token) may configure the account.
 */
async function authenticate(
  spec: RouteSpec,
  event: Event,
  services: HttpServices,
): Promise<{ principal: Principal | null; actor: User | null }> {
  if (!needsToken(spec)) return { principal: null, actor: null };
  const principal = principalOf(event as never);
  if (spec.auth === "admin" && !principal.admin) throw new ForbiddenError("admins only");
  // A background read (the inbox's live polling) is not inbox use: it loads the caller, records nothing.
  const actor = spec.passive
    ? await services.queries.findUser(principal.userId)
    : await services.commands.presence.recordActivity(principal.userId);
  if (spec.auth === "agent" && !actor)
    throw new ForbiddenError(`user ${principal.userId} is not a user of this account`);
  // The admins group in the token counts like the admin role (docs/routing.md §2: access to every inbox).
  return { principal, actor: actor && principal.admin ? { ...actor, role: "admin" } : actor };
}

function toResult(reply: Reply): Result {
  return {
    statusCode: reply.status,
    headers: { "content-type": "application/json", ...reply.headers },
    ...(reply.body !== undefined ? { body: JSON.stringify(reply.body) } : {}),
    ...(reply.cookies ? { cookies: reply.cookies } : {}),
  };
}

function routeHandler(spec: Route, services: HttpServices, logger: ApiLogger) {
  const operation: Operation = OPERATIONS[spec.operation];
  const handler = middy<Event, Result>().use(httpHeaderNormalizer());
  if (answersCors(spec)) {
    const allowed = services.config.allowedOrigins;
    handler.use(
      httpCors({
        origins: allowed,
        credentials: CORS_POLICY.allowCredentials,
        // The one origin rule of the local gateway too (route-table.ts): exact origins, or "*". An empty
        // answer sends no Access-Control-Allow-Origin at all.
        getOrigin: (origin: string) => (originAllowed(origin, allowed) ? origin : ""),
      }),
    );
  }
  handler.use(errorMapper(logger)).use(rawBody());
  if (spec.json) handler.use(emptyBodyIsEmptyObject()).use(httpJsonBodyParser());
  return handler.handler(async (event, context) => {
    const { principal, actor } = await authenticate(spec, event, services);
    const ctx: RequestContext = {
      params: event.pathParameters ?? {},
      query: event.queryStringParameters ?? {},
      headers: event.headers ?? {},
      cookies: cookiesOf(event),
      body: spec.json ? event.body : undefined,
      rawBody: (event as unknown as Record<symbol, Buffer>)[RAW] ?? Buffer.alloc(0),
      principal,
      actor,
      services,
      // The Lambda's remaining time (its 15 s timeout is inside API Gateway's 30 s): routing answers
      // before it runs out. Without a Lambda context (tests, the local gateway) there is no limit.
      deadline: {
        remainingMs: () =>
          typeof context?.getRemainingTimeInMillis === "function"
            ? context.getRemainingTimeInMillis()
            : Number.POSITIVE_INFINITY,
      },
    };
    return toResult(await operation(ctx));
  });
}

/** The HTTP API as one Lambda handler (API Gateway v2 payload), routed by the shared route table. */
export function createApiHandler(services: HttpServices, logger: ApiLogger) {
  const routes = ROUTES.map((spec) => ({
    method: spec.method,
    path: spec.path,
    handler: routeHandler(spec, services, logger),
  }));
  return middy<Event, Result>()
    .use(errorMapper(logger))
    .handler(
      httpRouterHandler<Event, Result>({
        routes,
        notFoundResponse: ({ method, path }) => {
          throw new NotFoundError(`no route ${method} ${path}`);
        },
      }) as never,
    );
}
