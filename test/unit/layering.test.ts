import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DomainError } from "#shared/domain/errors";
import { HttpError } from "#shared/http/errors";

const root = path.resolve(import.meta.dirname, "../..");
const sources = (dir: string) =>
  readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => /\.tsx?$/.test(f))
    .map((f) => ({ file: path.join(dir, f), text: readFileSync(path.join(root, dir, f), "utf8") }));

// The layering rules are Biome's (biome.json: noRestrictedImports per layer, noImportCycles), checked by
// `npm run lint`. These probes prove the configuration states them: each import below, written into a
// scratch copy of the layout, must be refused or allowed by the project's own biome.json.
const probes: { file: string; imports: string; refused: boolean }[] = [
  { file: "shared/domain/probe-sdk.ts", imports: "@aws-sdk/client-dynamodb", refused: true },
  { file: "shared/domain/probe-adapter.ts", imports: "../adapters/dynamo/paging", refused: true },
  { file: "shared/domain/probe-http.ts", imports: "#shared/http/errors", refused: true },
  { file: "shared/domain/probe-lambda.ts", imports: "aws-lambda", refused: true },
  { file: "shared/domain/probe-root.ts", imports: "../app", refused: true },
  { file: "shared/domain/probe-ok.ts", imports: "./types", refused: false },
  { file: "shared/http/probe-adapter.ts", imports: "../adapters/dynamo/paging", refused: true },
  { file: "shared/http/probe-sdk.ts", imports: "@aws-sdk/client-sesv2", refused: true },
  { file: "shared/http/probe-root.ts", imports: "#shared/app", refused: true },
  { file: "shared/http/probe-ok.ts", imports: "../domain/types", refused: false },
  { file: "web/src/probe-domain.ts", imports: "#shared/domain/router", refused: true },
  { file: "web/src/probe-sdk.ts", imports: "@aws-sdk/client-dynamodb", refused: true },
  { file: "web/src/probe-contract.ts", imports: "#shared/http/schemas", refused: false },
  { file: "web/src/probe-live.ts", imports: "#shared/http/live-schemas", refused: false },
  { file: "web/src/probe-rules.ts", imports: "#shared/domain/access", refused: false },
];

type Diagnostic = { category: string; location: { path: string } };

function lintScratch(files: Record<string, string>): Diagnostic[] {
  const dir = mkdtempSync(path.join(tmpdir(), "layering-"));
  try {
    copyFileSync(path.join(root, "biome.json"), path.join(dir, "biome.json"));
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    }
    const run = spawnSync(
      path.join(root, "node_modules/.bin/biome"),
      ["lint", "--vcs-enabled=false", "--reporter=json", "."],
      {
        cwd: dir,
        encoding: "utf8",
      },
    );
    const line = run.stdout.split("\n").find((l) => l.startsWith("{"));
    if (!line) throw new Error(`biome gave no report: ${run.stderr}`);
    return (JSON.parse(line) as { diagnostics: Diagnostic[] }).diagnostics;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the layers (CONTRIBUTING.md, Layout), as biome.json states them", () => {
  it("refuses each import across a layer and allows the ones the layout permits", () => {
    const files = Object.fromEntries(
      probes.map((p) => [p.file, `import { x } from "${p.imports}";\n\nexport const y = x;\n`]),
    );
    const refused = new Set(
      lintScratch(files)
        .filter((d) => d.category === "lint/style/noRestrictedImports")
        .map((d) => d.location.path),
    );
    expect(probes.filter((p) => p.refused !== refused.has(p.file)).map((p) => `${p.file} -> ${p.imports}`)).toEqual([]);
  });

  it("refuses an import cycle, type imports included", () => {
    const diagnostics = lintScratch({
      "shared/domain/a.ts": 'import type { B } from "./b";\n\nexport type A = { b?: B };\n',
      "shared/domain/b.ts": 'import type { A } from "./a";\n\nexport type B = { a?: A };\n',
    });
    expect(diagnostics.filter((d) => d.category === "lint/suspicious/noImportCycles").length).toBeGreaterThan(0);
  });

  it("an HTTP refusal is not a domain error", () => {
    const err = new HttpError(415, "unsupported_media_type", "send JSON");
    expect(err).not.toBeInstanceOf(DomainError);
    expect([err.status, err.code, err.details]).toEqual([415, "unsupported_media_type", []]);
  });

  it("nothing in the repository points outside it", () => {
    for (const dir of ["shared", "functions", "infra", "test", "web"]) {
      for (const { file, text } of sources(dir)) {
        expect(text, file).not.toMatch(/\/work\/shared|\.\.\/shared\/(SPEC|API)\.md/);
        // Comments cite docs/routing.md sections (the word is split so that this file passes).
        expect(text, file).not.toMatch(new RegExp(`\\b${"SP"}EC \\d`));
        // Nor the tracker or the notes a cloner does not have (issue numbers, contract notes, item numbers).
        expect(text, file).not.toMatch(new RegExp(`\\b(${"iss"}ue \\d|${"CONT"}RACTS|${"it"}em \\d+:)`, "i"));
      }
    }
  });

  it("every source line fits the formatter's 120 columns (it does not split strings or comments)", () => {
    const long: string[] = [];
    for (const dir of ["shared", "functions", "infra", "test", "web/src"]) {
      for (const { file, text } of sources(dir)) {
        text.split("\n").forEach((line, i) => {
          if (line.length > 120) long.push(`${file}:${i + 1} (${line.length})`);
        });
      }
    }
    expect(long).toEqual([]);
  });
});
