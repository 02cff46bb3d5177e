import { describe, expect, it } from "vitest";
import { waves } from "#shared/domain/routing-queue";
import type { Decision } from "#shared/domain/types";

const d = (userId: string | null) => ({ decision: { userId } as Decision });
const ids = (w: Array<Array<Array<{ decision: Decision }>>>) =>
  w.map((wave) => wave.map((batch) => batch.map((x) => x.decision.userId)));

describe("drain waves: batches that fit one transaction, committed together when their users are disjoint", () => {
  it("batches touching disjoint users share a wave; a batch reusing a user waits for the next wave", () => {
    expect(ids(waves([d("a"), d("b"), d("c"), d("a")], 2 * 1 + 1))).toEqual([[["a"], ["b"], ["c"]], [["a"]]]);
  });

  it("a batch holds as many entries as fit 100 items: two per entry, one per distinct user", () => {
    const five = Array.from({ length: 200 }, (_, i) => d(`u${i % 5}`));
    const out = waves(five);
    // 47 entries and 5 users = 99 items: 200 entries make 5 batches, each touching all 5 users, one per wave.
    expect(out.map((w) => w.length)).toEqual([1, 1, 1, 1, 1]);
    expect(out.flat().map((b) => b.length)).toEqual([47, 47, 47, 47, 12]);
    const thousand = Array.from({ length: 200 }, (_, i) => d(`u${i}`));
    const wide = waves(thousand);
    expect(wide).toHaveLength(1);
    expect(wide[0]!.map((b) => b.length)).toEqual([33, 33, 33, 33, 33, 33, 2]);
  });

  it("an entry nobody takes joins the waiting line: no user item, one line entry more", () => {
    expect(
      waves(Array.from({ length: 60 }, () => d(null)))
        .flat()
        .map((b) => b.length),
    ).toEqual([33, 27]);
  });
});
