import { hasAccess } from "./access";
import { isLiveChannel } from "./channels";
import { ForbiddenError, NotFoundError, UnauthenticatedError } from "./errors";
import { FanOutBatch, mayRead, plain } from "./live-fanout";
import type {
  AccessSnapshot,
  LiveChange,
  LiveConnection,
  LiveFrame,
  LivePush,
  LiveReads,
  LiveStore,
  LiveSubject,
  LiveSubscription,
  Topic,
} from "./ports/live";
import { topicId, topicKind } from "./ports/live";
import type { Clock } from "./ports/time";
import type { Conversation, User } from "./types";

/** A ticket opens one connection within a minute of being issued (docs/api.md, Live updates). */
export const TICKET_TTL_SECONDS = 60;
/** API Gateway closes a WebSocket after 2 hours: its records expire with it. */
export const CONNECTION_TTL_SECONDS = 2 * 3600;
/** A resume re-reads this much before the cursor (a change another Lambda committed a moment earlier). */
export const RESUME_OVERLAP_MS = 5_000;
/** Past this many missed messages or changes, a client is told to reload its view instead. */
export const RESUME_LIMIT = 100;

export type ClientRequest =
  | { action: "subscribe"; topic: Topic; cursor?: string | undefined; seq?: number | undefined }
  | { action: "unsubscribe"; topic: Topic; seq?: number | undefined }
  | { action: "ping" };

const snapshot = (u: User): AccessSnapshot => ({
  id: u.id,
  role: u.role,
  primaryTeamId: u.primaryTeamId,
  additionalTeamIds: u.additionalTeamIds,
});
/** An agent connection's subscription to `topic`, lasting as long as the connection. */
const agentSubscription = (conn: LiveConnection, user: User, topic: Topic): LiveSubscription => ({
  topic,
  connectionId: conn.connectionId,
  audience: { kind: "agent", user: snapshot(user) },
  expiresAt: conn.expiresAt,
});
const later = (a: string, b: string) => (a > b ? a : b);

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
    // A ticket is 32 base64url characters: anything else is not one (and never reaches a key).
    const wellFormed = ticket !== undefined && /^[A-Za-z0-9_-]{16,64}$/.test(ticket);
    const subject = wellFormed ? await this.deps.store.takeTicket(ticket, this.nowSeconds()) : null;
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
      // With a seq the request is recorded even when the topic is not held yet: its subscribe may be
      // running at the same moment, and must then write nothing.
      if (req.seq !== undefined || conn.topics.includes(req.topic))
        await this.deps.store.unsubscribe(conn.connectionId, req.topic, req.seq);
      return [];
    }
    try {
      return conn.subject.kind === "agent"
        ? await this.subscribeAgent(conn, conn.subject.userId, req)
        : await this.resumeVisitor(conn, conn.subject.conversationId, req.topic, req.cursor);
    } catch (err) {
      if (err instanceof NotFoundError) return [{ type: "error", code: "not_found", message: err.message }];
      if (err instanceof ForbiddenError) return [{ type: "error", code: "forbidden", message: err.message }];
      throw err;
    }
  }

  private async subscribeAgent(
    conn: LiveConnection,
    userId: string,
    { topic, cursor, seq }: Extract<ClientRequest, { action: "subscribe" }>,
  ) {
    const { reads, store } = this.deps;
    const kind = topicKind(topic);
    if (kind === "line") throw new ForbiddenError("a line is a visitor's topic");
    const user = await reads.getUser(userId);
    if (!user) throw new ForbiddenError(`user ${userId} does not exist`);
    const conversation = kind === "conversation" ? await reads.getConversation(topicId(topic)) : null;
    if (kind === "conversation" && !conversation)
      throw new NotFoundError(`conversation ${topicId(topic)} does not exist`);
    const inboxId = conversation?.inboxId ?? topicId(topic);
    const inbox = await reads.getInbox(inboxId);
    if (!inbox) throw new NotFoundError(`inbox ${inboxId} does not exist`);
    if (!hasAccess(user, inbox)) throw new ForbiddenError(`no access to inbox ${inboxId}`);
    const replaces = conn.topics.find((t) => topicKind(t) === kind);
    const sub = agentSubscription(conn, user, topic);
    // Subscribe before reading what was missed: a change between the two arrives twice, never not at all.
    // Superseded by a later request of this socket (it moved on meanwhile): nothing to answer.
    if (!(await store.subscribe(conn, sub, replaces === topic ? undefined : replaces, seq))) return [];
    // An access change that ran while this was being written did not see it: check again, now it is there.
    const [userNow, inboxNow] = await Promise.all([reads.getUser(userId), reads.getInbox(inboxId)]);
    if (!userNow || !mayRead(snapshot(userNow), inboxNow)) {
      await store.unsubscribe(conn.connectionId, topic);
      throw new ForbiddenError(`no access to inbox ${inboxId}`);
    }
    const now = this.deps.clock.now().toISOString();
    if (kind === "inbox") return this.inboxCatchUp(topic, inboxId, cursor, now);
    return this.messageCatchUp(topic, topicId(topic), "agent", cursor, now);
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
    const { store } = this.deps;
    for (const conn of await store.connectionsOf(user.id)) {
      // One socket failing (a throttled post) must not leave the user's other sockets unchecked.
      await this.recheck(conn, user).catch(() => undefined);
    }
  }

  private async recheck(conn: LiveConnection, user: User): Promise<void> {
    const { store, reads, push } = this.deps;
    for (const topic of conn.topics) {
      const inboxId =
        topicKind(topic) === "inbox" ? topicId(topic) : (await reads.getConversation(topicId(topic)))?.inboxId;
      const sub = agentSubscription(conn, user, topic);
      if (inboxId && mayRead(snapshot(user), await reads.getInbox(inboxId))) {
        await store.refreshAccess(sub, snapshot(user));
        continue;
      }
      await store.unsubscribe(conn.connectionId, topic);
      await push.send(conn.connectionId, { type: "revoked", topic, reason: "your access to this inbox ended" });
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
