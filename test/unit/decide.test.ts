import { describe, expect, it } from "vitest";
import {
  compareLeastBusy,
  decide,
  isOffline,
  MAX_EXPLAINED_CANDIDATES,
  type RoutingSnapshot,
} from "#shared/domain/decide";
import type { Channel, Contact, Inbox, RoutingRule, User } from "#shared/domain/types";
import { aUser } from "../support/users";

const NOW = new Date("2026-11-24T10:00:00.000Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const inbox: Inbox = { id: "inbox", name: "Inbox", access: { type: "everyone" } };

const user = aUser;
const snap = (...users: User[]): RoutingSnapshot => ({ users: new Map(users.map((u) => [u.id, u])), inbox, now: NOW });
const channel = (type: Channel["type"], routing: RoutingRule): Channel => ({
  id: "c",
  inboxId: "inbox",
  type,
  name: "c",
  routing,
});
const listed = (...ids: string[]): RoutingRule => ({
  autoAssign: true,
  target: { type: "users_and_teams", userIds: ids, teamIds: [] },
});
const fixed = (v: number) => ({ next: () => v });

describe("routing.md §5.3 least-busy ordering", () => {
  it("fewest open conversations first", () => {
    expect(compareLeastBusy(user("b", { openCount: 1 }), user("a", { openCount: 2 }), NOW)).toBeLessThan(0);
  });
  it("then active in the last two minutes", () => {
    const active = user("b", { lastInboxActivityAt: ago(119_000) });
    const idle = user("a", { lastInboxActivityAt: ago(121_000) });
    expect(compareLeastBusy(active, idle, NOW)).toBeLessThan(0);
  });
  it("then least recently assigned, never assigned counting as longest ago", () => {
    expect(
      compareLeastBusy(user("b", { lastAssignedAt: null }), user("a", { lastAssignedAt: ago(1) }), NOW),
    ).toBeLessThan(0);
    expect(
      compareLeastBusy(user("b", { lastAssignedAt: ago(5000) }), user("a", { lastAssignedAt: ago(10) }), NOW),
    ).toBeLessThan(0);
  });
  it("then the smallest id", () => {
    expect(compareLeastBusy(user("a"), user("b"), NOW)).toBeLessThan(0);
    expect(compareLeastBusy(user("b"), user("a"), NOW)).toBeGreaterThan(0);
  });
});

describe("routing.md §5.1 random choice for email and form", () => {
  for (const type of ["email", "form"] as const) {
    it(`${type}: the injected random number picks among eligible users sorted by id, ignoring availability`, () => {
      const s = snap(user("c", { availability: "away" }), user("a"), user("b", { seat: "none" }));
      const ch = channel(type, listed("a", "b", "c"));
      expect(decide({ channel: ch, contact: null }, s, fixed(0)).userId).toBe("a");
      expect(decide({ channel: ch, contact: null }, s, fixed(0.99)).userId).toBe("c"); // away is fine for email/form
      expect(decide({ channel: ch, contact: null }, s, fixed(0.99)).record.strategy).toBe("random");
    });
  }
  it("is uniform: each of n users gets the n equal slices of [0, 1)", () => {
    const s = snap(user("a"), user("b"), user("c"), user("d"));
    const ch = channel("email", listed("a", "b", "c", "d"));
    const picks = [0.1, 0.3, 0.6, 0.8].map((r) => decide({ channel: ch, contact: null }, s, fixed(r)).userId);
    expect(picks).toEqual(["a", "b", "c", "d"]);
  });
});

describe("routing.md §5.2 contact owner", () => {
  const ownerRule = (fallbackUserId?: string): RoutingRule => ({
    autoAssign: true,
    target: { type: "contact_owner", ...(fallbackUserId ? { fallbackUserId } : {}) },
  });
  const contact = (ownerId: string | null): Contact => ({
    id: "k",
    email: "k@example.com",
    ownerId,
    visitorTokens: [],
  });

  it("online owner: assigned, no email", () => {
    const d = decide(
      { channel: channel("chat", ownerRule()), contact: contact("o") },
      snap(user("o", { lastInboxActivityAt: ago(60_000) })),
      fixed(0),
    );
    expect(d.userId).toBe("o");
    expect(d.notifyOwner).toBe(false);
  });
  it("owner away: assigned and emailed", () => {
    const d = decide(
      { channel: channel("email", ownerRule()), contact: contact("o") },
      snap(user("o", { availability: "away", lastInboxActivityAt: ago(1000) })),
      fixed(0),
    );
    expect(d).toMatchObject({ userId: "o", notifyOwner: true });
    expect(d.record.ownerNotified).toBe(true);
  });
  it("owner with no inbox activity in the last 5 minutes is offline", () => {
    expect(isOffline(user("o", { lastInboxActivityAt: ago(5 * 60_000 + 1) }), NOW)).toBe(true);
    expect(isOffline(user("o", { lastInboxActivityAt: ago(5 * 60_000 - 1) }), NOW)).toBe(false);
    expect(isOffline(user("o", { lastInboxActivityAt: null }), NOW)).toBe(true);
  });
  it("owner without a paid seat: the chat fallback user gets it", () => {
    const d = decide(
      { channel: channel("chat", ownerRule("f")), contact: contact("o") },
      snap(user("o", { seat: "none" }), user("f")),
      fixed(0),
    );
    expect(d.userId).toBe("f");
    expect(d.record.candidates.map((c) => [c.userId, c.reason])).toEqual([
      ["f", "eligible"],
      ["o", "no_seat"],
    ]);
  });
  it("contact without owner on chat: fallback user", () => {
    expect(
      decide({ channel: channel("chat", ownerRule("f")), contact: contact(null) }, snap(user("f")), fixed(0)).userId,
    ).toBe("f");
  });
  it("fallback is ignored on channels other than chat", () => {
    const d = decide({ channel: channel("form", ownerRule("f")), contact: contact(null) }, snap(user("f")), fixed(0));
    expect(d.userId).toBeNull();
  });
  it("no owner and no fallback: unassigned", () => {
    const d = decide({ channel: channel("chat", ownerRule()), contact: null }, snap(user("f")), fixed(0));
    expect(d.userId).toBeNull();
    expect(d.record.outcome).toEqual({ type: "unassigned", why: "contact not identified" });
  });
  it("owner not assignable in a restricted inbox: dropped", () => {
    const s: RoutingSnapshot = {
      ...snap(user("o")),
      inbox: { id: "inbox", name: "i", access: { type: "restricted", teamIds: [], userIds: [] } },
    };
    const d = decide({ channel: channel("chat", ownerRule()), contact: contact("o") }, s, fixed(0));
    expect(d.userId).toBeNull();
    expect(d.record.candidates[0]?.reason).toBe("no_access");
  });
  it("owner at capacity: not assigned (capacity holds for every strategy)", () => {
    const d = decide(
      { channel: channel("email", ownerRule()), contact: contact("o") },
      snap(user("o", { capacity: 2, openCount: 2 })),
      fixed(0),
    );
    expect(d.userId).toBeNull();
    expect(d.record.candidates[0]?.reason).toBe("at_capacity");
  });
});

describe("routing.md §7 explanations", () => {
  it("records every candidate with the reason it was kept or dropped, and the outcome", () => {
    const s = snap(
      user("a", { openCount: 3 }),
      user("b", { availability: "away" }),
      user("c", { seat: "none" }),
      user("d", { capacity: 1, openCount: 1 }),
      user("e", { openCount: 1, lastInboxActivityAt: ago(1000) }),
    );
    const d = decide(
      { channel: channel("chat", listed("a", "b", "c", "d", "e", "ghost")), contact: null },
      s,
      fixed(0),
    );
    const byId = Object.fromEntries(d.record.candidates.map((c) => [c.userId, c]));
    expect(d.userId).toBe("e");
    expect(byId.e).toMatchObject({ kept: true, reason: "eligible", load: 1, activeRecently: true, rank: 1 });
    expect(byId.a).toMatchObject({ kept: true, load: 3, rank: 2 });
    expect(byId.b).toMatchObject({ kept: false, reason: "away" });
    expect(byId.c).toMatchObject({ kept: false, reason: "no_seat" });
    expect(byId.d).toMatchObject({ kept: false, reason: "at_capacity" });
    expect(byId.ghost).toMatchObject({ kept: false, reason: "unknown_user" });
    expect(d.record.outcome).toEqual({
      type: "assigned",
      userId: "e",
      why: "least busy: 1 open conversation(s), active recently",
    });
  });
  it("very large pools keep the explanation bounded and count what was left out", () => {
    const users = Array.from({ length: 120 }, (_, i) =>
      user(`u${String(i).padStart(3, "0")}`, { availability: i % 2 ? "away" : "available" }),
    );
    const d = decide(
      { channel: channel("chat", listed(...users.map((u) => u.id))), contact: null },
      snap(...users),
      fixed(0),
    );
    expect(d.record.candidates).toHaveLength(MAX_EXPLAINED_CANDIDATES);
    expect(d.record.candidates.every((c) => c.kept)).toBe(true); // kept ones come first
    expect(d.record.omitted).toEqual({ eligible: 10, away: 60 });
    expect(d.record.rule?.target).toMatchObject({ userIdsOmitted: 70 });
  });
});
