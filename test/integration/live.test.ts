import { afterEach, describe, expect, it } from "vitest";
import { DynamoLiveStore } from "#shared/adapters/dynamo/live-store";
import { profile, seedChannel, usersAndTeams } from "../support/harness";
import { injectFaults } from "../support/instrument";
import { liveHarness } from "../support/live";

type Live = Awaited<ReturnType<typeof liveHarness>>;
let rig: Live | undefined;
afterEach(async () => {
  await rig?.stop();
  rig = undefined;
});

/** An inbox with one chat channel routed to alice; bob is an agent of the same organisation. */
async function desk(access: "everyone" | "alice only" = "everyone") {
  rig = await liveHarness();
  await rig.app.store.putUser(profile("alice"));
  await rig.app.store.putUser(profile("bob"));
  await seedChannel(rig.app, {
    rule: usersAndTeams(["alice"]),
    access: access === "everyone" ? { type: "everyone" } : { type: "restricted", userIds: ["alice"], teamIds: [] },
  });
  return rig;
}

/** The store on its own, and one of alice's connections (not opened: written as the handler writes it). */
function storeRig(r: Live, connectionId: string) {
  const store = new DynamoLiveStore(r.app.db, r.app.tableName, r.app.store.reads);
  const alice = { id: "alice", role: "agent" as const, primaryTeamId: null, additionalTeamIds: [] };
  const conn = { connectionId, subject: { kind: "agent", userId: "alice" } as const, topics: [], expiresAt: 2e9 };
  const sub = (topic: `inbox:${string}`) => ({
    topic,
    connectionId,
    audience: { kind: "agent" as const, user: alice },
    expiresAt: 2e9,
  });
  return { store, conn, sub };
}

async function startChat(r: Live, text = "hello") {
  const res = await r.call({ method: "POST", path: "/chat/chat-1/conversations", as: null, body: { text } });
  expect(res.status).toBe(201);
  return { id: res.json.conversation.id as string, visitorToken: res.json.visitorToken as string };
}

describe("live updates: tickets and the socket (docs/api.md, Live updates)", () => {
  it("a ticket opens one socket, once, within a minute; no ticket, a wrong or a spent one is refused", async () => {
    const r = await desk();
    const issued = await r.call({ method: "POST", path: "/live/tickets", as: { sub: "alice" } });
    expect(issued.status).toBe(201);
    expect(issued.json).toEqual({ ticket: expect.any(String), url: r.gateway.url, expiresAt: expect.any(String) });
    expect((await r.call({ method: "POST", path: "/live/tickets", as: null })).status).toBe(401);
    const first = await r.open(issued.json.ticket);
    expect(first.status).toBe(101);
    expect((await r.open(issued.json.ticket)).status).toBe(401);
    expect((await r.open("not-a-ticket")).status).toBe(401);
    // Longer than any ticket (and than a DynamoDB key may be): refused the same way, not a 500.
    expect((await r.open("x".repeat(3000))).status).toBe(401);
    const stale = await r.agentTicket("alice");
    r.app.clock.advance(61_000);
    expect((await r.open(stale)).status).toBe(401);
    await first.close();
    // The connection's records went with it.
    const store = new DynamoLiveStore(r.app.db, r.app.tableName, r.app.store.reads);
    expect(await store.subscribers("inbox:inbox-1")).toEqual([]);
  });

  it("a visitor's ticket needs their own chat's visitor token", async () => {
    const r = await desk();
    const chat = await startChat(r);
    const other = await startChat(r, "someone else");
    const path = `/chat/conversations/${chat.id}/live`;
    expect((await r.call({ method: "POST", path, as: null, body: {} })).status).toBe(401);
    const wrong = await r.call({ method: "POST", path, as: null, body: { visitorToken: other.visitorToken } });
    expect(wrong.status).toBe(404);
    const right = await r.call({ method: "POST", path, as: null, body: { visitorToken: chat.visitorToken } });
    expect(right.status).toBe(201);
  });

  it("bad requests on an open socket answer an error frame and change nothing", async () => {
    const r = await desk();
    const s = await r.open(await r.agentTicket("alice"));
    for (const bad of ["not json", "{}", '{"action":"dance"}', '{"action":"subscribe","topic":"inbox:a#b"}']) {
      s.send(bad);
      const f = await s.next((x) => x.type === "error", 2000, s.frames.length);
      expect(f).toMatchObject({ type: "error", code: "validation_failed" });
    }
    s.send({ action: "subscribe", topic: "line:chat-1" });
    expect(await s.next((x) => x.type === "error" && x.code === "forbidden")).toBeTruthy();
    s.send({ action: "subscribe", topic: "inbox:nope" });
    expect(await s.next((x) => x.type === "error" && x.code === "not_found")).toBeTruthy();
    s.send({ action: "ping" });
    expect(await s.next((x) => x.type === "pong")).toEqual({ type: "pong" });
    expect(r.errors).toEqual([]);
  });
});

