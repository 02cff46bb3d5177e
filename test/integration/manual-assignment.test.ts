import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from "#shared/domain/errors";
import type { User } from "#shared/domain/types";
import { created, invariantViolations, profile, seedChannel, type TestApp, testApp } from "../support/harness";

const manual = { autoAssign: false, target: { type: "users_and_teams" as const, userIds: [], teamIds: [] } };

describe("routing.md §3: manual assignment and the conversation lifecycle", () => {
  let app: TestApp;
  let alice: User;
  let bob: User;
  let carol: User;
  let reader: User;
  let outsider: User;
  const load = async (id: string) => (await app.store.getUser(id))!.openCount;
  const newConversation = async () =>
    (await app.inbound.receive({ channelId: "chat-1", accepts: ["chat"], text: "hi", contactKey: null }).then(created))
      .conversation;

  beforeEach(async () => {
    app = await testApp();
    for (const t of ["sales", "support", "elsewhere"]) await app.store.putTeam({ id: t, name: t });
    alice = await app.store.putUser(profile("alice", { primaryTeamId: "support" }));
    bob = await app.store.putUser(profile("bob", { primaryTeamId: "support" }));
    carol = await app.store.putUser(profile("carol", { primaryTeamId: "support", capacity: 1 }));
    reader = await app.store.putUser(profile("reader", { primaryTeamId: "elsewhere", additionalTeamIds: ["support"] }));
    outsider = await app.store.putUser(profile("outsider", { primaryTeamId: "elsewhere" }));
    await seedChannel(app, { rule: manual, access: { type: "restricted", teamIds: ["support"], userIds: [] } });
  });

  // Every test ends with stored counts equal to the recount and nobody over capacity (docs/routing.md §5.4).
  afterEach(async () => {
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("3.2: the Unassigned view lists open unassigned conversations, oldest first, page by page", async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await newConversation()).id);
      app.clock.advance(1000);
    }
    await app.conversations.assign(alice, ids[1]!, { userId: "alice" });
    await app.conversations.close(alice, ids[3]!);
    const page1 = await app.store.listConversations({
      inboxId: "inbox-1",
      view: "unassigned",
      status: "open",
      userId: "alice",
      limit: 2,
    });
    const page2 = await app.store.listConversations({
      inboxId: "inbox-1",
      view: "unassigned",
      status: "open",
      userId: "alice",
      limit: 2,
      cursor: page1.nextCursor!,
    });
    expect([...page1.items, ...page2.items].map((c) => c.id)).toEqual([ids[0], ids[2], ids[4]]);
    const mine = await app.store.listConversations({
      inboxId: "inbox-1",
      view: "mine",
      status: "open",
      userId: "alice",
      limit: 10,
    });
    expect(mine.items.map((c) => c.id)).toEqual([ids[1]]);
  });

  it(
    "3.3: a user with access takes an unassigned conversation, " + "even one who reads through an additional team",
    async () => {
      const c = await newConversation();
      const taken = await app.conversations.assign(reader, c.id, { userId: "reader" });
      expect(taken.assigneeId).toBe("reader");
      expect(await load("reader")).toBe(1);
      expect(await invariantViolations(app)).toEqual([]);
    },
  );

  it("3.3: a user without access cannot touch the conversation (403)", async () => {
    const c = await newConversation();
    await expect(app.conversations.assign(outsider, c.id, { userId: "outsider" })).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    expect(await load("outsider")).toBe(0);
  });

  it("3.4: replying to an unassigned conversation assigns it to the replier in the same step", async () => {
    const c = await newConversation();
    app.clock.advance(1000);
    const { conversation, message } = await app.conversations.reply(bob, c.id, "On it!");
    expect(conversation.assigneeId).toBe("bob");
    expect(message.author).toMatchObject({ kind: "agent", userId: "bob" });
    // The reply and, in the same transaction, the note saying it made Bob the owner.
    expect((await app.store.listMessages(c.id)).map((m) => m.text).sort()).toEqual(
      ["hi", "On it!", "Bob took this by replying"].sort(),
    );
    expect(await load("bob")).toBe(1);
    // A reply to an assigned conversation keeps the assignee.
    await app.conversations.reply(alice, c.id, "Me too");
    expect((await app.store.getConversation(c.id))?.assigneeId).toBe("bob");
    expect(await load("alice")).toBe(0);
  });

  it("3.4: a reply that would take the replier past capacity is refused and changes nothing", async () => {
    await app.conversations.assign(carol, (await newConversation()).id, { userId: "carol" });
    const c = await newConversation();
    await expect(app.conversations.reply(carol, c.id, "hello")).rejects.toBeInstanceOf(ConflictError);
    expect((await app.store.listMessages(c.id)).map((m) => m.text)).toEqual(["hi"]);
    expect(await load("carol")).toBe(1);
  });

  it("3.5: reassigning moves one unit of load from the old to the new assignee", async () => {
    const c = await newConversation();
    await app.conversations.assign(alice, c.id, { userId: "alice" });
    await app.conversations.assign(alice, c.id, { userId: "bob" });
    expect([await load("alice"), await load("bob")]).toEqual([0, 1]);
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("3.5: the target must be assignable: not a reader through an additional team, not an unknown user", async () => {
    const c = await newConversation();
    await app.conversations.assign(alice, c.id, { userId: "alice" });
    await expect(app.conversations.assign(alice, c.id, { userId: "reader" })).rejects.toBeInstanceOf(ValidationError);
    await expect(app.conversations.assign(alice, c.id, { userId: "ghost" })).rejects.toBeInstanceOf(ValidationError);
    expect((await app.store.getConversation(c.id))?.assigneeId).toBe("alice");
  });

  it("3.5: assigning to a user at capacity is a conflict and changes nothing", async () => {
    await app.conversations.assign(alice, (await newConversation()).id, { userId: "carol" });
    const c = await newConversation();
    await expect(app.conversations.assign(alice, c.id, { userId: "carol" })).rejects.toBeInstanceOf(ConflictError);
    expect(await load("carol")).toBe(1);
  });

  it("3.5: assigning to a team picks the least busy assignable primary member (chat policy)", async () => {
    await app.conversations.assign(alice, (await newConversation()).id, { userId: "alice" });
    const c = await newConversation();
    const r = await app.conversations.assign(alice, c.id, { teamId: "support" });
    expect(r).toMatchObject({ teamId: "support", assigneeId: "bob" });
    expect(r.routing?.candidates.map((x) => x.userId).sort()).toEqual(["alice", "bob", "carol"]);
    expect(await load("bob")).toBe(1);
  });

  it("3.5: assigning to a team nobody can take keeps the team and leaves it unassigned", async () => {
    const c = await newConversation();
    await app.conversations.assign(alice, c.id, { userId: "alice" });
    const r = await app.conversations.assign(alice, c.id, { teamId: "elsewhere" }); // members are not assignable here
    expect(r).toMatchObject({ teamId: "elsewhere", assigneeId: null });
    expect(await load("alice")).toBe(0);
    await expect(app.conversations.assign(alice, c.id, { teamId: "nope" })).rejects.toBeInstanceOf(ValidationError);
  });

  it("3.6: unassign frees the load", async () => {
    const c = await newConversation();
    await app.conversations.assign(alice, c.id, { userId: "alice" });
    const r = await app.conversations.assign(alice, c.id, { userId: null });
    expect(r.assigneeId).toBeNull();
    expect(await load("alice")).toBe(0);
  });

  it("3.6: close keeps the assignee and frees the load; reopen gives it back", async () => {
    const c = await newConversation();
    await app.conversations.assign(alice, c.id, { userId: "alice" });
    const closed = await app.conversations.close(alice, c.id);
    expect(closed).toMatchObject({ status: "closed", assigneeId: "alice" });
    expect(await load("alice")).toBe(0);
    const reopened = await app.conversations.reopen(alice, c.id);
    expect(reopened).toMatchObject({ status: "open", assigneeId: "alice" });
    expect(await load("alice")).toBe(1);
    // Closing twice, reopening twice: no double counting.
    await app.conversations.reopen(alice, c.id);
    expect(await load("alice")).toBe(1);
  });

  it("3.6: reopening for an assignee now at capacity reopens it unassigned", async () => {
    const first = await newConversation();
    await app.conversations.assign(alice, first.id, { userId: "carol" });
    await app.conversations.close(alice, first.id);
    await app.conversations.assign(alice, (await newConversation()).id, { userId: "carol" });
    const reopened = await app.conversations.reopen(alice, first.id);
    expect(reopened).toMatchObject({ status: "open", assigneeId: null });
    expect(await load("carol")).toBe(1);
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("3: every manual action leaves a system note naming who did what, written with the change", async () => {
    const c = await newConversation();
    const notes = async () =>
      (await app.store.listMessages(c.id)).filter((m) => m.author.kind === "system").map((m) => m.text);
    const step = () => app.clock.advance(1000);
    await app.conversations.reply(alice, c.id, "On it");
    step();
    await app.conversations.assign(bob, c.id, { userId: "carol" });
    step();
    await app.conversations.assign(carol, c.id, { userId: null });
    step();
    await app.conversations.assign(bob, c.id, { userId: "bob" });
    step();
    await app.conversations.assign(bob, c.id, { teamId: "support" });
    step();
    // The support team's least busy member has it now; someone else moves it to a team nobody is in.
    const held = (await app.store.getConversation(c.id))!.assigneeId!;
    const mover = held === "alice" ? bob : alice;
    await app.conversations.assign(mover, c.id, { teamId: "sales" });
    step();
    await app.conversations.close(alice, c.id);
    step();
    await app.conversations.reopen(alice, c.id);
    // Asking for the state it is already in is no action: no note.
    await app.conversations.reopen(alice, c.id);
    expect(await notes()).toEqual([
      "Alice took this by replying",
      "Bob assigned this to Carol",
      "Carol unassigned this",
      "Bob took this",
      "Bob assigned this to the support team",
      `${mover.name} moved this from ${held.charAt(0).toUpperCase()}${held.slice(1)} to the sales team`,
      "Alice closed this",
      "Alice reopened this",
    ]);
    const note = (await app.store.listMessages(c.id)).find((m) => m.author.kind === "system")!;
    expect(note.author).toEqual({ kind: "system", userId: "alice" });
  });

  it("3: a refused action writes no note", async () => {
    const c = await newConversation();
    await expect(app.conversations.assign(alice, c.id, { userId: "reader" })).rejects.toBeInstanceOf(ValidationError);
    expect(await app.store.listMessages(c.id)).toHaveLength(1);
  });

  it("an unknown conversation is not found", async () => {
    await expect(app.conversations.close(alice, "nope")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("two agents taking the same unassigned conversation at once: exactly one gets it", async () => {
    const c = await newConversation();
    const results = await Promise.allSettled(
      [alice, bob].map((u) => app.conversations.reply(u, c.id, `mine (${u.id})`)),
    );
    expect(results.every((r) => r.status === "fulfilled")).toBe(true);
    const stored = await app.store.getConversation(c.id);
    expect(["alice", "bob"]).toContain(stored?.assigneeId);
    expect((await load("alice")) + (await load("bob"))).toBe(1);
    // The loser's retry decided again and found it taken: only the winner's note was written.
    const notes = (await app.store.listMessages(c.id)).filter((m) => m.author.kind === "system");
    expect(notes.map((m) => m.text)).toEqual([
      `${stored?.assigneeId === "alice" ? "Alice" : "Bob"} took this by replying`,
    ]);
    expect(await invariantViolations(app)).toEqual([]);
  });

  it("a capacity below the user's current load is refused", async () => {
    await app.conversations.assign(alice, (await newConversation()).id, { userId: "alice" });
    await app.conversations.assign(alice, (await newConversation()).id, { userId: "alice" });
    await expect(app.store.putUser(profile("alice", { primaryTeamId: "support", capacity: 1 }))).rejects.toBeInstanceOf(
      ConflictError,
    );
    // Editing the profile keeps availability and load.
    await app.store.updatePresence("alice", { availability: "away" });
    const edited = await app.store.putUser(
      profile("alice", { name: "Alice A.", primaryTeamId: "support", capacity: 5 }),
    );
    expect(edited).toMatchObject({ name: "Alice A.", availability: "away", openCount: 2, capacity: 5 });
  });
});
