import { useEffect, useState } from "preact/hooks";
import type { ConversationOut, Counts, InboxOut, Me } from "#shared/http/web-schemas";
import type { Client } from "../api/client";
import type { Route } from "./route";

export type InboxRoute = Extract<Route, { kind: "inbox" }>;

function belongs(c: ConversationOut, route: InboxRoute, me: Me): boolean {
  if (c.status !== route.status) return false;
  // Mail by machines is listed in All only (docs/routing.md §6.2), as the server's views list it.
  if (c.automatic && route.view !== "all") return false;
  if (route.view === "unassigned") return c.assigneeId === null;
  if (route.view === "mine") return c.assigneeId === me.user.id;
  return true;
}

/** Oldest first, like the views (docs/routing.md §3.2). */
const byAge = (a: ConversationOut, b: ConversationOut) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;

/**
 * The open view's rows and every inbox's counts: read when the view opens, paged with "Load more",
 * and kept current by the changes the live feed brings (`applyChanges`).
 */
/** `onListed`: the rows each read of the list brought (the first page, or one more), as they come. */
export function useConversationList(
  client: Client,
  me: Me,
  inboxes: InboxOut[],
  route: InboxRoute,
  onListed: (items: ConversationOut[]) => void = () => {},
) {
  const [counts, setCounts] = useState<Record<string, Counts>>({});
  const [items, setItems] = useState<ConversationOut[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const { inboxId, view, status } = route;

  const loadCounts = (id: string) =>
    client
      .counts(id, status)
      .then((c) => setCounts((all) => ({ ...all, [id]: c })))
      .catch(() => undefined);
  const loadList = () => {
    setError(null);
    client
      .conversations(inboxId, view, status)
      .then((page) => {
        onListed(page.items);
        setItems(page.items);
        setNextCursor(page.nextCursor);
      })
      .catch(setError);
  };

  useEffect(() => {
    for (const i of inboxes) void loadCounts(i.id);
  }, [status]);
  useEffect(() => {
    setItems(null);
    loadList();
    // The counts beside the views say what the list on screen says: read them with it. (The live feed
    // starts from now, so what changed before this view opened reaches the counts only this way.)
    void loadCounts(inboxId);
  }, [inboxId, view, status]);

  const applyChanges = (changed: ConversationOut[]) => {
    setItems((list) => {
      if (!list) return list;
      const byId = new Map(list.map((c) => [c.id, c]));
      const last = list[list.length - 1];
      for (const c of changed) {
        const known = byId.get(c.id);
        if (known && known.updatedAt > c.updatedAt) continue;
        byId.delete(c.id);
        // Past the loaded page, a conversation arrives with "Load more", in its place.
        const pastPage = nextCursor !== null && last !== undefined && c.createdAt > last.createdAt;
        if (belongs(c, route, me) && !pastPage) byId.set(c.id, c);
      }
      return [...byId.values()].sort(byAge);
    });
    void loadCounts(inboxId);
  };
  const loadMore = () => {
    if (!nextCursor) return;
    client
      .conversations(inboxId, view, status, nextCursor)
      .then((p) => {
        onListed(p.items);
        setItems((list) => [...(list ?? []), ...p.items.filter((c) => !list?.some((x) => x.id === c.id))]);
        setNextCursor(p.nextCursor);
      })
      .catch(setError);
  };
  return { counts, items, nextCursor, error, loadCounts, loadList, loadMore, applyChanges };
}