describe("live updates: what agents receive", () => {
  it("a routed chat reaches the inbox's subscribers as an inbox row, with a cursor", async () => {
    const r = await desk();
    const s = await r.open(await r.agentTicket("alice"));
    s.send({ action: "subscribe", topic: "inbox:inbox-1" });
    await s.next((f) => f.type === "subscribed");
    const chat = await startChat(r);
    const f = await s.next((x) => x.type === "conversation" && (x.conversation as { id: string }).id === chat.id);
    expect(f).toMatchObject({ topic: "inbox:inbox-1", cursor: expect.any(String) });
    expect(f.conversation).toMatchObject({ id: chat.id, assigneeId: "alice", status: "open" });
    // An inbox row: no routing record, no visitor credential.
    expect(f.conversation).not.toHaveProperty("routing");
    expect(f.conversation).not.toHaveProperty("visitorToken");
  });

  it("two subscribes sent at once on one socket both take, a lost transaction race retried", async () => {
    const r = await desk();
    const chat = await startChat(r);
    const s = await r.open(await r.agentTicket("alice"));
    // DynamoDB cancels one of two transactions writing the same connection item; the emulator never does.
    let conflicts = 0;
    injectFaults(r.app.db.client, (name) =>
      name === "TransactWriteItemsCommand" && conflicts++ === 0 ? "conflict" : null,
    );
    s.send({ action: "subscribe", topic: "inbox:inbox-1" });
    s.send({ action: "subscribe", topic: `conversation:${chat.id}` });
    await s.next((f) => f.type === "subscribed" && f.topic === "inbox:inbox-1");
    await s.next((f) => f.type === "subscribed" && f.topic === `conversation:${chat.id}`);
    const conn = (await new DynamoLiveStore(r.app.db, r.app.tableName, r.app.store.reads).getConnection(
      [...r.gateway.sockets.keys()][0]!,
    ))!;
    expect(conn.topics.sort()).toEqual([`conversation:${chat.id}`, "inbox:inbox-1"]);
    expect(conflicts).toBeGreaterThan(1);
    expect(r.errors).toEqual([]);
  });

  it("switching inboxes fast leaves one inbox subscription, the last one asked for", async () => {
    const r = await desk();
    for (const id of ["inbox-2", "inbox-3", "inbox-4"])
      await r.app.store.putInbox({ id, name: id, access: { type: "everyone" } });
    const s = await r.open(await r.agentTicket("alice"));
    const topics = ["inbox:inbox-1", "inbox:inbox-2", "inbox:inbox-3", "inbox:inbox-4"];
    // All at once, numbered as the web clients number them: the handlers run side by side, and the
    // earlier ones may finish last.
    topics.forEach((topic, i) => s.send({ action: "subscribe", topic, seq: i + 1 }));
    await s.next((f) => f.type === "subscribed" && f.topic === "inbox:inbox-4");
    await r.poller.drained();
    const store = new DynamoLiveStore(r.app.db, r.app.tableName, r.app.store.reads);
    const [id] = [...r.gateway.sockets.keys()];
    // Final from here on: an earlier request finishing now finds a later seq written and writes nothing.
    expect((await store.getConnection(id!))!.topics).toEqual(["inbox:inbox-4"]);
    const listening = [];
    for (const topic of topics)
      for (const sub of await store.subscribers(topic as `inbox:${string}`))
        if (sub.connectionId === id) listening.push(topic);
    expect(listening).toEqual(["inbox:inbox-4"]);
    // A chat in the inbox left behind reaches nobody on this socket.
    const before = s.frames.length;
    await startChat(r);
    await r.poller.drained();
    expect(s.frames.slice(before).filter((f) => f.type === "conversation")).toEqual([]);
    expect(r.errors).toEqual([]);
  });

  it("of one socket's requests for a kind of topic, the later seq stands whatever finishes first", async () => {
    const r = await desk();
    const { store, conn, sub } = storeRig(r, "c2=");
    const held = async () => (await store.getConnection("c2="))!.topics;
    await store.putConnection(conn);
    // Subscribe b (2) then c (3) were sent; c finishes first, b after it: b writes nothing.
    expect(await store.subscribe(conn, sub("inbox:c"), undefined, 3)).toBe(true);
    expect(await store.subscribe(conn, sub("inbox:b"), undefined, 2)).toBe(false);
    expect(await held()).toEqual(["inbox:c"]);
    expect(await store.subscribers("inbox:b")).toEqual([]);
    // Subscribe d (4) then unsubscribe d (5): the unsubscribe finishes first, the subscribe writes nothing.
    await store.unsubscribe("c2=", "inbox:d", 5);
    expect(await store.subscribe(conn, sub("inbox:d"), "inbox:c", 4)).toBe(false);
    expect(await store.subscribers("inbox:d")).toEqual([]);
    expect(await held()).toEqual(["inbox:c"]);
    // An unsubscribe of what it holds, in order: gone; an earlier one arriving late changes nothing.
    expect(await store.subscribe(conn, sub("inbox:e"), "inbox:c", 6)).toBe(true);
    await store.unsubscribe("c2=", "inbox:e", 7);
    expect(await held()).toEqual([]);
    expect(await store.subscribe(conn, sub("inbox:f"), undefined, 8)).toBe(true);
    await store.unsubscribe("c2=", "inbox:f", 1);
    expect(await held()).toEqual(["inbox:f"]);
    expect((await store.subscribers("inbox:f")).map((x) => x.connectionId)).toEqual(["c2="]);
  });

  it(
    "a subscribe from a stale read of the connection replaces what it holds now; " +
      "a closing connection takes a subscription that committed after it was read",
    async () => {
      const r = await desk();
      const store = new DynamoLiveStore(r.app.db, r.app.tableName, r.app.store.reads);
      const alice = { id: "alice", role: "agent" as const, primaryTeamId: null, additionalTeamIds: [] };
      const conn = {
        connectionId: "c1=",
        subject: { kind: "agent", userId: "alice" } as const,
        topics: [],
        expiresAt: 2e9,
      };
      const sub = (topic: `inbox:${string}`) => ({
        topic,
        connectionId: "c1=",
        audience: { kind: "agent" as const, user: alice },
        expiresAt: 2e9,
      });
      await store.putConnection(conn);
      await store.subscribe(conn, sub("inbox:a"), undefined);
      // `conn` still says it listens to nothing: the write finds inbox:a there and replaces it.
      await store.subscribe(conn, sub("inbox:b"), undefined);
      expect(await store.subscribers("inbox:a")).toEqual([]);
      expect((await store.subscribers("inbox:b")).map((x) => x.connectionId)).toEqual(["c1="]);
      expect((await store.getConnection("c1="))!.topics).toEqual(["inbox:b"]);
      // The socket closes with the same stale read: inbox:b goes with it, and no subscribe can follow.
      await store.deleteConnection(conn);
      expect(await store.subscribers("inbox:b")).toEqual([]);
      await expect(store.subscribe(conn, sub("inbox:c"), undefined)).rejects.toThrow(/connection is closed/);
      expect(await store.subscribers("inbox:c")).toEqual([]);
    },
  );

  it("the open conversation's messages reach the agent", async () => {
    const r = await desk();
    const chat = await startChat(r);
    const s = await r.open(await r.agentTicket("alice"));
    s.send({ action: "subscribe", topic: `conversation:${chat.id}` });
    await s.next((f) => f.type === "subscribed");
    await r.call({
      method: "POST",
      path: `/chat/conversations/${chat.id}/messages`,
      as: null,
      body: { text: "are you there?", visitorToken: chat.visitorToken },
    });
    const m = await s.next((f) => f.type === "message");
    expect(m.message).toMatchObject({ conversationId: chat.id, text: "are you there?", author: { kind: "customer" } });
  });

  it("no access, no subscription; access withdrawn stops the flow and says so", async () => {
    const r = await desk("alice only");
    const bob = await r.open(await r.agentTicket("bob"));
    bob.send({ action: "subscribe", topic: "inbox:inbox-1" });
    expect(await bob.next((f) => f.type === "error")).toMatchObject({ code: "forbidden" });
    const alice = await r.open(await r.agentTicket("alice"));
    alice.send({ action: "subscribe", topic: "inbox:inbox-1" });
    await alice.next((f) => f.type === "subscribed");
    await startChat(r);
    await alice.next((f) => f.type === "conversation");
    // The admin takes alice off the inbox: the next change is not sent, and she is told.
    await r.app.commands.admin.putInbox({
      id: "inbox-1",
      name: "Support",
      access: { type: "restricted", userIds: ["bob"], teamIds: [] },
    });
    const seen = alice.frames.length;
    await startChat(r, "after");
    expect(await alice.next((f) => f.type === "revoked", 5000, seen)).toMatchObject({ topic: "inbox:inbox-1" });
    await startChat(r, "later still");
    await new Promise((res) => setTimeout(res, 300));
    expect(alice.frames.slice(seen).filter((f) => f.type === "conversation")).toEqual([]);
  });

  it("a user's own access change (teams) is re-checked at once", async () => {
    const r = await liveHarness();
    rig = r;
    await r.app.store.putTeam({ id: "t1", name: "Tier 1" });
    await r.app.store.putUser(profile("alice", { primaryTeamId: "t1" }));
    await seedChannel(r.app, {
      rule: usersAndTeams(["alice"]),
      access: { type: "restricted", userIds: [], teamIds: ["t1"] },
    });
    const s = await r.open(await r.agentTicket("alice"));
    s.send({ action: "subscribe", topic: "inbox:inbox-1" });
    await s.next((f) => f.type === "subscribed");
    await r.app.commands.admin.putUser({ ...profile("alice"), primaryTeamId: null, additionalTeamIds: [] });
    expect(await s.next((f) => f.type === "revoked")).toMatchObject({ topic: "inbox:inbox-1" });
  });
});

