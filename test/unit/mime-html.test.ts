import { describe, expect, it } from "vitest";
import { collapseBlanks, htmlToText } from "#shared/adapters/mime/html-text";
import { parseEmail } from "#shared/adapters/mime/parse";

const htmlEmail = (html: string) =>
  Buffer.from(
    "From: Kim <kim@customer.example>\r\nTo: help@shop.example\r\nSubject: html\r\n" +
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

  // Runs of blanks with no new line in them: each case is a few milliseconds when the clean-up is one
  // pass, and seconds to a minute when a backtracking regex retries the run from every blank. The guard
  // is the per-test timeout; the numbers are in `npm run bench -- mime`.
  const linear = { timeout: 5_000 };

  it("512 KB of <td> (a blank each, no new line) after a word leaves the word", linear, async () => {
    const parsed = await parseEmail(htmlEmail(`Hello${"<td>".repeat(128 * 1024)}`));
    expect(parsed.text).toBe("Hello");
    // Past the mail's cap on text: 1 MB of cells, 262,144 blanks in one run.
    expect(htmlToText(`Hello${"<td>".repeat(256 * 1024)}bye`, 1_000_000)).toBe("Hello bye");
  });

  it("2 MB of &nbsp; between two words becomes one space", linear, async () => {
    const parsed = await parseEmail(htmlEmail(`Hello${"&nbsp;".repeat(350_000)}bye`));
    expect(parsed.text).toBe("Hello bye");
  });

  it(
    "a long run of spaces, tabs, no-break spaces and cells is one space, or one new line if it holds one",
    linear,
    () => {
      const run = "&#32;&#9;&#160;<td>&nbsp;".repeat(50_000);
      expect(htmlToText(`a${run}b`, 1_000_000)).toBe("a b");
      expect(htmlToText(`a${run}<br>${run}b`, 1_000_000)).toBe("a\nb");
    },
  );

  it("folds blanks exactly as the two regexes it replaced did, on 5,000 short texts", () => {
    const regexes = (t: string) => t.replace(/[ \t\u00a0]*\n[ \t\u00a0\n]*/g, "\n").replace(/[ \t\u00a0]{2,}/g, " ");
    const alphabet = [" ", "\t", "\u00a0", "\n", "\r", "a", "b", "\u2003"];
    let seed = 1; // a fixed sequence (Park-Miller): the same texts on every run
    const next = () => {
      seed = (seed * 48_271) % 2_147_483_647;
      return seed;
    };
    for (let n = 0; n < 5000; n++) {
      const text = Array.from({ length: next() % 12 }, () => alphabet[next() % alphabet.length]).join("");
      expect(collapseBlanks(text), JSON.stringify(text)).toBe(regexes(text));
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
