import { hasAccess } from "./access";
import { isLiveChannel } from "./channels";
import { ForbiddenError, NotFoundError, UnauthenticatedError } from "./errors";
import type {
  AccessSnapshot,
  LiveChange,
  LiveConnection,
  LiveFrame,
  LivePush,
  LiveStore,
  LiveSubject,
  LiveSubscription,
  Topic,
} from "./ports/live";
import type { ChangeBatch } from "./ports/reads";
import type { Clock } from "./ports/time";
import type { Conversation, Inbox, Message, User } from "./types";

/** A ticket opens one connection within a minute of being issued (docs/api.md, Live updates). */
export const TICKET_TTL_SECONDS = 60;
/** API Gateway closes a WebSocket after 2 hours: its records expire with it. */
export const CONNECTION_TTL_SECONDS = 2 * 3600;
/** A resume re-reads this much before the cursor (a change another Lambda committed a moment earlier). */
export const RESUME_OVERLAP_MS = 5_000;
/** Past this many missed messages or changes, a client is told to reload its view instead. */
export const RESUME_LIMIT = 100;

export type ClientRequest =
  | { action: "subscribe"; topic: Topic; cursor?: string | undefined }
  | { action: "unsubscribe"; topic: Topic }
  | { action: "ping" };

export interface LiveReads {
  getUser(id: string): Promise<User | null>;
  getInbox(id: string): Promise<Inbox | null>;
  getConversation(id: string): Promise<(Conversation & { version?: number }) | null>;
  getConversations(ids: string[]): Promise<Conversation[]>;
  changesSince(inboxId: string, sinceIso: string, limit: number): Promise<ChangeBatch>;
  messagesSince(conversationId: string, sinceIso: string, limit: number): Promise<Message[]>;
  /** The visitor's place: O(1) reads, whatever the length of the line (docs/routing.md §5.5). */
  placeOf(c: Conversation): Promise<{ position: number; since: string } | undefined>;
}

const kindOf = (t: Topic) => t.slice(0, t.indexOf(":")) as "inbox" | "conversation" | "line";
const idOf = (t: Topic) => t.slice(t.indexOf(":") + 1);
const snapshot = (u: User): AccessSnapshot => ({
  id: u.id,
  role: u.role,
  primaryTeamId: u.primaryTeamId,
  additionalTeamIds: u.additionalTeamIds,
});
/** Access needs only who the user is and their teams: the snapshot is enough for the domain rule. */
const mayRead = (user: AccessSnapshot, inbox: Inbox | null) => inbox !== null && hasAccess(user as User, inbox);
const later = (a: string, b: string) => (a > b ? a : b);
/** A conversation as clients see it: without the store's version or the line's ticket. */
function plain(c: Conversation & { version?: number; lineTicket?: number }): Conversation {
  const { version: _v, lineTicket: _t, ...rest } = c;
  return rest;
}

/**
 * Live updates (docs/routing.md §9): tickets, connections and subscriptions, the catch-up of a client
 * that resumes, and the fan-out of the table's changes to whoever may read them. Every send re-checks
 * access against the inbox as it is now (read once per batch) and the agent's snapshot, which changes
 * to a user refresh; a visitor receives only their own conversation as a visitor sees it.
 */
export class LiveService {
  constructor(
    private readonly deps: {
      store: LiveStore;
      push: LivePush;
      reads: LiveReads;
      clock: Clock;
      newTicket: () => string;
    },
  ) {}

  /** Where frames go: the socket handler answers a request through it too. */
  get push(): LivePush {
    return this.deps.push;
  }

  private nowSeconds() {
    return Math.floor(this.deps.clock.now().getTime() / 1000);
  }

  /** A one-use ticket for `$connect` (the token never travels in the URL, which API Gateway logs). */
  async issueTicket(subject: LiveSubject): Promise<{ ticket: string; expiresAt: string }> {
    const ticket = this.deps.newTicket();
    const expiresAt = this.nowSeconds() + TICKET_TTL_SECONDS;
    await this.deps.store.putTicket(ticket, subject, expiresAt);
    return { ticket, expiresAt: new Date(expiresAt * 1000).toISOString() };
  }

  /** `$connect`: the ticket is spent whatever happens; a visitor listens to their chat from the start. */
  async connect(connectionId: string, ticket: string | undefined): Promise<void> {
    const subject = ticket ? await this.deps.store.takeTicket(ticket, this.nowSeconds()) : null;
    if (!subject) throw new UnauthenticatedError("a valid live ticket is required (POST /live/tickets)");
    const conn: LiveConnection = {
      connectionId,
      subject,
      topics: [],
      expiresAt: this.nowSeconds() + CONNECTION_TTL_SECONDS,
    };
    await this.deps.store.putConnection(conn);
    if (subject.kind === "visitor") await this.subscribeVisitor(conn, subject.conversationId);
  }

