import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { MIME_LIMITS, parseEmail } from "#shared/adapters/mime/parse";
import { S3AttachmentStore } from "#shared/adapters/s3/attachment-store";
import { createS3Client } from "#shared/adapters/s3/raw-email";
import { startS3 } from "../../infra/local/emulators";

export interface MimeRow {
  case: string;
  bytes: number;
  outcome: "parsed" | "refused";
  ms: number;
  budgetMs: number;
  withinBudget: boolean;
}

const head =
  "From: Kim <kim@customer.example>\r\nTo: help@shop.example\r\nSubject: bench\r\n" +
  "Message-ID: <bench@customer.example>\r\nMIME-Version: 1.0\r\n";

/** Inputs: a realistic 1 MB message, and hostile ones meant to make a parser run long or blow up. */
function cases(): Array<{ name: string; raw: Buffer; budgetMs: number }> {
  const line = "The quick brown fox jumps over the lazy dog, again and again, for a long time.\r\n";
  const text = line.repeat(Math.ceil(400_000 / line.length));
  const attachment = Buffer.alloc(450_000, 7).toString("base64").replace(/.{76}/g, "$&\r\n");
  const oneMb =
    `${head}Content-Type: multipart/mixed; boundary="M"\r\n\r\n` +
    `--M\r\nContent-Type: text/plain\r\n\r\n${text}\r\n` +
    `--M\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="a.pdf"\r\n` +
    `Content-Transfer-Encoding: base64\r\n\r\n${attachment}\r\n--M--\r\n`;
  let nested = "Content-Type: text/plain\r\n\r\ndeep\r\n";
  for (let i = 0; i < 5000; i++)
    nested = `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n${nested}--b${i}--\r\n`;
  const parts = Array.from(
    { length: 50_000 },
    (_, i) =>
      `--P\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="f${i}"\r\n\r\nx\r\n`,
  ).join("");
  const headers = Array.from({ length: 60_000 }, (_, i) => `X-Junk-${i}: ${"y".repeat(40)}\r\n`).join("");
  const longLine = `${head}Content-Type: text/plain\r\n\r\n${"z".repeat(9_000_000)}\r\n`;
  // HTML-only mail (the text comes from the HTML): 2 MB each, built to make an HTML-to-text step run long.
  const html = (body: string) => Buffer.from(`${head}Content-Type: text/html; charset=utf-8\r\n\r\n${body}\r\n`);
  const twoMb = (unit: string) => unit.repeat(Math.ceil(2_000_000 / unit.length));
  const hostileHtml = [
    { name: "hostile HTML 2 MB: '<' only", raw: html(twoMb("<")) },
    { name: "hostile HTML 2 MB: nested <div>", raw: html(twoMb("<div>")) },
    { name: "hostile HTML 2 MB: unclosed table cells", raw: html(twoMb("<table><tr><td>")) },
    { name: "hostile HTML 2 MB: unclosed comments", raw: html(twoMb("<!--")) },
    { name: "hostile HTML 2 MB: tags without end", raw: html(twoMb("<a<b")) },
    // Long runs of blanks with no new line: quadratic for a clean-up regex that backtracks over the run.
    { name: "hostile HTML 512 KB: <td> (blanks)", raw: html(`Hello${"<td>".repeat(128 * 1024)}`) },
    { name: "hostile HTML 2 MB: <td> (blanks)", raw: html(twoMb("<td>")) },
    { name: "hostile HTML 2 MB: &nbsp;", raw: html(`Hello${twoMb("&nbsp;")}bye`) },
    { name: "hostile HTML 2 MB: mixed blanks", raw: html(twoMb("&#32;&#9;&#160;<td>&nbsp; ")) },
    { name: "HTML 2 MB: ordinary markup", raw: html(twoMb("<p>Hello <b>team</b>, thanks &amp; bye</p>")) },
  ].map((c) => ({ ...c, budgetMs: 200 }));
  return [
    { name: "1 MB multipart (text + attachment)", raw: Buffer.from(oneMb), budgetMs: 200 },
    { name: "hostile: 5,000 nested multiparts", raw: Buffer.from(`${head}${nested}`), budgetMs: 2000 },
    {
      name: "hostile: 50,000 parts",
      raw: Buffer.from(`${head}Content-Type: multipart/mixed; boundary="P"\r\n\r\n${parts}--P--\r\n`),
      budgetMs: 2000,
    },
    {
      name: "hostile: 3.5 MB of headers",
      raw: Buffer.from(`${head}${headers}Content-Type: text/plain\r\n\r\nhi\r\n`),
      budgetMs: 2000,
    },
    { name: "hostile: one 9 MB line", raw: Buffer.from(longLine), budgetMs: 2000 },
    ...hostileHtml,
  ];
}

