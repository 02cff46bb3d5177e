/**
 * Reads the web inbox needs beyond the agent endpoints (inboxes, teams, channels, the users an Owner
 * select offers, view counts, the live feed). Spread into OPERATIONS; routes in route-table.ts.
 * Each stays bounded: one page, a capped count or a time window, never the whole organisation.
 */
import { hasAccess, isAssignable } from "../domain/access";
import { ForbiddenError, NotFoundError } from "../domain/errors";
import type { Inbox } from "../domain/types";
import type { Reply, RequestContext } from "./operations";
import * as s from "./schemas";
import { changesQuery, countsQuery, listPageQuery } from "./web-schemas";

type Operation = (ctx: RequestContext) => Promise<Reply>;
const ok = (body: unknown): Reply => ({ status: 200, body });

/** View counts stop here: past it the inbox shows "100+" (a capped COUNT query, not a scan). */
export const COUNT_CAP = 100;
/**
 * The live feed re-reads this much before the client's cursor: a change committed by another Lambda
 * a moment before this read may reach the index a moment later. Clients drop what they already have.
 */
export const CHANGE_OVERLAP_MS = 10_000;
const CHANGE_LIMIT = 100;

const isAdmin = (ctx: RequestContext) => ctx.principal?.admin === true || ctx.actor?.role === "admin";

/** The inbox, if the caller may read it (docs/routing.md §2: admins read every inbox). One GetItem. */
async function readableInbox(ctx: RequestContext): Promise<Inbox> {
  const inboxId = s.parse(s.id, ctx.params.inboxId, "path.inboxId");
  const inbox = await ctx.services.app.web.getInbox(inboxId);
  if (!inbox) throw new NotFoundError(`inbox ${inboxId} does not exist`);
  if (!isAdmin(ctx) && !hasAccess(ctx.actor!, inbox)) throw new ForbiddenError(`no access to inbox ${inboxId}`);
  return inbox;
}

export const WEB_OPERATIONS = {
  /** The caller and whether they may open Settings. No read: the activity write returned the user. */
  async me(ctx) {
    return ok({ user: ctx.actor, admin: isAdmin(ctx) });
  },

  /** The inboxes the caller can read: one page of inboxes, filtered by access (admins: all). */
  async listInboxes(ctx) {
    const q = s.parse(listPageQuery, ctx.query, "query");
    const page = await ctx.services.app.web.listInboxes(q);
    const items = isAdmin(ctx) ? page.items : page.items.filter((i) => hasAccess(ctx.actor!, i));
    return ok({ items, nextCursor: page.nextCursor });
  },

  async listTeams(ctx) {
    return ok(await ctx.services.app.web.listTeams(s.parse(listPageQuery, ctx.query, "query")));
  },

  async listChannels(ctx) {
    return ok(await ctx.services.app.web.listChannels(s.parse(listPageQuery, ctx.query, "query")));
  },

  /** Users an Owner select offers in this inbox: one page of users, those assignable here (§3.5). */
  async listAssignees(ctx) {
    const inbox = await readableInbox(ctx);
    const q = s.parse(listPageQuery, ctx.query, "query");
    const page = await ctx.services.app.web.listUsers(q);
    const items = page.items
      .filter((u) => isAssignable(u, inbox))
      .map((u) => ({ id: u.id, name: u.name, seat: u.seat, availability: u.availability }));
    return ok({ items, nextCursor: page.nextCursor });
  },

  /** Unassigned, Mine and All sizes: three COUNT queries, each stopping at COUNT_CAP. */
  async viewCounts(ctx) {
    const inbox = await readableInbox(ctx);
    const { status } = s.parse(countsQuery, ctx.query, "query");
    const count = (view: "unassigned" | "mine" | "all") =>
      ctx.services.app.web.countView({ inboxId: inbox.id, view, status, userId: ctx.actor!.id, cap: COUNT_CAP });
    const [unassigned, mine, all] = await Promise.all([count("unassigned"), count("mine"), count("all")]);
    return ok({ unassigned, mine, all, cap: COUNT_CAP });
  },

  /**
   * The inbox's live feed: conversations changed since the cursor (minus CHANGE_OVERLAP_MS), at most
   * CHANGE_LIMIT of them. Without a cursor it only hands out one, so a client starts from "now".
   */
  async inboxChanges(ctx) {
    const inbox = await readableInbox(ctx);
    const { since } = s.parse(changesQuery, ctx.query, "query");
    const now = ctx.services.now();
    if (!since) return ok({ items: [], cursor: now.toISOString(), truncated: false });
    const from = new Date(Math.min(Date.parse(since), now.getTime()) - CHANGE_OVERLAP_MS).toISOString();
    const batch = await ctx.services.app.web.changesSince(inbox.id, from, CHANGE_LIMIT);
    // ISO-8601 instants of one format order as text: the newest change seen, never past now.
    const latest = [since, ...batch.items.map((c) => c.updatedAt)].sort().at(-1) ?? since;
    return ok({
      items: batch.items,
      cursor: [latest, now.toISOString()].sort()[0] ?? latest,
      truncated: batch.truncated,
    });
  },
} satisfies Record<string, Operation>;