  async disconnect(connectionId: string): Promise<void> {
    const conn = await this.deps.store.getConnection(connectionId);
    if (conn) await this.deps.store.deleteConnection(conn);
  }

  /** One client request: the frames to send back, in order (catch-up first, then `subscribed`). */
  async receive(connectionId: string, req: ClientRequest): Promise<LiveFrame[]> {
    if (req.action === "ping") return [{ type: "pong" }];
    const conn = await this.deps.store.getConnection(connectionId);
    if (!conn) return [{ type: "error", code: "unauthenticated", message: "this connection is not open: reconnect" }];
    if (req.action === "unsubscribe") {
      if (conn.topics.includes(req.topic)) await this.deps.store.unsubscribe(conn.connectionId, req.topic);
      return [];
    }
    try {
      return conn.subject.kind === "agent"
        ? await this.subscribeAgent(conn, conn.subject.userId, req.topic, req.cursor)
        : await this.resumeVisitor(conn, conn.subject.conversationId, req.topic, req.cursor);
    } catch (err) {
      if (err instanceof NotFoundError) return [{ type: "error", code: "not_found", message: err.message }];
      if (err instanceof ForbiddenError) return [{ type: "error", code: "forbidden", message: err.message }];
      throw err;
    }
  }

  private async subscribeAgent(conn: LiveConnection, userId: string, topic: Topic, cursor?: string) {
    const { reads, store } = this.deps;
    const kind = kindOf(topic);
    if (kind === "line") throw new ForbiddenError("a line is a visitor's topic");
    const user = await reads.getUser(userId);
    if (!user) throw new ForbiddenError(`user ${userId} does not exist`);
    const conversation = kind === "conversation" ? await reads.getConversation(idOf(topic)) : null;
    if (kind === "conversation" && !conversation) throw new NotFoundError(`conversation ${idOf(topic)} does not exist`);
    const inboxId = conversation?.inboxId ?? idOf(topic);
    const inbox = await reads.getInbox(inboxId);
    if (!inbox) throw new NotFoundError(`inbox ${inboxId} does not exist`);
    if (!hasAccess(user, inbox)) throw new ForbiddenError(`no access to inbox ${inboxId}`);
    const replaces = conn.topics.find((t) => kindOf(t) === kind);
    const sub: LiveSubscription = {
      topic,
      connectionId: conn.connectionId,
      audience: { kind: "agent", user: snapshot(user) },
      expiresAt: conn.expiresAt,
    };
    // Subscribe before reading what was missed: a change between the two arrives twice, never not at all.
    await store.subscribe(conn, sub, replaces === topic ? undefined : replaces);
    const now = this.deps.clock.now().toISOString();
    if (kind === "inbox") return this.inboxCatchUp(topic, inboxId, cursor, now);
    return this.messageCatchUp(topic, idOf(topic), "agent", cursor, now);
  }

  private async inboxCatchUp(topic: Topic, inboxId: string, cursor: string | undefined, now: string) {
    if (!cursor) return [{ type: "subscribed", topic, cursor: now } satisfies LiveFrame];
    const batch = await this.deps.reads.changesSince(inboxId, overlap(cursor, now), RESUME_LIMIT);
    if (batch.truncated) return [{ type: "reload", topic, reason: "too many changes missed" } satisfies LiveFrame];
    const frames: LiveFrame[] = batch.items.map((c) => ({
      type: "conversation",
      topic,
      cursor: c.updatedAt,
      conversation: c,
    }));
    const latest = batch.items.reduce((m, c) => later(m, c.updatedAt), cursor);
    return [...frames, { type: "subscribed", topic, cursor: latest < now ? latest : now } satisfies LiveFrame];
  }

  private async messageCatchUp(
    topic: Topic,
    conversationId: string,
    audience: "agent" | "visitor",
    cursor: string | undefined,
    now: string,
  ): Promise<LiveFrame[]> {
    if (!cursor) return [{ type: "subscribed", topic, cursor: now }];
    const missed = await this.deps.reads.messagesSince(conversationId, overlap(cursor, now), RESUME_LIMIT + 1);
    if (missed.length > RESUME_LIMIT) return [{ type: "reload", topic, reason: "too many messages missed" }];
    const frames: LiveFrame[] = missed
      .filter((m) => audience === "agent" || m.author.kind !== "system")
      .map((message) => ({ type: "message", topic, cursor: message.createdAt, audience, message }));
    const latest = missed.reduce((m, x) => later(m, x.createdAt), cursor);
    return [...frames, { type: "subscribed", topic, cursor: latest < now ? latest : now }];
  }

