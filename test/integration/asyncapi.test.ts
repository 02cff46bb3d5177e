import Ajv from "ajv";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { renderFrame } from "#shared/http/live-frames";
import { clientRequest } from "#shared/http/live-schemas";
import { apiHarness } from "../support/http";

const conversation = {
  id: "c1",
  inboxId: "inbox-1",
  channelId: "chat-1",
  channelType: "chat" as const,
  status: "open" as const,
  assigneeId: "alice",
  teamId: null,
  contactId: null,
  createdAt: "2026-12-01T10:00:00.000Z",
  updatedAt: "2026-12-01T10:00:01.000Z",
  visitorToken: "secret-visitor-token-xxxxxxxx",
};
const message = {
  id: "m1",
  conversationId: "c1",
  author: { kind: "agent" as const, userId: "alice", name: "Alice", email: "alice@example.com" },
  text: "Hello",
  createdAt: "2026-12-01T10:00:02.000Z",
};

describe("GET /asyncapi.json: the live-update protocol (docs/api.md, Live updates)", () => {
  it("is a public AsyncAPI 3 document whose schemas accept the frames the service sends", async () => {
    const h = await apiHarness();
    const res = await h.call({ method: "GET", path: "/asyncapi.json", as: null });
    expect(res.status).toBe(200);
    const doc = res.json;
    expect(doc.asyncapi).toBe("3.0.0");
    expect(Object.keys(doc.channels.live.messages).sort()).toEqual(Object.keys(doc.components.messages).sort());
    for (const op of Object.values(doc.operations) as Array<{ action: string; messages: Array<{ $ref: string }> }>) {
      expect(["send", "receive"]).toContain(op.action);
      const name = op.messages[0]!.$ref.split("/").at(-1)!;
      expect(doc.channels.live.messages[name]).toBeDefined();
    }
    const ajv = new Ajv({ strict: false });
    addFormats(ajv);
    for (const [name, schema] of Object.entries(doc.components.schemas)) ajv.addSchema(schema as object, name);
    const valid = (name: string, value: unknown) => {
      const check = ajv.getSchema(name)!;
      return check(value) ? "ok" : JSON.stringify(check.errors);
    };
    const topic = "inbox:inbox-1" as const;
    const chat = "conversation:c1" as const;
    const sent = {
      ConversationChanged: renderFrame({ type: "conversation", topic, cursor: conversation.updatedAt, conversation }),
      MessageAdded: renderFrame({ type: "message", topic, cursor: message.createdAt, audience: "agent", message }),
      VisitorMessageAdded: renderFrame({
        type: "message",
        topic: chat,
        cursor: message.createdAt,
        audience: "visitor",
        message,
      }),
      ChatChanged: renderFrame({
        type: "chat",
        topic: chat,
        cursor: conversation.updatedAt,
        conversation,
        agentName: "Alice",
        waiting: null,
      }),
      Subscribed: renderFrame({ type: "subscribed", topic, cursor: conversation.updatedAt }),
      Reload: renderFrame({ type: "reload", topic, reason: "too many changes missed" }),
      Revoked: renderFrame({ type: "revoked", topic, reason: "your access to this inbox ended" }),
      Pong: renderFrame({ type: "pong" }),
      Error: renderFrame({ type: "error", code: "forbidden", message: "no access" }),
    };
    for (const [name, frame] of Object.entries(sent)) expect([name, valid(name, frame)]).toEqual([name, "ok"]);
    // The visitor's frames carry nothing internal, and the agent's row no credential.
    expect(JSON.stringify(sent.VisitorMessageAdded)).not.toMatch(/alice@|"userId"/);
    expect(JSON.stringify(sent.ChatChanged)).not.toMatch(/alice"|inbox-1"|visitorToken/);
    expect(JSON.stringify(sent.ConversationChanged)).not.toContain("secret-visitor-token");
    // What clients send, as the socket handler parses it.
    expect(valid("Subscribe", { action: "subscribe", topic, cursor: conversation.updatedAt })).toBe("ok");
    expect(valid("Ping", { action: "ping" })).toBe("ok");
    expect(clientRequest.safeParse({ action: "subscribe", topic: "nowhere" }).success).toBe(false);
  });
});
