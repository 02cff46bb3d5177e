import { performance } from "node:perf_hooks";
import { parseEmail } from "#shared/adapters/mime/parse";

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
