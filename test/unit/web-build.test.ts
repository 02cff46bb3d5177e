import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { buildWeb } from "../../web/build";

describe("web build", () => {
  const out = mkdtempSync(path.join(tmpdir(), "routing-web-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));
  const sizes = buildWeb(out);

  it("keeps the inbox within 100 KB and the widget within 25 KB, gzipped", () => {
    expect(sizes.map((s) => s.file)).toEqual(["app.js", "widget.js"]);
    for (const s of sizes) expect(s.gzip, `${s.file}: ${s.gzip} bytes gzipped`).toBeLessThanOrEqual(s.budget);
  });

  it("ships no zod: the clients take only types from the server's schemas", () => {
    for (const file of ["app.js", "widget.js"])
      expect(readFileSync(path.join(out, file), "utf8")).not.toMatch(/ZodError|zod/i);
  });

  it("the widget loads nothing from third parties: no URL but the API it is given", () => {
    const widget = readFileSync(path.join(out, "widget.js"), "utf8");
    // The SVG namespace is a name, not a download.
    const urls = (widget.match(/https?:\/\/[^\s"'`]+/g) ?? []).filter((u) => u !== "http://www.w3.org/2000/svg");
    expect(urls).toEqual([]);
  });
});
