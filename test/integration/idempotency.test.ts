import { describe, expect, it } from "vitest";
import { createApp } from "#shared/app";
import {
  clients,
  created,
  dump,
  invariantViolations,
  profile,
  seedChannel,
  testApp,
  usersAndTeams,
} from "../support/harness";

describe("routing.md §5.4: an inbound event delivered twice creates one conversation", () => {
  const cases = [
    { type: "chat" as const, key: "chat:click-1" },
    { type: "form" as const, key: "form:submission-1" },
    { type: "email" as const, key: "email:<abc@mail.example>" },
  ];
  for (const { type, key } of cases) {
    it(`${type}: the same key, one after the other, answers the first conversation`, async () => {
      const app = await testApp();
      await app.store.putUser(profile("alice"));
      await seedChannel(app, { type, rule: usersAndTeams(["alice"]) });
      const first = await app.inbound.receive({
        channelId: `${type}-1`,
        accepts: [type],
        text: "a",
        contactKey: null,
        dedupeKey: key,
      });
      const second = await app.inbound.receive({
        channelId: `${type}-1`,
        accepts: [type],
        text: "a",
        contactKey: null,
        dedupeKey: key,
      });
      expect(first.type).toBe("created");
      expect(second).toMatchObject({ type: "duplicate", conversationId: created(first).conversation.id });
      const { conversations, users } = await dump(app);
      expect(conversations).toHaveLength(1);
      expect(users[0]?.openCount).toBe(1);
    });

    it(`${type}: the same key at the same moment, from two routers, still makes one conversation`, async () => {
      const app = await testApp();
      await app.store.putUser(profile("alice"));
      await app.store.putUser(profile("bob"));
      await seedChannel(app, { type, rule: usersAndTeams(["alice", "bob"]) });
      const other = createApp({ db: clients(), tableName: app.tableName });
      const results = await Promise.all(
        [app, other, app, other].map((a) =>
          a.inbound.receive({ channelId: `${type}-1`, accepts: [type], text: "a", contactKey: null, dedupeKey: key }),
        ),
      );
      const ids = new Set(results.map((r) => (r.type === "duplicate" ? r.conversationId : r.conversation.id)));
      expect(ids.size).toBe(1);
      expect(results.filter((r) => r.type === "created")).toHaveLength(1);
      expect((await dump(app)).conversations).toHaveLength(1);
      expect(await invariantViolations(app)).toEqual([]);
    });
  }

  it("the same key on two different channels makes two conversations", async () => {
    const app = await testApp();
    await app.store.putUser(profile("alice"));
    await seedChannel(app, { channelId: "form-a", type: "form", rule: usersAndTeams(["alice"]) });
    await seedChannel(app, { channelId: "form-b", type: "form", rule: usersAndTeams(["alice"]) });
    await app.inbound.receive({
      channelId: "form-a",
      accepts: ["form"],
      text: "a",
      contactKey: null,
      dedupeKey: "form:1",
    });
    await app.inbound.receive({
      channelId: "form-b",
      accepts: ["form"],
      text: "a",
      contactKey: null,
      dedupeKey: "form:1",
    });
    expect((await dump(app)).conversations).toHaveLength(2);
  });
});
