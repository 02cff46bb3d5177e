/**
 * Reads the web inbox needs beyond the agent endpoints (inboxes, teams, channels, the users an Owner
 * select offers, view counts, the live feed), through the query port: the access rules and the bounds
 * (one page, a capped count, a time window) live in shared/domain/queries.ts. Routes in route-table.ts.
 */
import { actorOf, type Operation, ok, param, type RequestContext } from "./context";
import type { OperationName } from "./route-table";
import * as s from "./schemas";
import { changesQuery, countsQuery, listPageQuery } from "./web-schemas";

const isAdmin = (ctx: RequestContext) => ctx.principal?.admin === true || ctx.actor?.role === "admin";
const pageOf = (ctx: RequestContext) => s.parse(listPageQuery, ctx.query, "query");

export const WEB_OPERATIONS = {
  /** The caller and whether they may open Settings. No read: the activity write returned the user. */
  me(ctx) {
    return ok({ user: ctx.actor, admin: isAdmin(ctx) });
  },
  async listInboxes(ctx) {
    return ok(await ctx.services.queries.listInboxes(actorOf(ctx), pageOf(ctx)));
  },
  async listTeams(ctx) {
    return ok(await ctx.services.queries.listTeams(pageOf(ctx)));
  },
  async listChannels(ctx) {
    return ok(await ctx.services.queries.listChannels(pageOf(ctx)));
  },
  async listAssignees(ctx) {
    const inboxId = param(ctx, "inboxId");
    return ok(await ctx.services.queries.listAssignees(actorOf(ctx), inboxId, pageOf(ctx)));
  },
  async viewCounts(ctx) {
    const inboxId = param(ctx, "inboxId");
    const { status } = s.parse(countsQuery, ctx.query, "query");
    return ok(await ctx.services.queries.viewCounts(actorOf(ctx), inboxId, status));
  },
  async inboxChanges(ctx) {
    const inboxId = param(ctx, "inboxId");
    const { since } = s.parse(changesQuery, ctx.query, "query");
    return ok(await ctx.services.queries.inboxChanges(actorOf(ctx), inboxId, since));
  },
} satisfies Partial<Record<OperationName, Operation>>;
