import { isLiveChannel } from "../domain/channels";
import { type Operation, ok, param } from "./context";
import type { OperationName } from "./route-table";
import * as s from "./schemas";
import { channelIdentitySecret, formSigningSecret } from "./signature";

/** Admin routes (a token with the `admins` group): account configuration (docs/api.md, Admin routes). */
export const ADMIN_OPERATIONS = {
  async putUser(ctx) {
    const body = s.parse(s.userBody, ctx.body);
    return ok(await ctx.services.commands.admin.putUser({ id: param(ctx, "userId"), ...body }));
  },
  async listUsers(ctx) {
    return ok(await ctx.services.queries.listUsers(s.parse(s.usersQuery, ctx.query, "query")));
  },
  async getUser(ctx) {
    return ok(await ctx.services.queries.getUser(param(ctx, "userId")));
  },
  async putTeam(ctx) {
    const team = { id: param(ctx, "teamId"), ...s.parse(s.teamBody, ctx.body) };
    await ctx.services.commands.admin.putTeam(team);
    return ok(team);
  },
  async putInbox(ctx) {
    const inbox = { id: param(ctx, "inboxId"), ...s.parse(s.inboxBody, ctx.body) };
    await ctx.services.commands.admin.putInbox(inbox);
    return ok(inbox);
  },
  async putChannel(ctx) {
    const channel = { id: param(ctx, "channelId"), ...s.parse(s.channelBody, ctx.body) };
    const { created } = await ctx.services.commands.admin.putChannel(channel);
    // A form channel's signing secret, a chat or bot channel's identity secret: handed out once, at creation.
    const key = ctx.services.config.formSigningKey;
    const secret = !created
      ? {}
      : channel.type === "form"
        ? { signingSecret: formSigningSecret(key, channel.id) }
        : isLiveChannel(channel.type)
          ? { identitySecret: channelIdentitySecret(key, channel.id) }
          : {};
    return ok({ ...channel, ...secret }, created ? 201 : 200);
  },
  async putRule(ctx) {
    const rule = s.parse(s.rule, ctx.body);
    return ok(await ctx.services.commands.admin.putRule(param(ctx, "channelId"), rule));
  },
  async previewRule(ctx) {
    const body = s.parse(s.previewBody, ctx.body);
    return ok(await ctx.services.queries.previewRule(param(ctx, "channelId"), body));
  },
  async channelStats(ctx) {
    return ok(await ctx.services.queries.channelStats(param(ctx, "channelId")));
  },
  async putContact(ctx) {
    const contact = { id: param(ctx, "contactId"), ...s.parse(s.contactBody, ctx.body) };
    await ctx.services.commands.admin.putContact(contact);
    return ok(contact);
  },
} satisfies Partial<Record<OperationName, Operation>>;
