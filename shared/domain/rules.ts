import { hasPaidSeat, isAssignable } from "./access";
import { type ErrorDetail, ValidationError } from "./errors";
import type { ChannelType, Inbox, RoutingRule, Team, User } from "./types";

export interface RuleContext {
  channelType: ChannelType;
  inbox: Inbox;
  users: ReadonlyMap<string, User>;
  teams: ReadonlyMap<string, Team>;
}

/**
 * docs/routing.md §4: refuse a rule, naming each offending id and why. Returns nothing when the rule is valid.
 * Every problem is collected so the admin can fix them in one go.
 */
export function validateRule(rule: RoutingRule, ctx: RuleContext): void {
  const details: ErrorDetail[] = [];
  const checkUser = (id: string, field: string) => {
    const user = ctx.users.get(id);
    if (!user) details.push({ field, reason: `user ${id} does not exist` });
    else if (!hasPaidSeat(user)) details.push({ field, reason: `user ${id} has no paid seat` });
    else if (!isAssignable(user, ctx.inbox))
      details.push({ field, reason: `user ${id} is not assignable in inbox ${ctx.inbox.id}` });
  };

  const target = rule.target;
  if (target.type === "users_and_teams") {
    target.userIds.forEach((id, i) => checkUser(id, `target.userIds[${i}]`));
    target.teamIds.forEach((id, i) => {
      if (!ctx.teams.has(id)) details.push({ field: `target.teamIds[${i}]`, reason: `team ${id} does not exist` });
    });
    if (rule.autoAssign && target.userIds.length === 0 && target.teamIds.length === 0)
      details.push({ field: "target", reason: "autoAssign is on but the target lists no user and no team" });
  } else if (target.fallbackUserId !== undefined) {
    if (ctx.channelType !== "chat")
      details.push({
        field: "target.fallbackUserId",
        reason: `a fallback user is only allowed on chat channels, not ${ctx.channelType}`,
      });
    checkUser(target.fallbackUserId, "target.fallbackUserId");
  }
  // Email and form routing ignores availability (§5.1): a returned conversation could go straight back
  // to the user who just went away. Handing work back when someone leaves is a live-chat setting.
  if (rule.returnWhenAway && ctx.channelType !== "chat" && ctx.channelType !== "bot")
    details.push({
      field: "returnWhenAway",
      reason: `returnWhenAway applies to chat and bot channels, not ${ctx.channelType}`,
    });

  // Re-routing an unanswered chat is a live-chat setting too (docs/routing.md §5.6).
  if (rule.rerouteAfter && ctx.channelType !== "chat" && ctx.channelType !== "bot")
    details.push({
      field: "rerouteAfter",
      reason: `rerouteAfter applies to chat and bot channels, not ${ctx.channelType}`,
    });

  if (details.length > 0) throw new ValidationError("routing rule refused", details);
}
