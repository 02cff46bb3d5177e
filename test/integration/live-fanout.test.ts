import { PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { marshall } from "@aws-sdk/util-dynamodb";
import type { DynamoDBRecord } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { ApiGatewayPush, createConnectionsClient } from "#shared/adapters/apigw/connections";
import { conversationToItem, waitEntryOf, waitEntryToItem } from "#shared/adapters/dynamo/items";
import { keys } from "#shared/adapters/dynamo/keys";
import { handleStreamEvent } from "#shared/adapters/dynamo/stream";
import { renderFrame } from "#shared/http/live-frames";
import { putItems } from "../bench/seed";
import { clients, profile, seedChannel, usersAndTeams } from "../support/harness";
import { injectFaults } from "../support/instrument";
import { liveHarness } from "../support/live";

type Live = Awaited<ReturnType<typeof liveHarness>>;
let rig: Live | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

/** Items and calls DynamoDB answered while `fn` ran: what a read costs, whatever the emulator's speed. */
async function cost(db: ReturnType<typeof clients>, fn: () => Promise<unknown>) {
  let calls = 0;
  let items = 0;
  const name = `cost-${Math.random()}`;
  db.client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const o = out.output as { Item?: unknown; Count?: number; ScannedCount?: number; Responses?: object };
      calls++;
      items += o.ScannedCount ?? (o.Item ? 1 : 0) + Object.values(o.Responses ?? {}).flat().length;
      return out;
    },
    { step: "initialize", name },
  );
  try {
    await fn();
  } finally {
    db.client.middlewareStack.remove(name);
  }
  return { calls, items };
}

/**
 * `n` chats waiting in chat-1's line (the only agent is away), oldest first. All but the last ten are
 * written straight into the table as the routing writes them (conversation, line entry with its ticket,
 * the channel's ticket counter) before the stream is read, so a long line takes a second to seed and the
 * fan-out does not replay it; the last ten arrive by the API.
 */
async function line(n: number) {
  const db = clients();
  const seeded = n - 10;
  const r = await liveHarness({
    db,
    before: async (h) => {
      await h.app.store.putUser(profile("alice"));
      await seedChannel(h.app, { rule: usersAndTeams(["alice"]) });
      await h.app.setAvailability("alice", "away");
      const items: Array<Record<string, unknown>> = [];
      for (let i = 0; i < seeded; i++) {
        const at = new Date(Date.parse("2026-11-24T09:00:00.000Z") + i).toISOString();
        const id = `seed-${String(i).padStart(5, "0")}`;
        const c = { ...waiting, id, createdAt: at, updatedAt: at, waitingSince: at };
        items.push(conversationToItem(c, 1), { ...waitEntryToItem(waitEntryOf(c, at, null)), ticket: i + 1 });
      }
      await putItems(db, h.app.tableName, items);
      if (seeded > 0)
        await db.doc.send(
          new PutCommand({
            TableName: h.app.tableName,
            Item: { ...keys.lineTickets("chat-1"), entityType: "lineTickets", issued: seeded },
          }),
        );
    },
  });
  rig = r;
  const chats: Array<{ id: string; visitorToken: string }> = [];
  for (let i = 0; i < 10; i++) {
    const b = await r.call({
      method: "POST",
      path: "/chat/chat-1/conversations",
      as: null,
      body: { text: `chat ${i}` },
    });
    chats.push({ id: b.json.conversation.id, visitorToken: b.json.visitorToken });
  }
  return { r, db, chats, head: seeded > 0 ? "seed-00000" : chats[0]!.id };
}

const waiting = {
  inboxId: "inbox-1",
  channelId: "chat-1",
  channelType: "chat" as const,
  status: "open" as const,
  assigneeId: null,
  teamId: null,
  contactId: null,
};

