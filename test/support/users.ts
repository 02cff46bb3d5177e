import type { User } from "#shared/domain/types";

/** A user as the domain sees it: a paid seat, available, no load, no capacity; `over` changes the rest. */
export function aUser(id: string, over: Partial<User> = {}): User {
  return {
    id,
    name: id,
    email: `${id}@example.com`,
    seat: "service",
    role: "agent",
    primaryTeamId: null,
    additionalTeamIds: [],
    capacity: null,
    availability: "available",
    lastInboxActivityAt: null,
    lastAssignedAt: null,
    openCount: 0,
    ...over,
  };
}
