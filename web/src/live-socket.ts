/**
 * The live-update socket of the inbox and the widget (docs/api.md, Live updates): a ticket over HTTP,
 * then `wss://…?ticket=`, then one `subscribe` per topic. Every frame's cursor is kept per topic, so a
 * socket that drops comes back (backoff 1 s doubling to 30 s) and resumes each topic from where it was.
 * While it is down the caller polls (`status` says so); a deployment without live updates answers the
 * ticket with a 404 and the caller polls for good.
 */

/** What the socket hands out: the frame shapes are the server's (shared/http/live-schemas.ts). */
export type LiveStatus = "connecting" | "live" | "reconnecting" | "off";

export interface TopicFrame {
  type: string;
  topic?: string;
  cursor?: string;
  [k: string]: unknown;
}

export interface LiveSocketOptions {
  ticket: () => Promise<{ ticket: string; url: string }>;
  onFrame: (frame: TopicFrame) => void;
  onStatus: (status: LiveStatus) => void;
  /** Keep-alive: API Gateway closes a socket idle for 10 minutes. */
  pingMs?: number;
}

const MAX_BACKOFF_MS = 30_000;

export class LiveSocket {
  private ws: WebSocket | null = null;
  private readonly topics = new Map<string, string | undefined>();
  private backoff = 1_000;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private ping: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private seq = 0;
  status: LiveStatus = "connecting";

  constructor(private readonly opts: LiveSocketOptions) {
    void this.connect();
  }

  /** Listen to a topic, from `cursor` when given (else from the cursor already held, else from now). */
  subscribe(topic: string, cursor?: string): void {
    this.topics.set(topic, later(cursor, this.topics.get(topic)));
    this.request("subscribe", topic, this.topics.get(topic));
  }

  unsubscribe(topic: string): void {
    this.topics.delete(topic);
    this.request("unsubscribe", topic);
  }

  /** The cursor a poll reached while the socket was down: the resume starts there. */
  advance(topic: string, cursor: string): void {
    if (this.topics.has(topic)) this.topics.set(topic, later(cursor, this.topics.get(topic)));
  }

  cursor(topic: string): string | undefined {
    return this.topics.get(topic);
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    clearInterval(this.ping);
    this.ws?.close();
  }

  /** Numbered: the server runs a socket's messages at once, and keeps the latest of each kind of topic. */
  private request(action: "subscribe" | "unsubscribe", topic: string, cursor?: string) {
    this.send({ action, topic, seq: ++this.seq, ...(cursor ? { cursor } : {}) });
  }

  private send(body: unknown) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(body));
  }

  private setStatus(s: LiveStatus) {
    this.status = s;
    this.opts.onStatus(s);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let t: { ticket: string; url: string };
    try {
      t = await this.opts.ticket();
    } catch (err) {
      // No live endpoint here (404) or no right to one (401, 403): poll, and stop asking.
      const status = (err as { status?: number }).status;
      if (this.stopped) return;
      if (status === 404 || status === 401 || status === 403) return this.setStatus("off");
      return this.again();
    }
    if (this.stopped) return;
    const ws = new WebSocket(`${t.url}?ticket=${encodeURIComponent(t.ticket)}`);
    this.ws = ws;
    ws.onopen = () => {
      this.backoff = 1_000;
      this.setStatus("live");
      for (const [topic, cursor] of this.topics) this.request("subscribe", topic, cursor);
      clearInterval(this.ping);
      this.ping = setInterval(() => this.send({ action: "ping" }), this.opts.pingMs ?? 5 * 60_000);
    };
    ws.onmessage = (e) => {
      let frame: TopicFrame;
      try {
        frame = JSON.parse(String(e.data)) as TopicFrame;
      } catch {
        return;
      }
      if (frame.topic && frame.cursor && this.topics.has(frame.topic))
        this.topics.set(frame.topic, later(frame.cursor, this.topics.get(frame.topic)));
      if (frame.type === "revoked" && frame.topic) this.topics.delete(frame.topic);
      // Too far behind: the caller reloads over HTTP, and the topic starts again from now.
      if (frame.type === "reload" && frame.topic && this.topics.has(frame.topic)) {
        this.topics.set(frame.topic, undefined);
        this.request("subscribe", frame.topic);
      }
      this.opts.onFrame(frame);
    };
    ws.onclose = () => {
      clearInterval(this.ping);
      if (this.ws === ws) this.ws = null;
      this.again();
    };
  }

  private again() {
    if (this.stopped) return;
    this.setStatus("reconnecting");
    const wait = this.backoff * (0.75 + Math.random() / 2);
    this.backoff = Math.min(MAX_BACKOFF_MS, this.backoff * 2);
    this.retry = setTimeout(() => void this.connect(), wait);
  }
}

/** ISO-8601 instants of one format order as text. */
function later(a: string | undefined, b: string | undefined): string | undefined {
  if (!a) return b;
  if (!b) return a;
  return a > b ? a : b;
}
