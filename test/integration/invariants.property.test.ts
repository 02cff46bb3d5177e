import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createApp } from "#shared/app";
import { ContentionError, DomainError } from "#shared/domain/errors";
import {
  clients,
  created,
  dump,
  invariantViolations,
  lineViolations,
  profile,
  seedChannel,
  testApp,
  usersAndTeams,
} from "../support/harness";

const USERS = ["u1", "u2", "u3", "u4"];

type Op =
  | { kind: "create"; channel: "chat-1" | "email-1" }
  | { kind: "assign"; conv: number; user: number | null }
  | { kind: "team"; conv: number }
  | { kind: "reply"; conv: number; user: number }
  | { kind: "close"; conv: number }
  | { kind: "reopen"; conv: number }
  | { kind: "availability"; user: number; away: boolean }
  | { kind: "capacity"; user: number; capacity: number | null }
  | { kind: "sweep" };

const idx = fc.nat({ max: 50 });
const userIdx = fc.nat({ max: USERS.length - 1 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("create" as const),
      channel: fc.constantFrom("chat-1" as const, "email-1" as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("assign" as const), conv: idx, user: fc.option(userIdx, { nil: null }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("team" as const), conv: idx }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("reply" as const), conv: idx, user: userIdx }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("close" as const), conv: idx }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reopen" as const), conv: idx }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("availability" as const), user: userIdx, away: fc.boolean() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("capacity" as const),
      user: userIdx,
      capacity: fc.option(fc.integer({ min: 1, max: 4 }), { nil: null }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("sweep" as const) }) },
);
/** Steps run one after another; the operations inside a step run at the same time, over two routers. */
const scenario = fc.array(fc.array(op, { minLength: 1, maxLength: 6 }), { minLength: 3, maxLength: 8 });

describe("routing.md §5.4 invariants under random concurrent interleavings (property-based)", () => {
  it("after any mix of create, route, assign, reassign, reply, close, reopen, availability toggles, capacity " +
    "changes and sweeps, counts are exact, capacity holds and the line holds exactly the waiting", async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (steps) => {
        const app = await testApp({ router: { backoff: { baseMs: 1, capMs: 5 } } });
        await app.store.putTeam({ id: "team", name: "Team" });
        for (const id of USERS) await app.store.putUser(profile(id, { primaryTeamId: "team", capacity: 3 }));
        await seedChannel(app, { channelId: "chat-1", type: "chat", rule: usersAndTeams(USERS) });
        await seedChannel(app, { channelId: "email-1", type: "email", rule: usersAndTeams([], ["team"]) });
        const other = createApp({ db: clients(), tableName: app.tableName, clock: app.clock });
        const apps = [app, other];
        const conversations: string[] = [];
        let creates = 0;
        const unexpected: unknown[] = [];

        for (const step of steps) {
          await Promise.all(
            step.map(async (o, i) => {
              const a = apps[i % 2]!;
              const conv = "conv" in o ? conversations[o.conv % Math.max(1, conversations.length)] : undefined;
              const actor = async (u: number) => (await a.store.getUser(USERS[u]!))!;
              try {
                switch (o.kind) {
                  case "create": {
                    creates++;
                    const r = await a.inbound
                      .receive({
                        channelId: o.channel,
                        accepts: ["chat", "email"],
                        text: "x",
                        contactKey: null,
                      })
                      .then(created);
                    conversations.push(r.conversation.id);
                    return;
                  }
                  case "availability":
                    // Through the service: turning available drains the waiting line (docs/routing.md §5.5).
                    await a.setAvailability(USERS[o.user]!, o.away ? "away" : "available");
                    return;
                  case "capacity":
                    await a.admin.putUser(profile(USERS[o.user]!, { primaryTeamId: "team", capacity: o.capacity }));
                    return;
                  case "sweep":
                    await a.sweep();
                    return;
                }
                if (!conv) return;
                if (o.kind === "assign")
                  await a.conversations.assign(await actor(o.user ?? 0), conv, {
                    userId: o.user === null ? null : USERS[o.user]!,
                  });
                if (o.kind === "team") await a.conversations.assign(await actor(0), conv, { teamId: "team" });
                if (o.kind === "reply") await a.conversations.reply(await actor(o.user), conv, "reply");
                if (o.kind === "close") await a.conversations.close(await actor(0), conv);
                if (o.kind === "reopen") await a.conversations.reopen(await actor(0), conv);
              } catch (err) {
                // Refusals (at capacity, not assignable) are answers; anything else is a bug.
                if (!(err instanceof DomainError) || err instanceof ContentionError) unexpected.push(err);
              }
            }),
          );
        }
        await Promise.all(apps.map((x) => x.waiting.settled()));
        expect(unexpected).toEqual([]);
        expect(await invariantViolations(app)).toEqual([]);
        expect(await lineViolations(app)).toEqual([]);
        // Every create made exactly one conversation: nothing lost, nothing doubled.
        expect((await dump(app)).conversations).toHaveLength(creates);
      }),
      { numRuns: 25, interruptAfterTimeLimit: 60_000 },
    );
  }, 120_000);
});
