/**
 * Mail sent by machines in Chromium against `npm start`'s program (docs/routing.md §6.2): an
 * out-of-office reply is listed in All with its kind, never in Unassigned, and its message says so.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  browserAvailable,
  launch,
  type Runtime,
  screenshot,
  seedEmailDesk,
  sendEmail,
  signIn,
  startRuntime,
  watchErrors,
} from "./support";

describe.skipIf(!browserAvailable())("automatic mail in the inbox, in Chromium", () => {
  let rt: Runtime;
  let browser: Browser;
  const errors: string[] = [];
  const mail = (id: string, subject: string, extra = "") =>
    `From: Kim <kim@customer.example>\r\nTo: desk@shop.example\r\nSubject: ${subject}\r\n` +
    `Message-ID: <${id}@customer.example>\r\n${extra}Content-Type: text/plain\r\n\r\n${subject} body\r\n`;

  beforeAll(async () => {
    [rt, browser] = await Promise.all([startRuntime(), launch()]);
    await seedEmailDesk(rt, {
      userId: "m-uma",
      userName: "Uma",
      inboxId: "m",
      inboxName: "Mail desk",
      channelName: "Desk mail",
      address: "desk@shop.example",
    });
    await sendEmail(rt, mail("person-1", "A question from a person"));
    await sendEmail(rt, mail("ooo-1", "Out of office", "Auto-Submitted: auto-replied\r\n"));
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.stop();
    expect(errors).toEqual([]);
  });

  it("All lists the auto-reply with its kind, Unassigned does not, and its message is marked", async () => {
    const page = watchErrors(
      await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage(),
      errors,
    );
    await signIn(page, rt, "m-uma");
    await page.goto(`${rt.url}/#/inbox/m/unassigned/open`);
    await page.getByRole("link", { name: /A question from a person/ }).waitFor();
    expect(await page.getByRole("link", { name: /Out of office/ }).count()).toBe(0);

    await page.goto(`${rt.url}/#/inbox/m/all/open`);
    const row = page.getByRole("link", { name: /Out of office/ });
    await row.getByText("Auto-reply").waitFor();
    await row.click();
    await page.getByRole("list", { name: "Messages" }).getByText("Auto-reply").waitFor();
    await screenshot(page, "automatic-mail");
  });
});
