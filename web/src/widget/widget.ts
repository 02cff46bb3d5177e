/**
 * The chat widget: one script tag on any site.
 *   <script src=".../widget.js" data-channel="CHANNEL_ID" data-api="API_URL"></script>
 * Optional: data-email + data-identity-hash (+ data-name) when the site's backend vouches for the
 * visitor (docs/routing.md §6.1); data-channel-type="bot" for a bot channel's "Talk to a person".
 * Everything lives in a shadow root with its own styles; nothing is loaded from anywhere else.
 */
import type {
  ChatStarted,
  ChatStatus,
  VisitorConversation,
  VisitorMessage,
  VisitorThread,
} from "#shared/http/web-schemas";
import { LiveSocket, type LiveSocket as Socket } from "../live-socket";
import { CSS } from "./styles";

/** While the live socket is down, the thread is polled this often. */
const POLL_MS = 2_000;
/** When a closed channel opens, in the visitor's own time zone and language: "Monday 09:00". */
const OPENS_FORMAT: Intl.DateTimeFormatOptions = { weekday: "long", hour: "2-digit", minute: "2-digit" };
/** A namespace name, never fetched. */
const SVG_NS = "http://www.w3.org/2000/svg";

interface Saved {
  conversationId: string | null;
  /** The bot's chat was handed to a person: "Talk to a person" is done. */
  handedOff?: boolean;
}

