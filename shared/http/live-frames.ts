import type { LiveFrame } from "../domain/ports/live";
import type { Conversation } from "../domain/types";
import { visitorConversation, visitorMessage } from "./visitor-view";

/**
 * Live frames as clients receive them (docs/api.md, Live updates; the schemas are live-schemas.ts).
 * Kept apart from the socket handler so that every function that posts (the email function tells
 * nobody, but it is wired like the others) bundles this small file, not the request schemas.
 */

/** An inbox row: what the change feed carries (no routing record, no visitor token, no storage fields). */
function row(c: Conversation & { version?: number; lineTicket?: number }) {
  const { visitorToken: _t, version: _v, lineTicket: _l, routing: _r, ...rest } = c;
  return { ...rest, automatic: c.automatic ?? null };
}

/** A frame as it goes on the wire: agents get inbox rows and messages, visitors only their view. */
export function renderFrame(frame: LiveFrame): unknown {
  switch (frame.type) {
    case "conversation":
      return { ...frame, conversation: row(frame.conversation) };
    case "message": {
      const { audience, ...rest } = frame;
      return { ...rest, message: audience === "visitor" ? visitorMessage(frame.message) : frame.message };
    }
    case "chat": {
      const { type, topic, cursor, conversation, agentName, waiting } = frame;
      const view = visitorConversation({ ...conversation, ...(waiting ? { waiting } : {}) }, agentName);
      return { type, topic, cursor, conversation: view };
    }
    default:
      return frame;
  }
}
