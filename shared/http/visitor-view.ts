import type * as z from "zod";
import type { Conversation, Message } from "../domain/types";
import type {
  visitorConversation as visitorConversationSchema,
  visitorMessage as visitorMessageSchema,
} from "./responses";

/** What a visitor sees of their conversation: the shape the OpenAPI document publishes (responses.ts). */
export type VisitorConversation = z.infer<typeof visitorConversationSchema>;

export type VisitorMessage = z.infer<typeof visitorMessageSchema>;

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
