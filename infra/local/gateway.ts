import type { IncomingMessage, ServerResponse } from "node:http";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { jwtVerify, SignJWT } from "jose";
import { MAX_BODY_BYTES } from "#shared/http/api";
import { errorBody } from "#shared/http/errors";
import { openApiDocument } from "#shared/http/openapi";
import { CORS_POLICY, needsToken, originAllowed, ROUTES, type RouteSpec } from "#shared/http/route-table";
import { renderApiDocsPage } from "./api-docs-page";

export type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<unknown>;

/** Local tokens: HS256 with the dev secret, the claims a Cognito access token carries. */
export function issueToken(
  secret: string,
  userId: string,
  opts: { admin?: boolean; days?: number } = {},
): Promise<string> {
  return new SignJWT({ "cognito:groups": opts.admin ? ["admins"] : ["users"] })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(`${opts.days ?? 30}d`)
    .sign(new TextEncoder().encode(secret));
}

/**
 * Claims as the HTTP API's JWT authorizer hands them to the function: strings, with an array claim as
 * one `[a b]` string (so `parseGroups` sees a single shape, locally and deployed).
 */
function authorizerClaims(payload: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (Array.isArray(v)) out[k] = `[${v.map(String).join(" ")}]`;
    else out[k] = typeof v === "object" && v !== null ? JSON.stringify(v) : String(v);
  }
  return out;
}

const compiled = ROUTES.map((r) => ({ spec: r, pattern: new RegExp(`^${r.path.replace(/\{[^/]+\}/g, "[^/]+")}$`) }));

/** The route a request hits, as API Gateway would pick it (method and path template). */
export function matchRoute(method: string, path: string): RouteSpec | null {
  return compiled.find((c) => c.spec.method === method && c.pattern.test(path))?.spec ?? null;
}

/** The largest message SES accepts: what `/local/inbound-email` takes, as SES would (not the API's cap). */
export const SES_MAX_MESSAGE_BYTES = 40 * 1024 * 1024;

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | "too_large"> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Keep reading (so the client sees our answer) but stop storing past the limit.
    if (size <= limit + 1) chunks.push(chunk as Buffer);
  }
  return size > limit ? "too_large" : Buffer.concat(chunks);
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(result.headers ?? {})) headers[k] = String(v);
  if (result.cookies?.length) headers["set-cookie"] = result.cookies;
  res.writeHead(result.statusCode ?? 200, headers);
  res.end(result.isBase64Encoded && result.body ? Buffer.from(result.body, "base64") : (result.body ?? ""));
}

/**
 * A small API Gateway for `npm start`: each request becomes the HTTP API's v2 event, with the claims
 * the JWT authorizer would put on protected routes (verified here with the dev secret), and is handed
 * to the very same Lambda handler. Public routes carry no claims, as deployed.
 */
