import { randomBytes } from "node:crypto";
import { ValidationError } from "../domain/errors";
import type { Conversation } from "../domain/types";
import { type Operation, ok, param, type RequestContext } from "./context";
import type { OperationName } from "./route-table";
import * as s from "./schemas";
import { channelIdentitySecret, identityHashMatches } from "./signature";
import { visitorMessage, visitorConversation as visitorView } from "./visitor-view";

export const VISITOR_COOKIE = "routing_visitor";

/**
 * The visitor's token, from the body, the query or the cookie, in that order. Whatever the source, a value
 * that is not a token is a 400 here, before anything is read or written (it ends up in keys and cookies).
 */
export function visitorTokenOf(ctx: RequestContext, fromBody?: string): string | undefined {
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

/** The visitor's view of a conversation: the display name of the person who has it, the place in line. */
async function forVisitor(ctx: RequestContext, conv: Conversation) {
  const [agentName, waiting] = await Promise.all([
    ctx.services.queries.assigneeName(conv),
    ctx.services.queries.placeInLine(conv),
  ]);
  return visitorView({ ...conv, ...(waiting ? { waiting } : {}) }, agentName);
}

/** Visitor chat (public): answers carry the visitor's view only (docs/api.md, Visitor chat). */
export const VISITOR_OPERATIONS = {
  async startChat(ctx) {
    const body = s.parse(s.chatStart, ctx.body);
    const given = visitorTokenOf(ctx, body.visitorToken);
    // The widget mints its own token; an old client gets one minted here, the same way (24 random bytes).
    const visitorToken = given ?? randomBytes(24).toString("base64url");
    const r = await ctx.services.commands.visitors.start({
      channelId: param(ctx, "channelId"),
      text: body.text,
      visitorToken,
      tokenGiven: given !== undefined,
      idempotencyKey: body.idempotencyKey,
      deadline: ctx.deadline,
    });
    const conversation = await forVisitor(ctx, r.conversation);
    return {
      status: r.created ? 201 : 200,
      body: { conversation, visitorToken },
      cookies: [visitorCookie(visitorToken)],
    };
  },
  async visitorMessage(ctx) {
    const body = s.parse(s.chatMessage, ctx.body);
    const token = visitorTokenOf(ctx, body.visitorToken);
    const message = await ctx.services.commands.visitors.write(param(ctx, "conversationId"), token, body.text);
    return ok({ message: visitorMessage(message) }, 201);
  },
  async visitorThread(ctx) {
    const token = visitorTokenOf(ctx);
    const { conversation, messages } = await ctx.services.queries.visitorThread(param(ctx, "conversationId"), token);
    const view = await forVisitor(ctx, conversation);
    const thread = messages.map(visitorMessage);
    return ok({ conversationId: conversation.id, status: conversation.status, conversation: view, messages: thread });
  },
  async handoff(ctx) {
    const body = s.parse(s.handoffBody, ctx.body);
    const token = visitorTokenOf(ctx, body.visitorToken);
    return ok(await forVisitor(ctx, await ctx.services.commands.visitors.handoff(param(ctx, "conversationId"), token)));
  },
  async chatStatus(ctx) {
    const status = await ctx.services.queries.chatStatus(param(ctx, "channelId"));
    // Briefly cached: every widget on a busy site asks on load, and an answer a few seconds old is right.
    return { ...ok(status), headers: { "cache-control": "public, max-age=15" } };
  },
  async identify(ctx) {
    const body = s.parse(s.identifyBody, ctx.body);
    const token = visitorTokenOf(ctx, body.visitorToken);
    if (!token) {
      const reason = "give it in the body, the query or the routing_visitor cookie";
      throw new ValidationError("visitor token required", [{ field: "visitorToken", reason }]);
    }
    // docs/routing.md §6.1: only the site's backend, holding the channel's identity secret, can vouch.
    const secret = channelIdentitySecret(ctx.services.config.formSigningKey, body.channelId);
    const verified = identityHashMatches(secret, body.email, body.identityHash);
    const r = await ctx.services.commands.visitors.identify({
      channelId: body.channelId,
      visitorToken: token,
      email: body.email,
      name: body.name,
      verified,
    });
    return { status: 200, body: { verified: r.verified, visitorToken: token }, cookies: [visitorCookie(token)] };
  },
} satisfies Partial<Record<OperationName, Operation>>;
