import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import type { SESEvent } from "aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { createS3Client } from "#shared/adapters/s3/raw-email";
import { ingestSesEvent } from "#shared/adapters/ses/email-ingest";
import { CONTRACT, type OperationContract } from "#shared/http/contract";
import { ROUTES, type Route } from "#shared/http/route-table";
import { formSigningSecret, signatureHeader } from "#shared/http/signature";
import { TEST_BUCKET } from "../support/global-setup";
import { ADMIN, apiHarness, type Call, FORM_KEY } from "../support/http";

/**
 * The bad-input table: every route of the route table gets inputs a client could send that are wrong
 * (types, missing fields, oversize, bad ids, bad cookies, bad cursors, bad signatures), and team email
 * gets hostile MIME. Each must answer a 4xx in the error shape (never a 5xx) and leave the table exactly
 * as it was: the whole table is compared item by item after every case.
 */

type H = Awaited<ReturnType<typeof apiHarness>>;
interface Case {
  name: string;
  call: Call;
  /** Exact status when it matters; otherwise any 4xx. */
  status?: number;
  /** The field the error's details must name, when it matters. */
  field?: string;
}

const alice = { sub: "alice" };
const TOKEN = "visitor-table-aaaaaaaaaaaaaaaaaa";
const rule = { autoAssign: true, target: { type: "users_and_teams", userIds: ["alice"], teamIds: [] } };
const fixed = { text: "hi" };

