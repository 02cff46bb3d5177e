/**
 * Settings' "Preview on the last 7 days" in a real Chromium against `npm start`'s program
 * (docs/routing.md §8): an admin edits a rule, previews it on the channel's recorded chats, and sees
 * the shares per user before saving anything.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  agent,
  api,
  browserAvailable,
  launch,
  type Runtime,
  screenshot,
  signIn,
  startRuntime,
  watchErrors,
} from "./support";

describe.skipIf(!browserAvailable())("the rule preview in Settings, in Chromium", () => {
  let rt: Runtime;
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    [rt, browser] = await Promise.all([startRuntime(), launch()]);
    const call = api(rt);
    for (const [p, body] of [
      ["/teams/p-team", { name: "Night shift" }],
      ["/users/p-admin", { ...agent("Root", null, "none"), role: "admin" }],
      ["/users/p-ann", agent("Ann", null)],
      ["/users/p-bea", agent("Bea", "p-team")],
      ["/users/p-cy", agent("Cy", "p-team")],
      ["/inboxes/p", { name: "Preview desk", access: { type: "everyone" } }],
      [
        "/channels/p-chat",
        {
          inboxId: "p",
          type: "chat",
          name: "Preview chat",
          routing: { autoAssign: true, target: { type: "users_and_teams", userIds: ["p-ann"], teamIds: [] } },
        },
      ],
    ] as const) {
      await call("PUT", p, body);
    }
    for (let i = 0; i < 6; i++) {
      await fetch(`${rt.url}/chat/p-chat/conversations`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: `question ${i}` }),
      });
    }
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.stop();
    expect(errors).toEqual([]);
  });

  it("previews moving a channel to a team: the bars show who would have had the chats, nothing is saved", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const admin = watchErrors(await context.newPage(), errors);
    await signIn(admin, rt, "p-admin");
    await admin.goto(`${rt.url}/#/settings/channels`);
    const channel = admin.getByRole("region", { name: "Preview chat" });
    await channel.getByRole("checkbox", { name: "Ann" }).uncheck();
    await channel.getByRole("checkbox", { name: "Night shift team" }).check();
    await channel.getByRole("button", { name: "Preview on the last 7 days" }).click();
    const result = channel.getByRole("status", { name: "Rule preview" });
    await result.waitFor();
    await expect.poll(() => result.textContent()).toContain("6 conversation(s) replayed");
    const row = (name: string) => result.getByRole("row", { name: new RegExp(`^${name}`) });
    expect(await row("Ann").getByRole("cell").allTextContents()).toEqual(["6", "0"]);
    expect(await row("Bea").getByRole("cell").allTextContents()).toEqual(["0", "3"]);
    expect(await row("Cy").getByRole("cell").allTextContents()).toEqual(["0", "3"]);
    expect(await row("Bea").textContent()).toContain("(estimated)");
    await screenshot(channel, "rule-preview");
    // Previewing saved nothing: the stored rule still lists Ann alone.
    const stored = (await api(rt)("GET", "/channels")).items.find((c: { id: string }) => c.id === "p-chat");
    expect(stored.routing.target).toEqual({ type: "users_and_teams", userIds: ["p-ann"], teamIds: [] });
  });
});