export function createGateway(opts: {
  api: ApiHandler;
  jwtSecret: string;
  allowedOrigins: string[];
  local?: (req: IncomingMessage, body: Buffer, url: URL) => Promise<APIGatewayProxyStructuredResultV2 | null>;
}) {
  const key = new TextEncoder().encode(opts.jwtSecret);
  return async (req: IncomingMessage, res: ServerResponse) => {
    try {
      // API Gateway never sees a fragment; a literal '#' here would cut the path and act on another resource.
      if ((req.url ?? "").includes("#")) {
        const detail = { field: "path", reason: "encode '#' as %23" };
        return send(res, errorBody(400, "validation_failed", "the path has a literal '#'", [detail]));
      }
      const url = new URL(req.url ?? "/", "http://localhost");
      const method = (req.method ?? "GET").toUpperCase();
      // Team email arrives through SES, not API Gateway: its local stand-in takes what SES takes.
      const limit = url.pathname === "/local/inbound-email" ? SES_MAX_MESSAGE_BYTES : MAX_BODY_BYTES;
      const body = await readBody(req, limit);
      if (body === "too_large")
        return send(res, errorBody(413, "payload_too_large", `the body is over ${limit} bytes`));
      const local = await opts.local?.(req, body, url);
      if (local) return send(res, local);
      // Local mode only (like /local/...): the contract as a page; deployed, /openapi.json is enough.
      if (method === "GET" && url.pathname === "/docs") return send(res, docsPage());
      const route = matchRoute(method, url.pathname);
      if (method === "OPTIONS") return send(res, preflight(req, opts.allowedOrigins));

      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : v;
      let claims: Record<string, string> | undefined;
      if (route && needsToken(route)) {
        // What the deployed JWT authorizer does: no valid token, no call to the function.
        const token = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? "")?.[1];
        if (!token) return send(res, errorBody(401, "unauthenticated", "a bearer token is required"));
        try {
          // A token must expire, as Cognito's do: one without `exp` would be valid forever.
          const verified = await jwtVerify(token, key, { algorithms: ["HS256"], requiredClaims: ["exp", "sub"] });
          const payload = verified.payload;
          claims = authorizerClaims(payload);
        } catch {
          return send(res, errorBody(401, "unauthenticated", "the token is invalid or expired"));
        }
      }
      const query: Record<string, string> = {};
      for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
      const event: APIGatewayProxyEventV2 = {
        version: "2.0",
        routeKey: "$default",
        rawPath: url.pathname,
        rawQueryString: url.searchParams.toString(),
        cookies: (headers.cookie ?? "")
          .split(";")
          .map((c) => c.trim())
          .filter(Boolean),
        headers,
        queryStringParameters: Object.keys(query).length ? query : undefined,
        requestContext: {
          accountId: "local",
          apiId: "local",
          domainName: "localhost",
          domainPrefix: "localhost",
          http: {
            method,
            path: url.pathname,
            protocol: "HTTP/1.1",
            sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
            userAgent: headers["user-agent"] ?? "",
          },
          requestId: `local-${Date.now()}`,
          routeKey: "$default",
          stage: "$default",
          time: new Date().toUTCString(),
          timeEpoch: Date.now(),
          ...(claims ? { authorizer: { jwt: { claims, scopes: [] } } } : {}),
        } as APIGatewayProxyEventV2["requestContext"],
        // Bodies travel base64-encoded, so signed routes see the exact bytes that were sent.
        ...(body.length ? { body: body.toString("base64"), isBase64Encoded: true } : { isBase64Encoded: false }),
      };
      send(res, (await opts.api(event, {} as Context)) as APIGatewayProxyStructuredResultV2);
    } catch (err) {
      console.error(
        JSON.stringify({ level: "ERROR", message: "gateway error", error: String((err as Error)?.stack ?? err) }),
      );
      send(res, errorBody(500, "internal", "internal error"));
    }
  };
}

let page: string | undefined;
function docsPage(): APIGatewayProxyStructuredResultV2 {
  page ??= renderApiDocsPage(openApiDocument());
  return { statusCode: 200, headers: { "content-type": "text/html; charset=utf-8" }, body: page };
}

/** CORS preflight for the public chat routes, answered by the gateway as API Gateway's CORS config would. */
function preflight(req: IncomingMessage, allowedOrigins: string[]): APIGatewayProxyStructuredResultV2 {
  const origin = req.headers.origin;
  return {
    statusCode: 204,
    headers: originAllowed(origin, allowedOrigins)
      ? {
          "access-control-allow-origin": origin!,
          "access-control-allow-credentials": String(CORS_POLICY.allowCredentials),
          "access-control-allow-methods": [...CORS_POLICY.allowMethods, "OPTIONS"].join(","),
          "access-control-allow-headers": CORS_POLICY.allowHeaders.join(","),
          "access-control-max-age": String(CORS_POLICY.maxAgeSeconds),
        }
      : {},
  };
}