export async function benchMime(): Promise<MimeRow[]> {
  const rows: MimeRow[] = [];
  for (const c of cases()) {
    await parseEmail(c.raw).catch(() => undefined); // warm-up
    const t0 = performance.now();
    let outcome: MimeRow["outcome"] = "parsed";
    try {
      await parseEmail(c.raw);
    } catch {
      outcome = "refused";
    }
    const ms = Math.round((performance.now() - t0) * 10) / 10;
    rows.push({ case: c.name, bytes: c.raw.length, outcome, ms, budgetMs: c.budgetMs, withinBudget: ms <= c.budgetMs });
  }
  return rows;
}

export interface HtmlRow {
  input: string;
  bytes: number;
  converter: "one-pass scanner (ours)" | "regex stripper (before)" | "html-to-text";
  ms: number;
}

/** The regex HTML stripper this branch replaced, kept here only to measure it. */
function regexStripper(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, "")
    .replace(/<br\s*\/?>|<\/p>/gi, "\n")
    .replace(/<[^>]+>/g, "")
    .trim();
}

/**
 * HTML-to-text alone, ours against the regex stripper and html-to-text, on inputs that grow: a linear
 * converter's time doubles with the input, a quadratic one's quadruples. The naive ones run only on sizes
 * that finish in seconds.
 */
export async function benchHtmlToText(): Promise<HtmlRow[]> {
  const { convert } = await import("html-to-text");
  const { htmlToText } = await import("#shared/adapters/mime/html-text");
  const converters: Array<[HtmlRow["converter"], (html: string) => string, number]> = [
    ["one-pass scanner (ours)", (h) => htmlToText(h, 100_000), 2_000_000],
    ["regex stripper (before)", regexStripper, 64_000],
    [
      "html-to-text",
      (h) => convert(h, { wordwrap: false, limits: { maxInputLength: 10_000_000, maxDepth: 64, maxChildNodes: 10e3 } }),
      512_000,
    ],
  ];
  const inputs: Array<[string, string]> = [
    ["'<' only", "<"],
    ["nested <div>", "<div>"],
    ["unclosed table cells", "<table><tr><td>"],
  ];
  const rows: HtmlRow[] = [];
  for (const [input, unit] of inputs) {
    for (const size of [32_000, 64_000, 128_000, 512_000, 2_000_000]) {
      const html = unit.repeat(Math.ceil(size / unit.length));
      for (const [converter, run, maxSize] of converters) {
        if (size > maxSize) continue;
        const t0 = performance.now();
        run(html);
        rows.push({ input, bytes: html.length, converter, ms: Math.round((performance.now() - t0) * 10) / 10 });
      }
    }
  }
  return rows;
}

export interface AutomaticRow {
  fixture: string;
  recognised: string;
  ms: number;
}

