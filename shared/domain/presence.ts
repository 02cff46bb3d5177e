import { NotFoundError } from "./errors";
import type { AdminStore, Clock } from "./ports";
import type { Availability, User } from "./types";

/** A user's own state: inbox activity (docs/routing.md §5.3.3, §5.2) and the availability toggle. */
export class PresenceService {
  constructor(private readonly deps: { store: AdminStore; clock: Clock }) {}

  /**
   * Every authenticated request is inbox activity (docs/api.md). One write to the user's item, which
   * answers the user as updated, so the caller costs no extra read. Null when the caller is not a user
   * of this account (an admin's bootstrap token).
   */
  async recordActivity(userId: string): Promise<User | null> {
    try {
      return await this.deps.store.updatePresence(userId, { activityAt: this.deps.clock.now().toISOString() });
    } catch (err) {
      if (err instanceof NotFoundError) return null;
      throw err;
    }
  }

  setAvailability(userId: string, availability: Availability): Promise<User> {
    return this.deps.store.updatePresence(userId, { availability });
  }
}