  /** A visitor's connection listens to their chat and, for a chat or bot, their channel's line. */
  private async subscribeVisitor(conn: LiveConnection, conversationId: string): Promise<void> {
    const conversation = await this.deps.reads.getConversation(conversationId);
    if (!conversation) return;
    const audience = { kind: "visitor", conversationId } as const;
    const base = { connectionId: conn.connectionId, audience, expiresAt: conn.expiresAt };
    const topic: Topic = `conversation:${conversationId}`;
    await this.deps.store.subscribe(conn, { ...base, topic }, undefined);
    if (isLiveChannel(conversation.channelType)) {
      const line: Topic = `line:${conversation.channelId}`;
      await this.deps.store.subscribe({ ...conn, topics: [topic] }, { ...base, topic: line }, undefined);
    }
  }

  /** A visitor may only resume their own chat: what they missed, then its state as they see it. */
  private async resumeVisitor(conn: LiveConnection, conversationId: string, topic: Topic, cursor?: string) {
    if (topic !== `conversation:${conversationId}`) throw new ForbiddenError("a visitor follows their own chat only");
    const now = this.deps.clock.now().toISOString();
    const stored = await this.deps.reads.getConversation(conversationId);
    if (!stored) throw new NotFoundError(`conversation ${conversationId} does not exist`);
    if (!conn.topics.includes(topic)) await this.subscribeVisitor(conn, conversationId);
    const frames = await this.messageCatchUp(topic, conversationId, "visitor", cursor, now);
    const state = await this.chatFrame(topic, plain(stored), new Map());
    return [state, ...frames];
  }

  private async chatFrame(topic: Topic, c: Conversation, names: Map<string, Promise<string | null>>) {
    const name = (id: string) => {
      if (!names.has(id))
        names.set(
          id,
          this.deps.reads.getUser(id).then((u) => u?.name ?? null),
        );
      return names.get(id) ?? Promise.resolve(null);
    };
    const [agentName, waiting] = await Promise.all([
      c.assigneeId ? name(c.assigneeId) : Promise.resolve(null),
      this.deps.reads.placeOf(c),
    ]);
    return { type: "chat", topic, cursor: c.updatedAt, conversation: c, agentName, waiting: waiting ?? null } as const;
  }

  /**
   * An agent's record changed (teams, role): each of their connections' subscriptions is re-checked
   * against the inbox as it is now; what they may no longer read stops, and the client is told.
   */
  async accessChanged(user: User): Promise<void> {
    const { store, reads, push } = this.deps;
    for (const conn of await store.connectionsOf(user.id)) {
      for (const topic of conn.topics) {
        const inboxId = kindOf(topic) === "inbox" ? idOf(topic) : (await reads.getConversation(idOf(topic)))?.inboxId;
        const sub: LiveSubscription = {
          topic,
          connectionId: conn.connectionId,
          audience: { kind: "agent", user: snapshot(user) },
          expiresAt: conn.expiresAt,
        };
        if (inboxId && mayRead(snapshot(user), await reads.getInbox(inboxId))) {
          await store.refreshAccess(sub, snapshot(user));
          continue;
        }
        await store.unsubscribe(conn.connectionId, topic);
        await push.send(conn.connectionId, { type: "revoked", topic, reason: "your access to this inbox ended" });
      }
    }
  }

  /**
   * The fan-out of one batch of the table's changes, in order. Reads are shared across the batch: each
   * topic's subscribers, each inbox and each assignee's name are read once. Returns how many changes
   * were fully sent: a failure stops there, and the caller reports the rest for a retry.
   */
  async fanOut(changes: LiveChange[]): Promise<FanOutResult> {
    const batch = new FanOutBatch(this.deps);
    let done = 0;
    let error: unknown;
    for (const change of changes) {
      try {
        await batch.deliver(change, (topic, c, names) => this.chatFrame(topic, c, names));
        done++;
      } catch (err) {
        error = err;
        break;
      }
    }
    return { done, sent: batch.sent, gone: batch.gone, error };
  }
}

export interface FanOutResult {
  /** Changes fully delivered, from the first. */
  done: number;
  sent: number;
  gone: number;
  error?: unknown;
}

function overlap(cursor: string, now: string): string {
  const at = Date.parse(cursor);
  const from = Math.min(Number.isNaN(at) ? Date.parse(now) : at, Date.parse(now)) - RESUME_OVERLAP_MS;
  return new Date(from).toISOString();
}

type ChatFrame = (topic: Topic, c: Conversation, names: Map<string, Promise<string | null>>) => Promise<LiveFrame>;

