import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { AgentFrame } from "#shared/http/live-schemas";
import type { ConversationOut, MessageOut } from "#shared/http/web-schemas";
import type { Client } from "../api/client";
import { LiveSocket, type LiveStatus } from "../live-socket";

/** How often the inbox asks for changes while its socket is down: well inside 5 s. */
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

/** The one socket of a signed-in tab, its status, and who listens to its frames. */
export interface Live {
  socket: LiveSocket;
  status: LiveStatus;
  listen: (fn: (f: AgentFrame) => void) => () => void;
}

/** Opens the tab's live socket for as long as the client is signed in (docs/api.md, Live updates). */
export function useLive(client: Client): Live {
  const [status, setStatus] = useState<LiveStatus>("connecting");
  const listeners = useRef(new Set<(f: AgentFrame) => void>());
  const socket = useMemo(
    () =>
      new LiveSocket({
        ticket: () => client.liveTicket(),
        onFrame: (f) => {
          for (const fn of listeners.current) fn(f as AgentFrame);
        },
        onStatus: setStatus,
      }),
    [client],
  );
  useEffect(() => () => socket.close(), [socket]);
  const listen = (fn: (f: AgentFrame) => void) => {
    listeners.current.add(fn);
    return () => listeners.current.delete(fn);
  };
  return { socket, status, listen };
}

/**
 * The inbox's live feed: the socket's `inbox:<id>` topic, each change as it happens (a hidden tab keeps
 * receiving). While the socket is down, the changes feed is polled every POLL_MS from the same cursor
 * (paused in a hidden tab, then every 15 s), and the socket resumes from where polling got to. Too much
 * missed (a truncated poll, a `reload` frame) asks the screen to reload its view instead.
 */
export function useChangeFeed(
  client: Client,
  live: Live,
  inboxId: string,
  handlers: { onChanges: (items: ConversationOut[]) => void; onTruncated: () => void },
): void {
  const h = useRef(handlers);
  h.current = handlers;
  const topic = `inbox:${inboxId}`;
  useEffect(() => {
    // From when the view started loading (the server re-reads 5 s before a cursor): a change made while
    // the list was read and the socket opened still arrives.
    live.socket.subscribe(topic, new Date().toISOString());
    const off = live.listen((f) => {
      if (!("topic" in f) || f.topic !== topic) return;
      if (f.type === "conversation") h.current.onChanges([f.conversation as ConversationOut]);
      else if (f.type === "reload") h.current.onTruncated();
    });
    return () => {
      off();
      live.socket.unsubscribe(topic);
    };
  }, [live.socket, topic]);

  const polling = live.status === "reconnecting" || live.status === "off";
  useEffect(() => {
    if (!polling) return;
    let stopped = false;
    let running = false;
    let lastHidden = 0;
    const tick = async () => {
      const hidden = document.visibilityState !== "visible";
      if (stopped || running || (hidden && Date.now() - lastHidden < 15_000)) return;
      if (hidden) lastHidden = Date.now();
      running = true;
      try {
        const r = await client.changes(inboxId, live.socket.cursor(topic));
        if (stopped) return;
        live.socket.advance(topic, r.cursor);
        if (r.truncated) h.current.onTruncated();
        else if (r.items.length > 0) h.current.onChanges(r.items);
      } catch {
        // The next tick tries again; a 401 already sent the app back to sign-in.
      } finally {
        running = false;
      }
    };
    void tick();
    const timer = setInterval(tick, POLL_MS);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [client, inboxId, polling]);
}

/** The open conversation's messages as they are written (`conversation:<id>`), and a reload when told. */
export function useMessageFeed(
  live: Live,
  conversationId: string,
  handlers: { onMessage: (m: MessageOut) => void; onReload: () => void },
): void {
  const h = useRef(handlers);
  h.current = handlers;
  const topic = `conversation:${conversationId}`;
  useEffect(() => {
    live.socket.subscribe(topic, new Date().toISOString());
    const off = live.listen((f) => {
      if (!("topic" in f) || f.topic !== topic) return;
      if (f.type === "message") h.current.onMessage(f.message as MessageOut);
      else if (f.type === "reload") h.current.onReload();
    });
    return () => {
      off();
      live.socket.unsubscribe(topic);
    };
  }, [live.socket, topic]);
}
