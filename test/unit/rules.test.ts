import { describe, expect, it } from "vitest";
import { ValidationError } from "#shared/domain/errors";
import { type RuleContext, validateRule } from "#shared/domain/rules";
import type { RoutingRule } from "#shared/domain/types";
import { aUser } from "../support/users";

const user = aUser;
const ctx = (over: Partial<RuleContext> = {}): RuleContext => ({
  channelType: "chat",
  inbox: { id: "inbox", name: "i", access: { type: "restricted", teamIds: ["t"], userIds: ["listed"] } },
  users: new Map(
    [
      user("ok", { primaryTeamId: "t" }),
      user("listed"),
      user("noseat", { seat: "none", primaryTeamId: "t" }),
      user("additional", { additionalTeamIds: ["t"] }),
      user("outsider"),
    ].map((u) => [u.id, u]),
  ),
  teams: new Map([["t", { id: "t", name: "T" }]]),
  ...over,
});
const details = (rule: RoutingRule, c = ctx()) => {
  try {
    validateRule(rule, c);
    return [];
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).details;
  }
};
const ut = (userIds: string[], teamIds: string[] = [], autoAssign = true): RoutingRule => ({
  autoAssign,
  target: { type: "users_and_teams", userIds, teamIds },
});

describe("routing.md §4: saving a routing rule", () => {
  it("accepts listed users who are assignable with a paid seat, and existing teams", () => {
    expect(details(ut(["ok", "listed"], ["t"]))).toEqual([]);
  });
  it("names each offending id and why, all at once", () => {
    expect(details(ut(["ghost", "noseat", "additional", "outsider"], ["nope"]))).toEqual([
      { field: "target.userIds[0]", reason: "user ghost does not exist" },
      { field: "target.userIds[1]", reason: "user noseat has no paid seat" },
      { field: "target.userIds[2]", reason: "user additional is not assignable in inbox inbox" },
      { field: "target.userIds[3]", reason: "user outsider is not assignable in inbox inbox" },
      { field: "target.teamIds[0]", reason: "team nope does not exist" },
    ]);
  });
  it("refuses auto-assign with an empty target, but allows it when auto-assign is off", () => {
    expect(details(ut([], []))).toEqual([
      { field: "target", reason: "autoAssign is on but the target lists no user and no team" },
    ]);
    expect(details(ut([], [], false))).toEqual([]);
  });
  it("refuses a fallback user on a channel that is not chat", () => {
    for (const channelType of ["bot", "email", "form"] as const) {
      expect(
        details({ autoAssign: true, target: { type: "contact_owner", fallbackUserId: "ok" } }, ctx({ channelType })),
      ).toEqual([
        {
          field: "target.fallbackUserId",
          reason: `a fallback user is only allowed on chat channels, not ${channelType}`,
        },
      ]);
    }
  });
  it("checks the fallback user like a listed one", () => {
    expect(details({ autoAssign: true, target: { type: "contact_owner", fallbackUserId: "noseat" } })).toEqual([
      { field: "target.fallbackUserId", reason: "user noseat has no paid seat" },
    ]);
    expect(details({ autoAssign: true, target: { type: "contact_owner", fallbackUserId: "ok" } })).toEqual([]);
    expect(details({ autoAssign: true, target: { type: "contact_owner" } })).toEqual([]);
  });
});
