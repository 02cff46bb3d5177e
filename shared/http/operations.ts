import { randomBytes } from "node:crypto";
import { hasAccess } from "../domain/access";
import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from "../domain/errors";
import type { Deadline } from "../domain/ports";
import type { Conversation, User } from "../domain/types";
import type { App } from "../app";
import type { Principal } from "./auth";
import { HttpError } from "./errors";
import { openApiDocument } from "./openapi";
import type { OperationName } from "./route-table";
import * as s from "./schemas";
import {
  channelIdentitySecret,
  formSigningSecret,
  identityHashMatches,
  SIGNATURE_HEADER,
  verifySignature,
} from "./signature";
import { visitorConversation as visitorView, visitorMessage } from "./visitor-view";
import { WEB_OPERATIONS } from "./web-operations";

export interface HttpConfig {
  /** Origins allowed to call the public chat routes (the widget's sites). */
  allowedOrigins: string[];
  /** Master key the form channels' signing secrets and the chat channels' identity secrets derive from. */
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

/**
 * The visitor's token, from the body, the query or the cookie, in that order. Whatever the source, a value
 * that is not a token is a 400 here, before anything is read or written (it ends up in keys and cookies).
 */
function visitorTokenOf(ctx: RequestContext, fromBody?: string): string | undefined {
  const [value, field] =
    fromBody !== undefined
      ? [fromBody, "body.visitorToken"]
      : ctx.query.visitorToken !== undefined
        ? [ctx.query.visitorToken, "query.visitorToken"]
        : [ctx.cookies[VISITOR_COOKIE], `cookie.${VISITOR_COOKIE}`];
  if (value === undefined) return undefined;
  if (!s.VISITOR_TOKEN.test(value)) {
    throw new ValidationError("invalid visitor token", [{ field, reason: "use 22-128 base64url characters" }]);
  }
  return value;
}

function visitorCookie(token: string): string {
  // SameSite=None: the widget runs on the customer's site and calls this API cross-site. The token's
  // format (checked on input) has no character that could end the value or add an attribute.
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

/** The visitor's view of a conversation: the display name of the person who has it, the place in line. */
async function forVisitor(ctx: RequestContext, conv: Conversation) {
  const [agent, waiting] = await Promise.all([
    conv.assigneeId ? ctx.services.app.store.getUser(conv.assigneeId) : null,
    ctx.services.app.waiting.placeOf(conv),
  ]);
  return visitorView({ ...conv, ...(waiting ? { waiting } : {}) }, agent?.name ?? null);
}

/** One item read (partition INBOX#<id>): the caller is already loaded, so a view never reads the directory. */
async function inboxFor(ctx: RequestContext, inboxId: string) {
  const inbox = await ctx.services.app.store.getInbox(inboxId);
  if (!inbox) throw new NotFoundError(`inbox ${inboxId} does not exist`);
  if (!hasAccess(ctx.actor!, inbox)) throw new ForbiddenError(`no access to inbox ${inboxId}`);
  return inbox;
}

type Operation = (ctx: RequestContext) => Promise<Reply>;

export const OPERATIONS = {
  ...WEB_OPERATIONS,
  async health(ctx) {
    await ctx.services.app.store.getChannel("__health__");
    return ok({ status: "ok" });
  },
  async openapi() {
    return ok(openApiDocument());
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
    // A form channel's signing secret, a chat or bot channel's identity secret: handed out once, at creation.
    const key = ctx.services.config.formSigningKey;
    const secret = !created
      ? {}
      : channel.type === "form"
        ? { signingSecret: formSigningSecret(key, channel.id) }
        : channel.type === "chat" || channel.type === "bot"
          ? { identitySecret: channelIdentitySecret(key, channel.id) }
          : {};
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
    const { store } = ctx.services.app;
    const token = conv.visitorToken;
    const [messages, contact, profile] = await Promise.all([
      store.listMessages(id),
      token ? store.findContact({ by: "visitorToken", value: token }) : null,
      token ? store.getVisitorProfile(token) : null,
    ]);
    // Who the visitor is: the contact a verified identify linked, else what they typed about themselves,
    // shown as unverified and never trusted for routing (docs/routing.md §6.1).
    const named = (name: string | undefined) => (name ? { name } : {});
    const visitor = contact
      ? { visitor: { email: contact.email, ...named(contact.name), verified: true, contactId: contact.id } }
      : profile?.unverifiedEmail
        ? { visitor: { email: profile.unverifiedEmail, ...named(profile.name), verified: false } }
        : {};
    return ok({ ...publicConversation(conv), ...visitor, messages });
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

  // ---- visitor chat: answers carry the visitor's view only (docs/api.md "Visitor chat")
  async startChat(ctx) {
    const body = s.parse(s.chatStart, ctx.body);
    const given = visitorTokenOf(ctx, body.visitorToken);
    const token = given ?? randomBytes(24).toString("base64url");
    // docs/routing.md §6.1: a key is scoped to its visitor, so knowing it never reveals someone else's chat.
    // Without a token (an old client) the key still dedupes, but a replay gets no conversation and no token.
    const dedupe = body.idempotencyKey
      ? {
          dedupeKey: given ? `chat:v:${given}:${body.idempotencyKey}` : `chat:k:${body.idempotencyKey}`,
          dedupeTtlSeconds: 24 * 3600,
        }
      : {};
    const r = await ctx.services.app.inbound.receive({
      channelId: param(ctx, "channelId"),
      accepts: ["chat", "bot"],
      text: body.text,
      contactKey: { by: "visitorToken", value: token },
      visitorToken: token,
      ...dedupe,
      ...(ctx.deadline ? { deadline: ctx.deadline } : {}),
    });
    if (r.created) {
      const conversation = await forVisitor(ctx, r.conversation);
      return { status: 201, body: { conversation, visitorToken: token }, cookies: [visitorCookie(token)] };
    }
    if (!given) {
      throw new ConflictError("idempotency key already used", [
        {
          field: "body.idempotencyKey",
          reason: "already used by a request without a visitor token: use the conversation and token its answer gave",
        },
      ]);
    }
    // The same visitor's request again: the same answer as the first time.
    const existing = await ctx.services.app.store.getConversation(r.existingConversationId!);
    if (!existing || existing.visitorToken !== given) {
      throw new NotFoundError(`conversation ${r.existingConversationId} does not exist`);
    }
    const conversation = await forVisitor(ctx, existing);
    return { status: 200, body: { conversation, visitorToken: given }, cookies: [visitorCookie(given)] };
  },
  async visitorMessage(ctx) {
    const body = s.parse(s.chatMessage, ctx.body);
    const conv = await visitorConversation(ctx, visitorTokenOf(ctx, body.visitorToken));
    const r = await ctx.services.app.conversations.customerMessage(conv.id, { text: body.text });
    return ok({ message: visitorMessage(r.message) }, 201);
  },
  async visitorThread(ctx) {
    const conv = await visitorConversation(ctx, visitorTokenOf(ctx));
    const [messages, view] = await Promise.all([ctx.services.app.store.listMessages(conv.id), forVisitor(ctx, conv)]);
    const thread = messages.map(visitorMessage);
    return ok({ conversationId: conv.id, status: conv.status, conversation: view, messages: thread });
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
    return ok(await forVisitor(ctx, await conversations.handoff(conv.id, contact, channel)));
  },
  async identify(ctx) {
    const body = s.parse(s.identifyBody, ctx.body);
    const token = visitorTokenOf(ctx, body.visitorToken);
    if (!token) throw new ValidationError("visitor token required", [{ field: "visitorToken", reason: "give it in the body, the query or the routing_visitor cookie" }]);
    const channel = await ctx.services.app.store.getChannel(body.channelId);
    if (!channel) throw new NotFoundError(`channel ${body.channelId} does not exist`);
    if (channel.type !== "chat" && channel.type !== "bot") {
      const reason = `channel ${channel.id} is a ${channel.type} channel`;
      throw new ValidationError("not a chat channel", [{ field: "body.channelId", reason }]);
    }
    // docs/routing.md §6.1: only the site's backend, holding the channel's identity secret, can vouch.
    const secret = channelIdentitySecret(ctx.services.config.formSigningKey, channel.id);
    const verified = identityHashMatches(secret, body.email, body.identityHash);
    const name = body.name ? { name: body.name } : {};
    const r = await ctx.services.app.admin.identifyVisitor({ token, email: body.email, ...name, verified });
    return { status: 200, body: { verified: r.verified, visitorToken: token }, cookies: [visitorCookie(token)] };
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
    const fields = sub.fields ? `\n\n${renderFields(sub.fields)}` : "";
    if (sub.message.length + fields.length > MAX_FORM_TEXT) {
      throw new ValidationError("submission too long", [
        { field: "body", reason: `message and fields together are over ${MAX_FORM_TEXT} characters` },
      ]);
    }
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
} satisfies Record<OperationName, Operation>;

/** A form's message and extra fields, as stored: the same cap as any message. */
const MAX_FORM_TEXT = 20_000;
/** Extra fields nest at most this deep (a field, a list in it, an object in that...). */
const MAX_FIELD_DEPTH = 5;

/**
 * The extra fields as `key: value` lines. Their depth is checked without recursion first, so hostile
 * nesting is a 400, never a stack overflow in JSON.stringify.
 */
function renderFields(fields: Record<string, unknown>): string {
  const stack: Array<[unknown, number]> = Object.values(fields).map((v) => [v, 1]);
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (depth >= MAX_FIELD_DEPTH) {
      const reason = `nest values at most ${MAX_FIELD_DEPTH} levels deep`;
      throw new ValidationError("fields nested too deep", [{ field: "body.fields", reason }]);
    }
    for (const inner of Object.values(value)) stack.push([inner, depth + 1]);
  }
  return Object.entries(fields)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join("\n");
}
