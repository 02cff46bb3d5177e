import { readFileSync } from "node:fs";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { createApiHandler } from "#shared/http/api";
import { type TestApp, testApp } from "./harness";
import { checkResponse } from "./openapi-check";

const template = JSON.parse(
  readFileSync(new URL("../fixtures/apigw-v2-jwt-event.json", import.meta.url), "utf8"),
) as APIGatewayProxyEventV2 & {
  requestContext: { authorizer?: { jwt: { claims: Record<string, unknown> } } };
};

export const FORM_KEY = "test-form-master-key";

export interface Call {
  method: string;
  path: string;
  /** JSON-serialised unless a string; `raw` sends exactly these bytes. */
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  cookies?: string[];
  /** Claims of the JWT authorizer; null = no token (public route). */
  as?: { sub: string; groups?: string | string[] } | null;
}

/** An API Gateway v2 event as the deployed API would build it, from the recorded fixture. */
export function apiEvent(call: Call): APIGatewayProxyEventV2 {
  const e = structuredClone(template);
  const body = call.raw ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
  e.rawPath = call.path;
  e.requestContext.http.method = call.method;
  e.requestContext.http.path = call.path;
  e.routeKey = "$default";
  e.queryStringParameters = call.query;
  e.rawQueryString = new URLSearchParams(call.query ?? {}).toString();
  e.headers = {
    ...e.headers,
    ...(body !== undefined
      ? { "Content-Type": "application/json", "Content-Length": String(Buffer.byteLength(body)) }
      : {}),
    ...call.headers,
  };
  e.cookies = call.cookies ?? [];
  if (body !== undefined) e.body = body;
  else delete e.body;
  if (call.as === null || call.as === undefined) delete e.requestContext.authorizer;
  else
    e.requestContext.authorizer = {
      jwt: {
        claims: {
          ...e.requestContext.authorizer!.jwt.claims,
          sub: call.as.sub,
          "cognito:groups": call.as.groups ?? "[users]",
        },
      },
    };
  return e;
}

export async function apiHarness(opts: Parameters<typeof testApp>[0] & { liveUrl?: string } = {}) {
  const app = await testApp(opts);
  const errors: unknown[] = [];
  const handler = createApiHandler(
    {
      commands: app.commands,
      queries: app.queries,
      config: { allowedOrigins: ["https://shop.example"], formSigningKey: FORM_KEY, liveUrl: opts.liveUrl },
      now: () => app.clock.now(),
    },
    { error: (msg, extra) => errors.push({ msg, ...extra }) },
  );
  const call = async (c: Call) => {
    const res = (await handler(apiEvent(c), {} as Context)) as APIGatewayProxyStructuredResultV2;
    const json = res.body ? JSON.parse(res.body) : undefined;
    // Every answer any test sees must match the served contract (docs/api.md, GET /openapi.json).
    checkResponse(c.method, c.path, res.statusCode!, json);
    // Header names are case-insensitive: hand them to tests lower-cased.
    const headers = Object.fromEntries(Object.entries(res.headers ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
    return { status: res.statusCode!, json, headers, cookies: res.cookies ?? [] };
  };
  return { app, call, errors } as { app: TestApp; call: typeof call; errors: unknown[] };
}

export const ADMIN = { sub: "boss", groups: "[admins users]" };
