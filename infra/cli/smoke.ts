/**
 * `npm run smoke -- --url <api url> --token <admin token>`: the post-deploy check (docs/deploy.md).
 * Sets up a smoke-test desk (an agent, an inbox, a chat channel routed to the agent), starts a chat,
 * sees it routed, opens the visitor's live socket, has the reply reach it, optionally sends a test
 * email through a team address, and parks everything again, printing each step's result. The API has
 * no delete: the desk keeps fixed ids (`smoke-…`), so every run reuses it, and it is left disabled
 * (the agent away with no seat, the channel not routing, the inbox open to nobody but admins).
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import WebSocket from "ws";

const USAGE = `usage: npm run smoke -- --url <api url> --token <admin token> [--email-domain <domain>]

Checks a running deployment end to end: health, routing a chat, the live socket, and with
--email-domain a test email to smoke@<domain> (npm start: through /local/inbound-email; deployed:
through SES, sent from smoke-check@<domain>). The token is an admin's (npm run -s login).
Exits 1 at the first step that fails.`;

const IDS = { user: "smoke-agent", inbox: "smoke", chat: "smoke-chat", email: "smoke-email" };

class StepFailed extends Error {}

async function main() {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      url: { type: "string" },
      token: { type: "string" },
      "email-domain": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void console.log(USAGE);
  const token = values.token ?? process.env.ROUTING_TOKEN;
  if (!values.url || !token) {
    console.error(`smoke: --url and --token are required\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const base = values.url.replace(/\/$/, "");
  const began = Date.now();
  const step = async <T>(name: string, run: () => Promise<T>, say?: (r: T) => string): Promise<T> => {
    const t = Date.now();
    try {
      const r = await run();
      console.log(`ok   ${name}${say ? `: ${say(r)}` : ""} (${Date.now() - t} ms)`);
      return r;
    } catch (err) {
      console.log(`FAIL ${name}: ${(err as Error).message}`);
      throw new StepFailed(name);
    }
  };
  const call = async (method: string, path: string, body?: unknown, auth = true) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(auth ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  };
  const routing = (autoAssign: boolean) => ({
    autoAssign,
    target: { type: "users_and_teams", userIds: [IDS.user], teamIds: [] },
  });

  try {
    await step("health", () => call("GET", "/health", undefined, false));
    await step(
      "smoke desk ready",
      async () => {
        const agent = { name: "Smoke check", email: "smoke-agent@example.invalid", seat: "service", role: "agent" };
        await call("PUT", `/users/${IDS.user}`, { ...agent, primaryTeamId: null, additionalTeamIds: [] });
        await call("PUT", `/inboxes/${IDS.inbox}`, { name: "Smoke check", access: { type: "everyone" } });
        await call("PUT", `/channels/${IDS.chat}`, {
          inboxId: IDS.inbox,
          type: "chat",
          name: "Smoke check chat",
          routing: routing(true),
        });
      },
      () => `user ${IDS.user}, inbox ${IDS.inbox}, channel ${IDS.chat}`,
    );
    const visitorToken = randomBytes(24).toString("base64url");
    const chat = await step(
      "chat started and routed",
      async () => {
        const r = await call("POST", `/chat/${IDS.chat}/conversations`, { text: "Smoke check", visitorToken }, false);
        if (!r.conversation.assigned) throw new Error(`the chat waits (${JSON.stringify(r.conversation.waiting)})`);
        return r.conversation as { id: string; agent: { name: string } | null };
      },
      (c) => `${c.id}, to ${c.agent?.name ?? "an agent"}`,
    );
    const ticket = await step(
      "visitor's live ticket",
      () => call("POST", `/chat/conversations/${chat.id}/live`, { visitorToken }, false),
      (t: { url: string; ticket: string }) => t.url,
    );
    const socket = await step("live socket open", () => openSocket(ticket.url, ticket.ticket));
    await step(
      "agent's reply received over the socket",
      async () => {
        const text = `Smoke reply ${randomBytes(4).toString("hex")}`;
        const seen = socket.waitFor((f) => f.type === "message" && f.message?.text === text, 10_000);
        await call("POST", `/conversations/${chat.id}/messages`, { text });
        await seen;
      },
      () => "the visitor saw it",
    );
    socket.close();
    const domain = values["email-domain"];
    if (domain) await step("test email threaded into the inbox", () => sendTestEmail(base, call, domain));
    else console.log("skip test email (give --email-domain to send one through the team address)");
    await step(
      "cleaned up",
      async () => {
        await call("POST", `/conversations/${chat.id}/close`);
        await call("PUT", `/channels/${IDS.chat}/routing`, routing(false));
        await call("PUT", `/inboxes/${IDS.inbox}`, {
          name: "Smoke check",
          access: { type: "restricted", userIds: [], teamIds: [] },
        });
        await call("PUT", `/users/${IDS.user}`, {
          name: "Smoke check",
          email: "smoke-agent@example.invalid",
          seat: "none",
          role: "agent",
          primaryTeamId: null,
          additionalTeamIds: [],
        });
      },
      () => "conversation closed, channel not routing, inbox admins only, agent without a seat",
    );
    console.log(`smoke check passed in ${Date.now() - began} ms`);
  } catch (err) {
    if (!(err instanceof StepFailed)) console.log(`FAIL ${(err as Error).message}`);
    process.exitCode = 1;
  }
}

interface Frame {
  type: string;
  message?: { text?: string };
}

function openSocket(url: string, ticket: string) {
  return new Promise<{ waitFor: (m: (f: Frame) => boolean, ms: number) => Promise<Frame>; close: () => void }>(
    (resolve, reject) => {
      const ws = new WebSocket(`${url}?ticket=${encodeURIComponent(ticket)}`);
      const frames: Frame[] = [];
      const waiters: Array<{ match: (f: Frame) => boolean; done: (f: Frame) => void }> = [];
      ws.on("message", (d) => {
        const f = JSON.parse(String(d)) as Frame;
        frames.push(f);
        for (const w of waiters.filter((x) => x.match(f))) w.done(f);
      });
      ws.on("unexpected-response", (_q, res) => reject(new Error(`the socket was refused (${res.statusCode})`)));
      ws.on("error", reject);
      ws.on("open", () => {
        ws.send(JSON.stringify({ action: "ping" }));
        resolve({
          close: () => ws.close(),
          waitFor: (match, ms) =>
            new Promise((ok, fail) => {
              const found = frames.find(match);
              if (found) return ok(found);
              const timer = setTimeout(() => fail(new Error(`nothing arrived in ${ms} ms`)), ms);
              waiters.push({
                match,
                done: (f) => {
                  clearTimeout(timer);
                  ok(f);
                },
              });
            }),
        });
      });
    },
  );
}

/** A message to smoke@<domain>: locally through /local/inbound-email, deployed through SES. */
async function sendTestEmail(
  base: string,
  call: (method: string, path: string, body?: unknown) => Promise<{ items?: Array<{ id: string; subject?: string }> }>,
  domain: string,
) {
  const address = `smoke@${domain}`;
  await call("PUT", `/channels/${IDS.email}`, {
    inboxId: IDS.inbox,
    type: "email",
    name: "Smoke check email",
    address,
    routing: { autoAssign: false, target: { type: "users_and_teams", userIds: [IDS.user], teamIds: [] } },
  });
  const subject = `Smoke check ${randomBytes(4).toString("hex")}`;
  const raw =
    `From: smoke-check@${domain}\r\nTo: ${address}\r\nSubject: ${subject}\r\n` +
    `Message-ID: <${randomBytes(8).toString("hex")}@${domain}>\r\n\r\nSent by npm run smoke.\r\n`;
  const local = await fetch(`${base}/local/inbound-email`, {
    method: "POST",
    headers: { "content-type": "message/rfc822" },
    body: raw,
  });
  if (local.status === 404 || local.status === 403 || local.status === 401) {
    const ses = new SESv2Client({});
    await ses.send(
      new SendEmailCommand({
        FromEmailAddress: `smoke-check@${domain}`,
        Destination: { ToAddresses: [address] },
        Content: { Raw: { Data: new TextEncoder().encode(raw) } },
      }),
    );
  } else if (!local.ok) throw new Error(`local inbound email answered ${local.status}`);
  const until = Date.now() + 60_000;
  while (Date.now() < until) {
    const page = await call("GET", `/inboxes/${IDS.inbox}/conversations?view=unassigned&status=open&limit=50`);
    const found = page.items?.find((c) => c.subject === subject);
    // Closed once seen, so the smoke inbox's Unassigned view never fills up.
    if (found) return void (await call("POST", `/conversations/${found.id}/close`));
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`"${subject}" did not reach inbox ${IDS.inbox} within 60 s`);
}

void main();
