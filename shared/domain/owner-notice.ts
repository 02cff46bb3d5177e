import { errorText } from "./errors";
import type { OwnerNotifier } from "./ports/outbound-email";
import type { Clock } from "./ports/time";
import type { TransitionStore } from "./ports/transitions";
import type { Conversation, User } from "./types";

export interface OwnerNoticeDeps {
  notifier?: OwnerNotifier | undefined;
  store: Pick<TransitionStore, "addNote">;
  clock: Clock;
}

/**
 * Email an owner who was offline when a conversation was assigned to them (docs/routing.md §5.2). Best
 * effort: the assignment stands either way. When the email cannot be sent, a system note in the thread
 * says so and why, so the team sees that the owner was not told (the notifier adapter also logs and
 * counts the failure).
 */
export async function emailOfflineOwner(
  deps: OwnerNoticeDeps,
  input: { owner: User; conversation: Conversation; customerMessage: string },
): Promise<void> {
  if (!deps.notifier) return;
  try {
    await deps.notifier.notifyOfflineOwner(input);
  } catch (err) {
    const createdAt = deps.clock.now().toISOString();
    await deps.store
      .addNote({
        // The inbox recognises this note by its id's prefix (web/src/inbox/conversation.tsx).
        id: `owner-email-${Date.parse(createdAt)}`,
        conversationId: input.conversation.id,
        author: { kind: "system" },
        text: `The email telling ${input.owner.name} (offline) about this conversation was not sent: ${errorText(err)}`,
        createdAt,
      })
      .catch(() => undefined); // best effort too: the adapter's log line still names the conversation
  }
}
