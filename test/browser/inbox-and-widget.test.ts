/**
 * The web inbox and the chat widget in a real Chromium, against `npm start`'s program: the four flows
 * an agent and a visitor go through (docs/web.md, "Browser tests"), each ending on a screenshot
 * (test-artifacts/browser/, git-ignored).
 */
import { createHmac } from "node:crypto";
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

const LIVE_MS = 5_000;
const manual = { autoAssign: false, target: { type: "users_and_teams", userIds: [], teamIds: [] } };

describe.skipIf(!browserAvailable())("web inbox and chat widget in Chromium", () => {
  let rt: Runtime;
  let browser: Browser;
  let call: ReturnType<typeof api>;
  let asAdmin: ReturnType<typeof api>;
  const errors: string[] = [];

  beforeAll(async () => {
    [rt, browser] = await Promise.all([startRuntime(), launch()]);
    call = api(rt);
    asAdmin = api(rt, { userId: "f3-admin", admin: true });
    for (const [p, body] of [
      ["/teams/f1-team", { name: "Flow one" }],
      ["/teams/f2-team", { name: "Billing" }],
      ["/teams/f3-team", { name: "Experts" }],
      ["/users/f1-amy", agent("Amy", "f1-team")],
      ["/users/f1-ben", agent("Ben", "f1-team")],
      ["/users/f2-cat", agent("Cat", "f2-team")],
      ["/users/f2-dan", agent("Dan", null)],
      ["/users/f3-admin", { ...agent("Root", null, "none"), role: "admin" }],
      ["/users/f3-eve", agent("Eve", null)],
      ["/users/f3-fay", agent("Fay", null)],
      ["/users/f3-gus", agent("Gus", "f3-team")],
      ["/users/f4-hal", agent("Hal", null)],
      ["/inboxes/f1", { name: "Shop", access: { type: "restricted", teamIds: ["f1-team"], userIds: [] } }],
      [
        "/inboxes/f2",
        { name: "Billing desk", access: { type: "restricted", teamIds: ["f2-team"], userIds: ["f2-dan"] } },
      ],
      [
        "/inboxes/f3",
        { name: "Experts desk", access: { type: "restricted", teamIds: ["f3-team"], userIds: ["f3-eve", "f3-fay"] } },
      ],
      ["/inboxes/f4", { name: "Night desk", access: { type: "restricted", teamIds: [], userIds: ["f4-hal"] } }],
      [
        "/channels/f1-chat",
        {
          inboxId: "f1",
          type: "chat",
          name: "Shop chat",
          routing: { autoAssign: true, target: { type: "users_and_teams", userIds: [], teamIds: ["f1-team"] } },
        },
      ],
      [
        "/channels/f5-bot",
        {
          inboxId: "f1",
          type: "bot",
          name: "Shop bot",
          routing: { autoAssign: true, target: { type: "users_and_teams", userIds: [], teamIds: ["f1-team"] } },
        },
      ],
      ["/channels/f2-chat", { inboxId: "f2", type: "chat", name: "Billing chat", routing: manual }],
      ["/channels/f3-chat", { inboxId: "f3", type: "chat", name: "Experts chat", routing: manual }],
      [
        "/channels/f4-chat",
        {
          inboxId: "f4",
          type: "chat",
          name: "Night chat",
          routing: { autoAssign: true, target: { type: "users_and_teams", userIds: ["f4-hal"], teamIds: [] } },
        },
      ],
    ] as const) {
      await call("PUT", p, body);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.stop();
    expect(errors).toEqual([]);
  });

  const page = async (width = 1280, height = 800, permissions: string[] = []): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width, height }, permissions });
    return watchErrors(await context.newPage(), errors);
  };
  const chat = (channel: string, text: string) =>
    fetch(`${rt.url}/chat/${channel}/conversations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }),
    }).then((r) => r.json() as Promise<{ conversation: { id: string } }>);

  it(
    "1. a visitor starts a chat in the widget; " +
      "the least busy agent sees it in Mine, replies; the visitor sees the reply",
    async () => {
      // Amy already holds a chat, so the next one is Ben's (least busy, docs/routing.md §5.3).
      const earlier = await chat("f1-chat", "earlier chat");
      expect((await asAdmin("GET", `/conversations/${earlier.conversation.id}`)).assigneeId).toBe("f1-amy");
      const ben = await page();
      await signIn(ben, rt, "f1-ben");
      await ben.getByRole("link", { name: /^Mine/ }).first().click();
      await ben.getByText("No open conversations here.").waitFor();

      const visitor = await page(1000, 720);
      const consoleErrors: string[] = [];
      visitor.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
      await visitor.goto(`${rt.url}/demo?channel=f1-chat`);
      await visitor.getByRole("button", { name: "Chat with us" }).click();
      await visitor.getByRole("textbox", { name: "Message" }).fill("Hi, where is my parcel?");
      await visitor.getByRole("button", { name: "Send" }).click();

      // No reload: the live feed brings it into Ben's Mine view.
      const row = ben.getByRole("link", { name: /Hi, where is my parcel\?/ });
      await row.waitFor({ timeout: LIVE_MS });
      await row.click();
      await ben.getByRole("textbox", { name: "Reply" }).fill("Hello! It ships today.");
      await ben.getByRole("button", { name: "Send" }).click();
      await ben.getByText("Hello! It ships today.").waitFor();

      await visitor.getByText("Hello! It ships today.").waitFor({ timeout: LIVE_MS });
      // And the visitor's answer reaches the open conversation, live.
      await visitor.getByRole("textbox", { name: "Message" }).fill("Great, thanks!");
      await visitor.getByRole("textbox", { name: "Message" }).press("Enter");
      await ben.getByRole("list", { name: "Messages" }).getByText("Great, thanks!").waitFor({ timeout: LIVE_MS });
      await screenshot(ben, "flow-1-agent");
      await screenshot(visitor, "flow-1-widget");
      // The demo page asks for nothing that is not there (no /favicon.ico 404 in the console).
      expect(consoleErrors).toEqual([]);
    },
  );

  it(
    "2. an agent takes a conversation from Unassigned with the Owner select, " +
      "gives it to a team, closes and reopens it",
    async () => {
      await chat("f2-chat", "Invoice 42 is wrong");
      const dan = await page();
      await signIn(dan, rt, "f2-dan");
      await dan.getByRole("link", { name: /Invoice 42 is wrong/ }).click();
      const owner = dan.getByRole("combobox", { name: "Owner" });
      await owner.selectOption({ label: "Dan (me)" });
      await dan.getByRole("link", { name: /^Mine\s*1/ }).waitFor({ timeout: LIVE_MS });
      // The count reads as a phrase: "1 conversation", not "1 conversations".
      await dan.getByRole("link", { name: "Mine 1 conversation", exact: true }).waitFor();

      // To the team: its least busy primary member takes it (docs/routing.md §3.5).
      await owner.selectOption({ label: "Billing (team)" });
      await expect.poll(() => owner.inputValue(), { timeout: LIVE_MS }).toBe("user:f2-cat");

      await dan.getByRole("button", { name: "Close" }).click();
      await dan.getByRole("button", { name: "Reopen" }).waitFor();
      await dan.getByRole("button", { name: "Reopen" }).click();
      await dan.getByRole("button", { name: "Close" }).waitFor();
      await dan.getByText("Why this owner").click();
      await dan.getByRole("cell", { name: "Cat (team assignment)" }).waitFor();
      await screenshot(dan, "flow-2-owner-close-reopen");
    },
  );

  it(
    "3. an admin turns on automatic assignment, gets a field error for a " +
      "user without a paid seat, fixes it, and the next chat follows the rule",
    async () => {
      const admin = await page();
      await signIn(admin, rt, "f3-admin");
      await admin.getByRole("link", { name: "Settings" }).click();
      const channel = admin.getByRole("region", { name: "Experts chat" });
      await channel.getByRole("switch", { name: "Assign conversations automatically" }).check();
      await expect
        .poll(() => channel.getByRole("combobox", { name: "Assign to" }).inputValue())
        .toBe("users_and_teams");
      await channel.getByRole("checkbox", { name: "Fay" }).check();
      await channel.getByRole("checkbox", { name: "Experts team" }).check();
      // Meanwhile another admin takes Fay's seat away: the form is stale, the API says why.
      await call("PUT", "/users/f3-fay", agent("Fay", null, "none"));
      await channel.getByRole("button", { name: "Save", exact: true }).click();
      await channel.getByText("user f3-fay has no paid seat").waitFor();
      expect(await channel.getByRole("checkbox", { name: "Fay" }).getAttribute("aria-invalid")).toBe("true");
      await screenshot(channel, "flow-3-field-error");

      await channel.getByRole("checkbox", { name: "Fay" }).uncheck();
      await channel.getByRole("checkbox", { name: "Eve" }).check();
      await channel.getByRole("button", { name: "Save", exact: true }).click();
      await channel.getByText("Saved.").waitFor();
      await screenshot(admin, "flow-3-routing-rule");

      const next = await chat("f3-chat", "Need an expert");
      const conv = await asAdmin("GET", `/conversations/${next.conversation.id}`);
      expect(conv.routing.rule).toEqual({
        autoAssign: true,
        target: { type: "users_and_teams", userIds: ["f3-eve"], teamIds: ["f3-team"] },
      });
      expect(["f3-eve", "f3-gus"]).toContain(conv.assigneeId);
    },
  );

  it("4. an agent who switches Availability to Away stops receiving chats", async () => {
    const hal = await page();
    await signIn(hal, rt, "f4-hal");
    const availability = hal.getByRole("switch", { name: "Availability" });
    await availability.click();
    await expect.poll(() => availability.getAttribute("aria-checked")).toBe("false");
    await hal.getByRole("switch", { name: "Availability" }).getByText("Away").waitFor();

    const waiting = await chat("f4-chat", "Anyone there at night?");
    const conv = await asAdmin("GET", `/conversations/${waiting.conversation.id}`);
    expect(conv.assigneeId).toBeNull();
    expect(conv.routing.candidates).toEqual([
      expect.objectContaining({ userId: "f4-hal", kept: false, reason: "away" }),
    ]);
    // It waits in Unassigned, where Hal sees it arrive.
    const row = hal.getByRole("link", { name: /Anyone there at night\?/ });
    await row.waitFor({ timeout: LIVE_MS });
    await row.getByText("In line").waitFor(); // it waits in the channel's line (docs/routing.md §5.5)
    await screenshot(hal, "flow-4-away");
  });

  it('on a bot channel the widget offers "Talk to a person", which hands the chat to an agent', async () => {
    const visitor = await page(420, 720);
    await visitor.goto(`${rt.url}/demo?channel=f5-bot&type=bot`);
    await visitor.getByRole("button", { name: "Chat with us" }).click();
    await visitor.getByRole("textbox", { name: "Message" }).fill("Bot, I need a human");
    await visitor.getByRole("button", { name: "Send" }).click();
    const talk = visitor.getByRole("button", { name: "Talk to a person" });
    await talk.click();
    await talk.waitFor({ state: "hidden" });
    const conversationId = await visitor.evaluate(
      () => JSON.parse(localStorage.getItem("routing.chat.f5-bot")!).conversationId as string,
    );
    const conv = await api(rt, { userId: "f1-amy" })("GET", `/conversations/${conversationId}`);
    expect(["f1-amy", "f1-ben"]).toContain(conv.assigneeId);
    await screenshot(visitor, "bot-handoff");
  });

  it("a site that vouches for its visitor (data-email, data-identity-hash): the contact's owner gets it", async () => {
    const channel = await call("PUT", "/channels/f6-vip", {
      inboxId: "f1",
      type: "chat",
      name: "VIP chat",
      routing: { autoAssign: true, target: { type: "contact_owner" } },
    });
    await call("PUT", "/contacts/f6-vip", { email: "vip@customer.example", ownerId: "f1-ben" });
    // What the site's backend computes (docs/api.md, Identify): hex HMAC-SHA256 of the email.
    const hash = (email: string) =>
      createHmac("sha256", channel.identitySecret as string)
        .update(email)
        .digest("hex");
    const start = async (email: string, identityHash: string) => {
      const visitor = await page(420, 720);
      const q = new URLSearchParams({ channel: "f6-vip", email, hash: identityHash });
      await visitor.goto(`${rt.url}/demo?${q}`);
      await visitor.getByRole("button", { name: "Chat with us" }).click();
      await visitor.getByRole("textbox", { name: "Message" }).fill(`Hello from ${email}`);
      await visitor.getByRole("button", { name: "Send" }).click();
      return visitor;
    };
    const vouched = await start("vip@customer.example", hash("vip@customer.example"));
    await vouched.getByText("Ben is here to help.").waitFor({ timeout: LIVE_MS });
    await screenshot(vouched, "widget-verified-identity");
    // The same email with a hash the site did not make: not linked, so no owner routing.
    const forged = await start("vip@customer.example", hash("someone@else.example"));
    await forged.getByText(/You are number \d+ in line/).waitFor({ timeout: LIVE_MS });
    expect(await forged.getByText("Ben is here to help.").count()).toBe(0);
  });

  it("shows a new form channel's signing secret once, with a copy button", async () => {
    const admin = await page(1280, 800, ["clipboard-read", "clipboard-write"]);
    await signIn(admin, rt, "f3-admin");
    await admin.goto(`${rt.url}/#/settings/channels`);
    const form = admin.getByRole("form", { name: "New channel" });
    await form.getByLabel("Channel id").fill("f3-form");
    await form.getByLabel("Name").fill("Feedback form");
    await form.getByRole("combobox", { name: "Type" }).selectOption("form");
    await form.getByRole("combobox", { name: "Inbox" }).selectOption({ label: "Experts desk" });
    await form.getByRole("button", { name: "Create channel" }).click();
    const secret = await form.locator(".secret code").textContent();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32,}$/);
    await form.getByRole("button", { name: "Copy the secret" }).click();
    expect(await admin.evaluate<string>("navigator.clipboard.readText()")).toBe(secret);
    await screenshot(admin, "form-secret-once");
    await admin.reload();
    await admin.getByRole("region", { name: "Feedback form" }).waitFor();
    expect(await admin.locator(".secret").count()).toBe(0);
  });

  it("the widget shows the visitor's place in line while the chat waits (docs/routing.md §5.5)", async () => {
    // Hal, the night chat's only agent, is away (flow 4): the chat joins the real waiting line.
    await api(rt, { userId: "f4-hal" })("PUT", "/me/availability", { availability: "away" });
    const ahead = (await asAdmin("GET", "/channels/f4-chat/stats")).waiting as number;
    const visitor = await page(420, 720);
    await visitor.goto(`${rt.url}/demo?channel=f4-chat`);
    await visitor.getByRole("button", { name: "Chat with us" }).click();
    await visitor.getByRole("textbox", { name: "Message" }).fill("Still there?");
    await visitor.getByRole("button", { name: "Send" }).click();
    await visitor.getByText(`You are number ${ahead + 1} in line.`, { exact: false }).waitFor({ timeout: LIVE_MS });
    await screenshot(visitor, "widget-waiting");
  });

  it("works from the keyboard alone: sign in, open a conversation, reply", async () => {
    await chat("f2-chat", "Keyboard question");
    const dan = await page();
    await dan.goto(`${rt.url}/`);
    /** Tab until the focused element's accessible name matches (at most 60 presses). */
    const tabTo = async (name: RegExp) => {
      for (let i = 0; i < 60; i++) {
        await dan.keyboard.press("Tab");
        // A string: this runs in the page (the test's own tsconfig has no DOM types).
        const focused = await dan.evaluate<string>(`(() => {
          const e = document.activeElement;
          const label = e && e.id ? document.querySelector('label[for="' + e.id + '"]') : null;
          return (e && e.getAttribute("aria-label")) || (label && label.textContent) || (e && e.textContent) || "";
        })()`);
        if (name.test(focused.trim())) return;
      }
      throw new Error(`no focusable element named ${name}`);
    };
    await dan.getByLabel("User").waitFor();
    await tabTo(/^User$/);
    await dan.keyboard.type("Dan");
    await tabTo(/^Sign in$/);
    await dan.keyboard.press("Enter");
    // Tabbing starts once the list has rendered: 60 presses can outrun the first fetch on a busy machine.
    await dan.getByText("Keyboard question").first().waitFor({ timeout: LIVE_MS });
    await tabTo(/^Visitor.*Keyboard question/);
    await dan.keyboard.press("Enter");
    await dan.getByLabel("Reply").waitFor({ timeout: LIVE_MS });
    await tabTo(/^Reply$/);
    await dan.keyboard.type("Typed without a mouse");
    await tabTo(/^Send$/);
    await dan.keyboard.press("Enter");
    await dan.getByRole("list", { name: "Messages" }).getByText("Typed without a mouse").waitFor();
    // Replying to an unassigned conversation made it Dan's. The reply can arrive on the socket before
    // the pane's own read of the conversation answers, so the owner is waited for, not read at once.
    const owner = dan.getByRole("combobox", { name: "Owner" });
    await expect.poll(() => owner.inputValue(), { timeout: LIVE_MS }).toBe("user:f2-dan");
  });

  it("sends the heartbeat at most once a minute, and only while the inbox is in use", async () => {
    const amy = await page();
    await amy.clock.install();
    const beats: number[] = [];
    amy.on("request", (r) => {
      if (r.method() === "POST" && r.url().endsWith("/me/heartbeat")) beats.push(Date.now());
    });
    await signIn(amy, rt, "f1-amy");
    // In use: a key every 20 s for 3 minutes.
    for (let i = 0; i < 9; i++) {
      await amy.keyboard.press("Shift");
      await amy.clock.runFor(20_000);
    }
    const inUse = beats.length;
    expect(inUse).toBeGreaterThanOrEqual(3);
    expect(inUse).toBeLessThanOrEqual(4);
    // The last use may still earn one beat within the minute; after that, a tab left open and
    // untouched sends nothing (and its polling does not count as activity either).
    await amy.clock.runFor(60_000);
    const afterUse = beats.length;
    expect(afterUse - inUse).toBeLessThanOrEqual(1);
    await amy.clock.runFor(5 * 60_000);
    expect(beats.length).toBe(afterUse);
  });

  it("fits a 360 px screen: no sideways scrolling in the inbox, a conversation or Settings", async () => {
    const phone = await page(360, 740);
    // A very long email subject on one row: the list answer is the server's, with the subject made long.
    const subject = `Quote ${"with a very long subject line ".repeat(8)}end`;
    await phone.route(/\/inboxes\/f2\/conversations/, async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      for (const c of body.items) if (c.preview === "Invoice 42 is wrong") c.subject = subject;
      await route.fulfill({ response: res, json: body });
    });
    await signIn(phone, rt, "f3-admin");
    const scrollWidth = () => phone.evaluate<number>("document.documentElement.scrollWidth");
    /** Sizes measured in the page (a string: the test's own tsconfig has no DOM types). */
    const measure = (js: string) => phone.evaluate<Record<string, number>>(`(() => { ${js} })()`);
    // The top bar stays on one line: Sign out sits level with the brand, inside the screen.
    const bar = await measure(`
      const top = (s) => document.querySelector(s).getBoundingClientRect();
      const brand = top(".brand"), out = [...document.querySelectorAll(".topbar button")].pop().getBoundingClientRect();
      return { brandMid: brand.top + brand.height / 2, outMid: out.top + out.height / 2, outRight: out.right };`);
    expect(Math.abs(bar.outMid! - bar.brandMid!)).toBeLessThan(4);
    expect(bar.outRight).toBeLessThanOrEqual(360);
    await phone.goto(`${rt.url}/#/inbox/f2/all/open`);
    const row = phone.getByRole("link", { name: new RegExp(`^${subject}`) });
    await row.waitFor();
    const rows = await measure(`
      const list = document.querySelector(".rows"), title = document.querySelector(".row-title");
      const row = title.closest(".row").getBoundingClientRect(), age = title.parentElement.querySelector(".age");
      return { scroll: list.scrollWidth, client: list.clientWidth, rowRight: row.right,
        listRight: list.getBoundingClientRect().right, ageRight: age.getBoundingClientRect().right,
        titleScroll: title.scrollWidth, titleClient: title.clientWidth };`);
    // The row stays within the list, its age stays in view, and the title is cut (with an ellipsis).
    expect(rows.scroll).toBeLessThanOrEqual(rows.client!);
    expect(rows.rowRight).toBeLessThanOrEqual(rows.listRight!);
    expect(rows.ageRight).toBeLessThanOrEqual(rows.rowRight!);
    expect(rows.titleScroll).toBeGreaterThan(rows.titleClient!);
    await screenshot(phone, "long-subject-360");
    await row.click();
    await phone.getByRole("combobox", { name: "Owner" }).waitFor();
    expect(await scrollWidth()).toBeLessThanOrEqual(360);
    for (const tab of ["Users", "Teams", "Inboxes", "Channels"]) {
      await phone.goto(`${rt.url}/#/settings/${tab.toLowerCase()}`);
      await phone.getByRole("link", { name: tab, exact: true }).waitFor();
      await phone
        .getByRole("heading", { name: /Add or|New channel/ })
        .first()
        .waitFor();
      expect(await scrollWidth(), tab).toBeLessThanOrEqual(360);
    }
    // The Users table is wider than the screen: it scrolls inside a named, focusable region that shows
    // a shadow at the edge with more columns, and the page itself does not scroll.
    await phone.goto(`${rt.url}/#/settings/users`);
    const table = phone.getByRole("region", { name: "Users table" });
    await table.waitFor();
    expect(await table.getAttribute("tabindex")).toBe("0");
    const wrap = await measure(`
      const w = document.querySelector(".table-wrap");
      return { scroll: w.scrollWidth, client: w.clientWidth,
        cue: getComputedStyle(w).backgroundImage.includes("gradient") ? 1 : 0 };`);
    expect(wrap.scroll).toBeGreaterThan(wrap.client!);
    expect(wrap.cue).toBe(1);
    await table.focus();
    await phone.keyboard.press("ArrowRight");
    await phone.keyboard.press("ArrowRight");
    await expect.poll(() => table.evaluate((e) => e.scrollLeft)).toBeGreaterThan(0);
    expect(await scrollWidth()).toBeLessThanOrEqual(360);
    await screenshot(phone, "users-360");
  });

  it("a refused token (401) returns to sign-in", async () => {
    const amy = await page();
    await signIn(amy, rt, "f1-amy");
    await amy.evaluate(() => sessionStorage.setItem("routing.token", "not-a-token"));
    await amy.reload();
    await amy.getByRole("heading", { name: "Sign in to the inbox" }).waitFor();
  });

  // docs/routing.md §5.5: turning Available hands Hal the chat that waited in flow 4.
  it("4b. back to Available, the waiting chat arrives in Mine within 5 s", async () => {
    const hal = await page();
    await signIn(hal, rt, "f4-hal");
    const availability = hal.getByRole("switch", { name: "Availability" });
    await availability.click();
    await expect.poll(() => availability.getAttribute("aria-checked")).toBe("true");
    await hal.getByRole("link", { name: /^Mine/ }).first().click();
    await hal.getByRole("link", { name: /Anyone there at night\?/ }).waitFor({ timeout: LIVE_MS });
    // The counts agree with the list: both waiting chats are Hal's now, none left unassigned.
    await hal.getByRole("link", { name: /^Mine\s*2/ }).waitFor({ timeout: LIVE_MS });
    await hal.getByRole("link", { name: /^Unassigned\s*0/ }).waitFor({ timeout: LIVE_MS });
    await screenshot(hal, "flow-4-back-available");
  });

  it(
    "a restricted inbox offers only its listed teams, " +
      "in the routing card and the Owner select (docs/routing.md §2)",
    async () => {
      const admin = await page();
      await signIn(admin, rt, "f3-admin");
      await admin.goto(`${rt.url}/#/inbox/f2/all/open`);
      await admin.getByRole("link", { name: /Invoice 42 is wrong/ }).click();
      const owner = admin.getByRole("combobox", { name: "Owner" });
      await owner.waitFor();
      await expect
        .poll(() => owner.locator('optgroup[label="Teams"] option').allTextContents(), { timeout: LIVE_MS })
        .toEqual(["Billing (team)"]);
      await admin.goto(`${rt.url}/#/settings/channels`);
      const teamBoxes = async (channel: string) => {
        const region = admin.getByRole("region", { name: channel });
        await region.getByRole("button", { name: "Save", exact: true }).waitFor();
        return region
          .getByRole("checkbox", { name: / team$/ })
          .evaluateAll((els) => els.map((e) => e.parentElement!.textContent!.trim()));
      };
      expect(await teamBoxes("Billing chat")).toEqual(["Billing team"]);
      expect(await teamBoxes("Shop chat")).toEqual(["Flow one team"]);
    },
  );

  it(
    "an admin sees and sets the channel's " +
      '"return to the line when the owner goes away" option (docs/routing.md §5.5)',
    async () => {
      const admin = await page();
      await signIn(admin, rt, "f3-admin");
      await admin.goto(`${rt.url}/#/settings/channels`);
      const channel = admin.getByRole("region", { name: "Experts chat" });
      const option = channel.getByRole("checkbox", {
        name: "Return conversations to the waiting line when their owner goes away",
      });
      expect(await option.isChecked()).toBe(false);
      await option.check();
      await channel.getByRole("button", { name: "Save", exact: true }).click();
      await channel.getByText("Saved.").waitFor();
      const stored = (await asAdmin("GET", "/channels")).items.find((c: { id: string }) => c.id === "f3-chat");
      expect(stored.routing.returnWhenAway).toBe(true);
      await admin.reload();
      await expect
        .poll(() =>
          admin
            .getByRole("region", { name: "Experts chat" })
            .getByRole("checkbox", { name: /^Return conversations/ })
            .isChecked(),
        )
        .toBe(true);
      await screenshot(admin.getByRole("region", { name: "Experts chat" }), "return-when-away");
    },
  );

  it("manual actions leave notes in the thread, and Why this owner says the owner was set by hand", async () => {
    const started = await chat("f1-chat", "Who moved my chat?");
    const routed = (await asAdmin("GET", `/conversations/${started.conversation.id}`)).assigneeId;
    expect(["f1-amy", "f1-ben"]).toContain(routed);
    const other = routed === "f1-amy" ? "Ben" : "Amy";
    const amy = await page();
    await signIn(amy, rt, "f1-amy");
    await amy.goto(`${rt.url}/#/inbox/f1/all/open/${started.conversation.id}`);
    const owner = amy.getByRole("combobox", { name: "Owner" });
    await owner.waitFor();
    await owner.selectOption({ label: other === "Amy" ? "Amy (me)" : "Ben" });
    const thread = amy.getByRole("list", { name: "Messages" });
    await thread.getByText(other === "Amy" ? "Amy took this" : "Amy assigned this to Ben").waitFor();
    await amy.getByRole("button", { name: "Close" }).click();
    await thread.getByText("Amy closed this").waitFor();
    await amy.getByText("Why this owner").click();
    await amy
      .getByRole("note")
      .getByText(/Changed by hand: the current owner \((Amy|Ben)\) was set after the routing decision/)
      .waitFor();
    await screenshot(amy, "manual-notes");
  });

  it(
    "a team hand-off nobody can take says it stays unassigned until someone takes it, " +
      "and stays out of the line (docs/routing.md §3.5)",
    async () => {
      await api(rt, { userId: "f3-gus" })("PUT", "/me/availability", { availability: "away" });
      const started = await chat("f3-chat", "Team hand-off nobody takes");
      const id = started.conversation.id;
      const admin = await page();
      await signIn(admin, rt, "f3-admin");
      await admin.goto(`${rt.url}/#/inbox/f3/all/open/${id}`);
      const owner = admin.getByRole("combobox", { name: "Owner" });
      await owner.waitFor();
      await owner.selectOption({ label: "Experts (team)" });
      const thread = admin.getByRole("list", { name: "Messages" });
      // Routing gave it to Eve (Gus is away): the note keeps that, as the team's decision replaces routing's.
      await thread.getByText(/^Root (moved this from Eve|assigned this) to the Experts team$/).waitFor();
      await thread
        .getByText(
          "Given to the Experts team; nobody there could take it, so it stays unassigned until someone takes it",
        )
        .waitFor();
      expect(await asAdmin("GET", `/conversations/${id}`)).toMatchObject({ assigneeId: null, teamId: "f3-team" });
      expect((await asAdmin("GET", "/channels/f3-chat/stats")).waiting).toBe(0);
      await screenshot(admin, "team-nobody");
    },
  );
});
