import { describe, expect, it } from "vitest";
import { parseEmail } from "#shared/adapters/mime/parse";

const htmlEmail = (html: string) =>
  Buffer.from(
    `From: Kim <kim@customer.example>\r\nTo: help@shop.example\r\nSubject: html\r\n` +
      `MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n`,
  );

describe("HTML-only email becomes text in linear time", () => {
  it("256 KB of '<' (quadratic for a regex stripper) parses at once and leaves readable text", async () => {
    const t0 = performance.now();
    const parsed = await parseEmail(htmlEmail(`<p>Hello</p>${"<".repeat(256 * 1024)}`));
    // A generous bound: the regex stripper took over 10 s for half this input.
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(parsed.text.startsWith("Hello")).toBe(true);
  });

  it("unclosed comments, script and attribute quotes do not run long either", async () => {
    const hostile = [
      "<!--".repeat(50_000),
      "<script>".repeat(30_000),
      `<a href="${"x".repeat(200_000)}`,
      "<p ".repeat(60_000),
      "<div>".repeat(100_000),
      "<table><tr><td>".repeat(30_000),
      "<a<b<c".repeat(50_000),
      "&#x".repeat(100_000),
    ];
    for (const html of hostile) {
      const t0 = performance.now();
      await parseEmail(htmlEmail(html));
      expect(performance.now() - t0).toBeLessThan(3000);
    }
  });

  it(
    "keeps the text: paragraphs and breaks become new lines, " + "scripts and styles are dropped, entities decoded",
    async () => {
      const parsed = await parseEmail(
        htmlEmail("<style>p{}</style><p>Hello&nbsp;team</p><script>alert(1)</script><p>Thanks &amp; bye<br>Kim</p>"),
      );
      expect(parsed.text).toBe("Hello team\nThanks & bye\nKim");
    },
  );
});