/** One batch's shared reads and counts. */
class FanOutBatch {
  sent = 0;
  gone = 0;
  private readonly subs = new Map<Topic, Promise<LiveSubscription[]>>();
  private readonly inboxes = new Map<string, Promise<Inbox | null>>();
  private readonly names = new Map<string, Promise<string | null>>();

  constructor(private readonly deps: { store: LiveStore; push: LivePush; reads: LiveReads }) {}

  private subscribers(topic: Topic) {
    if (!this.subs.has(topic)) this.subs.set(topic, this.deps.store.subscribers(topic));
    return this.subs.get(topic) ?? Promise.resolve([]);
  }

  private inbox(id: string) {
    if (!this.inboxes.has(id)) this.inboxes.set(id, this.deps.reads.getInbox(id));
    return this.inboxes.get(id) ?? Promise.resolve(null);
  }

  async deliver(change: LiveChange, chatFrame: ChatFrame): Promise<void> {
    if (change.kind === "conversation") {
      const c = plain(change.conversation);
      const inboxTopic: Topic = `inbox:${c.inboxId}`;
      // Spam stays out of the views, as it stays out of the change feed.
      if (!c.spam)
        await this.toAgents(inboxTopic, c.inboxId, {
          type: "conversation",
          topic: inboxTopic,
          cursor: c.updatedAt,
          conversation: c,
        });
      const topic: Topic = `conversation:${c.id}`;
      const visitors = (await this.subscribers(topic)).filter((s) => s.audience.kind === "visitor");
      if (visitors.length > 0) await this.post(visitors, await chatFrame(topic, c, this.names));
      return;
    }
    if (change.kind === "message") {
      const m = change.message;
      const topic: Topic = `conversation:${m.conversationId}`;
      const subs = await this.subscribers(topic);
      if (subs.length === 0) return;
      const conversation = await this.deps.reads.getConversation(m.conversationId);
      if (!conversation) return;
      const agents = await this.readers(subs, conversation.inboxId, topic);
      await this.post(agents, { type: "message", topic, cursor: m.createdAt, audience: "agent", message: m });
      const visitors = subs.filter((s) => s.audience.kind === "visitor");
      if (visitors.length > 0 && m.author.kind !== "system")
        await this.post(visitors, { type: "message", topic, cursor: m.createdAt, audience: "visitor", message: m });
      return;
    }
    // The line moved: every waiting visitor of the channel gets their new place (O(1) reads each).
    const topic: Topic = `line:${change.channelId}`;
    const subs = await this.subscribers(topic);
    if (subs.length === 0) return;
    const ids = subs.map((s) => (s.audience.kind === "visitor" ? s.audience.conversationId : "")).filter(Boolean);
    const byId = new Map((await this.deps.reads.getConversations(ids)).map((c) => [c.id, c]));
    for (const s of subs) {
      const c = s.audience.kind === "visitor" ? byId.get(s.audience.conversationId) : undefined;
      if (c?.waitingSince) await this.post([s], await chatFrame(`conversation:${c.id}`, c, this.names));
    }
  }

  private async toAgents(topic: Topic, inboxId: string, frame: LiveFrame) {
    const subs = await this.subscribers(topic);
    if (subs.length > 0) await this.post(await this.readers(subs, inboxId, topic), frame);
  }

  /** The agents among `subs` who may still read the inbox; the others stop and are told so. */
  private async readers(subs: LiveSubscription[], inboxId: string, topic: Topic): Promise<LiveSubscription[]> {
    const agents = subs.filter((s) => s.audience.kind === "agent");
    if (agents.length === 0) return [];
    const inbox = await this.inbox(inboxId);
    const ok: LiveSubscription[] = [];
    for (const s of agents) {
      if (s.audience.kind === "agent" && mayRead(s.audience.user, inbox)) ok.push(s);
      else await this.revoke(s, topic);
    }
    return ok;
  }

  private async revoke(s: LiveSubscription, topic: Topic) {
    await this.deps.store.unsubscribe(s.connectionId, topic);
    await this.deps.push.send(s.connectionId, { type: "revoked", topic, reason: "your access to this inbox ended" });
  }

  /** Posts to each subscriber, a few at a time; a closed connection's records go. */
  private async post(subs: LiveSubscription[], frame: LiveFrame) {
    const PARALLEL = 32;
    for (let i = 0; i < subs.length; i += PARALLEL) {
      await Promise.all(
        subs.slice(i, i + PARALLEL).map(async (s) => {
          const r = await this.deps.push.send(s.connectionId, frame);
          if (r === "sent") {
            this.sent++;
            return;
          }
          this.gone++;
          const conn = await this.deps.store.getConnection(s.connectionId);
          if (conn) await this.deps.store.deleteConnection(conn);
          else await this.deps.store.unsubscribe(s.connectionId, s.topic);
        }),
      );
    }
  }
}