describe("live updates: what a visitor receives", () => {
  it("the agent's reply and who has the chat, as the visitor sees them; never notes, ids or emails", async () => {
    const r = await desk();
    const chat = await startChat(r);
    const other = await startChat(r, "another visitor");
    const v = await r.open(await r.visitorTicket(chat.id, chat.visitorToken));
    expect(v.status).toBe(101);
    v.send({ action: "subscribe", topic: `conversation:${chat.id}` });
    const state = await v.next((f) => f.type === "chat");
    expect(state.conversation).toEqual({ id: chat.id, status: "open", assigned: true, agent: { name: "Alice" } });
    await r.call({
      method: "POST",
      path: `/conversations/${chat.id}/messages`,
      as: { sub: "alice" },
      body: { text: "hi!" },
    });
    await r.call({
      method: "POST",
      path: `/conversations/${other.id}/messages`,
      as: { sub: "alice" },
      body: { text: "not yours" },
    });
    await r.call({ method: "POST", path: `/conversations/${chat.id}/close`, as: { sub: "alice" } });
    const m = await v.next((f) => f.type === "message" && (f.message as { text: string }).text === "hi!");
    expect(m.message).toEqual({
      id: expect.any(String),
      text: "hi!",
      createdAt: expect.any(String),
      author: { kind: "agent", name: "Alice" },
    });
    await v.next((f) => f.type === "chat" && (f.conversation as { status: string }).status === "closed");
    const text = JSON.stringify(v.frames);
    expect(text).not.toContain("not yours");
    expect(text).not.toContain("alice@");
    expect(text).not.toContain('"userId"');
    expect(text).not.toContain('"routing"');
    expect(
      v.frames.filter((f) => f.type === "message").map((f) => (f.message as { author: { kind: string } }).author.kind),
    ).not.toContain("system");
    // Another chat's topic is not theirs.
    v.send({ action: "subscribe", topic: `conversation:${other.id}` });
    expect(await v.next((f) => f.type === "error")).toMatchObject({ code: "forbidden" });
  });
});