describe("a waiting visitor's place in line costs O(1) reads (docs/routing.md §5.5)", () => {
  it("the same calls and items read with 2,000 waiting as with 10, by poll and by push", async () => {
    const measured: Record<number, { poll: unknown; place: number; push: unknown }> = {};
    for (const n of [10, 2000]) {
      const { r, db, chats, head } = await line(n);
      const last = chats.at(-1)!;
      const path = `/chat/conversations/${last.id}/messages`;
      const thread = await r.call({ method: "GET", path, as: null, query: { visitorToken: last.visitorToken } });
      const place = thread.json.conversation.waiting.position as number;
      const stored = (await r.app.store.getConversation(last.id))!;
      const poll = await cost(db, () => r.app.queries.placeInLine(stored));
      // Push: the visitor listens; the head leaves the line (taken by hand); their new place arrives.
      const v = await r.open(await r.visitorTicket(last.id, last.visitorToken));
      v.send({ action: "subscribe", topic: `conversation:${last.id}` });
      await v.next((f) => f.type === "chat");
      const seen = v.frames.length;
      let moved: Record<string, unknown> = {};
      // The take by hand, its stream records and the fan-out's reads and posts, until the frame is there.
      const push = await cost(db, async () => {
        await r.call({
          method: "PUT",
          path: `/conversations/${head}/assignee`,
          as: { sub: "alice" },
          body: { userId: "alice" },
        });
        moved = await v.next((f) => f.type === "chat", 5000, seen);
        await r.poller.drained();
      });
      measured[n] = { poll, place, push };
      expect(place).toBe(n);
      expect((moved.conversation as { waiting: { position: number } }).waiting.position).toBe(n - 1);
      await r.stop();
      rig = undefined;
    }
    expect(measured[2000]!.poll).toEqual(measured[10]!.poll);
    expect(measured[2000]!.push).toEqual(measured[10]!.push);
    expect(measured[10]!.poll).toEqual({ calls: 2, items: 2 });
  }, 120_000);
});

describe("the fan-out under faults", () => {
  it("a throttled post backs off and is sent; a closed connection is gone", async () => {
    const r = await liveHarness();
    rig = r;
    const client = createConnectionsClient({ endpoint: r.gateway.connectionsUrl, region: "us-east-1", local: true });
    let throttled = 0;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "PostToConnectionCommand" && throttled < 2) {
          throttled++;
          throw Object.assign(new Error("Rate exceeded"), { name: "LimitExceededException", $metadata: {} });
        }
        return next(args);
      },
      { step: "initialize", name: "throttle" },
    );
    const push = new ApiGatewayPush(client, renderFrame, { baseMs: 1, tries: 5 });
    await r.app.store.putUser(profile("alice"));
    await seedChannel(r.app, { rule: usersAndTeams(["alice"]) });
    const s = await r.open(await r.agentTicket("alice"));
    const id = [...r.gateway.sockets.keys()][0]!;
    expect(await push.send(id, { type: "pong" })).toBe("sent");
    expect(throttled).toBe(2);
    await s.next((f) => f.type === "pong");
    await s.close();
    expect(await push.send(id, { type: "pong" })).toBe("gone");
    // A post that keeps being throttled reaches the caller (the batch is retried from it).
    const always = createConnectionsClient({ endpoint: r.gateway.connectionsUrl, region: "us-east-1", local: true });
    always.middlewareStack.add(
      () => async () => {
        throw Object.assign(new Error("Rate exceeded"), { name: "LimitExceededException", $metadata: {} });
      },
      { step: "initialize", name: "always" },
    );
    await expect(
      new ApiGatewayPush(always, renderFrame, { baseMs: 1, tries: 3 }).send(id, { type: "pong" }),
    ).rejects.toThrow("Rate exceeded");
    expect(PostToConnectionCommand).toBeDefined();
  });

  it("a batch that fails part-way reports the failed record and every one after it", async () => {
    const db = clients();
    const r = await liveHarness({ db });
    rig = r;
    await r.app.store.putUser(profile("alice"));
    await seedChannel(r.app, { rule: usersAndTeams(["alice"]) });
    const s = await r.open(await r.agentTicket("alice"));
    s.send({ action: "subscribe", topic: "inbox:inbox-1" });
    await s.next((f) => f.type === "subscribed");
    const base = {
      ...waiting,
      createdAt: "2026-11-24T10:00:00.000Z",
      updatedAt: "2026-11-24T10:00:00.000Z",
    };
    const record = (i: number): DynamoDBRecord => ({
      eventName: "MODIFY",
      dynamodb: {
        SequenceNumber: String(100 + i),
        NewImage: marshall(conversationToItem({ ...base, id: `c${i}` }, 1), { removeUndefinedValues: true }) as never,
      },
    });
    // The second change's read of its conversation's listeners is throttled (the third Query of the batch).
    let queries = 0;
    injectFaults(db.client, (name) => (name === "QueryCommand" && ++queries === 3 ? "throttle" : null));
    const out = await handleStreamEvent({ Records: [record(1), record(2), record(3)] }, r.live, { error: () => {} });
    expect(out.batchItemFailures).toEqual([{ itemIdentifier: "102" }, { itemIdentifier: "103" }]);
    const c1 = await s.next((f) => f.type === "conversation");
    expect(c1.conversation).toMatchObject({ id: "c1" });
  });
});
