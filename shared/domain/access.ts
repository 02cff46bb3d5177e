import type { Inbox, Seat, User } from "./types";

/** A paid seat is `sales` or `service` (SPEC 1). */
export function hasPaidSeat(user: Pick<User, "seat">): boolean {
  return isPaidSeat(user.seat);
}

export function isPaidSeat(seat: Seat): boolean {
  return seat === "sales" || seat === "service";
}

/**
 * SPEC 2: access is everyone, or the user is listed, or the user's primary or an additional team is listed;
 * an admin has access to every inbox.
 */
export function hasAccess(user: User, inbox: Inbox): boolean {
  // docs/routing.md §2: admins read every inbox (they are still only assignable where isAssignable says).
  if (user.role === "admin") return true;
  const access = inbox.access;
  if (access.type === "everyone") return true;
  if (access.userIds.includes(user.id)) return true;
  const teams = [user.primaryTeamId, ...user.additionalTeamIds].filter((t): t is string => t !== null);
  return teams.some((t) => access.teamIds.includes(t));
}

/**
 * SPEC 2: assignable = has access and, when access is restricted, listed in person or a *primary* member
 * of a listed team. Members through an additional team only may read but not be assigned.
 */
export function isAssignable(user: User, inbox: Inbox): boolean {
  const access = inbox.access;
  if (access.type === "everyone") return true;
  if (access.userIds.includes(user.id)) return true;
  return user.primaryTeamId !== null && access.teamIds.includes(user.primaryTeamId);
}
