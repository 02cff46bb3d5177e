import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, describe, expect, it } from "vitest";
import { createDynamoClients } from "#shared/adapters/dynamo/client";
import { signatureHeader } from "#shared/http/signature";
import {
  type LocalRuntime,
  startLocalRuntime,
  startOnFreePorts,
  stopLocalRuntime,
  testPort,
} from "../support/local-runtime";

type Runtime = LocalRuntime;
const start = startLocalRuntime;
const stop = stopLocalRuntime;

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.end();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });

describe("npm start: the whole service on its embedded stack, over HTTP", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "routing-e2e-"));
  const running: Runtime[] = [];
  afterAll(async () => {
    for (const rt of running) await stop(rt, "SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("routes chat, email and form end to end, notifies an offline owner, " +
    "survives a restart, and Ctrl-C leaves nothing", async () => {
    const rt = await startOnFreePorts({ ROUTING_DATA_DIR: dataDir });
    const { env } = rt;
    running.push(rt);
    const admin = { authorization: `Bearer ${rt.adminToken}`, "content-type": "application/json" };
    const req = async (
      method: string,
      p: string,
      body?: unknown,
      headers: Record<string, string> = { "content-type": "application/json" },
    ) => {
      const res = await fetch(`${rt.url}${p}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    };
    expect((await req("GET", "/health")).status).toBe(200);
    // The contract, served and rendered locally with nothing fetched from elsewhere (docs/api.md).
    expect((await req("GET", "/openapi.json")).json).toMatchObject({ openapi: "3.1.0" });
    const page = await fetch(`${rt.url}/docs`);
    const html = await page.text();
    expect([page.status, page.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"]);
    expect(html).toContain("<code>/chat/{channelId}/conversations</code>");
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\/(?!localhost)/);

    for (const [p, body] of [
      ["/teams/support", { name: "Support" }],
      ["/users/alice", { name: "Alice", email: "alice@e2e.local", seat: "service", primaryTeamId: "support" }],
      ["/users/bob", { name: "Bob", email: "bob@e2e.local", seat: "service", primaryTeamId: "support" }],
      ["/users/carol", { name: "Carol", email: "carol@e2e.local", seat: "sales" }],
      ["/inboxes/main", { name: "Main", access: { type: "everyone" } }],
      [
        "/channels/chat",
        {
          inboxId: "main",
          type: "chat",
          name: "Chat",
          routing: { autoAssign: true, target: { type: "users_and_teams", userIds: [], teamIds: ["support"] } },
        },
      ],
      [
        "/channels/mail",
        {
          inboxId: "main",
          type: "email",
          name: "Mail",
          address: "help@e2e.local",
          routing: { autoAssign: true, target: { type: "contact_owner" } },
        },
      ],
      ["/contacts/kim", { email: "kim@customer.example", ownerId: "carol" }],
    ] as const) {
      const r = await req("PUT", p, body, admin);
      expect(r.status, `${p} ${JSON.stringify(r.json)}`).toBeLessThan(300);
    }
    const form = await req(
      "PUT",
      "/channels/form",
      {
        inboxId: "main",
        type: "form",
        name: "Form",
        routing: { autoAssign: true, target: { type: "users_and_teams", userIds: ["bob"], teamIds: [] } },
      },
      admin,
    );
    expect(form.status).toBe(201);

    // Chat: least busy, alice then bob.
    const c1 = await req("POST", "/chat/chat/conversations", { text: "first" });
    const c2 = await req("POST", "/chat/chat/conversations", { text: "second" });
    const agents = [c1.json.conversation.agent, c2.json.conversation.agent];
    expect([c1.status, ...agents]).toEqual([201, { name: "Alice" }, { name: "Bob" }]);

    // Email to the owner's channel: routed to carol (offline: emailed), then a reply threads in.
    const mail = (id: string, extra = "") =>
      "From: Kim <kim@customer.example>\r\nTo: help@e2e.local\r\nSubject: Quote\r\n" +
      `Message-ID: <${id}@customer.example>\r\n${extra}\r\nHello!\r\n`;
    const e1 = await req("POST", "/local/inbound-email", mail("q1"), { "content-type": "message/rfc822" });
    expect(e1.status).toBe(202);
    expect(e1.json.outcomes[0]).toMatchObject({ type: "created" });
    const e2 = await req("POST", "/local/inbound-email", mail("q2", "In-Reply-To: <q1@customer.example>\r\n"), {
      "content-type": "message/rfc822",
    });
    expect(e2.json.outcomes[0]).toEqual({ type: "threaded", conversationId: e1.json.outcomes[0].conversationId });
    expect((await req("POST", "/local/inbound-email", "x", { "content-type": "text/plain" })).status).toBe(415);
    // A message past the API's 256 KiB body cap still arrives, as SES would deliver it.
    const longEmail =
      "From: Lee <lee@customer.example>\r\nTo: help@e2e.local\r\nSubject: Logs\r\n" +
      `Message-ID: <big@customer.example>\r\n\r\n${"log line\r\n".repeat(100_000)}`;
    const e3 = await req("POST", "/local/inbound-email", longEmail, { "content-type": "message/rfc822" });
    expect([e3.status, e3.json.outcomes[0].type]).toEqual([202, "created"]);
    const carolsView = await fetch(`${rt.url}/inboxes/main/conversations?view=all`, {
      headers: { authorization: admin.authorization },
    });
    expect(carolsView.status).toBe(200); // the printed admin token's user reads every inbox (docs/routing.md §2)
    const sesStore = (await (await fetch(`http://127.0.0.1:${env.SES_PORT}/store`)).json()) as {
      emails: Array<{ destination: { to: string[] } }>;
    };
    expect(sesStore.emails.map((e) => e.destination.to[0])).toContain("carol@e2e.local");

    // Signed form submission.
    const body = JSON.stringify({ submissionId: "e2e-1", email: "max@customer.example", message: "Call me" });
    const f = await req("POST", "/forms/form/submissions", body, {
      "content-type": "application/json",
      "x-routing-signature": signatureHeader(form.json.signingSecret, body),
    });
    expect(f.status).toBe(201);

    // Ctrl-C: everything stops, no port left listening.
    expect(await stop(rt, "SIGINT")).toBe(0);
    for (const port of rt.ports) expect(await listening(port)).toBe(false);

    // Restart on the same data: nothing lost.
    // On fresh ports: the old ones may have been taken meanwhile; the data directory is what carries over.
    const again = await startOnFreePorts({ ROUTING_DATA_DIR: dataDir });
    running.push(again);
    const token = `Bearer ${again.adminToken}`;
    const users = (await (await fetch(`${again.url}/users`, { headers: { authorization: token } })).json()) as {
      items: Array<{ id: string; openCount: number }>;
    };
    expect(users.items.map((u) => [u.id, u.openCount])).toEqual([
      ["admin", 0],
      ["alice", 1],
      ["bob", 2],
      ["carol", 1],
    ]);
    expect(await stop(again, "SIGTERM")).toBe(0);
  }, 60_000);

  it("the sweeper timer assigns a waiting chat that no request triggered", async () => {
    const sweepDir = mkdtempSync(path.join(tmpdir(), "routing-e2e-sweep-"));
    const rt = await startOnFreePorts({ ROUTING_DATA_DIR: sweepDir, SWEEP_INTERVAL_MS: "300" });
    const { env } = rt;
    running.push(rt);
    const admin = { authorization: `Bearer ${rt.adminToken}`, "content-type": "application/json" };
    const put = async (p: string, body: unknown) =>
      expect(
        (await fetch(`${rt.url}${p}`, { method: "PUT", headers: admin, body: JSON.stringify(body) })).status,
      ).toBeLessThan(300);
    await put("/users/alice", { name: "Alice", email: "alice@e2e.local", seat: "service", capacity: 0 });
    await put("/inboxes/main", { name: "Main", access: { type: "everyone" } });
    await put("/channels/chat", {
      inboxId: "main",
      type: "chat",
      name: "Chat",
      routing: { autoAssign: true, target: { type: "users_and_teams", userIds: ["alice"], teamIds: [] } },
    });
    const started = (await (
      await fetch(`${rt.url}/chat/chat/conversations`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "anyone?" }),
      })
    ).json()) as { conversation: { waiting?: unknown } };
    expect(started.conversation.waiting).toEqual({ position: 1, since: expect.any(String) });
    // Capacity raised behind the API's back: no request triggers the line, only the sweep can.
    const db = createDynamoClients({ region: "us-east-1", endpoint: `http://127.0.0.1:${env.DYNAMODB_PORT}` });
    await db.doc.send(
      new UpdateCommand({
        TableName: "routing-local",
        Key: { pk: "USER#alice", sk: "USER" },
        UpdateExpression: "SET maxOpen = :one",
        ExpressionAttributeValues: { ":one": 1 },
      }),
    );
    const deadline = Date.now() + 5000;
    let stats: { waiting: number; lastHour: { assigned: number } } | undefined;
    while (Date.now() < deadline) {
      stats = (await (await fetch(`${rt.url}/channels/chat/stats`, { headers: admin })).json()) as typeof stats;
      if (stats!.waiting === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(stats).toMatchObject({ waiting: 0, lastHour: { assigned: 1 } });
    const alice = (await (await fetch(`${rt.url}/users/alice`, { headers: admin })).json()) as { openCount: number };
    expect(alice.openCount).toBe(1);
    expect(rt.output()).toMatch(/^sweep: 1 waiting conversation\(s\) assigned/m);
    expect(await stop(rt, "SIGINT")).toBe(0);
    rmSync(sweepDir, { recursive: true, force: true });
  }, 60_000);

  it("re-routes a chat its assignee did not answer, within 5 s of the deadline (docs/routing.md §5.6)", async () => {
    const lapseDir = mkdtempSync(path.join(tmpdir(), "routing-e2e-lapse-"));
    // The sweep is out of the way (an hour): only the re-route timer can move the chat.
    const rt = await startOnFreePorts({ ROUTING_DATA_DIR: lapseDir, SWEEP_INTERVAL_MS: "3600000" });
    running.push(rt);
    const admin = { authorization: `Bearer ${rt.adminToken}`, "content-type": "application/json" };
    const put = async (p: string, body: unknown) =>
      expect(
        (await fetch(`${rt.url}${p}`, { method: "PUT", headers: admin, body: JSON.stringify(body) })).status,
      ).toBeLessThan(300);
    await put("/users/alice", { name: "Alice", email: "alice@e2e.local", seat: "service" });
    await put("/users/bob", { name: "Bob", email: "bob@e2e.local", seat: "service" });
    await put("/inboxes/main", { name: "Main", access: { type: "everyone" } });
    await put("/channels/chat", {
      inboxId: "main",
      type: "chat",
      name: "Chat",
      routing: {
        autoAssign: true,
        target: { type: "users_and_teams", userIds: ["alice", "bob"], teamIds: [] },
        rerouteAfter: { seconds: 15, maxTimes: 1 },
      },
    });
    const started = (await (
      await fetch(`${rt.url}/chat/chat/conversations`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "hello?" }),
      })
    ).json()) as { conversation: { id: string } };
    const id = started.conversation.id;
    const read = async () =>
      (await (await fetch(`${rt.url}/conversations/${id}`, { headers: admin })).json()) as {
        assigneeId: string;
        lapse?: { at: string };
      };
    const first = await read();
    expect(first.assigneeId).toBe("alice");
    let now = await read();
    while (now.assigneeId === "alice" && Date.now() < Date.parse(first.lapse!.at) + 10_000) {
      await new Promise((r) => setTimeout(r, 200));
      now = await read();
    }
    const late = Date.now() - Date.parse(first.lapse!.at);
    expect(now.assigneeId).toBe("bob");
    expect(late).toBeLessThan(5000);
    expect(rt.output()).toContain(`lapse: ${id} re-routed`);
    expect(await stop(rt, "SIGINT")).toBe(0);
    rmSync(lapseDir, { recursive: true, force: true });
  }, 60_000);

  it("a port already in use gives a clear message naming the port and the variable that moves it", async () => {
    const blocker = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => blocker.once("listening", r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(
        start({ PORT: String(port), SES_PORT: String(await testPort()), ROUTING_DATA_DIR: dataDir }),
      ).rejects.toThrow(new RegExp(`port ${port} is already in use: set PORT to another port`));
    } finally {
      blocker.close();
    }
  }, 30_000);
});
