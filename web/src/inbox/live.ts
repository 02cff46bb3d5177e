import { useEffect, useRef } from "preact/hooks";
import type { ConversationOut } from "#shared/http/web-schemas";
import type { Client } from "../api/client";

/** How often the open inbox asks for changes: well inside the 5 s in which changes must show. */
export const POLL_MS = 2_000;
/** At most one heartbeat a minute, and only after real use (a key, a click, a scroll) in a visible tab. */
export const HEARTBEAT_MS = 60_000;
const USE_WINDOW_MS = 60_000;

/**
 * "Active in the last two minutes" (docs/routing.md §5.3) must mean a person used the inbox: the tab
 * sends a heartbeat only when it is visible and was used since the last one. Polling does not count.
 */
export function useHeartbeat(client: Client): void {
  useEffect(() => {
    let lastUse = Date.now();
    let lastBeat = 0;
    const used = () => {
      lastUse = Date.now();
      beat();
    };
    const beat = () => {
      const now = Date.now();
      if (document.visibilityState !== "visible" || now - lastUse > USE_WINDOW_MS || now - lastBeat < HEARTBEAT_MS)
        return;
      lastBeat = now;
      client.heartbeat().catch(() => undefined);
    };
    const events = ["keydown", "pointerdown", "wheel", "focus"] as const;
    for (const e of events) addEventListener(e, used, { passive: true });
    const timer = setInterval(beat, 15_000);
    return () => {
      for (const e of events) removeEventListener(e, used);
      clearInterval(timer);
    };
  }, [client]);
}

/**
 * The inbox's live feed: a cursor first, then every POLL_MS the conversations changed since it (the
 * server re-reads a short overlap; `onChanges` gets each conversation's latest state, idempotently).
 * Paused while the tab is hidden; a truncated batch asks the screen to reload its view instead.
 */
export function useChangeFeed(
  client: Client,
  inboxId: string,
  handlers: { onStart: () => void; onChanges: (items: ConversationOut[]) => void; onTruncated: () => void },
): void {
  const h = useRef(handlers);
  h.current = handlers;
  useEffect(() => {
    let since: string | undefined;
    let stopped = false;
    let running = false;
    const tick = async () => {
      if (stopped || running || document.visibilityState !== "visible") return;
      running = true;
      try {
        const first = since === undefined;
        const r = await client.changes(inboxId, since);
        if (stopped) return;
        since = r.cursor;
        if (first) h.current.onStart();
        else if (r.truncated) h.current.onTruncated();
        else if (r.items.length > 0) h.current.onChanges(r.items);
      } catch {
        // The next tick tries again; a 401 already sent the app back to sign-in.
      } finally {
        running = false;
      }
    };
    void tick();
    const timer = setInterval(tick, POLL_MS);
    document.addEventListener("visibilitychange", tick);
    return () => {
      stopped = true;
      clearInterval(timer);
      document.removeEventListener("visibilitychange", tick);
    };
  }, [client, inboxId]);
}
