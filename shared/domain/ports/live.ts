import type { Conversation, Inbox, Message, User } from "../types";
import type { ChangeBatch } from "./reads";

/**
 * Who a live connection speaks for: an agent (their user id) or a visitor (their one conversation).
 * A ticket names it; the connection keeps it for its life (docs/api.md, Live updates).
 */
export type LiveSubject = { kind: "agent"; userId: string } | { kind: "visitor"; conversationId: string };

/** What an agent's subscription keeps of them to re-check access on each change without a read. */
export type AccessSnapshot = Pick<User, "id" | "role" | "primaryTeamId" | "additionalTeamIds">;

/**
 * A topic a connection listens to: an inbox's conversations (`inbox:<id>`), one conversation's
 * messages and state (`conversation:<id>`), or a channel's waiting line (`line:<id>`, visitors only).
 */
export type Topic = `inbox:${string}` | `conversation:${string}` | `line:${string}`;

/** A topic's kind, the part before the colon. */
export const topicKind = (t: Topic) => t.slice(0, t.indexOf(":")) as "inbox" | "conversation" | "line";
/** A topic's id: the inbox's, the conversation's or the channel's. */
export const topicId = (t: Topic) => t.slice(t.indexOf(":") + 1);

export interface LiveConnection {
  connectionId: string;
  subject: LiveSubject;
  /** The topics it listens to (at most one inbox, one conversation and, for a visitor, one line). */
  topics: Topic[];
  /** Epoch seconds: API Gateway closes a connection after 2 h; the record goes with it (TTL). */
  expiresAt: number;
}

export interface LiveSubscription {
  topic: Topic;
  connectionId: string;
  /** What the connection may see: an agent's access (re-checked on every change) or the visitor's chat. */
  audience: { kind: "agent"; user: AccessSnapshot } | { kind: "visitor"; conversationId: string };
  expiresAt: number;
}

/** Tickets, connections and subscriptions: records with a TTL in the routing table. */
export interface LiveStore {
  putTicket(ticket: string, subject: LiveSubject, expiresAt: number): Promise<void>;
  /** The ticket's subject, once: the ticket is gone after this call, whether it was valid or not. */
  takeTicket(ticket: string, nowSeconds: number): Promise<LiveSubject | null>;
  putConnection(c: LiveConnection): Promise<void>;
  getConnection(connectionId: string): Promise<LiveConnection | null>;
  /** The connection, its user index entry and its subscriptions: gone. Absent ones are no error. */
  deleteConnection(c: LiveConnection): Promise<void>;
  /**
   * Replace the connection's subscription of the same kind (`replaces`, or what it holds when that
   * changed meanwhile) with `sub`, in one write. `seq` orders one socket's requests, which run at
   * once: false when a later one for that kind was written first (nothing written).
   */
  subscribe(c: LiveConnection, sub: LiveSubscription, replaces: Topic | undefined, seq?: number): Promise<boolean>;
  /** The subscription goes and the connection forgets the topic (if it still holds it; `seq` as above). */
  unsubscribe(connectionId: string, topic: Topic, seq?: number): Promise<void>;
  /** Everyone listening to a topic: one Query of the topic's partition (pages of 1 MB). */
  subscribers(topic: Topic): Promise<LiveSubscription[]>;
  /** An agent's open connections (their user index): sized by their own tabs, never the organisation. */
  connectionsOf(userId: string): Promise<LiveConnection[]>;
  /** Store a fresh access snapshot on an agent's subscription. */
  refreshAccess(sub: LiveSubscription, user: AccessSnapshot): Promise<void>;
}

/**
 * What the fan-out sends, as the domain sees it; the request adapter renders it to the wire (the
 * agent's and the visitor's shapes, docs/api.md). Every change carries the cursor to resume from.
 */
export type LiveFrame =
  | { type: "conversation"; topic: Topic; cursor: string; conversation: Conversation }
  | { type: "message"; topic: Topic; cursor: string; audience: "agent" | "visitor"; message: Message }
  | {
      type: "chat";
      topic: Topic;
      cursor: string;
      conversation: Conversation;
      agentName: string | null;
      waiting: { position: number; since: string } | null;
    }
  | { type: "subscribed"; topic: Topic; cursor: string }
  | { type: "reload"; topic: Topic; reason: string }
  | { type: "revoked"; topic: Topic; reason: string }
  | { type: "pong" }
  | { type: "error"; code: string; message: string };

/** Posts to connections (deployed: API Gateway's `@connections` API; locally its emulation). */
export interface LivePush {
  /** `gone`: the connection is closed (HTTP 410); its records should go. */
  send(connectionId: string, frame: LiveFrame): Promise<"sent" | "gone">;
  close(connectionId: string): Promise<void>;
}

/** A change the table's stream reports, decoded: what the fan-out tells subscribers about. */
export type LiveChange =
  | { kind: "conversation"; conversation: Conversation & { lineTicket?: number } }
  | { kind: "message"; message: Message }
  | { kind: "line"; channelId: string };

/** What live updates read besides their own records. */
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
