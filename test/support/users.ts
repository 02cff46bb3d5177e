import type { UserProfile } from "#shared/domain/ports/directory";
import type { User } from "#shared/domain/types";

/** A user's profile as an admin writes it: a paid seat, no team, no capacity; `over` changes the rest. */
export function profile(id: string, over: Partial<UserProfile> = {}): UserProfile {
  return {
    id,
    name: id.charAt(0).toUpperCase() + id.slice(1),
    email: `${id}@example.com`,
    seat: "service",
    role: "agent",
    primaryTeamId: null,
    additionalTeamIds: [],
    capacity: null,
    ...over,
  };
}

/** A user as the domain sees it: `profile`, available, no load, named by its id; `over` changes the rest. */
export function aUser(id: string, over: Partial<User> = {}): User {
  return {
    ...profile(id),
    name: id,
    availability: "available",
    lastInboxActivityAt: null,
    lastAssignedAt: null,
    openCount: 0,
    ...over,
  };
}
