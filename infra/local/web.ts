/**
 * `npm start` serves the web inbox at `/`, the demo site embedding the chat widget at `/demo`, the
 * inbox's `config.json` (no Cognito locally: `auth: null` selects the developer sign-in) and the
 * developer sign-in itself under `/local/...`. None of this exists in the deployed stack: there the
 * inbox is hosted by CloudFront (infra/constructs/web-hosting.ts) and agents sign in with Cognito.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import path from "node:path";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { WebReadStore } from "#shared/domain/ports/reads";
import type { User } from "#shared/domain/types";
import { errorBody } from "#shared/http/errors";
import { issueToken } from "./gateway";

type Result = APIGatewayProxyStructuredResultV2;

const STATIC: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
  "/widget.js": { file: "widget.js", type: "text/javascript; charset=utf-8" },
  "/demo": { file: "demo.html", type: "text/html; charset=utf-8" },
  "/demo.js": { file: "demo.js", type: "text/javascript; charset=utf-8" },
};

const json = (status: number, body: unknown): Result => ({
  statusCode: status,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** Loopback only: the developer sign-in hands out any user's token, so only this machine may ask. */
function fromThisMachine(req: IncomingMessage): boolean {
  const a = req.socket.remoteAddress ?? "";
  return a === "127.0.0.1" || a === "::1" || a === "::ffff:127.0.0.1";
}

async function allUsers(web: WebReadStore): Promise<User[]> {
  const users: User[] = [];
  let cursor: string | undefined;
  do {
    const page = await web.listUsers({ limit: 100, cursor });
    users.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && users.length < 1000);
  return users;
}

export function localWeb(opts: { distDir: string; web: WebReadStore; jwtSecret: string; liveUrl?: string }) {
  return async (req: IncomingMessage, body: Buffer, url: URL): Promise<Result | null> => {
    const method = req.method ?? "GET";
    if (url.pathname === "/config.json" && method === "GET") {
      // The page's own origin: the inbox then calls the API on whatever host name it was opened with.
      const apiUrl = `http://${req.headers.host ?? "localhost"}`;
      return json(200, { apiUrl, liveUrl: opts.liveUrl ?? null, auth: null });
    }
    if (url.pathname === "/local/users" || url.pathname === "/local/sign-in") {
      if (!fromThisMachine(req)) return errorBody(403, "forbidden", "the developer sign-in answers this machine only");
      if (url.pathname === "/local/users" && method === "GET") {
        return json(200, { items: (await allUsers(opts.web)).map((u) => ({ id: u.id, name: u.name, role: u.role })) });
      }
      if (url.pathname === "/local/sign-in" && method === "POST") {
        let userId: unknown;
        try {
          userId = (JSON.parse(body.toString("utf8")) as { userId?: unknown }).userId;
        } catch {
          return errorBody(400, "validation_failed", 'send {"userId": "..."}');
        }
        if (typeof userId !== "string") return errorBody(400, "validation_failed", 'send {"userId": "..."}');
        const user = (await allUsers(opts.web)).find((u) => u.id === userId);
        if (!user) return errorBody(404, "not_found", `user ${userId} does not exist`);
        // An admin user gets the `admins` group, as Cognito would put it in their token.
        return json(200, {
          token: await issueToken(opts.jwtSecret, user.id, { admin: user.role === "admin", days: 1 }),
        });
      }
      return errorBody(404, "not_found", "no such local route");
    }
    const asset = method === "GET" ? STATIC[url.pathname] : undefined;
    if (!asset) return null;
    return {
      statusCode: 200,
      headers: { "content-type": asset.type, "cache-control": "no-cache", "x-content-type-options": "nosniff" },
      body: readFileSync(path.join(opts.distDir, asset.file), "utf8"),
    };
  };
}
