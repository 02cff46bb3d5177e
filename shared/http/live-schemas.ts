import * as z from "zod";
import * as r from "./responses";
import { ID_PATTERN } from "./schemas";

/**
 * The live-update protocol (docs/api.md, Live updates): what clients send over the socket, what they
 * receive, and the ticket that opens it. The socket handler validates with these, the web clients type
 * their frames with them, and the AsyncAPI document (`GET /asyncapi.json`) is generated from them.
 */

const idPart = ID_PATTERN.source.replace(/^\^|\$$/g, "");
export const topic = z
  .string()
  .regex(new RegExp(`^(inbox|conversation|line):${idPart}$`))
  .describe("`inbox:<id>` (agents), `conversation:<id>` (agents and the chat's visitor); `line:<channelId>`");

const cursor = z.string().datetime().describe("Where this change stands: give it back to resume from it");

const seq = z
  .number()
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .optional()
  .describe(
    "This socket's count of its subscribes and unsubscribes, rising. A socket's messages run at once: " +
      "of two for one kind of topic, the one with the higher seq stands (without one, the last to finish)",
  );

/** What a client sends: `{action, ...}` JSON text frames (API Gateway routes on `action`). */
export const clientRequest = z.discriminatedUnion("action", [
  z.object({
    action: z.literal("subscribe"),
    topic,
    cursor: cursor.optional().describe("Resume: receive what changed since (else start from now)"),
    seq,
  }),
  z.object({ action: z.literal("unsubscribe"), topic, seq }),
  z.object({ action: z.literal("ping").describe("Keep-alive: API Gateway closes a socket idle for 10 minutes") }),
]);

/** The conversation as an inbox row shows it (the change feed's attributes: no routing record, no token). */
const row = r.conversation.omit({ routing: true });

export const frames = {
  conversation: z.object({
    type: z.literal("conversation"),
    topic: z.string(),
    cursor,
    conversation: row,
  }),
  message: z.object({ type: z.literal("message"), topic: z.string(), cursor, message: r.message }),
  visitorMessage: z.object({ type: z.literal("message"), topic: z.string(), cursor, message: r.visitorMessage }),
  chat: z.object({ type: z.literal("chat"), topic: z.string(), cursor, conversation: r.visitorConversation }),
  subscribed: z.object({ type: z.literal("subscribed"), topic: z.string(), cursor }),
  reload: z.object({ type: z.literal("reload"), topic: z.string(), reason: z.string() }),
  revoked: z.object({ type: z.literal("revoked"), topic: z.string(), reason: z.string() }),
  pong: z.object({ type: z.literal("pong") }),
  error: z.object({ type: z.literal("error"), code: z.string(), message: z.string() }),
};

/** Any frame an agent's client receives. */
export const agentFrame = z.union([
  frames.conversation,
  frames.message,
  frames.subscribed,
  frames.reload,
  frames.revoked,
  frames.pong,
  frames.error,
]);
/** Any frame a visitor's widget receives. */
export const visitorFrame = z.union([
  frames.chat,
  frames.visitorMessage,
  frames.subscribed,
  frames.reload,
  frames.pong,
  frames.error,
]);

/** `POST /live/tickets` and `POST /chat/conversations/{id}/live`: open `url?ticket=<ticket>` within a minute. */
export const liveTicket = z.object({
  ticket: z.string(),
  url: z.string().describe("The WebSocket endpoint (wss:// deployed)"),
  expiresAt: z.string().datetime(),
});

export type ClientRequest = z.output<typeof clientRequest>;
export type AgentFrame = z.infer<typeof agentFrame>;
export type VisitorFrame = z.infer<typeof visitorFrame>;
export type LiveTicket = z.infer<typeof liveTicket>;
