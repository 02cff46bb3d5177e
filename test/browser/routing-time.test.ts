/**
 * Routing that keeps time, in Chromium against `npm start`'s program: an admin sets a channel to
 * re-route unanswered chats and gives it office hours (an error sits next to the field it names), and
 * a visitor on a closed channel sees the away message and when it opens (docs/routing.md §5.6, §5.7).
 */
import type { Browser, Page } from "playwright-core";
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

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

describe.skipIf(!browserAvailable())("re-route and office hours in Chromium", () => {
  let rt: Runtime;
  let browser: Browser;
  let call: ReturnType<typeof api>;
  const errors: string[] = [];

  beforeAll(async () => {
    [rt, browser] = await Promise.all([startRuntime(), launch()]);
    call = api(rt);
    await call("PUT", "/users/t-root", { ...agent("Tia", null), role: "admin" });
    await call("PUT", "/users/t-ivy", agent("Ivy", null));
    await call("PUT", "/inboxes/t", { name: "Time desk", access: { type: "everyone" } });
    for (const [id, name] of [
      ["t-chat", "Timed chat"],
      ["t-night", "Night chat"],
    ])
      await call("PUT", `/channels/${id}`, {
        inboxId: "t",
        type: "chat",
        name,
        routing: { autoAssign: true, target: { type: "users_and_teams", userIds: ["t-ivy"], teamIds: [] } },
      });
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.stop();
    expect(errors).toEqual([]);
  });

  const page = async (width = 1280, height = 900): Promise<Page> =>
    watchErrors(await (await browser.newContext({ viewport: { width, height } })).newPage(), errors);

  it("an admin turns on re-routing and office hours; a bad time zone is refused next to its field", async () => {
    const admin = await page();
    await signIn(admin, rt, "t-root");
    await admin.goto(`${rt.url}/#/settings/channels`);
    const card = admin.getByRole("region", { name: "Timed chat" });
    await card.getByRole("checkbox", { name: "Re-route chats nobody answers" }).check();
    await card.getByRole("spinbutton", { name: /Seconds to answer/ }).fill("45");
    await card.getByRole("spinbutton", { name: /Re-route at most/ }).fill("2");
    await card.getByRole("checkbox", { name: "Set the owner away when a chat is re-routed" }).check();
    await card.getByRole("button", { name: "Save", exact: true }).click();
    await card.getByText("Saved.").waitFor();
    const channels = (await call("GET", "/channels")).items as Array<{ id: string; routing: unknown; hours?: unknown }>;
    expect(channels.find((c) => c.id === "t-chat")?.routing).toMatchObject({
      rerouteAfter: { seconds: 45, maxTimes: 2, awayOnLapse: true },
    });

    const hours = card.getByRole("form", { name: "Office hours" });
    await hours.getByRole("switch", { name: "Open only at set hours" }).check();
    await hours.getByRole("combobox", { name: "Time zone" }).fill("Mars/Olympus_Mons");
    await hours.getByRole("button", { name: "Save office hours" }).click();
    await hours.getByText("use an IANA time zone name").waitFor();
    expect(await hours.getByRole("combobox", { name: "Time zone" }).getAttribute("aria-invalid")).toBe("true");
    await screenshot(card, "office-hours-error");

    await hours.getByRole("combobox", { name: "Time zone" }).fill("Europe/Paris");
    await hours.getByRole("checkbox", { name: "Saturday" }).check();
    await hours.getByRole("textbox", { name: /Away message/ }).fill("We answer on weekdays, 9 to 5.");
    await hours.getByRole("button", { name: "Save office hours" }).click();
    await hours.getByText("Office hours saved.").waitFor();
    const saved = ((await call("GET", "/channels")).items as typeof channels).find((c) => c.id === "t-chat");
    expect(saved?.hours).toMatchObject({
      timeZone: "Europe/Paris",
      awayMessage: "We answer on weekdays, 9 to 5.",
      weekly: expect.arrayContaining([{ day: "sat", from: "09:00", to: "17:00" }]),
    });
    // The rule saved before is still the channel's.
    expect(saved?.routing).toMatchObject({ rerouteAfter: { seconds: 45 } });
    await screenshot(card, "office-hours-saved");
  });

  it("on a closed channel the widget shows the away message and the next opening; the chat waits in line", async () => {
    // Open one day only, and not today (UTC): the channel is closed whenever the test runs.
    const tomorrow = DAYS[(new Date().getUTCDay() + 2) % 7]!;
    await call("PUT", "/channels/t-night", {
      inboxId: "t",
      type: "chat",
      name: "Night chat",
      routing: { autoAssign: true, target: { type: "users_and_teams", userIds: ["t-ivy"], teamIds: [] } },
      hours: { timeZone: "UTC", weekly: [{ day: tomorrow, from: "09:00", to: "17:00" }], awayMessage: "We are away." },
    });
    const visitor = await page(1000, 720);
    await visitor.goto(`${rt.url}/demo?channel=t-night`);
    await visitor.getByRole("button", { name: "Chat with us" }).click();
    await visitor.getByText(/^We are away\. We open again /).waitFor();
    await visitor.getByRole("textbox", { name: "Message" }).fill("Hello, anyone?");
    await visitor.getByRole("button", { name: "Send" }).click();
    await visitor.getByText(/We are away\. We open again .* You are number 1 in line\./).waitFor();
    await screenshot(visitor, "widget-closed");
  });
});
