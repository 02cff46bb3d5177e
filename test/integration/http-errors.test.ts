import type { APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { createApiHandler } from "#shared/http/api";
import { clients, testApp } from "../support/harness";
import { ADMIN, apiEvent } from "../support/http";
import { injectFaults } from "../support/instrument";

async function apiWithFaults(fault: (name: string) => Error | "throttle" | null) {
  const db = clients({ maxAttempts: 1 });
  db.client.middlewareStack.add(
    (next, context) => async (args) => {
      const f = fault(String(context.commandName));
      if (f instanceof Error) throw f;
      return next(args);
    },
    { step: "initialize", name: "unexpected" },
  );
  injectFaults(db.client, (name) => (fault(name) === "throttle" ? "throttle" : null));
  const app = await testApp({ db });
  const logged: Array<Record<string, unknown>> = [];
  const handler = createApiHandler(
    {
      commands: app.commands,
      queries: app.queries,
      config: { allowedOrigins: [], formSigningKey: "k" },
      now: () => new Date(),
    },
    { error: (msg, extra) => logged.push({ msg, ...extra }) },
  );
  const call = async (c: Parameters<typeof apiEvent>[0]) =>
    (await handler(apiEvent(c), {} as Context)) as APIGatewayProxyStructuredResultV2;
  return { call, logged };
}

describe("errors that are not the client's fault", () => {
  it("an unexpected failure is logged with its stack and answered with a bare 500 that leaks nothing", async () => {
    const boom = Object.assign(new Error("connect ECONNREFUSED 10.1.2.3:443 secret-table-name"), {
      name: "InternalFailure",
    });
    const { call, logged } = await apiWithFaults((name) => (name === "QueryCommand" ? boom : null));
    const r = await call({ method: "GET", path: "/users", as: ADMIN });
    expect(r.statusCode).toBe(500);
    expect(JSON.parse(r.body!)).toEqual({ error: { code: "internal", message: "internal error", details: [] } });
    expect(r.body).not.toMatch(/ECONNREFUSED|secret|stack/);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ msg: "unhandled error", path: "/users", error: { name: "InternalFailure" } });
  });

  it("throttling that outlasts the SDK's retries is a 429 the client may retry", async () => {
    const { call } = await apiWithFaults((name) => (name === "QueryCommand" ? "throttle" : null));
    const r = await call({ method: "GET", path: "/users", as: ADMIN });
    expect(r.statusCode).toBe(429);
    expect(JSON.parse(r.body!).error.code).toBe("throttled");
  });
});
