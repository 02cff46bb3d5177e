import type { Conversation, QueueEntry } from "./types";

/** The entry that puts a new conversation in its channel's routing queue; position orders oldest first. */
export function queueEntryOf(c: Conversation, now: Date): QueueEntry {
  const queuedAt = now.toISOString();
  return { channelId: c.channelId, conversationId: c.id, inboxId: c.inboxId, createdAt: c.createdAt, queuedAt, position: `${queuedAt}#${c.id}` };
}

/** Only least busy needs the queue: every router would chase the same "least" user. Random and owner do not. */
export function routesLeastBusy(channel: { type: string; routing: { autoAssign: boolean; target: { type: string } } }): boolean {
  return channel.routing.autoAssign && channel.routing.target.type === "users_and_teams" && (channel.type === "chat" || channel.type === "bot");
}
