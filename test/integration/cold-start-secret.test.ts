import { createServer, type Server } from "node:http";
import type { APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import { afterAll, describe, expect, it } from "vitest";
import { clients, freshTable } from "../support/harness";
import { apiEvent } from "../support/http";

/**
 * Secrets Manager's GetSecretValue over its real wire protocol (JSON 1.1), on a local port: it fails
 * while `failing` is set, like a throttled or briefly unreachable service at a cold start.
 */
function secretsManager(secret: string) {
  const state = { failing: true, calls: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      state.calls++;
      const ok = !state.failing && req.headers["x-amz-target"] === "secretsmanager.GetSecretValue";
      res.writeHead(ok ? 200 : 500, { "content-type": "application/x-amz-json-1.1" });
      res.end(
        JSON.stringify(
          ok
            ? { ARN: "arn:aws:secretsmanager:us-east-1:1:secret:key", Name: "key", SecretString: secret }
            : { __type: "InternalServiceError", message: "try later" },
        ),
      );
    });
  });
  return { state, server };
}

describe("the API function's cold start (Secrets Manager)", () => {
  const sm = secretsManager("master-key-from-secrets-manager");
  afterAll(() => new Promise<void>((r) => sm.server.close(() => r())));

  it("a failed read of the signing key fails that request only: the next request reads it again", async () => {
    await new Promise<void>((r) => sm.server.listen(0, "127.0.0.1", () => r()));
    const port = (sm.server.address() as { port: number }).port;
    Object.assign(process.env, {
      TABLE_NAME: await freshTable(clients()),
      FORM_SIGNING_KEY_SECRET_ARN: "arn:aws:secretsmanager:us-east-1:1:secret:key",
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${port}`,
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_REGION: "us-east-1",
      NOTIFY_FROM: "routing@shop.test",
      APP_URL: "https://inbox.shop.test",
    });
    delete process.env.FORM_SIGNING_KEY;
    const { handler } = await import("../../functions/api/handler");
    const health = async () =>
      (await handler(
        apiEvent({ method: "GET", path: "/health", as: null }),
        {} as Context,
      )) as APIGatewayProxyStructuredResultV2;

    await expect(health()).rejects.toThrow(/try later/);
    const afterFailure = sm.state.calls;
    expect(afterFailure).toBeGreaterThan(0);

    sm.state.failing = false;
    expect((await health()).statusCode).toBe(200);
    expect(sm.state.calls).toBe(afterFailure + 1);
    // Read once, then kept for the instance's life.
    expect((await health()).statusCode).toBe(200);
    expect(sm.state.calls).toBe(afterFailure + 1);
  });
});
