import { useEffect, useRef, useState } from "preact/hooks";
import type { ConversationOut, Me } from "#shared/http/web-schemas";
import { navigate, type Route } from "./route";

const BASE_TITLE = "Inbox";

/**
 * What an agent must not miss while the tab is in the background (docs/routing.md §9): a conversation
 * newly assigned to them raises a desktop notification (when they allowed them) and counts, with the
 * customers' new messages on their conversations, in the tab's title until they open it.
 */
export function useAttention(me: Me, route: Extract<Route, { kind: "inbox" }>) {
  const known = useRef(new Map<string, { assigneeId: string | null; updatedAt: string }>());
  const since = useRef(new Date().toISOString());
  const [unread, setUnread] = useState<Set<string>>(new Set());
  const open = route.conversationId;

  useEffect(() => {
    if (!open) return;
    setUnread((u) => (u.has(open) ? new Set([...u].filter((id) => id !== open)) : u));
  }, [open]);
  useEffect(() => {
    document.title = unread.size > 0 ? `(${unread.size}) ${BASE_TITLE}` : BASE_TITLE;
  }, [unread]);

  // Back in the tab with a conversation open: the agent sees it, so it no longer counts.
  useEffect(() => {
    if (!open) return;
    const back = () => {
      if (!isAway()) setUnread((u) => (u.has(open) ? new Set([...u].filter((id) => id !== open)) : u));
    };
    addEventListener("focus", back);
    document.addEventListener("visibilitychange", back);
    return () => {
      removeEventListener("focus", back);
      document.removeEventListener("visibilitychange", back);
    };
  }, [open]);

  /** Rows the screen shows, from the agent's own actions or a read they watched: not news. */
  const seen = (items: ConversationOut[]) => {
    for (const c of items) known.current.set(c.id, { assigneeId: c.assigneeId, updatedAt: c.updatedAt });
  };

  /**
   * Rows a list read brought. While the agent looks, not news; a read that answered while the tab is
   * in the background (a view reloaded, a read slower than the agent leaving) can bring a conversation
   * assigned meanwhile: that is news, as if the live feed had brought it.
   */
  const listed = (items: ConversationOut[]) => (isAway() ? changed(items) : seen(items));

  const changed = (items: ConversationOut[]) => {
    const away = isAway();
    for (const c of items) {
      const before = known.current.get(c.id);
      known.current.set(c.id, { assigneeId: c.assigneeId, updatedAt: c.updatedAt });
      if (c.assigneeId !== me.user.id || c.status !== "open") continue;
      // Assigned to me now and not before (or new since the tab opened, so it was not mine before).
      const newlyMine = before ? before.assigneeId !== me.user.id : c.createdAt >= since.current;
      const wrote = before !== undefined && before.updatedAt < c.updatedAt;
      if (!newlyMine && !(wrote && away)) continue;
      if (c.id !== open || away) setUnread((u) => new Set([...u, c.id]));
      // The open conversation in a tab in use: the agent sees it (and most likely took it themselves).
      if (newlyMine && (away || c.id !== open)) notify(c, route);
    }
  };
  return { unread: unread.size, seen, listed, changed };
}

const isAway = () => document.visibilityState !== "visible" || !document.hasFocus();

function notify(c: ConversationOut, route: Extract<Route, { kind: "inbox" }>) {
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  const n = new Notification("New conversation assigned to you", {
    body: c.subject ?? c.preview ?? "",
    tag: `conversation-${c.id}`,
  });
  n.onclick = () => {
    window.focus();
    navigate({ ...route, conversationId: c.id });
    n.close();
  };
}

/** Asks for desktop notifications on a click, never on load; gone once the agent answered. */
export function useNotificationPermission() {
  const supported = typeof Notification !== "undefined";
  const [permission, setPermission] = useState(supported ? Notification.permission : "denied");
  const ask = async () => {
    if (supported) setPermission(await Notification.requestPermission());
  };
  return { ask: permission === "default" ? ask : null };
}