/** JSON with object keys sorted: the emulator returns attributes in no fixed order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "undefined";
}

/** Every item of the table, in key order, as canonical JSON. */
async function tableDump(h: H): Promise<string[]> {
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await h.app.db.doc.send(
      new ScanCommand({ TableName: h.app.tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items.sort((a, b) => `${a.pk}|${a.sk}`.localeCompare(`${b.pk}|${b.sk}`)).map(canonical);
}

/** A valid body per JSON route: the cases below break one thing at a time. */
function validBodies(conversationId: string): Record<string, unknown> {
  return {
    putUser: { name: "Zed", email: "zed@example.com", seat: "service" },
    putTeam: { name: "T" },
    putInbox: { name: "I", access: { type: "everyone" } },
    putChannel: { inboxId: "main", type: "chat", name: "C", routing: rule },
    putRule: rule,
    putContact: { email: "new@example.com" },
    setAvailability: { availability: "available" },
    assign: { userId: "alice" },
    reply: { text: "hello" },
    startChat: { text: "hi", visitorToken: TOKEN },
    visitorMessage: { text: "hi", visitorToken: TOKEN },
    handoff: { visitorToken: TOKEN },
    identify: { channelId: "chat", visitorToken: TOKEN, email: "kim@example.com" },
    _conversation: conversationId,
  };
}

/** A concrete path for a route, with each `{param}` replaced. */
function pathOf(template: string, values: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? "x");
}

/** Every route that pages with a `cursor`: its contract's query takes one. */
const PAGED = ROUTES.filter((r) => {
  const contract: OperationContract = CONTRACT[r.operation];
  return contract.query !== undefined && "cursor" in contract.query.shape;
});
const routeKey = (r: Route) => `${r.method} ${r.path}`;
const b64 = (json: string) => Buffer.from(json).toString("base64url");
const keyOf = (cursor: string) =>
  JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as Record<string, string>;

/**
 * Forged cursors for each paginated route, made from a real cursor of that route (`cursors`, by route):
 * an extra attribute, each attribute missing, the partition key alone, cursors of the other listings,
 * the right partition with another listing's item, values that are not strings, empty or lone
 * surrogates, and text that is not base64 JSON at all.
 */
function cursorCases(cursors: Map<string, string>, ids: Record<string, string>, as: (a: string) => Call["as"]) {
  const out: Case[] = [];
  for (const route of PAGED) {
    const real = cursors.get(routeKey(route))!;
    const key = keyOf(real);
    const [indexPk] = Object.keys(key).filter((k) => /^gsi\dpk$/.test(k));
    const indexSk = indexPk!.replace(/pk$/, "sk");
    const forged: Array<[string, string]> = [
      ["extra attribute", b64(JSON.stringify({ ...key, evil: "x" }))],
      ["partition key only", b64(JSON.stringify({ [indexPk!]: key[indexPk!] }))],
      ["not base64", "%%%"],
      ["base64, not JSON", b64("{not json")],
      ["JSON array", b64(JSON.stringify(Object.values(key)))],
      ["number value", b64(JSON.stringify({ ...key, [indexSk]: 5 }))],
      ["empty value", b64(JSON.stringify({ ...key, [indexSk]: "" }))],
      ["lone surrogate", b64(JSON.stringify({ ...key, [indexSk]: "\ud800" }))],
      ["lone surrogate in pk", b64(JSON.stringify({ ...key, pk: `${key.pk}\udc00` }))],
      ["over 1024 bytes", b64(JSON.stringify({ ...key, [indexSk]: "\u2603".repeat(400) }))],
    ];
    for (const name of Object.keys(key)) {
      const { [name]: _, ...rest } = key;
      forged.push([`no ${name}`, b64(JSON.stringify(rest))]);
    }
    for (const other of PAGED) {
      const theirs = cursors.get(routeKey(other))!;
      // Two routes may page one listing (the assignees of an inbox page the users): not a forgery.
      if (other === route || canonical(keyOf(theirs)) === canonical(key)) continue;
      forged.push([`cursor of ${routeKey(other)}`, theirs]);
      const { pk, sk } = keyOf(theirs);
      forged.push([`item of ${routeKey(other)}`, b64(JSON.stringify({ ...key, pk, sk }))]);
    }
    for (const [name, cursor] of forged) {
      out.push({
        name: `${routeKey(route)}: cursor ${name}`,
        call: { method: route.method, path: pathOf(route.path, ids), as: as(route.auth), query: { cursor } },
        status: 400,
        field: "cursor",
      });
    }
  }
  return out;
}

function cases(conversationId: string, botConversationId: string, cursors: Map<string, string>): Case[] {
  const bodies = validBodies(conversationId);
  const ids = { userId: "zed", teamId: "t9", inboxId: "main", channelId: "chat", contactId: "c9", conversationId };
  const out: Case[] = [];
  const as = (auth: string) => (auth === "admin" ? ADMIN : auth === "agent" ? alice : null);

  for (const route of ROUTES) {
    const path = pathOf(route.path, ids);
    const who = as(route.auth);
    const valid = bodies[route.operation];

    // Bad ids in every path parameter.
    for (const param of route.path.match(/\{[^}]+\}/g) ?? []) {
      const name = param.slice(1, -1);
      for (const bad of ["a%23b", "-lead", "x".repeat(129), "a%20b", "%E2%98%83", "a%00b"]) {
        out.push({
          name: `${route.method} ${route.path}: ${name}=${bad.slice(0, 12)}`,
          call: {
            method: route.method,
            path: pathOf(route.path, { ...ids, [name]: bad }),
            as: who,
            ...(valid ? { body: valid } : {}),
          },
          // 400 here; a route added later may answer 404 for an id it cannot have, also fine.
        });
      }
    }

    // Authentication on protected routes.
    if (route.auth === "admin" || route.auth === "agent") {
      out.push({
        name: `${route.method} ${route.path}: no token`,
        call: { method: route.method, path, as: null, ...(valid ? { body: valid } : {}) },
        status: 401,
      });
      out.push({
        name: `${route.method} ${route.path}: not a user`,
        call: { method: route.method, path, as: { sub: "ghost" }, ...(valid ? { body: valid } : {}) },
        status: 403,
      });
    }
    if (route.auth === "admin") {
      out.push({
        name: `${route.method} ${route.path}: agent token`,
        call: { method: route.method, path, as: alice, ...(valid ? { body: valid } : {}) },
        status: 403,
      });
      out.push({
        name: `${route.method} ${route.path}: groups as JSON`,
        call: {
          method: route.method,
          path,
          as: { sub: "boss", groups: '["admins"]' },
          ...(valid ? { body: valid } : {}),
        },
        status: 403,
      });
    }

    // Bodies of the wrong shape on every JSON route.
    if (route.json) {
      const base = { method: route.method, path, as: who };
      out.push({
        name: `${route.method} ${route.path}: malformed JSON`,
        call: { ...base, raw: "{not json" },
        status: 400,
      });
      out.push({
        name: `${route.method} ${route.path}: form content type`,
        call: { ...base, raw: "a=1", headers: { "Content-Type": "application/x-www-form-urlencoded" } },
        status: 415,
      });
      out.push({
        name: `${route.method} ${route.path}: over 256 KiB`,
        call: { ...base, body: { ...((valid as object) ?? {}), pad: "x".repeat(300 * 1024) } },
        status: 413,
      });
      // Shapes only where the valid body is known (a route added later may accept an empty object).
      if (valid !== undefined) {
        out.push({ name: `${route.method} ${route.path}: array body`, call: { ...base, body: [valid] }, status: 400 });
        out.push({ name: `${route.method} ${route.path}: string body`, call: { ...base, body: "text" }, status: 400 });
        out.push({
          name: `${route.method} ${route.path}: unknown field`,
          call: { ...base, body: { ...(valid as object), extra: 1 } },
          status: 400,
        });
        // A lone UTF-16 surrogate, which JSON can escape but no store or mail header can hold.
        const field = Object.entries(valid as object).find(([, v]) => typeof v === "string" && v !== TOKEN)?.[0];
        if (field) {
          out.push({
            name: `${route.method} ${route.path}: lone surrogate in ${field}`,
            call: { ...base, body: { ...(valid as object), [field]: "a\ud800b" } },
            status: 400,
          });
        }
        out.push({
          name: `${route.method} ${route.path}: empty object`,
          call: { ...base, body: route.operation === "handoff" ? { visitorToken: 5 } : {} },
          status: 400,
        });
      }
    }
  }

  const admin = (method: string, path: string, body: unknown, status = 400): Case => ({
    name: `${method} ${path} ${JSON.stringify(body).slice(0, 60)}`,
    call: { method, path, as: ADMIN, body },
    status,
  });
  const agent = (method: string, path: string, body: unknown, status = 400): Case => ({
    name: `${method} ${path} ${JSON.stringify(body ?? null).slice(0, 60)}`,
    call: { method, path, as: alice, ...(body === undefined ? {} : { body }) },
    status,
  });
  const visitor = (method: string, path: string, body: unknown, status = 400, extra: Partial<Call> = {}): Case => ({
    name: `${method} ${path} ${JSON.stringify(body ?? null).slice(0, 60)} ${JSON.stringify(extra).slice(0, 40)}`,
    call: { method, path, as: null, ...(body === undefined ? {} : { body }), ...extra },
    status,
  });

  // Admin routes: wrong types, missing fields, bad references.
  out.push(
    admin("PUT", "/users/zed", { name: "", email: "zed@example.com", seat: "service" }),
    admin("PUT", "/users/zed", { name: "Z", email: "not-an-email", seat: "service" }),
    admin("PUT", "/users/zed", { name: "Z", email: "zed@example.com\r\nBcc: x@evil.test", seat: "service" }),
    admin("PUT", "/users/zed", { name: "Z", email: "zed@example.com", seat: "gold" }),
    admin("PUT", "/users/zed", { name: "Z", email: "zed@example.com", seat: "service", capacity: -1 }),
    admin("PUT", "/users/zed", { name: "Z", email: "zed@example.com", seat: "service", capacity: 1.5 }),
    admin("PUT", "/users/zed", { name: "Z", email: "zed@example.com", seat: "service", capacity: "3" }),
    admin("PUT", "/users/zed", { name: "Z", email: "zed@example.com", seat: "service", role: "root" }),
    admin("PUT", "/users/zed", { name: "Z", email: "zed@example.com", seat: "service", primaryTeamId: "ghost" }),
    admin("PUT", "/users/zed", { name: "Z", email: "zed@example.com", seat: "service", additionalTeamIds: ["a#b"] }),
    admin("PUT", "/users/zed", { name: "Z".repeat(201), email: "zed@example.com", seat: "service" }),
    admin(
      "PUT",
      "/users/alice",
      { name: "Alice", email: "alice@example.com", seat: "service", primaryTeamId: "support", capacity: 0 },
      409,
    ),
    admin("PUT", "/teams/t9", { name: 5 }),
    admin("PUT", "/inboxes/i9", { name: "I", access: { type: "restricted", teamIds: ["ghost"], userIds: [] } }),
    admin("PUT", "/inboxes/i9", { name: "I", access: { type: "some" } }),
    admin("PUT", "/inboxes/i9", { name: "I", access: { type: "restricted", teamIds: "support", userIds: [] } }),
    admin("PUT", "/channels/c9", { inboxId: "ghost", type: "chat", name: "C", routing: rule }),
    admin("PUT", "/channels/c9", { inboxId: "main", type: "sms", name: "C", routing: rule }),
    admin("PUT", "/channels/c9", { inboxId: "main", type: "email", name: "C", routing: rule }),
    admin(
      "PUT",
      "/channels/c9",
      { inboxId: "main", type: "email", name: "C", address: "help@shop.example", routing: rule },
      409,
    ),
    admin("PUT", "/channels/c9", {
      inboxId: "main",
      type: "chat",
      name: "C",
      routing: { autoAssign: true, target: { type: "users_and_teams", userIds: ["ghost"], teamIds: [] } },
    }),
    admin("PUT", "/channels/c9", {
      inboxId: "main",
      type: "chat",
      name: "C",
      routing: { autoAssign: "yes", target: { type: "contact_owner" } },
    }),
    admin("PUT", "/channels/c9/routing", rule, 404),
    admin("PUT", "/channels/chat/routing", {
      autoAssign: true,
      target: { type: "users_and_teams", userIds: ["outsider"], teamIds: [] },
    }),
    admin("PUT", "/channels/chat/routing", { autoAssign: true, target: { type: "round_robin" } }),
    admin("PUT", "/contacts/c9", { email: "kim@example.com", ownerId: "ghost" }),
    admin("PUT", "/contacts/c9", { email: "kim@customer.example" }, 409),
    admin("PUT", "/contacts/c9", { email: "new@example.com", visitorTokens: ["short"] }),
    admin("PUT", "/contacts/c9", { email: "new@example.com", visitorTokens: ["a; Domain=evil.example-aaaaaaaaaaaa"] }),
    admin("PUT", "/contacts/c9", {
      email: "new@example.com",
      visitorTokens: Array.from({ length: 51 }, (_, i) => `token-${i}-aaaaaaaaaaaaaaaaaaa`),
    }),
    { name: "GET /users/ghost", call: { method: "GET", path: "/users/ghost", as: ADMIN }, status: 404 },
  );

  // Agent routes.
  const conv = `/conversations/${conversationId}`;
  out.push(
    agent("PUT", "/me/availability", { availability: "busy" }),
    agent("PUT", "/me/availability", { availability: null }),
    agent("PUT", `${conv}/assignee`, { userId: 5 }),
    agent("PUT", `${conv}/assignee`, { userId: "ghost" }),
    agent("PUT", `${conv}/assignee`, { teamId: "ghost" }),
    agent("PUT", `${conv}/assignee`, { userId: "outsider" }),
    agent("PUT", `${conv}/assignee`, { userId: "alice", teamId: "support" }),
    agent("PUT", "/conversations/nope/assignee", { userId: "alice" }, 404),
    agent("POST", `${conv}/messages`, { text: "   " }),
    agent("POST", `${conv}/messages`, { text: "x".repeat(20_001) }),
    agent("POST", `${conv}/messages`, { text: ["a"] }),
    agent("POST", "/conversations/nope/messages", { text: "hi" }, 404),
    agent("POST", "/conversations/nope/close", undefined, 404),
    agent("POST", "/conversations/nope/reopen", undefined, 404),
    agent("GET", "/conversations/nope", undefined, 404),
    { name: "outsider closes", call: { method: "POST", path: `${conv}/close`, as: { sub: "outsider" } }, status: 403 },
    { name: "outsider reads", call: { method: "GET", path: conv, as: { sub: "outsider" } }, status: 403 },
    {
      name: "outsider lists",
      call: { method: "GET", path: "/inboxes/main/conversations", as: { sub: "outsider" } },
      status: 403,
    },
    { name: "unknown inbox", call: { method: "GET", path: "/inboxes/ghost/conversations", as: alice }, status: 404 },
  );

  // Views: bad query values and cursors.
  const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  const list = (query: Record<string, string>): Case => ({
    name: `list ${JSON.stringify(query).slice(0, 80)}`,
    call: { method: "GET", path: "/inboxes/main/conversations", as: alice, query },
    status: 400,
  });
  out.push(
    list({ view: "everything" }),
    list({ status: "pending" }),
    list({ limit: "0" }),
    list({ limit: "1000" }),
    list({ limit: "abc" }),
    list({ limit: "1.5" }),
    list({ cursor: "%%%" }),
    list({ cursor: enc({}) }),
    list({ cursor: enc({ pk: 1 }) }),
    list({ cursor: enc([1, 2]) }),
    list({ cursor: enc("string") }),
    list({ cursor: enc(null) }),
    list({ cursor: enc({ pk: "CONV#x", sk: "CONV", gsi1pk: "INBOX#other#STATUS#open", gsi1sk: "x" }) }),
    list({ cursor: enc({ pk: "CONV#x", sk: "CONV", gsi1pk: "INBOX#main#STATUS#open", gsi1sk: "x", extra: "x" }) }),
    list({ cursor: enc({ pk: "CONV#x", sk: "CONV", gsi1pk: "INBOX#main#STATUS#open", gsi1sk: { S: "x" } }) }),
    list({ cursor: enc({ pk: "DIRECTORY", sk: "USER#alice", gsi1pk: "INBOX#main#STATUS#open", gsi1sk: "x" }) }),
    list({ view: "mine", cursor: enc({ pk: "CONV#x", sk: "CONV", gsi1pk: "INBOX#main#STATUS#open", gsi1sk: "x" }) }),
    list({ cursor: "x".repeat(2001) }),
  );

  // Visitor chat: tokens, cookies, channels, ownership.
  const chatPath = `/chat/conversations/${conversationId}`;
  out.push(
    visitor("POST", "/chat/ghost/conversations", fixed, 404),
    // Another type of channel answers exactly as an unknown one: a visitor learns nothing of it.
    visitor("POST", "/chat/mail/conversations", fixed, 404),
    visitor("POST", "/chat/form/conversations", fixed, 404),
    visitor("POST", "/chat/chat/conversations", { text: "" }),
    visitor("POST", "/chat/chat/conversations", { text: "x".repeat(20_001) }),
    visitor("POST", "/chat/chat/conversations", { text: 42 }),
    visitor("POST", "/chat/chat/conversations", { text: "hi", idempotencyKey: "" }),
    visitor("POST", "/chat/chat/conversations", { text: "hi", idempotencyKey: "k".repeat(201) }),
    visitor("POST", "/chat/chat/conversations", { text: "hi", visitorToken: 12345 }),
    visitor("POST", "/chat/chat/conversations", { text: "hi", visitorToken: `${TOKEN}; Domain=evil.example` }),
    visitor("POST", "/chat/chat/conversations", { text: "hi", visitorToken: `${TOKEN}\r\nSet-Cookie: a=b` }),
    visitor("POST", "/chat/chat/conversations", { text: "hi", visitorToken: `${TOKEN}ü` }),
    visitor("POST", "/chat/chat/conversations", fixed, 400, { cookies: ["routing_visitor=short"] }),
    visitor("POST", "/chat/chat/conversations", fixed, 400, {
      cookies: [`routing_visitor=${encodeURIComponent(`${TOKEN}; Path=/`)}`],
    }),
    visitor("POST", "/chat/chat/conversations", fixed, 400, {
      cookies: ["ga=100%", "routing_visitor=%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83%E2%98%83"],
    }),
    visitor("POST", `${chatPath}/messages`, { text: "hi" }, 401),
    visitor("POST", `${chatPath}/messages`, { text: "hi" }, 401, { cookies: ["routing_visitor=%ZZ"] }),
    visitor("POST", `${chatPath}/messages`, { text: "hi", visitorToken: "someone-else-aaaaaaaaaaaaaaaaaa" }, 404),
    visitor("POST", `${chatPath}/messages`, { text: "hi" }, 400, { cookies: ["routing_visitor=bad token"] }),
    visitor("POST", `${chatPath}/messages`, { text: "", visitorToken: TOKEN }),
    visitor("POST", "/chat/conversations/nope/messages", { text: "hi", visitorToken: TOKEN }, 404),
    visitor("GET", `${chatPath}/messages`, undefined, 401),
    visitor("GET", `${chatPath}/messages`, undefined, 404, {
      query: { visitorToken: "someone-else-aaaaaaaaaaaaaaaaaa" },
    }),
    visitor("GET", `${chatPath}/messages`, undefined, 400, { query: { visitorToken: "<script>" } }),
    visitor("GET", `${chatPath}/messages`, undefined, 400, { cookies: ["routing_visitor=a%0D%0Ab"] }),
    visitor("POST", `${chatPath}/handoff`, { visitorToken: TOKEN }),
    visitor(
      "POST",
      `/chat/conversations/${botConversationId}/handoff`,
      { visitorToken: "someone-else-aaaaaaaaaaaaaaaaaa" },
      404,
    ),
    visitor("POST", `/chat/conversations/${botConversationId}/handoff`, {}, 401),
    visitor("POST", "/chat/identify", { channelId: "chat", email: "kim@example.com" }),
    visitor("POST", "/chat/identify", { visitorToken: TOKEN, email: "kim@example.com" }),
    visitor("POST", "/chat/identify", { channelId: "ghost", visitorToken: TOKEN, email: "kim@example.com" }, 404),
    visitor("POST", "/chat/identify", { channelId: "mail", visitorToken: TOKEN, email: "kim@example.com" }, 404),
    visitor("POST", "/chat/identify", { channelId: "chat", visitorToken: TOKEN, email: "not-an-email" }),
    visitor("POST", "/chat/identify", {
      channelId: "chat",
      visitorToken: TOKEN,
      email: "kim@example.com",
      identityHash: "f".repeat(129),
    }),
    visitor("POST", "/chat/identify", {
      channelId: "chat",
      visitorToken: TOKEN,
      email: "kim@example.com",
      name: "n".repeat(201),
    }),
    visitor("POST", "/chat/identify", { channelId: "chat", visitorToken: "short", email: "kim@example.com" }),
  );

  // Form webhook: signatures and bodies (the signature is checked first, on the raw bytes).
  const secret = formSigningSecret(FORM_KEY, "form");
  const t = Math.floor(Date.parse("2026-11-24T10:00:00.000Z") / 1000);
  const good = JSON.stringify({ submissionId: "s1", email: "k@example.com", message: "hi" });
  const form = (
    name: string,
    raw: string,
    header: string | undefined,
    status: number,
    contentType = "application/json",
    channel = "form",
  ): Case => ({
    name: `form: ${name}`,
    call: {
      method: "POST",
      path: `/forms/${channel}/submissions`,
      as: null,
      raw,
      headers: { "Content-Type": contentType, ...(header === undefined ? {} : { "X-Routing-Signature": header }) },
    },
    status,
  });
  const signed = (raw: string) => signatureHeader(secret, raw, t);
  out.push(
    form("no signature", good, undefined, 401),
    form("empty signature", good, "", 401),
    form("garbage signature", good, "nonsense", 401),
    form("no timestamp", good, `v1=${"0".repeat(64)}`, 401),
    form("wrong mac", good, `t=${t},v1=${"0".repeat(64)}`, 401),
    form("short mac", good, `t=${t},v1=abcd`, 401),
    form("stale", good, signatureHeader(secret, good, t - 301), 401),
    form("future", good, signatureHeader(secret, good, t + 301), 401),
    form("other body", good, signed(`${good} `), 401),
    form("other channel's secret", good, signatureHeader(formSigningSecret(FORM_KEY, "other"), good, t), 401),
    form("signed for another channel", good, signed(good), 401, "application/json", "other"),
    form("signed, not JSON", "{not json", signed("{not json"), 400),
    form("signed, wrong content type", good, signed(good), 415, "text/plain"),
    form(
      "signed, missing email",
      JSON.stringify({ submissionId: "s1", message: "hi" }),
      signed(JSON.stringify({ submissionId: "s1", message: "hi" })),
      400,
    ),
    form(
      "signed, extra field",
      JSON.stringify({ submissionId: "s1", email: "k@example.com", message: "hi", x: 1 }),
      signed(JSON.stringify({ submissionId: "s1", email: "k@example.com", message: "hi", x: 1 })),
      400,
    ),
    form(
      "signed, fields not an object",
      JSON.stringify({ submissionId: "s1", email: "k@example.com", message: "hi", fields: [1] }),
      signed(JSON.stringify({ submissionId: "s1", email: "k@example.com", message: "hi", fields: [1] })),
      400,
    ),
  );
  const deep =
    `{"submissionId":"s2","email":"k@example.com","message":"hi",` +
    `"fields":{"a":${"[".repeat(50_000)}${"]".repeat(50_000)}}}`;
  const wide = JSON.stringify({
    submissionId: "s3",
    email: "k@example.com",
    message: "m".repeat(19_990),
    fields: { a: "b".repeat(100) },
  });
  out.push(
    form("signed, fields 50,000 deep", deep, signed(deep), 400),
    form("signed, message + fields over 20,000", wide, signed(wide), 400),
  );

  out.push(...cursorCases(cursors, ids, as));

  // Routes that do not exist.
  out.push(
    { name: "unknown path", call: { method: "GET", path: "/nothing", as: null }, status: 404 },
    { name: "unknown method", call: { method: "DELETE", path: "/users/alice", as: ADMIN }, status: 404 },
    { name: "extra segment", call: { method: "GET", path: "/users/alice/extra", as: ADMIN }, status: 404 },
  );
  return out;
}

describe("bad input on every route answers 4xx in the error shape and changes nothing", () => {
  let h: H;
  let table: Case[];
  let before: string[];

  beforeAll(async () => {
    h = await apiHarness();
    const put = async (path: string, body: unknown) =>
      expect((await h.call({ method: "PUT", path, as: ADMIN, body })).status).toBeLessThan(300);
    await put("/teams/support", { name: "Support" });
    await put("/users/alice", { name: "Alice", email: "alice@example.com", seat: "service", primaryTeamId: "support" });
    await put("/users/outsider", { name: "Out", email: "out@example.com", seat: "service" });
    await put("/inboxes/main", { name: "Main", access: { type: "restricted", teamIds: ["support"], userIds: [] } });
    await put("/channels/chat", { inboxId: "main", type: "chat", name: "Chat", routing: rule });
    await put("/channels/bot", { inboxId: "main", type: "bot", name: "Bot", routing: rule });
    await put("/channels/form", { inboxId: "main", type: "form", name: "Form", routing: rule });
    await put("/channels/mail", {
      inboxId: "main",
      type: "email",
      name: "Mail",
      address: "help@shop.example",
      routing: rule,
    });
    await put("/contacts/kim", { email: "kim@customer.example" });
    const chat = await h.call({
      method: "POST",
      path: "/chat/chat/conversations",
      as: null,
      body: { text: "hello", visitorToken: TOKEN },
    });
    const bot = await h.call({
      method: "POST",
      path: "/chat/bot/conversations",
      as: null,
      body: { text: "bot", visitorToken: TOKEN },
    });
    // Activity is recorded by every authenticated request; at a fixed clock it writes the same value again.
    for (const sub of ["alice", "outsider"]) await h.call({ method: "POST", path: "/me/heartbeat", as: { sub } });
    // A real cursor of every paginated route (each listing has two items or more): the forgeries start there.
    await put("/teams/sales", { name: "Sales" });
    await put("/users/ann", { name: "Ann", email: "ann@example.com", seat: "service", primaryTeamId: "support" });
    await put("/inboxes/side", { name: "Side", access: { type: "restricted", teamIds: ["support"], userIds: [] } });
    const cursors = new Map<string, string>();
    for (const route of PAGED) {
      const path = pathOf(route.path, { inboxId: "main" });
      const call = { method: route.method, path, as: route.auth === "admin" ? ADMIN : alice };
      const r = await h.call({ ...call, query: { limit: "1" } });
      expect(r.json.nextCursor, routeKey(route)).toEqual(expect.any(String));
      cursors.set(routeKey(route), r.json.nextCursor);
      // The strict check takes the cursors the API hands out: the next page reads.
      const next = await h.call({ ...call, query: { limit: "1", cursor: r.json.nextCursor } });
      expect(next.status, routeKey(route)).toBe(200);
    }
    table = cases(chat.json.conversation.id, bot.json.conversation.id, cursors);
    before = await tableDump(h);
  });

  it("finds the paginated routes: every listing of the route table", () => {
    expect(PAGED.map(routeKey).sort()).toEqual(
      [
        "GET /channels",
        "GET /inboxes",
        "GET /inboxes/{inboxId}/assignees",
        "GET /inboxes/{inboxId}/conversations",
        "GET /teams",
        "GET /users",
      ].sort(),
    );
  });

  it("has at least 150 cases and covers every route of the route table", () => {
    expect(table.length).toBeGreaterThanOrEqual(150);
    const covered = new Set(table.map((c) => `${c.call.method} ${c.call.path}`));
    // Routes that take nothing from the client (GET /health) have no bad input to send.
    const takesInput = (r: (typeof ROUTES)[number]) => r.path.includes("{") || r.json || r.auth !== "public";
    for (const route of ROUTES.filter(takesInput)) {
      const pattern = new RegExp(`^${route.method} ${route.path.replace(/\{[^/]+\}/g, "[^/]+")}$`);
      expect(
        [...covered].some((c) => pattern.test(c)),
        `${route.method} ${route.path}`,
      ).toBe(true);
    }
  });

  it(
    "every case: a 4xx with {error: {code, message, details}}, " + "nothing logged as a failure, the table unchanged",
    async () => {
      const failures: string[] = [];
      for (const c of table) {
        const r = await h.call(c.call);
        const shape =
          r.json?.error &&
          typeof r.json.error.code === "string" &&
          typeof r.json.error.message === "string" &&
          Array.isArray(r.json.error.details);
        const statusOk = c.status === undefined ? r.status >= 400 && r.status < 500 : r.status === c.status;
        const fieldOk =
          c.field === undefined || r.json?.error?.details?.some((d: { field: string }) => d.field === c.field);
        if (!statusOk || !shape || !fieldOk)
          failures.push(`${c.name}: ${r.status} ${JSON.stringify(r.json).slice(0, 160)}`);
        const after = await tableDump(h);
        if (after.join("\n") !== before.join("\n")) {
          failures.push(
            `${c.name}: changed the table: ${after
              .filter((i) => !before.includes(i))
              .join(" ")
              .slice(0, 300)}`,
          );
          before = after;
        }
      }
      expect(failures).toEqual([]);
      expect(h.errors).toEqual([]);
    },
  );

  it("an undecodable cookie on /health is ignored (200), like on every other route", async () => {
    const r = await h.call({ method: "GET", path: "/health", as: null, cookies: ["ga=100%", "routing_visitor=%"] });
    expect(r.status).toBe(200);
  });

  it("hostile MIME through the email function is dropped with a reason and changes nothing", async () => {
    const s3 = createS3Client({ region: "us-east-1", endpoint: process.env.S3_ENDPOINT });
    const template = JSON.parse(
      readFileSync(new URL("../fixtures/ses-receipt-event.json", import.meta.url), "utf8"),
    ) as SESEvent;
    const head = "From: Kim <kim@customer.example>\r\nTo: help@shop.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n";
    let nested = "Content-Type: text/plain\r\n\r\ndeep\r\n";
    for (let i = 0; i < 40; i++)
      nested = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${nested}--b${i}--\r\n`;
    const parts = Array.from(
      { length: 500 },
      (_, i) =>
        "--P\r\nContent-Type: application/octet-stream\r\n" +
        `Content-Disposition: attachment; filename="f${i}"\r\n\r\nx\r\n`,
    ).join("");
    const hostile: Array<[string, string | Buffer, string[]?, "FAIL"?]> = [
      ["40 nested multiparts", `${head}${nested}`],
      ["500 attachments", `${head}Content-Type: multipart/mixed; boundary="P"\r\n\r\n${parts}--P--\r\n`],
      [
        "300 KiB of headers",
        `${head}${Array.from({ length: 6000 }, (_, i) => `X-J${i}: ${"y".repeat(48)}\r\n`).join("")}\r\nhi\r\n`,
      ],
      ["over 10 MB", Buffer.alloc(11 * 1024 * 1024, "a")],
      ["no sender", "To: help@shop.example\r\nSubject: x\r\n\r\nhi\r\n"],
      ["no channel for the recipient", `${head}\r\nhi\r\n`, ["nobody@shop.example"]],
      ["virus verdict", `${head}\r\nhi\r\n`, undefined, "FAIL"],
    ];
    const start = await tableDump(h);
    for (const [name, raw, recipients, virus] of hostile) {
      const id = randomUUID().replace(/-/g, "");
      await s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: `inbound/${id}`, Body: raw }));
      const event = structuredClone(template);
      event.Records[0]!.ses.mail.messageId = id;
      event.Records[0]!.ses.receipt.recipients = recipients ?? ["help@shop.example"];
      event.Records[0]!.ses.receipt.virusVerdict = { status: virus ?? "PASS" };
      const [outcome] = await ingestSesEvent(event, {
        s3,
        email: h.app.email,
        config: { bucket: TEST_BUCKET, prefix: "inbound/" },
      });
      expect(outcome?.type, name).toBe("dropped");
    }
    expect(await tableDump(h)).toEqual(start);
  });

  it(
    "over-long ids and addresses in MIME headers never " + "reach a table key: the mail is taken without them",
    async () => {
      const s3 = createS3Client({ region: "us-east-1", endpoint: process.env.S3_ENDPOINT });
      const template = JSON.parse(
        readFileSync(new URL("../fixtures/ses-receipt-event.json", import.meta.url), "utf8"),
      ) as SESEvent;
      const long = `<${"a".repeat(3000)}@x.example>`;
      const raws = [
        `From: kim@customer.example\r\nTo: help@shop.example\r\nSubject: x\r\nMessage-ID: ${long}\r\n\r\nhi\r\n`,
        "From: kim@customer.example\r\nTo: help@shop.example\r\nSubject: x\r\n" +
          `In-Reply-To: ${long}\r\nReferences: ${long}\r\n\r\nhi\r\n`,
        `From: ${"k".repeat(3000)}@customer.example\r\nTo: help@shop.example\r\nSubject: x\r\n\r\nhi\r\n`,
      ];
      const outcomes = [];
      for (const raw of raws) {
        const id = randomUUID().replace(/-/g, "");
        await s3.send(new PutObjectCommand({ Bucket: TEST_BUCKET, Key: `inbound/${id}`, Body: raw }));
        const event = structuredClone(template);
        event.Records[0]!.ses.mail.messageId = id;
        event.Records[0]!.ses.receipt.recipients = ["help@shop.example"];
        const config = { bucket: TEST_BUCKET, prefix: "inbound/" };
        outcomes.push(...(await ingestSesEvent(event, { s3, email: h.app.email, config })));
      }
      expect(outcomes.map((o) => o.type)).toEqual(["created", "created", "dropped"]);
    },
  );
});
