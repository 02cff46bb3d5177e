/**
 * Builds the agent inbox (`app.js`) and the chat widget (`widget.js`) with esbuild into `web/dist`
 * (git-ignored), copies the static pages, and reports each bundle's gzipped size against its budget.
 * `npm run build:web` runs it; `npm start`, the browser tests and the CDK stack call it too.
 */

import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { type BuildOptions, buildSync } from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
export const WEB_DIST = path.join(here, "dist");

/** Gzipped budgets (README "Web inbox and widget"): the inbox at most 100 KB, the widget at most 25 KB. */
export const BUDGETS = { "app.js": 100 * 1024, "widget.js": 25 * 1024 } as const;

export interface BundleSize {
  file: keyof typeof BUDGETS;
  bytes: number;
  gzip: number;
  budget: number;
}

const common: BuildOptions = {
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "none",
  logLevel: "silent",
};

/**
 * Build both bundles and the static files; synchronous so the CDK app can call it at synth. Each file is
 * written beside the others first and renamed into place, so a reader (a stack synthesised at the same
 * time, `npm start` serving the folder) sees the last complete build of it, never a half-written one.
 */
export function buildWeb(outDir = WEB_DIST): BundleSize[] {
  mkdirSync(outDir, { recursive: true });
  const staging = mkdtempSync(path.join(path.dirname(outDir), `.${path.basename(outDir)}-`));
  try {
    buildSync({
      ...common,
      entryPoints: [path.join(here, "src/inbox/main.tsx")],
      outfile: path.join(staging, "app.js"),
    });
    buildSync({
      ...common,
      entryPoints: [path.join(here, "src/widget/widget.ts")],
      outfile: path.join(staging, "widget.js"),
    });
    for (const name of readdirSync(path.join(here, "public")))
      cpSync(path.join(here, "public", name), path.join(staging, name));
    for (const name of readdirSync(staging)) renameSync(path.join(staging, name), path.join(outDir, name));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return (Object.keys(BUDGETS) as Array<keyof typeof BUDGETS>).map((file) => {
    const bytes = readFileSync(path.join(outDir, file));
    return { file, bytes: bytes.length, gzip: gzipSync(bytes).length, budget: BUDGETS[file] };
  });
}

export function formatSizes(sizes: BundleSize[]): string {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  return sizes.map((s) => `${s.file} ${kb(s.bytes)} (${kb(s.gzip)} gzipped, budget ${kb(s.budget)})`).join(", ");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const sizes = buildWeb();
  process.stdout.write(`web: ${formatSizes(sizes)}\n`);
  const over = sizes.filter((s) => s.gzip > s.budget);
  if (over.length > 0) {
    process.stderr.write(`web: over budget: ${over.map((s) => s.file).join(", ")}\n`);
    process.exit(1);
  }
}