function b64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** 24 random bytes, base64url: the same form the server mints (a visitor token is a browser's id). */
function mintToken(): string {
  return b64url(crypto.getRandomValues(new Uint8Array(24)));
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

function start(script: HTMLScriptElement): void {
  const channelId = script.dataset.channel;
  if (!channelId) {
    console.error("chat widget: data-channel is required");
    return;
  }
  const api = (script.dataset.api ?? new URL(script.src).origin).replace(/\/$/, "");
  const tokenKey = "routing.visitorToken";
  const stateKey = `routing.chat.${channelId}`;
  let visitorToken = localStorage.getItem(tokenKey);
  if (!visitorToken || !/^[A-Za-z0-9_-]{22,128}$/.test(visitorToken)) {
    visitorToken = mintToken();
    localStorage.setItem(tokenKey, visitorToken);
  }
  const saved: Saved = JSON.parse(localStorage.getItem(stateKey) ?? "null") ?? { conversationId: null };
  const save = () => localStorage.setItem(stateKey, JSON.stringify(saved));
  let isBot = script.dataset.channelType === "bot";

  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json().catch(() => ({}))) as T & { error?: { message?: string } };
    if (!res.ok) throw Object.assign(new Error(json.error?.message ?? `HTTP ${res.status}`), { status: res.status });
    return json;
  };

  // ---- DOM, in a shadow root: the host page's styles never reach in, ours never leak out.
  const host = el("div", { id: "routing-chat-widget" });
  const root = host.attachShadow({ mode: "open" });
  if (
    "adoptedStyleSheets" in root &&
    typeof CSSStyleSheet !== "undefined" &&
    "replaceSync" in CSSStyleSheet.prototype
  ) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(el("style", {}, CSS));
  }
  const launcher = el("button", {
    type: "button",
    class: "launcher",
    "aria-label": "Chat with us",
    "aria-expanded": "false",
    "aria-controls": "panel",
  });
  // Built node by node: sites that enforce Trusted Types refuse innerHTML.
  const svg = document.createElementNS(SVG_NS, "svg");
  for (const [k, v] of Object.entries({ viewBox: "0 0 24 24", width: "26", height: "26", "aria-hidden": "true" }))
    svg.setAttribute(k, v);
  const bubble = document.createElementNS(SVG_NS, "path");
  bubble.setAttribute("fill", "currentColor");
  bubble.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H8l-4 4V6a2 2 0 0 1 2-2z");
  svg.append(bubble);
  launcher.append(svg);
  const panel = el("section", { class: "panel", id: "panel", role: "dialog", "aria-label": "Chat", hidden: "" });
  const head = el("header");
  head.append(el("h2", {}, "Chat with us"));
  const closeBtn = el("button", { type: "button", class: "close", "aria-label": "Close chat" }, "×");
  head.append(closeBtn);
  const status = el(
    "p",
    { class: "status", role: "status", "aria-live": "polite" },
    "Ask us anything. A person will answer.",
  );
  // A log region around the list: role="log" on the <ol> itself would take its list semantics away.
  const scroller = el("div", { class: "log", role: "log", "aria-label": "Messages" });
  const log = el("ol", { class: "messages" });
  scroller.append(log);
  const handoff = el("button", { type: "button", class: "handoff", hidden: "" }, "Talk to a person");
  const form = el("form", { class: "compose" });
  const input = el("textarea", { rows: "2", "aria-label": "Message", placeholder: "Write a message…" });
  const send = el("button", { type: "submit", class: "send" }, "Send");
  const error = el("p", { class: "error", role: "alert", hidden: "" });
  // Said only while the socket is down and the thread is being polled.
  const liveNote = el("p", { class: "live-note", hidden: "" }, "Reconnecting…");
  form.append(input, send);
  panel.append(head, status, liveNote, scroller, handoff, error, form);
  root.append(panel, launcher);
  document.body.append(host);

  // A visitor the site vouches for (docs/routing.md §6.1) is identified before their first message,
  // so contact-owner routing already applies to it.
  const email = script.dataset.email;
  const identified: Promise<unknown> = email
    ? call("POST", "/chat/identify", {
        channelId,
        visitorToken,
        email,
        ...(script.dataset.name ? { name: script.dataset.name } : {}),
        ...(script.dataset.identityHash ? { identityHash: script.dataset.identityHash } : {}),
      }).catch(() => undefined)
    : Promise.resolve();

  let timer: ReturnType<typeof setInterval> | undefined;
  let shown = new Set<string>();
  /** Office hours (docs/routing.md §5.7): set while the channel is closed, read when the panel opens. */
  let closed: ChatStatus | null = null;
  const opensText = (at: string | null) =>
    at ? ` We open again ${new Date(at).toLocaleString(undefined, OPENS_FORMAT)}.` : "";
  const closedText = () =>
    closed ? `${closed.awayMessage || "We are closed right now."}${opensText(closed.opensAt)}` : null;

  const showError = (msg: string | null) => {
    error.hidden = msg === null;
    error.textContent = msg ?? "";
  };

  /** `awaitingHandoff` is the widget's own note (the hand-off it just made), not part of an answer. */
  const renderStatus = (c: (Partial<VisitorConversation> & { awaitingHandoff?: boolean }) | undefined) => {
    if (!c) return;
    if (c.awaitingHandoff !== undefined) isBot = isBot || c.awaitingHandoff;
    if (c.awaitingHandoff === false) saved.handedOff = true;
    handoff.hidden = !isBot || saved.handedOff === true || saved.conversationId === null || c.assigned === true;
    status.classList.toggle("away", closed !== null && c.status !== "closed" && !c.assigned);
    if (c.status === "closed") status.textContent = "This conversation is closed. Write to start again.";
    else if (closed && !c.assigned)
      status.textContent = `${closedText()}${c.waiting ? ` You are number ${c.waiting.position} in line.` : ""}`;
    else if (c.waiting)
      status.textContent = `You are number ${c.waiting.position} in line. Someone will be with you soon.`;
    else if (c.agent) status.textContent = `${c.agent.name} is here to help.`;
    else if (c.assigned) status.textContent = "An agent has your message.";
    else
      status.textContent =
        isBot && !saved.handedOff
          ? "Our bot is here. Ask for a person any time."
          : "We got your message. Someone will answer soon.";
  };

  const renderMessages = (messages: VisitorMessage[]) => {
    for (const m of messages) {
      if (shown.has(m.id)) continue;
      shown.add(m.id);
      const li = el("li", { class: `msg ${m.author.kind === "customer" ? "me" : m.author.kind}` });
      if (m.author.kind !== "customer") li.append(el("span", { class: "who" }, m.author.name));
      li.append(el("span", { class: "text" }, m.text));
      log.append(li);
    }
    scroller.scrollTop = scroller.scrollHeight;
  };

  const refresh = async () => {
    if (!saved.conversationId) return;
    try {
      const t = await call<VisitorThread>(
        "GET",
        `/chat/conversations/${encodeURIComponent(saved.conversationId)}/messages` +
          `?visitorToken=${encodeURIComponent(visitorToken!)}`,
      );
      renderMessages(t.messages);
      renderStatus(t.conversation);
    } catch (err) {
      // The conversation is gone or belongs to another browser: start afresh next time.
      if ((err as { status?: number }).status === 404) {
        saved.conversationId = null;
        saved.handedOff = false;
        save();
        shown = new Set();
        log.replaceChildren();
        follow(false);
      }
    }
  };

  /**
   * Live updates (docs/api.md, Live updates): while the panel is open and there is a chat, the agent's
   * replies, who has the chat and the place in line come over the socket. While it is down (or this
   * deployment has none), the thread is polled every POLL_MS and the panel says it is reconnecting.
   */
  let socket: Socket | null = null;
  const follow = (on: boolean) => {
    clearInterval(timer);
    timer = undefined;
    if (!on || !saved.conversationId) {
      socket?.close();
      socket = null;
      liveNote.hidden = true;
      return;
    }
    if (socket) return;
    const id = saved.conversationId;
    const poll = (yes: boolean) => {
      clearInterval(timer);
      timer = yes ? setInterval(refresh, POLL_MS) : undefined;
    };
    socket = new LiveSocket({
      ticket: () =>
        call<{ ticket: string; url: string }>("POST", `/chat/conversations/${encodeURIComponent(id)}/live`, {
          visitorToken,
        }),
      onStatus: (s) => {
        liveNote.hidden = s !== "reconnecting";
        poll(s === "reconnecting" || s === "off");
      },
      onFrame: (f) => {
        if (f.type === "message") renderMessages([f.message as VisitorMessage]);
        else if (f.type === "chat") renderStatus(f.conversation as VisitorConversation);
        else if (f.type === "reload") void refresh();
      },
    });
    // From the thread's read (the server re-reads 5 s before a cursor): nothing between the two is lost.
    socket.subscribe(`conversation:${id}`, new Date().toISOString());
  };

  const open = (on: boolean) => {
    panel.hidden = !on;
    launcher.setAttribute("aria-expanded", String(on));
    launcher.setAttribute("aria-label", on ? "Hide chat" : "Chat with us");
    follow(false);
    if (on) {
      void call<ChatStatus>("GET", `/chat/${encodeURIComponent(channelId)}/status`)
        .then((s) => {
          closed = s.open ? null : s;
          if (closed && !saved.conversationId) {
            status.textContent = closedText();
            status.classList.add("away");
          }
        })
        .catch(() => undefined);
      void refresh();
      follow(true);
      input.focus();
    }
  };
  launcher.addEventListener("click", () => open(panel.hasAttribute("hidden")));
  closeBtn.addEventListener("click", () => {
    open(false);
    launcher.focus();
  });
  panel.addEventListener("keydown", (e) => {
    if (e.key === "Escape") {
      open(false);
      launcher.focus();
    }
  });
  input.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    send.disabled = true;
    showError(null);
    try {
      if (!saved.conversationId) {
        // One key per attempt: a double click or a retried request starts one chat, not two.
        const idempotencyKey = mintToken();
        await identified;
        const r = await call<ChatStarted>("POST", `/chat/${encodeURIComponent(channelId)}/conversations`, {
          text,
          visitorToken,
          idempotencyKey,
        });
        saved.conversationId = r.conversation.id;
        save();
        renderStatus(r.conversation);
        follow(true);
        input.value = "";
        await refresh();
      } else {
        const r = await call<{ message: VisitorMessage }>(
          "POST",
          `/chat/conversations/${encodeURIComponent(saved.conversationId)}/messages`,
          { text, visitorToken },
        );
        input.value = "";
        renderMessages([r.message]);
      }
    } catch (err) {
      showError(`Not sent: ${(err as Error).message}`);
    } finally {
      send.disabled = false;
    }
  });

  handoff.addEventListener("click", async () => {
    if (!saved.conversationId) return;
    try {
      const c = await call<VisitorConversation>(
        "POST",
        `/chat/conversations/${encodeURIComponent(saved.conversationId)}/handoff`,
        { visitorToken },
      );
      saved.handedOff = true;
      save();
      renderStatus({ ...c, awaitingHandoff: false });
      await refresh();
    } catch (err) {
      showError(`Could not reach a person: ${(err as Error).message}`);
    }
  });

  handoff.hidden = !isBot || saved.conversationId === null || saved.handedOff === true;
}

const script = document.currentScript as HTMLScriptElement | null;
if (script) {
  if (document.body) start(script);
  else addEventListener("DOMContentLoaded", () => start(script));
}
