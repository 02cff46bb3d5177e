import { describe, expect, it } from "vitest";
import { hasAccess, isAssignable, isRoutableTeam } from "#shared/domain/access";
import type { Inbox, User } from "#shared/domain/types";
import { aUser } from "../support/users";

const user = (over: Partial<User>): User => aUser("u", { email: "", ...over });
const restricted: Inbox = { id: "i", name: "i", access: { type: "restricted", teamIds: ["t"], userIds: ["listed"] } };

describe("routing.md §2: inbox access", () => {
  it("a team can receive conversations only where its primary members are assignable", () => {
    expect(isRoutableTeam("t", restricted)).toBe(true);
    expect(isRoutableTeam("other", restricted)).toBe(false);
    expect(isRoutableTeam("other", { access: { type: "everyone" } })).toBe(true);
    // The rule isRoutableTeam stands for: a primary member of a listed team is assignable, others not.
    expect(isAssignable(user({ primaryTeamId: "t" }), restricted)).toBe(isRoutableTeam("t", restricted));
    expect(isAssignable(user({ primaryTeamId: "other" }), restricted)).toBe(isRoutableTeam("other", restricted));
  });
  it("everyone: every user has access and is assignable", () => {
    const everyone: Inbox = { id: "i", name: "i", access: { type: "everyone" } };
    expect(hasAccess(user({}), everyone)).toBe(true);
    expect(isAssignable(user({}), everyone)).toBe(true);
  });
  it("a listed user has access and is assignable", () => {
    expect(hasAccess(user({ id: "listed" }), restricted)).toBe(true);
    expect(isAssignable(user({ id: "listed" }), restricted)).toBe(true);
  });
  it("a primary member of a listed team has access and is assignable", () => {
    expect(hasAccess(user({ primaryTeamId: "t" }), restricted)).toBe(true);
    expect(isAssignable(user({ primaryTeamId: "t" }), restricted)).toBe(true);
  });
  it("a member through an additional team only has access but is not assignable", () => {
    expect(hasAccess(user({ additionalTeamIds: ["t"] }), restricted)).toBe(true);
    expect(isAssignable(user({ additionalTeamIds: ["t"] }), restricted)).toBe(false);
  });
  it("anyone else has no access", () => {
    expect(hasAccess(user({ primaryTeamId: "other" }), restricted)).toBe(false);
    expect(isAssignable(user({ primaryTeamId: "other" }), restricted)).toBe(false);
  });
  it("an admin has access to every inbox but is assignable only where the rules above say so", () => {
    expect(hasAccess(user({ role: "admin" }), restricted)).toBe(true);
    expect(isAssignable(user({ role: "admin" }), restricted)).toBe(false);
    expect(isAssignable(user({ role: "admin", id: "listed" }), restricted)).toBe(true);
  });
});

describe("admins (docs/routing.md §2)", () => {
  it("an admin has access to every inbox but is assignable only where the rules say", () => {
    const admin = user({ id: "root", role: "admin" });
    const inbox: Inbox = { id: "vip", name: "VIP", access: { type: "restricted", teamIds: ["t"], userIds: [] } };
    expect(hasAccess(admin, inbox)).toBe(true);
    expect(isAssignable(admin, inbox)).toBe(false);
  });
});
