import { randomBytes } from "node:crypto";
import { hasAccess } from "../domain/access";
import { ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from "../domain/errors";
import type { Deadline } from "../domain/ports";
import type { Conversation, Message, User } from "../domain/types";
import type { App } from "../app";
import type { Principal } from "./auth";
import { HttpError } from "./errors";
import * as s from "./schemas";
import { formSigningSecret, SIGNATURE_HEADER, verifySignature } from "./signature";

export interface HttpConfig {
  /** Origins allowed to call the public chat routes (the widget's sites). */
  allowedOrigins: string[];
  /** Master key the form channels' signing secrets derive from. */
  formSigningKey: string;
}

export interface HttpServices {
  app: App;
  config: HttpConfig;
  now: () => Date;
}

export interface RequestContext {
  params: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  cookies: Record<string, string>;
  /** Parsed JSON body for `json` routes; undefined otherwise. */
  body: unknown;
  /** The exact bytes received (signed routes verify these). */
  rawBody: Buffer;
  principal: Principal | null;
  /** The calling user's record, for agent routes (updated with this request's activity). */
  actor: User | null;
  services: HttpServices;
  /** The time the request has left (routing stops before it runs out). */
  deadline?: Deadline;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  cookies?: string[];
}

export const VISITOR_COOKIE = "routing_visitor";
const ok = (body: unknown, status = 200): Reply => ({ status, body });
const param = (ctx: RequestContext, name: string) => s.parse(s.id, ctx.params[name], `path.${name}`);

/** What clients see of a conversation: never the visitor's credential or the storage version. */
export function publicConversation(c: Conversation & { version?: number }): Conversation {
  const { visitorToken: _t, version: _v, ...rest } = c as Conversation & { version?: number };
  return rest;
}

function visitorTokenOf(ctx: RequestContext, fromBody?: string): string | undefined {
  return fromBody ?? ctx.query.visitorToken ?? ctx.cookies[VISITOR_COOKIE];
}

function visitorCookie(token: string): string {
  // SameSite=None: the widget runs on the customer's site and calls this API cross-site.
  return `${VISITOR_COOKIE}=${token}; Path=/; Max-Age=31536000; HttpOnly; Secure; SameSite=None`;
}

/** A visitor may act only on their own conversation; a wrong or missing token looks like "not found". */
async function visitorConversation(ctx: RequestContext, token: string | undefined) {
  const id = param(ctx, "conversationId");
  if (!token) throw new UnauthenticatedError("a visitor token is required");
  const conv = await ctx.services.app.store.getConversation(id);
  if (!conv || conv.visitorToken !== token) throw new NotFoundError(`conversation ${id} does not exist`);
  return conv;
}

/** One item read (partition INBOX#<id>): the caller is already loaded, so a view never reads the directory. */
async function inboxFor(ctx: RequestContext, inboxId: string) {
  const inbox = await ctx.services.app.store.getInbox(inboxId);
  if (!inbox) throw new NotFoundError(`inbox ${inboxId} does not exist`);
  if (!hasAccess(ctx.actor!, inbox)) throw new ForbiddenError(`no access to inbox ${inboxId}`);
  return inbox;
}

type Operation = (ctx: RequestContext) => Promise<Reply>;

export const OPERATIONS: Record<string, Operation> = {
  async health(ctx) {
    await ctx.services.app.store.getChannel("__health__");
    return ok({ status: "ok" });
  },

  // ---- admin
  async putUser(ctx) {
    const body = s.parse(s.userBody, ctx.body);
    return ok(await ctx.services.app.admin.putUser({ id: param(ctx, "userId"), ...body }));
  },
  async listUsers(ctx) {
    return ok(await ctx.services.app.store.listUsers(s.parse(s.usersQuery, ctx.query, "query")));
  },
  async getUser(ctx) {
    const id = param(ctx, "userId");
    const user = await ctx.services.app.store.getUser(id);
    if (!user) throw new NotFoundError(`user ${id} does not exist`);
    return ok(user);
  },
  async putTeam(ctx) {
    const team = { id: param(ctx, "teamId"), ...s.parse(s.teamBody, ctx.body) };
    await ctx.services.app.admin.putTeam(team);
    return ok(team);
  },
  async putInbox(ctx) {
    const inbox = { id: param(ctx, "inboxId"), ...s.parse(s.inboxBody, ctx.body) };
    await ctx.services.app.admin.putInbox(inbox);
    return ok(inbox);
  },
  async putChannel(ctx) {
    const channel = { id: param(ctx, "channelId"), ...s.parse(s.channelBody, ctx.body) };
    const { created } = await ctx.services.app.admin.putChannel(channel);
    // A form channel's secret is handed out once, when the channel is created.
    const secret = created && channel.type === "form" ? { signingSecret: formSigningSecret(ctx.services.config.formSigningKey, channel.id) } : {};
    return ok({ ...channel, ...secret }, created ? 201 : 200);
  },
  async putRule(ctx) {
    return ok(await ctx.services.app.admin.putRule(param(ctx, "channelId"), s.parse(s.rule, ctx.body)));
  },
  async channelStats(ctx) {
    const id = param(ctx, "channelId");
    if (!(await ctx.services.app.store.getChannel(id))) throw new NotFoundError(`channel ${id} does not exist`);
    return ok(await ctx.services.app.waiting.stats(id));
  },
  async putContact(ctx) {
    const body = s.parse(s.contactBody, ctx.body);
    const contact = { id: param(ctx, "contactId"), ...body };
    await ctx.services.app.admin.putContact(contact);
    return ok(contact);
  },

  // ---- agents
  async setAvailability(ctx) {
    const { availability } = s.parse(s.availabilityBody, ctx.body);
    return ok(await ctx.services.app.setAvailability(ctx.actor!.id, availability));
  },
  async heartbeat(ctx) {
    return ok({ lastInboxActivityAt: ctx.actor!.lastInboxActivityAt });
  },
  async listConversations(ctx) {
    const inboxId = param(ctx, "inboxId");
    const q = s.parse(s.listQuery, ctx.query, "query");
    await inboxFor(ctx, inboxId);
    const page = await ctx.services.app.store.listConversations({ inboxId, userId: ctx.actor!.id, ...q });
    return ok({ items: page.items.map(publicConversation), nextCursor: page.nextCursor });
  },
  async getConversation(ctx) {
    const id = param(ctx, "conversationId");
    const conv = await ctx.services.app.store.getConversation(id);
    if (!conv) throw new NotFoundError(`conversation ${id} does not exist`);
    await inboxFor(ctx, conv.inboxId);
    const messages = await ctx.services.app.store.listMessages(id);
    return ok({ ...publicConversation(conv), messages });
  },
  async assign(ctx) {
    const target = s.parse(s.assigneeBody, ctx.body);
    return ok(publicConversation(await ctx.services.app.conversations.assign(ctx.actor!, param(ctx, "conversationId"), target)));
  },
  async reply(ctx) {
    const { text } = s.parse(s.replyBody, ctx.body);
    const r = await ctx.services.app.conversations.reply(ctx.actor!, param(ctx, "conversationId"), text);
    return ok({ conversation: publicConversation(r.conversation), message: r.message, ...(r.emailed === null ? {} : { emailed: r.emailed }) }, 201);
  },
  async close(ctx) {
    return ok(publicConversation(await ctx.services.app.conversations.close(ctx.actor!, param(ctx, "conversationId"))));
  },
  async reopen(ctx) {
    return ok(publicConversation(await ctx.services.app.conversations.reopen(ctx.actor!, param(ctx, "conversationId"))));
  },

  // ---- visitor chat
  async startChat(ctx) {
    const body = s.parse(s.chatStart, ctx.body);
    const given = visitorTokenOf(ctx, body.visitorToken);
    const token = given ?? randomBytes(24).toString("base64url");
    // A visitor's key only ever matches that visitor's chats. Without a token yet (a double click
    // before the first answer set the cookie), the key alone dedupes: keys must be unguessable (UUIDs).
    const dedupe = body.idempotencyKey ? { dedupeKey: given ? `chat:v:${given}:${body.idempotencyKey}` : `chat:k:${body.idempotencyKey}`, dedupeTtlSeconds: 24 * 3600 } : {};
    const r = await ctx.services.app.inbound.receive({
      channelId: param(ctx, "channelId"),
      accepts: ["chat", "bot"],
      text: body.text,
      contactKey: { by: "visitorToken", value: token },
      visitorToken: token,
      ...dedupe,
      ...(ctx.deadline ? { deadline: ctx.deadline } : {}),
    });
    const waiting = r.created ? await ctx.services.app.waiting.placeOf(r.conversation) : undefined;
    if (r.created) return { status: 201, body: { conversation: { ...publicConversation(r.conversation), ...(waiting ? { waiting } : {}) }, visitorToken: token }, cookies: [visitorCookie(token)] };
    // The same request again: the same answer as the first time, its conversation and its token.
    const existing = await ctx.services.app.store.getConversation(r.existingConversationId!);
    if (!existing) throw new NotFoundError(`conversation ${r.existingConversationId} does not exist`);
    const sameToken = existing.visitorToken ?? token;
    const place = await ctx.services.app.waiting.placeOf(existing);
    return { status: 200, body: { conversation: { ...publicConversation(existing), ...(place ? { waiting: place } : {}) }, visitorToken: sameToken }, cookies: [visitorCookie(sameToken)] };
  },
  async visitorMessage(ctx) {
    const body = s.parse(s.chatMessage, ctx.body);
    const conv = await visitorConversation(ctx, visitorTokenOf(ctx, body.visitorToken));
    const r = await ctx.services.app.conversations.customerMessage(conv.id, { text: body.text });
    return ok({ message: visitorView(r.message) }, 201);
  },
  async visitorThread(ctx) {
    const conv = await visitorConversation(ctx, visitorTokenOf(ctx));
    const messages = await ctx.services.app.store.listMessages(conv.id);
    const waiting = await ctx.services.app.waiting.placeOf(conv);
    return ok({ conversationId: conv.id, status: conv.status, ...(waiting ? { waiting } : {}), messages: messages.map(visitorView) });
  },
  async handoff(ctx) {
    const body = s.parse(s.handoffBody, ctx.body);
    const token = visitorTokenOf(ctx, body.visitorToken);
    const conv = await visitorConversation(ctx, token);
    const { store, conversations } = ctx.services.app;
    const channel = await store.getChannel(conv.channelId);
    if (!channel) throw new NotFoundError(`channel ${conv.channelId} does not exist`);
    if (channel.type !== "bot") throw new ValidationError("not a bot chat", [{ field: "conversationId", reason: "only bot conversations are handed off" }]);
    const contact = token ? await store.findContact({ by: "visitorToken", value: token }) : null;
    const handedOff = await conversations.handoff(conv.id, contact, channel);
    const place = await ctx.services.app.waiting.placeOf(handedOff);
    return ok({ ...publicConversation(handedOff), ...(place ? { waiting: place } : {}) });
  },
  async identify(ctx) {
    const body = s.parse(s.identifyBody, ctx.body);
    const token = visitorTokenOf(ctx, body.visitorToken);
    if (!token) throw new ValidationError("visitor token required", [{ field: "visitorToken", reason: "give it in the body, the query or the routing_visitor cookie" }]);
    const contact = await ctx.services.app.admin.identifyVisitor(token, body.email, body.name);
    return { status: 200, body: { contactId: contact.id, visitorToken: token }, cookies: [visitorCookie(token)] };
  },

  // ---- form webhook: the signature is checked on the raw bytes before anything is parsed or read
  async formSubmission(ctx) {
    const channelId = param(ctx, "channelId");
    const { config, now, app } = ctx.services;
    verifySignature(ctx.headers[SIGNATURE_HEADER], ctx.rawBody, formSigningSecret(config.formSigningKey, channelId), Math.floor(now().getTime() / 1000));
    const type = ctx.headers["content-type"] ?? "";
    if (!/^application\/json($|;)/i.test(type)) throw new HttpError(415, "unsupported_media_type", "send Content-Type: application/json");
    let json: unknown;
    try {
      json = JSON.parse(ctx.rawBody.toString("utf8"));
    } catch {
      throw new ValidationError("the body is not valid JSON", [{ field: "body", reason: "malformed JSON" }]);
    }
    const sub = s.parse(s.formSubmission, json);
    const fields = sub.fields ? `\n\n${Object.entries(sub.fields).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join("\n")}` : "";
    const r = await app.inbound.receive({
      channelId,
      accepts: ["form"],
      text: sub.message + fields,
      customer: { ...(sub.name ? { name: sub.name } : {}) },
      contactKey: { by: "email", value: sub.email },
      dedupeKey: `form:${sub.submissionId}`,
      dedupeTtlSeconds: 30 * 24 * 3600,
      senderEmail: sub.email,
    });
    const id = r.created ? r.conversation.id : r.existingConversationId!;
    return ok({ conversationId: id, duplicate: !r.created }, r.created ? 201 : 200);
  },
};

/** The visitor sees messages with the author's display name only: no agent email, no internal ids. */
function visitorView(m: Message) {
  return { id: m.id, text: m.text, createdAt: m.createdAt, author: { kind: m.author.kind, name: m.author.name ?? (m.author.kind === "customer" ? "You" : "Support") } };
}
