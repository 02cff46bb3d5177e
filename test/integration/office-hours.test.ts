import { describe, expect, it } from "vitest";
import type { OfficeHours } from "#shared/domain/types";
import { created, invariantViolations, profile, seedChannel, usersAndTeams } from "../support/harness";
import { apiHarness } from "../support/http";

const weekdays = (["mon", "tue", "wed", "thu", "fri"] as const).map((day) => ({ day, from: "09:00", to: "17:00" }));
const paris: OfficeHours = { timeZone: "Europe/Paris", weekly: weekdays, awayMessage: "We answer Monday to Friday." };

async function closedOnWeekends() {
  const h = await apiHarness();
  await h.app.store.putUser(profile("alice", { capacity: 1 }));
  const channel = await seedChannel(h.app, { rule: usersAndTeams(["alice"]) });
  await h.app.store.putChannel({ ...channel, hours: paris });
  return h;
}

const startChat = (h: Awaited<ReturnType<typeof apiHarness>>, text: string) =>
  h.call({ method: "POST", path: "/chat/chat-1/conversations", as: null, body: { text } });

describe("office hours (docs/routing.md §5.7)", () => {
  it("outside them a chat waits unassigned in the line and the record says when the channel opens", async () => {
    const h = await closedOnWeekends();
    h.app.clock.set("2026-12-05T11:00:00Z"); // Saturday
    const r = await startChat(h, "Anyone there?");
    expect(r.status).toBe(201);
    expect(r.json.conversation).toMatchObject({ assigned: false, waiting: { position: 1 } });
    const stored = await h.app.store.getConversation(r.json.conversation.id);
    expect(stored).toMatchObject({ assigneeId: null, waitingSince: "2026-12-05T11:00:00.000Z" });
    expect(stored?.routing?.outcome).toEqual({
      type: "unassigned",
      why: "outside office hours: opens Mon 2026-12-07 09:00 (Europe/Paris)",
    });
    // An agent turning available on Saturday does not take it: the channel is closed.
    await h.app.setAvailability("alice", "away");
    await h.app.setAvailability("alice", "available");
    await h.app.waiting.settled();
    expect((await h.app.store.getConversation(stored!.id))?.assigneeId).toBeNull();
  });

  it("GET /chat/{channelId}/status: closed with the next opening and the away message, briefly cached", async () => {
    const h = await closedOnWeekends();
    h.app.clock.set("2026-12-05T11:00:00Z");
    const closed = await h.call({ method: "GET", path: "/chat/chat-1/status", as: null });
    expect(closed.status).toBe(200);
    expect(closed.json).toEqual({
      open: false,
      opensAt: "2026-12-07T08:00:00.000Z",
      awayMessage: "We answer Monday to Friday.",
    });
    expect(closed.headers["cache-control"]).toBe("public, max-age=15");
    h.app.clock.set("2026-12-07T08:00:00Z");
    const open = await h.call({ method: "GET", path: "/chat/chat-1/status", as: null });
    expect(open.json).toEqual({ open: true, opensAt: null, awayMessage: null });
    // A channel without hours is always open; an email channel or no channel answers as no chat channel.
    await seedChannel(h.app, { channelId: "chat-2", rule: usersAndTeams(["alice"]) });
    expect((await h.call({ method: "GET", path: "/chat/chat-2/status", as: null })).json.open).toBe(true);
    await seedChannel(h.app, { type: "email", rule: usersAndTeams(["alice"]), address: "help@acme.example" });
    expect((await h.call({ method: "GET", path: "/chat/email-1/status", as: null })).status).toBe(404);
    expect((await h.call({ method: "GET", path: "/chat/nope/status", as: null })).status).toBe(404);
  });

  it("when the hours open, the line is served oldest first by the next sweep (within a minute)", async () => {
    const h = await closedOnWeekends();
    h.app.clock.set("2026-12-05T11:00:00Z");
    const first = (await startChat(h, "first")).json.conversation.id;
    h.app.clock.set("2026-12-06T11:00:00Z");
    const second = (await startChat(h, "second")).json.conversation.id;
    h.app.clock.set("2026-12-07T07:59:30Z"); // 08:59:30 in Paris: still closed
    await h.app.sweep();
    expect((await h.app.store.getConversation(first))?.assigneeId).toBeNull();
    h.app.clock.set("2026-12-07T08:00:40Z"); // the first sweep after 09:00
    await h.app.sweep();
    // Alice holds one at a time (capacity 1): the oldest is hers, the other keeps its place.
    expect((await h.app.store.getConversation(first))?.assigneeId).toBe("alice");
    expect((await h.app.store.getConversation(second))?.assigneeId).toBeNull();
    expect((await h.app.waiting.placeOf((await h.app.store.getConversation(second))!))?.position).toBe(1);
    expect(await invariantViolations(h.app)).toEqual([]);
  });

  it("across the spring change it opens on Monday at 09:00 summer time, and the chat is assigned then", async () => {
    const h = await closedOnWeekends();
    h.app.clock.set("2027-03-26T18:00:00Z"); // Friday 19:00 CET; clocks go forward on Sunday
    const status = await h.call({ method: "GET", path: "/chat/chat-1/status", as: null });
    expect(status.json.opensAt).toBe("2027-03-29T07:00:00.000Z");
    const id = (await startChat(h, "weekend question")).json.conversation.id;
    h.app.clock.set("2027-03-29T06:59:59Z");
    await h.app.sweep();
    expect((await h.app.store.getConversation(id))?.assigneeId).toBeNull();
    h.app.clock.set("2027-03-29T07:00:30Z");
    await h.app.sweep();
    expect((await h.app.store.getConversation(id))?.assigneeId).toBe("alice");
  });

  it("a closed date keeps a weekday closed; a bot hand-off outside the hours waits too", async () => {
    const h = await closedOnWeekends();
    const channel = (await h.app.store.getChannel("chat-1"))!;
    await h.app.store.putChannel({ ...channel, hours: { ...paris, closedDates: ["2026-12-25"] } });
    h.app.clock.set("2026-12-25T10:00:00Z"); // a Friday, at 11:00 in Paris
    expect((await h.call({ method: "GET", path: "/chat/chat-1/status", as: null })).json).toMatchObject({
      open: false,
      opensAt: "2026-12-28T08:00:00.000Z",
    });
    await seedChannel(h.app, { channelId: "bot-1", type: "bot", rule: usersAndTeams(["alice"]) });
    const bot = (await h.app.store.getChannel("bot-1"))!;
    await h.app.store.putChannel({ ...bot, hours: paris });
    h.app.clock.set("2026-12-05T11:00:00Z");
    const started = created(
      await h.app.inbound.receive({ channelId: "bot-1", accepts: ["bot"], text: "hi", contactKey: null }),
    );
    const handed = await h.app.conversations.handoff(started.conversation.id, null, { ...bot, hours: paris });
    expect(handed).toMatchObject({ assigneeId: null, waitingSince: "2026-12-05T11:00:00.000Z" });
  });
});
