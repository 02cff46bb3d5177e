import { isLiveChannel } from "./channels";
import type { Attempt, Change, ChangeResult } from "./conversation-change";
import type { ArrivalStore } from "./ports/arrival";
import type { ConversationReads } from "./ports/reads";
import type { Clock } from "./ports/time";
import type { WaitingLineStore } from "./ports/waiting-line";
import type { Channel, User } from "./types";
import type { WaitingLine } from "./waiting-line";
import { returnedWhy } from "./wording";

interface ReturnDeps {
  store: Pick<WaitingLineStore, "channelsFor"> &
    Pick<ArrivalStore, "getChannel"> &
    Pick<ConversationReads, "listConversations">;
  clock: Clock;
  waiting?: WaitingLine | undefined;
}

/**
 * docs/routing.md §5.5, "return to the line when the owner goes away": on channels that ask for it,
 * the open conversations of a user who turned away are unassigned, join the line, and go to whoever
 * is eligible. Reads the user's channels (two small Queries) and their Mine view page by page.
 */
export async function returnToLine(
  deps: ReturnDeps,
  user: User,
  change: (conversationId: string, build: (a: Attempt) => Change) => Promise<ChangeResult>,
): Promise<number> {
  const { store, clock, waiting } = deps;
  const ids = await store.channelsFor(user.id, user.primaryTeamId);
  const channels = (await Promise.all(ids.map((id) => store.getChannel(id)))).filter(
    // Contact-owner channels route to the owner even while away (docs/routing.md §5.2): handing theirs
    // back to the line would only give it back to them. The option applies to the other rules.
    // Only chat and bot channels take the option (docs/routing.md §5.5): email and form routing ignores
    // availability, so a returned conversation could go straight back to the user who left.
    (c): c is Channel =>
      c?.routing.returnWhenAway === true && c.routing.target.type !== "contact_owner" && isLiveChannel(c.type),
  );
  let returned = 0;
  for (const channel of channels) {
    let cursor: string | undefined;
    do {
      const page = await store.listConversations({
        inboxId: channel.inboxId,
        view: "mine",
        status: "open",
        userId: user.id,
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      for (const c of page.items.filter((x) => x.channelId === channel.id)) {
        const { outcome } = await change(c.id, ({ conv }) => {
          if (conv.assigneeId !== user.id || conv.status !== "open") return null;
          const now = clock.now().toISOString();
          const why = returnedWhy(user.id);
          const record = conv.routing
            ? { ...conv.routing, outcome: { type: "unassigned" as const, why }, returnedFrom: user.id }
            : undefined;
          return { after: { ...conv, assigneeId: null, waitingSince: now, ...(record ? { routing: record } : {}) } };
        });
        if (outcome === "changed") returned++;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    if (waiting) await waiting.serveLine(channel, { kind: "away", userId: user.id });
  }
  return returned;
}
