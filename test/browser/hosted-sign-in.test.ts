/**
 * The deployed sign-in (Cognito managed login, authorization code + PKCE) against a stand-in for
 * Cognito's two endpoints that checks what Cognito checks: the S256 challenge against the verifier,
 * the client id and the redirect URI. The inbox is `npm start`'s, with `config.json` naming the stand-in.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueToken } from "../../infra/local/gateway";
import { testPort } from "../support/local-runtime";
import { api, browserAvailable, launch, type Runtime, screenshot, startRuntime } from "./support";

const CLIENT_ID = "inbox-client";

describe.skipIf(!browserAvailable())("hosted sign-in with authorization code + PKCE", () => {
  let rt: Runtime;
  let browser: Browser;
  let cognito: Server;
  let cognitoUrl: string;
  const exchanges: Array<{ ok: boolean; reason?: string }> = [];

  beforeAll(async () => {
    [rt, browser] = await Promise.all([startRuntime(), launch()]);
    await api(rt)("PUT", "/users/pat", { name: "Pat", email: "pat@example.com", seat: "service" });
    await api(rt)("PUT", "/inboxes/main", { name: "Main", access: { type: "everyone" } });
    const codes = new Map<string, { challenge: string; redirectUri: string }>();
    const port = await testPort();
    cognitoUrl = `http://127.0.0.1:${port}`;
    cognito = createServer(async (req, res) => {
      const url = new URL(req.url ?? "/", cognitoUrl);
      if (url.pathname === "/oauth2/authorize") {
        // The managed login page, already filled in: Pat signs in.
        const q = url.searchParams;
        if (
          q.get("client_id") !== CLIENT_ID ||
          q.get("code_challenge_method") !== "S256" ||
          q.get("response_type") !== "code"
        ) {
          res.writeHead(400).end("bad authorize request");
          return;
        }
        const code = randomBytes(12).toString("hex");
        codes.set(code, { challenge: q.get("code_challenge")!, redirectUri: q.get("redirect_uri")! });
        const back = new URL(q.get("redirect_uri")!);
        back.searchParams.set("code", code);
        back.searchParams.set("state", q.get("state")!);
        res.writeHead(302, { location: back.toString() }).end();
        return;
      }
      const cors = {
        "access-control-allow-origin": req.headers.origin ?? "*",
        "access-control-allow-headers": "content-type",
      };
      if (url.pathname === "/oauth2/token" && req.method === "OPTIONS") return void res.writeHead(204, cors).end();
      if (url.pathname === "/oauth2/token" && req.method === "POST") {
        let body = "";
        for await (const chunk of req) body += chunk;
        const form = new URLSearchParams(body);
        const issued = codes.get(form.get("code") ?? "");
        codes.delete(form.get("code") ?? "");
        const challenge = createHash("sha256")
          .update(form.get("code_verifier") ?? "")
          .digest("base64url");
        const reason = !issued
          ? "unknown or reused code"
          : issued.challenge !== challenge
            ? "verifier does not match the challenge"
            : issued.redirectUri !== form.get("redirect_uri") || form.get("client_id") !== CLIENT_ID
              ? "client or redirect mismatch"
              : undefined;
        exchanges.push({ ok: !reason, ...(reason ? { reason } : {}) });
        if (reason)
          return void res
            .writeHead(400, { ...cors, "content-type": "application/json" })
            .end(JSON.stringify({ error: "invalid_grant" }));
        const token = await issueToken(process.env.ROUTING_DEV_JWT_SECRET ?? "local-dev-secret", "pat");
        res
          .writeHead(200, { ...cors, "content-type": "application/json" })
          .end(JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 3600 }));
        return;
      }
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => cognito.listen(port, "127.0.0.1", resolve));
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.stop();
    await new Promise((resolve) => cognito?.close(resolve));
  });

  it(
    "signs in through managed login, " + "trades the code with the verifier, and calls the API with the token",
    async () => {
      const context = await browser.newContext({ viewport: { width: 1000, height: 640 } });
      const page = await context.newPage();
      // What the stack's config.json says when the Auth construct is wired in.
      await page.route("**/config.json", (route) =>
        route.fulfill({
          json: { apiUrl: rt.url, auth: { domainUrl: cognitoUrl, clientId: CLIENT_ID, redirectUri: `${rt.url}/` } },
        }),
      );
      await page.goto(`${rt.url}/`);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("switch", { name: "Availability" }).waitFor();
      expect(exchanges).toEqual([{ ok: true }]);
      expect(page.url()).not.toContain("code=");
      await page.getByText("Pat", { exact: true }).waitFor();
      await screenshot(page, "hosted-sign-in");
    },
  );
});
