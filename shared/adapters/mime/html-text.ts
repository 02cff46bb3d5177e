/**
 * HTML to plain text in one left-to-right pass, for HTML-only email.
 *
 * Why not a regex stripper or html-to-text: both take super-linear time on hostile input (`npm run bench --
 * mime` compares them: the regex stripper takes ~2 s for 64 KB of `<`; html-to-text, even with its depth
 * and child limits, 1-4 s for 512 KB of nested `<div>` or unclosed table cells and ~60 s for 2 MB, and
 * without a depth limit it overflows the stack).
 *
 * Why this is linear: every search (`indexOf`) starts at the cursor and the cursor moves past what it
 * found, or the scan stops. A tag, comment or script with no end ends the scan instead of being retried
 * from the next `<`, which is what makes `<<<<...` quadratic elsewhere. So each character is examined a
 * bounded number of times, and the output stops at `maxChars`. The clean-up of blanks after the scan is
 * one pass too (`collapseBlanks`): no regex there that can backtrack over a long run of spaces.
 */

/** Elements whose start or end breaks a line. */
const BLOCK = new Set([
  "address",
  "article",
  "aside",
  "blockquote",
  "br",
  "dd",
  "div",
  "dl",
  "dt",
  "footer",
  "form",
  "h1",
  "h2",
  "h3",
  "h4",
  "h5",
  "h6",
  "header",
  "hr",
  "li",
  "main",
  "nav",
  "ol",
  "p",
  "pre",
  "section",
  "table",
  "tr",
  "ul",
]);
/** Elements whose content is never text. */
const SKIP = new Set(["script", "style", "head", "title", "template", "noscript"]);

const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  copy: "©",
  reg: "®",
  hellip: "…",
  mdash: "—",
  ndash: "–",
};

function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]{2,8});/g, (whole, body: string) => {
    if (body[0] !== "#") return NAMED[body.toLowerCase()] ?? whole;
    const code =
      body[1] === "x" || body[1] === "X" ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
    return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff) ? String.fromCodePoint(code) : "\uFFFD";
  });
}

export function htmlToText(html: string, maxChars: number): string {
  const lower = html.toLowerCase();
  const parts: string[] = [];
  let length = 0;
  const push = (s: string) => {
    parts.push(s);
    length += s.length;
  };
  const text = (raw: string) => push(decodeEntities(raw.replace(/\s+/g, " ")));
  let i = 0;
  while (i < html.length && length < maxChars) {
    const lt = html.indexOf("<", i);
    if (lt === -1) {
      text(html.slice(i));
      break;
    }
    if (lt > i) text(html.slice(i, lt));
    const next = html.charCodeAt(lt + 1);
    const isLetter = (next >= 65 && next <= 90) || (next >= 97 && next <= 122);
    if (lower.startsWith("<!--", lt)) {
      const end = lower.indexOf("-->", lt + 4);
      if (end === -1) break; // an unclosed comment hides the rest
      i = end + 3;
      continue;
    }
    if (!isLetter && next !== 47 /* / */ && next !== 33 /* ! */ && next !== 63 /* ? */) {
      push("<"); // a lone "<" in text, as browsers read it
      i = lt + 1;
      continue;
    }
    const gt = html.indexOf(">", lt + 1);
    if (gt === -1) break; // an unclosed tag: the rest is inside it, never text
    const name = /^\/?([a-zA-Z][a-zA-Z0-9]*)/.exec(lower.slice(lt + 1, Math.min(gt, lt + 34)))?.[1] ?? "";
    const closing = lower.charCodeAt(lt + 1) === 47;
    i = gt + 1;
    if (!closing && SKIP.has(name)) {
      const end = lower.indexOf(`</${name}`, i);
      if (end === -1) break; // unclosed script or style: nothing after it is text
      const endGt = html.indexOf(">", end);
      if (endGt === -1) break;
      i = endGt + 1;
      continue;
    }
    if (BLOCK.has(name)) push("\n");
    else if (name === "td" || name === "th") push(" ");
  }
  return collapseBlanks(parts.join("")).trim().slice(0, maxChars);
}

/** Space, tab, no-break space, new line: what the text's clean-up folds. */
const isBlank = (c: number) => c === 32 || c === 9 || c === 0xa0 || c === 10;

/**
 * One pass over the text: a run of blanks holding a new line becomes one new line, any other run of two
 * or more becomes one space, a lone blank stays. Each character is read once. The global regex it replaces,
 * `[ \t\u00a0]*\n[ \t\u00a0\n]*`, was quadratic: on a long run with no new line (`<td>` or `&nbsp;`
 * repeated) it scanned the rest of the run from every blank, looking for a new line.
 */
export function collapseBlanks(text: string): string {
  const out: string[] = [];
  let kept = 0; // start of the text not yet copied
  let i = 0;
  while (i < text.length) {
    if (!isBlank(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const run = i;
    let newLine = false;
    for (; i < text.length && isBlank(text.charCodeAt(i)); i++) if (text.charCodeAt(i) === 10) newLine = true;
    out.push(text.slice(kept, run), newLine ? "\n" : i - run > 1 ? " " : text.charAt(run));
    kept = i;
  }
  out.push(text.slice(kept));
  return out.join("");
}