describe("live updates: nothing missed", () => {
  it("a client resuming from its cursor receives what it missed; too far behind, it is told to reload", async () => {
    const r = await desk();
    const chat = await startChat(r);
    const first = await r.open(await r.agentTicket("alice"));
    first.send({ action: "subscribe", topic: `conversation:${chat.id}` });
    const sub = await first.next((f) => f.type === "subscribed");
    await first.close();
    for (const text of ["one", "two", "three"])
      await r.call({
        method: "POST",
        path: `/conversations/${chat.id}/messages`,
        as: { sub: "alice" },
        body: { text },
      });
    const again = await r.open(await r.agentTicket("alice"));
    again.send({ action: "subscribe", topic: `conversation:${chat.id}`, cursor: sub.cursor });
    await again.next((f) => f.type === "subscribed");
    const texts = again.frames.filter((f) => f.type === "message").map((f) => (f.message as { text: string }).text);
    expect(texts).toEqual(expect.arrayContaining(["one", "two", "three"]));
    for (let i = 0; i < 101; i++)
      await r.call({
        method: "POST",
        path: `/conversations/${chat.id}/messages`,
        as: { sub: "alice" },
        body: { text: `m${i}` },
      });
    const late = await r.open(await r.agentTicket("alice"));
    late.send({ action: "subscribe", topic: `conversation:${chat.id}`, cursor: sub.cursor });
    expect(await late.next((f) => f.type === "reload")).toMatchObject({ topic: `conversation:${chat.id}` });
  });

  it("an inbox resumes from its cursor too", async () => {
    const r = await desk();
    const s = await r.open(await r.agentTicket("alice"));
    s.send({ action: "subscribe", topic: "inbox:inbox-1" });
    const sub = await s.next((f) => f.type === "subscribed");
    await s.close();
    const chat = await startChat(r);
    const again = await r.open(await r.agentTicket("alice"));
    again.send({ action: "subscribe", topic: "inbox:inbox-1", cursor: sub.cursor });
    const f = await again.next((x) => x.type === "conversation");
    expect(f.conversation).toMatchObject({ id: chat.id });
  });

  it("a closed connection's records go when a post answers 410", async () => {
    const r = await desk();
    const store = new DynamoLiveStore(r.app.db, r.app.tableName, r.app.store.reads);
    const conn = {
      connectionId: "ghost=",
      subject: { kind: "agent", userId: "alice" } as const,
      topics: [],
      expiresAt: 2e9,
    };
    await store.putConnection(conn);
    const alice = { id: "alice", role: "agent" as const, primaryTeamId: null, additionalTeamIds: [] };
    await store.subscribe(
      conn,
      { topic: "inbox:inbox-1", connectionId: "ghost=", audience: { kind: "agent", user: alice }, expiresAt: 2e9 },
      undefined,
    );
    expect(await store.subscribers("inbox:inbox-1")).toHaveLength(1);
    await startChat(r);
    const until = Date.now() + 5000;
    while ((await store.subscribers("inbox:inbox-1")).length > 0 && Date.now() < until)
      await new Promise((res) => setTimeout(res, 50));
    expect(await store.subscribers("inbox:inbox-1")).toEqual([]);
    expect(await store.getConnection("ghost=")).toBeNull();
  });
});
