/**
 * Files in Chromium against `npm start`'s program (docs/routing.md §6.3): a customer's picture is
 * previewed and their text file downloads as sent; an agent attaches a file to an email reply through
 * the file chooser, and it is listed on the reply and in the email the SES emulator receives.
 */
import { readFile } from "node:fs/promises";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  audit,
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

// A 2x2 red PNG.
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==",
  "base64",
);
const NOTES = "order 1042\nline two: café\n";

const part = (name: string, type: string, content: Buffer) =>
  `--b\r\nContent-Type: ${type}; name="${name}"\r\nContent-Disposition: attachment; filename="${name}"\r\n` +
  `Content-Transfer-Encoding: base64\r\n\r\n${content.toString("base64")}\r\n`;

describe.skipIf(!browserAvailable())("attachments in the inbox, in Chromium", () => {
  let rt: Runtime;
  let browser: Browser;
  const errors: string[] = [];

  beforeAll(async () => {
    [rt, browser] = await Promise.all([startRuntime(), launch()]);
    await seedEmailDesk(rt, {
      userId: "f-fay",
      userName: "Fay",
      inboxId: "f",
      inboxName: "Files desk",
      channelName: "Files mail",
      address: "files@shop.example",
    });
    const raw =
      "From: Kim <kim@customer.example>\r\nTo: files@shop.example\r\nSubject: Broken checkout\r\n" +
      "Message-ID: <files-1@customer.example>\r\nMIME-Version: 1.0\r\n" +
      'Content-Type: multipart/mixed; boundary="b"\r\n\r\n' +
      "--b\r\nContent-Type: text/plain\r\n\r\nScreenshot and notes attached.\r\n" +
      part("screen.png", "image/png", PNG) +
      part("notes.txt", "text/plain", Buffer.from(NOTES)) +
      "--b--\r\n";
    await sendEmail(rt, raw);
  });
  afterAll(async () => {
    await browser?.close();
    await rt?.stop();
    expect(errors).toEqual([]);
  });

  it("previews the picture, downloads the file as sent, and sends a file with a reply", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = watchErrors(await context.newPage(), errors);
    await signIn(page, rt, "f-fay");
    await page.goto(`${rt.url}/#/inbox/f/all/open`);
    await page.getByRole("link", { name: /Broken checkout/ }).click();

    const files = page.getByRole("list", { name: "Files" });
    const preview = files.getByRole("img", { name: "screen.png" });
    await preview.waitFor();
    await expect.poll(() => preview.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(2);

    // A text file is a download (never a page), byte for byte.
    const download = page.waitForEvent("download");
    await files.getByRole("button", { name: "notes.txt" }).click();
    const saved = await (await download).path();
    expect(await readFile(saved, "utf8")).toBe(NOTES);

    // A picture opens in a tab of its own (opened on the click, so no popup blocker stops it).
    const tab = context.waitForEvent("page");
    await files.getByRole("button", { name: "screen.png" }).click();
    const picture = await tab;
    await picture.waitForURL(/\/files\//);
    expect(await picture.evaluate(() => document.contentType)).toBe("image/png");
    await picture.close();

    // Reply with a file through the file chooser.
    await page.getByLabel("Reply").fill("Here is the corrected invoice.");
    const chooser = page.waitForEvent("filechooser");
    await page.getByRole("button", { name: "Attach files" }).click();
    await (await chooser).setFiles({
      name: "invoice.pdf",
      mimeType: "application/pdf",
      buffer: Buffer.from("%PDF-1.4 x"),
    });
    await page.getByRole("list", { name: "Files to send" }).getByText("invoice.pdf").waitFor();
    await page.getByRole("button", { name: "Send", exact: true }).click();
    const reply = page.getByRole("listitem").filter({ hasText: "Here is the corrected invoice." });
    await reply.getByRole("button", { name: "invoice.pdf" }).waitFor();
    await screenshot(page, "attachments");
    // The file list, previews and the attach button pass the same audit as every screen.
    expect(await audit(page)).toEqual([]);

    const store = /sent mail: (\S+?)\)/.exec(rt.output())![1]!;
    await expect
      .poll(async () => {
        const { emails } = (await (await fetch(store)).json()) as {
          emails: Array<{ destination: { to: string[] }; attachments?: Array<{ filename?: string }> }>;
        };
        const sent = emails.filter((e) => e.destination.to.join().includes("kim@customer.example"));
        return sent.flatMap((e) => (e.attachments ?? []).map((a) => a.filename));
      })
      .toContain("invoice.pdf");
  });

  it("refuses more than 10 MB before sending anything", async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = watchErrors(await context.newPage(), errors);
    await signIn(page, rt, "f-fay");
    await page.goto(`${rt.url}/#/inbox/f/all/open`);
    await page.getByRole("link", { name: /Broken checkout/ }).click();
    const chooser = page.waitForEvent("filechooser");
    await page.getByRole("button", { name: "Attach files" }).click();
    await (await chooser).setFiles({
      name: "huge.bin",
      mimeType: "application/octet-stream",
      buffer: Buffer.alloc(11 * 1024 * 1024),
    });
    await page
      .getByRole("alert")
      .getByText(/at most 10 files, 10\.0 MB in all/)
      .waitFor();
    expect(await page.getByRole("button", { name: "Send", exact: true }).isDisabled()).toBe(true);
    await page.getByRole("button", { name: "Remove huge.bin" }).click();
    expect(await page.getByRole("button", { name: "Send", exact: true }).isDisabled()).toBe(false);
  });
});
