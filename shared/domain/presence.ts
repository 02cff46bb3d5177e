import type { ConversationService } from "./conversations";
import { NotFoundError } from "./errors";
import type { DirectoryStore } from "./ports/directory";
import type { Clock } from "./ports/time";
import type { Availability, User } from "./types";
import type { WaitingLine } from "./waiting-line";

/** A user's own state: inbox activity (docs/routing.md §5.3.3, §5.2) and the availability toggle. */
export class PresenceService {
  constructor(
    private readonly deps: {
      store: Pick<DirectoryStore, "updatePresence">;
      clock: Clock;
      waiting: WaitingLine;
      conversations: ConversationService;
    },
  ) {}

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

  /**
   * The availability toggle, and what it means for the waiting line (docs/routing.md §5.5): turning
   * available takes waiting conversations; turning away returns open ones to the line where the channel
   * asks for it (`returnWhenAway`).
   */
  async setAvailability(userId: string, availability: Availability): Promise<User> {
    const { store, waiting, conversations } = this.deps;
    const user = await store.updatePresence(userId, { availability });
    await waiting.availabilityChanged(user, (u) => conversations.returnToLine(u));
    return user;
  }
}
