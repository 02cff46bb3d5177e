/**
 * Live updates in a real Chromium against `npm start`'s program (docs/web.md, "Live updates"): idle
 * tabs send (almost) nothing, changes show within a few hundred milliseconds, a dropped socket loses
 * nothing, and a background tab still tells its agent.
 */
import type { Browser, BrowserContext, Page, WebSocketRoute } from "playwright-core";
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

const routed = (userIds: string[]) => ({ autoAssign: true, target: { type: "users_and_teams", userIds, teamIds: [] } });

describe.skipIf(!browserAvailable())("live updates in Chromium", () => {
  let rt: Runtime;
  let browser: Browser;
  let call: ReturnType<typeof api>;
  const errors: string[] = [];
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [rt, browser] = await Promise.all([startRuntime(), launch()]);
    call = api(rt);
    for (const id of ["l1", "l2", "l3", "l4"]) {
      await call("PUT", `/users/${id}-ann`, agent("Ann", null));
      await call("PUT", `/inboxes/${id}`, { name: `Live ${id}`, access: { type: "everyone" } });
      await call("PUT", `/channels/${id}-chat`, {
        inboxId: id,
        type: "chat",
        name: "Chat",
        routing: routed([`${id}-ann`]),
      });
    }
  }, 120_000);
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await rt?.stop();
    expect(errors).toEqual([]);
  });

  /** A new tab; with `clock`, its timers run on a clock the test can move ahead (time still flows). */
  const page = async (opts: { notifications?: boolean; clock?: boolean } = {}): Promise<Page> => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 800 },
      ...(opts.notifications ? { permissions: ["notifications"] } : {}),
    });
    contexts.push(context);
    if (opts.clock) await context.clock.install();
    // Desktop notifications and permission prompts, recorded (the real ones still run).
    await context.addInitScript(() => {
      const w = window as unknown as { __notes: string[]; __asked: number; Notification: typeof Notification };
      const Real = w.Notification;
      w.__notes = [];
      w.__asked = 0;
      class Recorded {
        onclick: unknown = null;
        constructor(title: string) {
          w.__notes.push(title);
        }
        close() {}
        static get permission() {
          return Real.permission;
        }
        static requestPermission() {
          w.__asked++;
          return Real.requestPermission();
        }
      }
      w.Notification = Recorded as unknown as typeof Notification;
    });
    return watchErrors(await context.newPage(), errors);
  };

  const startChat = async (channelId: string, text: string) => {
    const res = await fetch(`${rt.url}/chat/${channelId}/conversations`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text }),
    });
    return (await res.json()) as { conversation: { id: string }; visitorToken: string };
  };

  /** Opens the widget of `channelId` on the demo site and starts a chat in it. */
  const visitorChat = async (channelId: string, first: string, opts: { clock?: boolean } = {}) => {
    const visitor = await page(opts);
    await visitor.goto(`${rt.url}/demo?channel=${channelId}`);
    await visitor.getByRole("button", { name: "Chat with us" }).click();
    await visitor.getByRole("textbox", { name: "Message" }).fill(first);
    await visitor.getByRole("button", { name: "Send" }).click();
    await visitor.getByText(first).waitFor();
    const id = await visitor.evaluate(
      (ch) => JSON.parse(localStorage.getItem(`routing.chat.${ch}`) ?? "{}"),
      channelId,
    );
    return { visitor, conversationId: id.conversationId as string };
  };

  /**
   * When `text` shows in the page (the widget's shadow root included), by the page's own clock: a
   * MutationObserver set up before the change is made, so the time measured is the change's, not the
   * test's polling.
   */
  const shownAt = (p: Page, text: string) =>
    p.evaluate(
      (t) =>
        new Promise<number>((resolve) => {
          const roots: Node[] = [document.body];
          const shadow = document.getElementById("routing-chat-widget")?.shadowRoot;
          if (shadow) roots.push(shadow);
          const has = () => roots.some((r) => (r.textContent ?? "").includes(t));
          if (has()) return resolve(Date.now());
          const seen = new MutationObserver(() => {
            if (!has()) return;
            seen.disconnect();
            resolve(Date.now());
          });
          for (const r of roots) seen.observe(r, { childList: true, subtree: true, characterData: true });
        }),
      text,
    );

  /** The agent leaves the tab (hidden, no focus) or comes back to it, as the browser tells the page. */
  const setAway = (p: Page, away: boolean) =>
    p.evaluate((a) => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => (a ? "hidden" : "visible") });
      Object.defineProperty(document, "hidden", { configurable: true, get: () => a });
      document.hasFocus = () => !a;
      document.dispatchEvent(new Event("visibilitychange"));
    }, away);

  /** `userId` signed in, live, on their empty Mine view of inbox `id` (that view rendered, not the first). */
  const emptyMine = async (p: Page, userId: string, id: string) => {
    await signIn(p, rt, userId);
    await p.getByRole("status").filter({ hasText: "Live" }).waitFor();
    await p.evaluate((inbox) => {
      location.hash = `#/inbox/${inbox}/mine/open`;
    }, id);
    await p
      .getByRole("region", { name: new RegExp(`^Live ${id}: `) })
      .getByText("No open conversations here.")
      .waitFor();
  };

  /** The desktop notifications the page raised, by title. */
  const notesOf = (p: Page) => p.evaluate(() => (window as unknown as { __notes: string[] }).__notes);

  const quantiles = (ms: number[]) => {
    const s = [...ms].sort((a, b) => a - b);
    return { median: s[Math.floor(s.length / 2)]!, worst: s.at(-1)! };
  };

  it("an idle inbox tab and an idle widget each send at most 1 HTTP request in 30 s; " +
    "replies, visitors' messages and new chats show within 300 ms (median) and 1 s (worst)", async () => {
    const ann = await page({ clock: true });
    await signIn(ann, rt, "l1-ann");
    await ann.evaluate(() => {
      location.hash = "#/inbox/l1/mine/open";
    });
    await ann.getByRole("status").filter({ hasText: "Live" }).waitFor();
    const { visitor, conversationId } = await visitorChat("l1-chat", "Hello, anyone?", { clock: true });
    await visitor.getByText("Ann is here to help.").waitFor();
    const row = ann.getByRole("link", { name: /Hello, anyone\?/ });
    await row.waitFor();
    await row.click();
    await ann.getByRole("list", { name: "Messages" }).getByText("Hello, anyone?").waitFor();

    // Idle: 30 s of nothing happening, both tabs open. Both pages' clocks jump 30 s ahead, firing every
    // timer due in that window (polls, heartbeats, pings) as it would fire in real time; a second of real
    // time after it lets any request those timers start reach the network.
    const requests = { inbox: [] as string[], widget: [] as string[] };
    ann.on("request", (r) => requests.inbox.push(`${r.method()} ${r.url()}`));
    visitor.on("request", (r) => requests.widget.push(`${r.method()} ${r.url()}`));
    await Promise.all([ann.clock.runFor(30_000), visitor.clock.runFor(30_000)]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(requests.inbox.length, requests.inbox.join("\n")).toBeLessThanOrEqual(1);
    expect(requests.widget.length, requests.widget.join("\n")).toBeLessThanOrEqual(1);

    const asAnn = api(rt, { userId: "l1-ann" });
    const replies: number[] = [];
    const messages: number[] = [];
    const newChats: number[] = [];
    const token = await visitor.evaluate(() => localStorage.getItem("routing.visitorToken"));
    // Both ends on the page's clock, which runs 30 s ahead of the test's since the idle window.
    const timed = async (p: Page, text: string, change: () => Promise<unknown>) => {
      const shown = shownAt(p, text);
      const t = await p.evaluate(() => Date.now());
      await change();
      return (await shown) - t;
    };
    for (let i = 0; i < 7; i++) {
      replies.push(
        await timed(visitor, `Reply number ${i}`, () =>
          asAnn("POST", `/conversations/${conversationId}/messages`, { text: `Reply number ${i}` }),
        ),
      );
      messages.push(
        await timed(ann, `Visitor line ${i}`, () =>
          fetch(`${rt.url}/chat/conversations/${conversationId}/messages`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ text: `Visitor line ${i}`, visitorToken: token }),
          }),
        ),
      );
      newChats.push(await timed(ann, `Another chat ${i}`, () => startChat("l1-chat", `Another chat ${i}`)));
    }
    const measured = { replies: quantiles(replies), messages: quantiles(messages), newChats: quantiles(newChats) };
    console.log(`live latency (ms): ${JSON.stringify(measured)}`);
    for (const q of Object.values(measured)) {
      expect(q.median).toBeLessThanOrEqual(300);
      expect(q.worst).toBeLessThanOrEqual(1000);
    }
    await screenshot(ann, "live-agent");
    await screenshot(visitor, "live-widget");
  }, 120_000);

  it("with the socket dropped for 10 s while 3 messages are sent, all 3 show after it reconnects, " +
    "without a reload; meanwhile the clients say they are reconnecting", async () => {
    let blocked = false;
    const sockets: WebSocketRoute[] = [];
    const cut = async (p: Page) =>
      p.routeWebSocket(/^ws:/, (ws) => {
        if (blocked) return void ws.close({ code: 1006 });
        ws.connectToServer();
        sockets.push(ws);
      });
    const ann = await page();
    await cut(ann);
    await signIn(ann, rt, "l2-ann");
    const visitor = await page();
    await cut(visitor);
    await visitor.goto(`${rt.url}/demo?channel=l2-chat`);
    await visitor.getByRole("button", { name: "Chat with us" }).click();
    await visitor.getByRole("textbox", { name: "Message" }).fill("Before the drop");
    await visitor.getByRole("button", { name: "Send" }).click();
    await ann.evaluate(() => {
      location.hash = "#/inbox/l2/mine/open";
    });
    await ann.getByRole("link", { name: /Before the drop/ }).click();
    await ann.getByRole("status").filter({ hasText: "Live" }).waitFor();
    const { conversationId } = await visitor.evaluate(() => JSON.parse(localStorage.getItem("routing.chat.l2-chat")!));
    const token = await visitor.evaluate(() => localStorage.getItem("routing.visitorToken"));
    const navigations = { ann: 0, visitor: 0 };
    ann.on("framenavigated", () => navigations.ann++);
    visitor.on("framenavigated", () => navigations.visitor++);

    blocked = true;
    for (const ws of sockets.splice(0)) await ws.close({ code: 1006 });
    await ann.getByRole("status").filter({ hasText: "Reconnecting" }).waitFor();
    await visitor.getByText("Reconnecting…").waitFor();
    await screenshot(ann, "live-agent-reconnecting");
    const asAnn = api(rt, { userId: "l2-ann" });
    for (const n of [1, 2, 3]) {
      await asAnn("POST", `/conversations/${conversationId}/messages`, { text: `Agent while down ${n}` });
      await fetch(`${rt.url}/chat/conversations/${conversationId}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: `Visitor while down ${n}`, visitorToken: token }),
      });
    }
    await new Promise((r) => setTimeout(r, 10_000));
    blocked = false;
    await ann.getByRole("status").filter({ hasText: "Live" }).waitFor({ timeout: 30_000 });
    await visitor.getByText("Reconnecting…").waitFor({ state: "hidden", timeout: 30_000 });
    for (const n of [1, 2, 3]) {
      await ann.getByRole("list", { name: "Messages" }).getByText(`Visitor while down ${n}`).waitFor();
      await visitor.getByText(`Agent while down ${n}`).waitFor();
    }
    // One of each, and no reload of either page.
    expect(
      await ann
        .getByRole("list", { name: "Messages" })
        .getByText(/Visitor while down/)
        .count(),
    ).toBe(3);
    expect(await visitor.getByText(/Agent while down/).count()).toBe(3);
    expect(navigations).toEqual({ ann: 0, visitor: 0 });
  }, 120_000);

  it("a hidden inbox tab raises a desktop notification and counts unread in its title; " +
    "permission is asked on a click", async () => {
    const fresh = await page();
    await signIn(fresh, rt, "l3-ann");
    expect(await fresh.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(0);
    await fresh.getByRole("button", { name: "Turn on desktop alerts" }).click();
    expect(await fresh.evaluate(() => (window as unknown as { __asked: number }).__asked)).toBe(1);

    const ann = await page({ notifications: true });
    await emptyMine(ann, "l3-ann", "l3");
    expect(await ann.getByRole("button", { name: "Turn on desktop alerts" }).count()).toBe(0);
    // The agent moves to another tab: the page is hidden and has no focus.
    await setAway(ann, true);
    await startChat("l3-chat", "Need help in the background");
    await ann.waitForFunction(() => (window as unknown as { __notes: string[] }).__notes.length === 1);
    expect(await notesOf(ann)).toEqual(["New conversation assigned to you"]);
    await expect.poll(() => ann.title()).toBe("(1) Inbox");
    await startChat("l3-chat", "And a second one");
    await expect.poll(() => ann.title()).toBe("(2) Inbox");
    // Opening one clears it from the count.
    await ann.getByRole("link", { name: /Need help in the background/ }).click();
    await expect.poll(() => ann.title()).toBe("(1) Inbox");
  }, 60_000);

  it("a list read in a background tab that brings a conversation assigned meanwhile raises the notification " +
    "too, once; the agent's own take does not, and the open one counts only while they are away", async () => {
    // The socket's frames from the server are held back while `hold` is set, so the list read wins.
    let hold = false;
    const held: Array<() => void> = [];
    const ann = await page({ notifications: true });
    await ann.routeWebSocket(/^ws:/, (ws) => {
      const server = ws.connectToServer();
      server.onMessage((m) => (hold ? held.push(() => ws.send(m)) : ws.send(m)));
    });
    await emptyMine(ann, "l4-ann", "l4");
    await setAway(ann, true);
    hold = true;
    const chat = await startChat("l4-chat", "Assigned while the list was read");
    await expect.poll(() => held.length).toBeGreaterThan(0);
    // The view reloads (here: the agent's own All view) and reads the new conversation first.
    await ann.evaluate(() => {
      location.hash = "#/inbox/l4/all/open";
    });
    await ann.getByRole("link", { name: /Assigned while the list was read/ }).waitFor();
    hold = false;
    for (const send of held.splice(0)) send();
    await ann.waitForFunction(() => (window as unknown as { __notes: string[] }).__notes.length > 0);
    // The frames that came after the read are not news a second time.
    await new Promise((r) => setTimeout(r, 500));
    expect(await notesOf(ann)).toEqual(["New conversation assigned to you"]);

    // Back in the tab, the agent gives the open conversation away and takes it back by hand, the
    // socket's frames held until both answered: their own take is no news.
    await setAway(ann, false);
    await ann.getByRole("link", { name: /Assigned while the list was read/ }).click();
    const owner = ann.getByRole("combobox", { name: "Owner" });
    await expect.poll(() => owner.inputValue()).toBe("user:l4-ann");
    hold = true;
    await owner.selectOption("");
    await expect.poll(() => owner.inputValue()).toBe("");
    await owner.selectOption("user:l4-ann");
    await expect.poll(() => owner.isEnabled()).toBe(true);
    hold = false;
    for (const send of held.splice(0)) send();
    await new Promise((r) => setTimeout(r, 500));
    expect(await notesOf(ann)).toHaveLength(1);
    // The customer writes while the tab is in the background: counted, and no longer once the agent,
    // back in the tab, sees it open.
    await expect.poll(() => ann.title()).toBe("Inbox");
    await setAway(ann, true);
    await fetch(`${rt.url}/chat/conversations/${chat.conversation.id}/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "Still there?", visitorToken: chat.visitorToken }),
    });
    await expect.poll(() => ann.title()).toBe("(1) Inbox");
    await setAway(ann, false);
    await expect.poll(() => ann.title()).toBe("Inbox");
  }, 60_000);
});
