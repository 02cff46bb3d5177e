import { NotFoundError } from "../domain/errors";
import { actorOf, type Operation, ok, param, publicConversation, type RequestContext } from "./context";
import type { OperationName } from "./route-table";
import * as s from "./schemas";

/** Agent routes (any user's token): presence, inbox views, working a conversation (docs/routing.md §3). */
export const AGENT_OPERATIONS = {
  async setAvailability(ctx) {
    const { availability } = s.parse(s.availabilityBody, ctx.body);
    return ok(await ctx.services.commands.presence.setAvailability(actorOf(ctx).id, availability));
  },
  heartbeat(ctx) {
    // Authentication already recorded the activity; the answer says when.
    return ok({ lastInboxActivityAt: actorOf(ctx).lastInboxActivityAt });
  },
  async listConversations(ctx) {
    const inboxId = param(ctx, "inboxId");
    const q = s.parse(s.listQuery, ctx.query, "query");
    const actor = actorOf(ctx);
    const page = await ctx.services.queries.inboxView(actor, { inboxId, userId: actor.id, ...q });
    return ok({ items: page.items.map(publicConversation), nextCursor: page.nextCursor });
  },
  async getConversation(ctx) {
    const read = await ctx.services.queries.conversationForAgent(actorOf(ctx), param(ctx, "conversationId"));
    const visitor = read.visitor ? { visitor: read.visitor } : {};
    return ok({ ...publicConversation(read.conversation), ...visitor, messages: read.messages });
  },
  async assign(ctx) {
    const target = s.parse(s.assigneeBody, ctx.body);
    const id = param(ctx, "conversationId");
    return ok(publicConversation(await ctx.services.commands.conversations.assign(actorOf(ctx), id, target)));
  },
  async reply(ctx) {
    const { text, attachments } = s.parse(s.replyBody, ctx.body);
    const id = param(ctx, "conversationId");
    const r = await ctx.services.commands.conversations.reply(actorOf(ctx), id, text, attachments ?? []);
    const emailed = r.emailed === null ? {} : { emailed: r.emailed };
    return ok({ conversation: publicConversation(r.conversation), message: r.message, ...emailed }, 201);
  },
  async uploadAttachment(ctx) {
    const file = s.parse(s.uploadBody, ctx.body);
    const id = param(ctx, "conversationId");
    return ok(await attachmentsOf(ctx).upload(actorOf(ctx), id, file), 201);
  },
  /**
   * A short-lived link to the file (docs/api.md): a 302 to it, or the link itself as JSON for a client
   * that asks with `Accept: application/json` (the web inbox, which sends its token in a header).
   */
  async attachment(ctx) {
    const id = param(ctx, "conversationId");
    const link = await attachmentsOf(ctx).link(actorOf(ctx), id, param(ctx, "attachmentId"));
    const noStore = { "cache-control": "no-store" };
    if (ctx.headers.accept?.includes("application/json")) return { status: 200, body: link, headers: noStore };
    return { status: 302, headers: { ...noStore, location: link.url } };
  },
  async close(ctx) {
    const id = param(ctx, "conversationId");
    return ok(publicConversation(await ctx.services.commands.conversations.close(actorOf(ctx), id)));
  },
  async reopen(ctx) {
    const id = param(ctx, "conversationId");
    return ok(publicConversation(await ctx.services.commands.conversations.reopen(actorOf(ctx), id)));
  },
} satisfies Partial<Record<OperationName, Operation>>;

function attachmentsOf(ctx: RequestContext) {
  const attachments = ctx.services.commands.attachments;
  if (!attachments) throw new NotFoundError("this deployment keeps no attachments (ATTACHMENTS_BUCKET is not set)");
  return attachments;
}