/** Each kind of mail sent by machines (docs/routing.md §6.2): what the parser calls it, and how long it takes. */
export async function benchAutomatic(): Promise<AutomaticRow[]> {
  const dir = new URL("../fixtures/email/", import.meta.url);
  const rows: AutomaticRow[] = [];
  for (const name of (await readdir(dir)).filter((f) => f.endsWith(".eml")).sort()) {
    const raw = await readFile(new URL(name, dir));
    await parseEmail(raw); // warm-up
    const t0 = performance.now();
    const email = await parseEmail(raw);
    const ms = Math.round((performance.now() - t0) * 100) / 100;
    const recognised = email.report
      ? `report (${email.report.failures.length} failed)`
      : (email.automatic ?? "written by a person");
    rows.push({ fixture: name, recognised, ms });
  }
  return rows;
}

export interface AttachmentRow {
  case: string;
  store: "concurrent puts (ours)" | "one put after another (naive)";
  bytes: number;
  files: number;
  parseMs: number;
  storeMs: number;
  totalMs: number;
  budgetMs: number;
  withinBudget: boolean;
}

/**
 * A 10 MB message with 100 attachments (MIME_LIMITS' caps) parsed and its files stored in S3 (the
 * emulator here), as inbound email does before it writes the message: ours puts the files at once,
 * the naive way one after another. The budget is the email function's: well inside its 15 s.
 */
export async function benchAttachments(): Promise<AttachmentRow[]> {
  const bucket = "bench-attachments";
  const dir = await mkdtemp(path.join(tmpdir(), "bench-s3-"));
  const s3 = await startS3({ directory: dir, buckets: [bucket] });
  try {
    const store = new S3AttachmentStore(createS3Client({ region: "us-east-1", endpoint: s3.endpoint }), bucket);
    const files = 100;
    // 100 files of 74 KB: 9.9 MB once base64-encoded with the headers, just under the 10 MB cap.
    const parts = Array.from({ length: files }, (_, i) => {
      const body = randomBytes(74 * 1024)
        .toString("base64")
        .replace(/.{76}/g, "$&\r\n");
      return (
        `--A\r\nContent-Type: application/octet-stream; name="file-${i}.bin"\r\n` +
        `Content-Disposition: attachment; filename="file-${i}.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
        `${body}\r\n`
      );
    });
    const raw = Buffer.from(
      `${head}Content-Type: multipart/mixed; boundary="A"\r\n\r\n--A\r\nContent-Type: text/plain\r\n\r\nfiles\r\n` +
        `${parts.join("")}--A--\r\n`,
    );
    if (raw.length > MIME_LIMITS.maxBytes) throw new Error(`bench message is ${raw.length} bytes, over the cap`);
    const rows: AttachmentRow[] = [];
    for (const [n, mode] of [
      [0, "concurrent puts (ours)"],
      [1, "one put after another (naive)"],
      [2, "concurrent puts (ours)"],
      [3, "one put after another (naive)"],
    ] as const) {
      const t0 = performance.now();
      const email = await parseEmail(raw);
      const t1 = performance.now();
      const kept = email.attachments.map((a, i) => ({
        id: `run${n}-${i}`,
        filename: a.filename ?? `attachment-${i + 1}`,
        contentType: a.mimeType,
        size: a.size,
        content: a.content,
      }));
      if (mode === "concurrent puts (ours)") await Promise.all(kept.map((f) => store.put("bench", f)));
      else for (const f of kept) await store.put("bench", f);
      const t2 = performance.now();
      if (kept.length !== files) throw new Error(`parsed ${kept.length} files, expected ${files}`);
      const back = await store.read("bench", kept[files - 1]!);
      if (!Buffer.from(back.content).equals(Buffer.from(kept[files - 1]!.content))) throw new Error("bytes differ");
      const round = (ms: number) => Math.round(ms);
      rows.push({
        case: n < 2 ? "10 MB, 100 attachments (first run)" : "10 MB, 100 attachments",
        store: mode,
        bytes: raw.length,
        files,
        parseMs: round(t1 - t0),
        storeMs: round(t2 - t1),
        totalMs: round(t2 - t0),
        budgetMs: 5000,
        withinBudget: t2 - t0 <= 5000,
      });
    }
    return rows;
  } finally {
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
