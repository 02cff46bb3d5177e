/**
 * The fan-out of one batch of the table's changes (docs/design.md, Live updates): each topic's
 * subscribers, each inbox and each assignee's name read once per batch, every send re-checked against
 * the inbox as it is now and the agent's access snapshot, closed sockets' records dropped on 410.
 */
import { hasAccess } from "./access";
import type {
  AccessSnapshot,
  LiveChange,
  LiveFrame,
  LivePush,
  LiveReads,
  LiveStore,
  LiveSubscription,
  Topic,
} from "./ports/live";
import type { Conversation, Inbox, User } from "./types";

/** Access needs only who the user is and their teams: the snapshot is enough for the domain rule. */
export const mayRead = (user: AccessSnapshot, inbox: Inbox | null) => inbox !== null && hasAccess(user as User, inbox);
/** A conversation as clients see it: without the store's version or the line's ticket. */
export function plain(c: Conversation & { version?: number; lineTicket?: number }): Conversation {
  const { version: _v, lineTicket: _t, ...rest } = c;
  return rest;
}

export type ChatFrame = (
  topic: Topic,
  c: Conversation,
  names: Map<string, Promise<string | null>>,
) => Promise<LiveFrame>;

/** One batch's shared reads and counts. */
export class FanOutBatch {
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
