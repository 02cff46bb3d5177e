/**
 * An axe-core audit of each screen a person uses, in a real Chromium against `npm start`'s program:
 * the sign-in, the inbox with a conversation open, every Settings tab with a channel's routing editor,
 * and the open chat widget (axe reads its open shadow root). A serious or critical violation fails.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agent, api, audit, browserAvailable, launch, type Runtime, screenshot, signIn, startRuntime } from "./support";

describe.skipIf(!browserAvailable())("accessibility: axe-core finds no serious or critical violation", () => {
  let rt: Runtime;
  let browser: Browser;

  beforeAll(async () => {
    [rt, browser] = await Promise.all([startRuntime(), launch()]);
    const call = api(rt);
    await call("PUT", "/teams/a11y-team", { name: "Access" });
    await call("PUT", "/users/a11y-ann", { ...agent("Ann", "a11y-team"), role: "admin" });
    await call("PUT", "/inboxes/a11y", { name: "Access desk", access: { type: "everyone" } });
    await call("PUT", "/channels/a11y-chat", {
      inboxId: "a11y",
      type: "chat",
      name: "Access chat",
      routing: { autoAssign: true, target: { type: "users_and_teams", userIds: [], teamIds: ["a11y-team"] } },
    });
    await fetch(`${rt.url}/chat/a11y-chat/conversations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "Is this page readable with a screen reader?" }),
    });
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.stop();
  });

  const page = async () => (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();

  it("the sign-in", async () => {
    const p = await page();
    await p.goto(`${rt.url}/`);
    await p.getByRole("button", { name: "Sign in" }).waitFor();
    expect(await audit(p)).toEqual([]);
  });

  it("the inbox with a conversation open", async () => {
    const p = await page();
    await signIn(p, rt, "a11y-ann");
    await p.getByRole("link", { name: /^Mine/ }).first().click();
    await p.getByRole("link", { name: /screen reader/ }).click();
    await p.getByRole("combobox", { name: "Owner" }).waitFor();
    await p.getByText("Why this owner").click();
    expect(await audit(p)).toEqual([]);
    await screenshot(p, "a11y-inbox");
  });

  it("each Settings tab, the routing editor open", async () => {
    const p = await page();
    await signIn(p, rt, "a11y-ann");
    const found: Record<string, string[]> = {};
    for (const tab of ["users", "teams", "inboxes", "channels"]) {
      await p.goto(`${rt.url}/#/settings/${tab}`);
      await p
        .getByRole("heading", { name: /Add or|New channel/ })
        .first()
        .waitFor();
      if (tab === "channels")
        await p
          .getByRole("region", { name: "Access chat" })
          .getByRole("switch", { name: "Assign conversations" })
          .waitFor();
      found[tab] = await audit(p);
    }
    expect(found).toEqual({ users: [], teams: [], inboxes: [], channels: [] });
  });

  it("the open chat widget", async () => {
    const p = await page();
    await p.goto(`${rt.url}/demo?channel=a11y-chat`);
    await p.getByRole("button", { name: "Chat with us" }).click();
    await p.getByRole("textbox", { name: "Message" }).fill("Hello");
    await p.getByRole("button", { name: "Send" }).click();
    await p.getByText("Hello", { exact: true }).waitFor();
    expect(await audit(p)).toEqual([]);
    await screenshot(p, "a11y-widget");
  });
});
