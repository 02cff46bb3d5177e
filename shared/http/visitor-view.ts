import type { Conversation, Message } from "../domain/types";

/**
 * What a visitor sees of their conversation (docs/api.md "Visitor chat"): whether a person has it, that
 * person's display name and the place in line. Never the routing record, ids of users, inboxes or contacts.
 */
export interface VisitorConversation {
  id: string;
  status: Conversation["status"];
  assigned: boolean;
  agent: { name: string } | null;
  /** Filled while the chat waits in its channel's line (docs/routing.md §5.5). */
  waiting?: { position: number; since: string };
}

export interface VisitorMessage {
  id: string;
  text: string;
  createdAt: string;
  author: { kind: Message["author"]["kind"]; name: string };
}

export function visitorConversation(c: Conversation, agentName: string | null): VisitorConversation {
  const waiting = (c as Conversation & { waiting?: { position: number; since: string } }).waiting;
  return {
    id: c.id,
    status: c.status,
    assigned: c.assigneeId !== null,
    agent: c.assigneeId !== null ? { name: agentName ?? "Support" } : null,
    ...(waiting ? { waiting: { position: waiting.position, since: waiting.since } } : {}),
  };
}

/** The visitor sees messages with the author's display name only: no agent email, no internal ids. */
export function visitorMessage(m: Message): VisitorMessage {
  const name = m.author.name ?? (m.author.kind === "customer" ? "You" : "Support");
  return { id: m.id, text: m.text, createdAt: m.createdAt, author: { kind: m.author.kind, name } };
}
