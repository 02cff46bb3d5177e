import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from "aws-lambda";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGateway, issueToken } from "../../infra/local/gateway";

const SECRET = "gateway-test-secret";
const key = new TextEncoder().encode(SECRET);

/** The gateway in front of a recording handler: what reaches the Lambda is what we assert on. */
describe("the local gateway refuses tokens without exp and paths with a literal '#'", () => {
  let server: Server;
  let base: string;
  const seen: APIGatewayProxyEventV2WithJWTAuthorizer[] = [];
  beforeAll(async () => {
    const api = async (event: unknown) => {
      seen.push(event as APIGatewayProxyEventV2WithJWTAuthorizer);
      return { statusCode: 200, headers: { "content-type": "application/json" }, body: "{}" };
    };
    server = createServer(createGateway({ api, jwtSecret: SECRET, allowedOrigins: [] }));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /** A raw request, so the path reaches the server exactly as written (fetch would drop a fragment). */
  const raw = (method: string, path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(base);
      const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
        let body = "";
        res.on("data", (c) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });

  it("a token without exp is 401 and never reaches the function", async () => {
    const noExp = await new SignJWT({ "cognito:groups": ["admins"] })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("boss")
      .sign(key);
    const before = seen.length;
    const r = await raw("GET", "/users", { authorization: `Bearer ${noExp}` });
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body).error.code).toBe("unauthenticated");
    expect(seen.length).toBe(before);
  });

  it("a literal '#' in the path is 400 and never reaches the function", async () => {
    const token = await issueToken(SECRET, "boss", { admin: true });
    const before = seen.length;
    for (const path of ["/teams/a#b", "/conversations/c1#/close", "/users/x#"]) {
      const r = await raw("PUT", path, { authorization: `Bearer ${token}`, "content-type": "application/json" });
      expect(r.status, path).toBe(400);
      expect(JSON.parse(r.body).error.code).toBe("validation_failed");
    }
    expect(seen.length).toBe(before);
  });

  it("hands the groups claim over as the deployed authorizer does: one `[a b]` string", async () => {
    const token = await issueToken(SECRET, "boss", { admin: true });
    await raw("GET", "/users", { authorization: `Bearer ${token}` });
    expect(seen.at(-1)?.requestContext.authorizer.jwt.claims["cognito:groups"]).toBe("[admins]");
  });
});
