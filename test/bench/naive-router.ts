import { randomUUID } from "node:crypto";
import { decide } from "#shared/domain/decide";
import { loadPool } from "#shared/domain/pool";
import type { RandomSource } from "#shared/domain/ports/time";
import type { RouterStore } from "#shared/domain/router";
import type { Conversation } from "#shared/domain/types";

/**
 * The baseline (docs/design.md, "Bursts"): read loads, pick, one conditional write, and on failure start
 * over at once. Same store, same pool reads and same commit as ours, so only the contention strategy
 * differs.
 */
export async function naiveRoute(
  store: RouterStore,
  channelId: string,
  text: string,
  random: RandomSource,
): Promise<Conversation> {
  for (;;) {
    const channel = await store.getChannel(channelId);
    if (!channel) throw new Error(`no channel ${channelId}`);
    const { users, inbox } = await loadPool(store, channel, []);
    const now = new Date();
    const decision = decide({ channel, contact: null }, { users, inbox, now }, random);
    const id = randomUUID();
    const conversation: Conversation = {
      id,
      inboxId: inbox.id,
      channelId,
      channelType: channel.type,
      status: "open",
      assigneeId: decision.userId,
      teamId: null,
      contactId: null,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      routing: decision.record,
    };
    const outcome = await store.commitNewConversations(
      [
        {
          item: {
            conversation,
            message: {
              id: randomUUID(),
              conversationId: id,
              author: { kind: "customer" },
              text,
              createdAt: now.toISOString(),
            },
            dedupeKey: `conv:${id}`,
          },
          decision,
        },
      ],
      now,
    );
    if (outcome.type === "committed") return conversation;
  }
}
