import pkg from "../../package.json" with { type: "json" };
import { clientRequest, frames, liveTicket } from "./live-schemas";
import { components } from "./openapi";

/**
 * The AsyncAPI 3 document of the live-update socket, generated from the zod schemas the socket handler
 * validates with and the clients type their frames with (shared/http/live-schemas.ts). Served at
 * `GET /asyncapi.json`; docs/api.md, Live updates, is its prose.
 */

const [subscribe, unsubscribe, ping] = clientRequest.options;

const SENT = { Subscribe: subscribe, Unsubscribe: unsubscribe, Ping: ping } as const;
const RECEIVED = {
  ConversationChanged: frames.conversation,
  MessageAdded: frames.message,
  VisitorMessageAdded: frames.visitorMessage,
  ChatChanged: frames.chat,
  Subscribed: frames.subscribed,
  Reload: frames.reload,
  Revoked: frames.revoked,
  Pong: frames.pong,
  Error: frames.error,
} as const;

const SUMMARIES: Record<keyof typeof SENT | keyof typeof RECEIVED, string> = {
  Subscribe: "Listen to a topic, from a cursor (resume) or from now; replaces the open topic of its kind",
  Unsubscribe: "Stop listening to a topic",
  Ping: "Keep-alive (API Gateway closes a socket idle for 10 minutes)",
  ConversationChanged: "Agents: a conversation of an inbox they listen to, as an inbox row",
  MessageAdded: "Agents: a message of the conversation they have open",
  VisitorMessageAdded: "Visitors: a message of their chat as they see it (no notes, no ids of agents)",
  ChatChanged: "Visitors: who has their chat and their place in line",
  Subscribed: "The topic is live; what was missed since the cursor came before this",
  Reload: "Too much was missed: reload the view over HTTP, then subscribe without a cursor",
  Revoked: "Access to the topic ended: nothing more comes for it",
  Pong: "The answer to a ping",
  Error: "A request was refused; nothing changed",
};

const msgRef = (name: string) => ({ $ref: `#/channels/live/messages/${name}` });

export function buildAsyncApiDocument() {
  const names = [...Object.keys(SENT), ...Object.keys(RECEIVED)] as Array<keyof typeof SUMMARIES>;
  const messages = Object.fromEntries(
    names.map((n) => [
      n,
      {
        name: n,
        summary: SUMMARIES[n],
        contentType: "application/json",
        payload: { $ref: `#/components/schemas/${n}` },
      },
    ]),
  );
  const schemas = components({ ...SENT, ...RECEIVED, LiveTicket: liveTicket }, "output", "draft-7");
  return {
    asyncapi: "3.0.0" as const,
    info: {
      title: "Conversation routing: live updates",
      version: pkg.version,
      description:
        "Changes pushed over a WebSocket (docs/api.md, Live updates). Get a ticket over HTTP " +
        "(`POST /live/tickets` with an agent token, `POST /chat/conversations/{id}/live` with a visitor token), " +
        "open `<url>?ticket=<ticket>` within a minute, then subscribe. Every change carries a cursor.",
      license: { name: pkg.license },
    },
    servers: {
      deployed: {
        host: "{apiId}.execute-api.{region}.amazonaws.com",
        pathname: "/live",
        protocol: "wss",
        description: "The stack's `LiveUrl` output (API Gateway WebSocket API)",
        variables: { apiId: { default: "example" }, region: { default: "us-east-1" } },
      },
      local: { host: "localhost:3001", protocol: "ws", description: "`npm start` (LIVE_PORT, default PORT + 1)" },
    },
    channels: {
      live: {
        address: "/",
        title: "The live-update socket",
        messages: Object.fromEntries(names.map((n) => [n, { $ref: `#/components/messages/${n}` }])),
        bindings: {
          ws: {
            query: {
              type: "object",
              properties: { ticket: { type: "string", description: "A ticket from the HTTP API, used once" } },
              required: ["ticket"],
            },
          },
        },
      },
    },
    operations: {
      ...Object.fromEntries(
        Object.keys(SENT).map((n) => [
          `send${n}`,
          {
            action: "send",
            channel: { $ref: "#/channels/live" },
            summary: SUMMARIES[n as keyof typeof SENT],
            messages: [msgRef(n)],
          },
        ]),
      ),
      ...Object.fromEntries(
        Object.keys(RECEIVED).map((n) => [
          `receive${n}`,
          {
            action: "receive",
            channel: { $ref: "#/channels/live" },
            summary: SUMMARIES[n as keyof typeof RECEIVED],
            messages: [msgRef(n)],
          },
        ]),
      ),
    },
    components: { messages, schemas },
  };
}

let cached: ReturnType<typeof buildAsyncApiDocument> | undefined;
export function asyncApiDocument() {
  cached ??= buildAsyncApiDocument();
  return cached;
}
