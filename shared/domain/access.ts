import type { Inbox, Seat, User } from "./types";

/** A paid seat is `sales` or `service` (docs/routing.md §1). */
export function hasPaidSeat(user: Pick<User, "seat">): boolean {
  return isPaidSeat(user.seat);
}

export function isPaidSeat(seat: Seat): boolean {
  return seat === "sales" || seat === "service";
}

/**
 * docs/routing.md §2: admins have access to every inbox; anyone else when access is everyone, or the user
 * is listed, or the user's primary or an additional team is listed.
 */
export function hasAccess(user: User, inbox: Inbox): boolean {
  if (user.role === "admin") return true;
  const access = inbox.access;
  if (access.type === "everyone") return true;
  if (access.userIds.includes(user.id)) return true;
  const teams = [user.primaryTeamId, ...user.additionalTeamIds].filter((t): t is string => t !== null);
  return teams.some((t) => access.teamIds.includes(t));
}

/**
 * docs/routing.md §2: assignable = access is everyone, or listed in person, or a *primary* member of a
 * listed team. Members through an additional team only, and admins who are not listed, may read (and take
 * an unassigned conversation themselves, §3.3-3.4) but are never routed to nor reassigned to.
 */
export function isAssignable(user: User, inbox: Inbox): boolean {
  const access = inbox.access;
  if (access.type === "everyone") return true;
  if (access.userIds.includes(user.id)) return true;
  return user.primaryTeamId !== null && access.teamIds.includes(user.primaryTeamId);
}

/**
 * docs/routing.md §2: a team can receive conversations in an inbox only if its primary members are
 * assignable there, i.e. access is everyone or the team is listed. Other teams are not offered.
 */
export function isRoutableTeam(teamId: string, inbox: Pick<Inbox, "access">): boolean {
  return inbox.access.type === "everyone" || inbox.access.teamIds.includes(teamId);
}
