import { CreateTableCommand, DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { beforeEach, describe, expect, it } from "vitest";
import { createTableInput } from "#shared/adapters/dynamo/table";
import { ensureTable } from "#shared/app";
import {
  assigneePageSchema,
  changesSchema,
  channelPageSchema,
  conversationDetailSchema,
  conversationPageSchema,
  countsSchema,
  inboxPageSchema,
  meSchema,
  teamPageSchema,
} from "#shared/http/web-schemas";
import { clients, profile } from "../support/harness";
import { ADMIN, apiHarness } from "../support/http";

type H = Awaited<ReturnType<typeof apiHarness>>;
const ALICE = { sub: "alice" };
const CAROL = { sub: "carol" };

async function seed(h: H) {
  const put = async (path: string, body: unknown) => {
    const r = await h.call({ method: "PUT", path, body, as: ADMIN });
    expect(r.status, `${path}: ${JSON.stringify(r.json)}`).toBeLessThan(300);
  };
  await put("/teams/support", { name: "Support" });
  await put("/teams/sales", { name: "Sales" });
  await put("/users/alice", { name: "Alice", email: "alice@example.com", seat: "service", primaryTeamId: "support" });
  await put("/users/bob", {
    name: "Bob",
    email: "bob@example.com",
    seat: "none",
    primaryTeamId: null,
    additionalTeamIds: ["support"],
  });
  await put("/users/carol", { name: "Carol", email: "carol@example.com", seat: "sales", primaryTeamId: "sales" });
  await put("/inboxes/main", { name: "Main", access: { type: "restricted", teamIds: ["support"], userIds: [] } });
  await put("/inboxes/open", { name: "Open", access: { type: "everyone" } });
  const manual = { autoAssign: false, target: { type: "users_and_teams", userIds: [], teamIds: [] } };
  await put("/channels/web-chat", { inboxId: "main", type: "chat", name: "Web chat", routing: manual });
  await put("/channels/form", { inboxId: "open", type: "form", name: "Form", routing: manual });
}

const chat = (h: H, text: string) => h.call({ method: "POST", path: "/chat/web-chat/conversations", body: { text } });

describe("web inbox reads", () => {
  let h: H;
  beforeEach(async () => {
    h = await apiHarness();
    await seed(h);
  });

  it("GET /me answers the caller and whether they may open Settings", async () => {
    const me = meSchema.parse((await h.call({ method: "GET", path: "/me", as: ALICE })).json);
    expect(me).toMatchObject({ user: { id: "alice", availability: "available" }, admin: false });
  });

  it("GET /inboxes lists only the inboxes the caller can read; admins see all", async () => {
    const carol = inboxPageSchema.parse((await h.call({ method: "GET", path: "/inboxes", as: CAROL })).json);
    expect(carol.items.map((i) => i.id)).toEqual(["open"]);
    const alice = inboxPageSchema.parse((await h.call({ method: "GET", path: "/inboxes", as: ALICE })).json);
    expect(alice.items.map((i) => i.id)).toEqual(["main", "open"]);
  });

  it("lists page with a cursor, and a cursor from another listing is a 400", async () => {
    const first = teamPageSchema.parse(
      (await h.call({ method: "GET", path: "/teams", query: { limit: "1" }, as: ALICE })).json,
    );
    expect(first.items.map((t) => t.id)).toEqual(["sales"]);
    const second = teamPageSchema.parse(
      (await h.call({ method: "GET", path: "/teams", query: { limit: "1", cursor: first.nextCursor! }, as: ALICE }))
        .json,
    );
    expect(second.items.map((t) => t.id)).toEqual(["support"]);
    const bad = await h.call({ method: "GET", path: "/inboxes", query: { cursor: first.nextCursor! }, as: ALICE });
    expect(bad.status).toBe(400);
    expect((await h.call({ method: "GET", path: "/teams", query: { cursor: "garbage" }, as: ALICE })).status).toBe(400);
  });

  it("GET /channels is for admins and lists every channel", async () => {
    expect((await h.call({ method: "GET", path: "/channels", as: ALICE })).status).toBe(403);
    const page = channelPageSchema.parse((await h.call({ method: "GET", path: "/channels", as: ADMIN })).json);
    expect(page.items.map((c) => c.id)).toEqual(["form", "web-chat"]);
  });

  it("assignees are the users assignable in the inbox: not members through an additional team only", async () => {
    const page = assigneePageSchema.parse(
      (await h.call({ method: "GET", path: "/inboxes/main/assignees", as: ALICE })).json,
    );
    expect(page.items.map((u) => u.id)).toEqual(["alice"]);
    expect((await h.call({ method: "GET", path: "/inboxes/main/assignees", as: CAROL })).status).toBe(403);
  });

  it("a restricted inbox's assignees come from its access list, not a walk through the directory", async () => {
    // 150 users outside the inbox, sorting before its members: a page of the directory would hold none.
    for (let i = 0; i < 150; i++) await h.app.store.putUser(profile(`a-${String(i).padStart(3, "0")}`));
    await h.app.store.putUser(profile("zed", { primaryTeamId: "support" }));
    await h.app.store.putUser(profile("zoe"));
    await h.call({
      method: "PUT",
      path: "/inboxes/main",
      as: ADMIN,
      body: { name: "Main", access: { type: "restricted", teamIds: ["support"], userIds: ["zoe"] } },
    });
    const first = assigneePageSchema.parse(
      (await h.call({ method: "GET", path: "/inboxes/main/assignees", query: { limit: "2" }, as: ALICE })).json,
    );
    expect(first.items.map((u) => u.id)).toEqual(["alice", "zed"]);
    const rest = assigneePageSchema.parse(
      (
        await h.call({
          method: "GET",
          path: "/inboxes/main/assignees",
          query: { limit: "2", cursor: first.nextCursor! },
          as: ALICE,
        })
      ).json,
    );
    expect([rest.items.map((u) => u.id), rest.nextCursor]).toEqual([["zoe"], null]);
  });

  it("counts the Unassigned, Mine and All views", async () => {
    const a = await chat(h, "first");
    await chat(h, "second");
    await h.call({
      method: "PUT",
      path: `/conversations/${a.json.conversation.id}/assignee`,
      body: { userId: "alice" },
      as: ALICE,
    });
    const counts = countsSchema.parse((await h.call({ method: "GET", path: "/inboxes/main/counts", as: ALICE })).json);
    expect(counts).toEqual({ unassigned: 1, mine: 1, all: 2, cap: 100 });
  });

  it("rows carry the first line of the first message", async () => {
    await chat(h, "\n  My order is late  \nsecond line");
    const page = conversationPageSchema.parse(
      (await h.call({ method: "GET", path: "/inboxes/main/conversations", query: { view: "all" }, as: ALICE })).json,
    );
    expect(page.items[0]!.preview).toBe("My order is late");
    // A row is the conversation without its routing record: the view indexes, which every change of a
    // conversation rewrites, do not copy it (nor the visitor's token). The conversation itself has it.
    for (const view of ["all", "unassigned", "mine"]) {
      const rows = (await h.call({ method: "GET", path: "/inboxes/main/conversations", query: { view }, as: ALICE }))
        .json.items as Array<Record<string, unknown>>;
      if (view === "all") expect(rows.length).toBeGreaterThan(0);
      for (const row of rows) {
        const {
          routing,
          version: _v,
          visitorToken: _t,
          ...rest
        } = (await h.app.store.getConversation(row.id as string))!;
        expect(routing).toBeDefined();
        // Answers always say whether a machine sent it (docs/api.md: null for people's mail).
        expect(row).toEqual({ ...rest, automatic: rest.automatic ?? null });
      }
    }
  });

  it("the live feed hands out a cursor, then only the conversations changed since it", async () => {
    const old = await chat(h, "old");
    h.app.clock.advance(60_000);
    const start = changesSchema.parse((await h.call({ method: "GET", path: "/inboxes/main/changes", as: ALICE })).json);
    expect(start.items).toEqual([]);
    h.app.clock.advance(60_000);
    const fresh = await chat(h, "new");
    const next = changesSchema.parse(
      (await h.call({ method: "GET", path: "/inboxes/main/changes", query: { since: start.cursor }, as: ALICE })).json,
    );
    expect(next.items.map((c) => c.id)).toEqual([fresh.json.conversation.id]);
    expect(next.cursor > start.cursor).toBe(true);
    // A reply on the old conversation is a change too.
    h.app.clock.advance(60_000);
    await h.call({
      method: "POST",
      path: `/conversations/${old.json.conversation.id}/messages`,
      body: { text: "on it" },
      as: ALICE,
    });
    const after = changesSchema.parse(
      (await h.call({ method: "GET", path: "/inboxes/main/changes", query: { since: next.cursor }, as: ALICE })).json,
    );
    // The window re-reads the last seconds before the cursor (a late index write): the client dedupes.
    expect(after.items.map((c) => [c.id, c.assigneeId])).toEqual([
      [fresh.json.conversation.id, null],
      [old.json.conversation.id, "alice"],
    ]);
    expect(JSON.stringify(after)).not.toContain("visitorToken");
    // A feed entry is the row, not the record: everything stored but the routing record (kept out of
    // the index, which every change rewrites) and the visitor's token.
    const stored = (await h.app.store.getConversation(old.json.conversation.id))!;
    const { routing, version: _v, visitorToken: _t, ...row } = stored;
    expect(routing).toBeDefined();
    expect(after.items.find((c) => c.id === stored.id)).toEqual(row);
    expect(
      (await h.call({ method: "GET", path: "/inboxes/main/changes", query: { since: "yesterday" }, as: ALICE })).status,
    ).toBe(400);
  });

  it("a conversation's detail matches the schema the inbox reads", async () => {
    const c = await chat(h, "hello");
    const detail = conversationDetailSchema.parse(
      (await h.call({ method: "GET", path: `/conversations/${c.json.conversation.id}`, as: ALICE })).json,
    );
    expect(detail.messages.map((m) => m.text)).toEqual(["hello"]);
  });
});

describe("live polling is not inbox activity", () => {
  it("the change feed and the counts leave lastInboxActivityAt alone; a heartbeat records it", async () => {
    const h = await apiHarness();
    await seed(h);
    await h.call({ method: "POST", path: "/me/heartbeat", as: ALICE });
    const before = (await h.app.store.getUser("alice"))!.lastInboxActivityAt;
    h.app.clock.advance(5 * 60_000);
    await h.call({ method: "GET", path: "/inboxes/main/changes", as: ALICE });
    await h.call({ method: "GET", path: "/inboxes/main/counts", as: ALICE });
    expect((await h.app.store.getUser("alice"))!.lastInboxActivityAt).toBe(before);
    await h.call({ method: "POST", path: "/me/heartbeat", as: ALICE });
    expect((await h.app.store.getUser("alice"))!.lastInboxActivityAt).not.toBe(before);
  });
});

describe("local data from before the change feed", () => {
  it("ensureTable adds the indexes a kept table lacks", async () => {
    const db = clients();
    const name = `routing-old-${Date.now().toString(36)}`;
    const full = createTableInput(name);
    await db.client.send(
      new CreateTableCommand({
        ...full,
        AttributeDefinitions: full.AttributeDefinitions.filter((a) => !a.AttributeName.startsWith("gsi4")),
        GlobalSecondaryIndexes: full.GlobalSecondaryIndexes.filter((i) => i.IndexName !== "gsi4"),
      }),
    );
    await ensureTable(db, name);
    const { Table } = await db.client.send(new DescribeTableCommand({ TableName: name }));
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual([
      "gsi1",
      "gsi2",
      "gsi3",
      "gsi4",
      "gsi5",
      "gsi6",
    ]);
  });
});

describe("the developer sign-in exists only in local mode", () => {
  it("the deployed API (the Lambda handler) has no /local routes: 404, no token", async () => {
    const h = await apiHarness();
    const r = await h.call({ method: "POST", path: "/local/sign-in", body: { userId: "alice" } });
    expect(r.status).toBe(404);
    expect(JSON.stringify(r.json)).not.toContain('token":');
  });
});
