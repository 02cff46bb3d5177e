import { execFile, spawn } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { testPort } from "../support/local-runtime";

const root = path.resolve(new URL("../..", import.meta.url).pathname);
const run = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
/** Runs a program as npm installs it where dynoxide has no build: the optional package is absent. */
const withoutDynoxide = `--require ${path.join(root, "test/support/without-dynoxide.cjs")}`;

interface LockEntry {
  version?: string;
  optional?: boolean;
  dev?: boolean;
  os?: string[];
  cpu?: string[];
}
const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as {
  packages: Record<string, LockEntry>;
};

/** npm's own rule for `os`/`cpu` lists: allowed names, or `!name` exclusions. */
const allows = (list: string[] | undefined, value: string) =>
  !list ||
  list.length === 0 ||
  list.some((v) => v === value) ||
  (list.every((v) => v.startsWith("!")) && !list.includes(`!${value}`));

describe("npm ci on every platform (the install plan, from the lockfile, offline)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "routing-install-plan-"));
  copyFileSync(path.join(root, "package.json"), path.join(dir, "package.json"));
  copyFileSync(path.join(root, "package-lock.json"), path.join(dir, "package-lock.json"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("every platform-specific package in the lockfile is optional: npm skips it, no EBADPLATFORM", () => {
    const pinned = Object.entries(lock.packages).filter(([, p]) => p.os || p.cpu);
    expect(pinned.map(([name]) => name)).toContain("node_modules/@dynoxide/linux-x64");
    expect(pinned.filter(([, p]) => !p.optional).map(([name]) => name)).toEqual([]);
  });

  for (const [os, cpu] of [
    ["darwin", "arm64"],
    ["linux", "arm64"],
    ["win32", "x64"],
  ] as const) {
    it(`on ${os}-${cpu}, npm ci plans only packages built for it (no dynoxide)`, async () => {
      const { stdout } = await run(
        npm,
        ["ci", "--dry-run", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", `--os=${os}`, `--cpu=${cpu}`],
        {
          cwd: dir,
          env: { ...process.env, npm_config_loglevel: "warn" },
        },
      );
      const added = [...stdout.matchAll(/^add (\S+) (\S+)$/gm)].map((m) => m[1]!);
      expect(added.length).toBeGreaterThan(100);
      const wrong = added.filter((name) => {
        const entry = lock.packages[`node_modules/${name}`];
        return entry && !(allows(entry.os, os) && allows(entry.cpu, cpu));
      });
      expect(wrong).toEqual([]);
      expect(added.filter((n) => n.startsWith("@dynoxide/"))).toEqual([]);
      // The checker sees what a real install needs: the esbuild binary for that platform.
      expect(added).toContain(`@esbuild/${os}-${cpu}`);
    }, 60_000);
  }
});

describe("where the embedded engine has no build", () => {
  it("npm test's setup says to point DYNAMODB_ENDPOINT at a compatible server, without a stack trace", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: withoutDynoxide };
    delete env.DYNAMODB_ENDPOINT;
    const out = await new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [path.join(root, "node_modules/vitest/vitest.mjs"), "run", "test/unit/rules.test.ts"],
        { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] },
      );
      let text = "";
      child.stdout.on("data", (d: Buffer) => (text += d.toString()));
      child.stderr.on("data", (d: Buffer) => (text += d.toString()));
      child.once("exit", (code) => resolve({ code, text }));
    });
    expect(out.code).not.toBe(0);
    expect(out.text).toMatch(/npm test needs DynamoDB: the embedded DynamoDB engine has no build installed/);
    expect(out.text).toMatch(/DYNAMODB_ENDPOINT=http:\/\/localhost:8000 npm test/);
    expect(out.text).not.toMatch(/^\s+at .*\.(ts|js|mjs):\d+/m);
  }, 60_000);

  const startProgram = (env: Record<string, string | undefined>) =>
    new Promise<{ code: number | null; text: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "infra/local/start.ts"], {
        cwd: root,
        env: { ...env, NODE_OPTIONS: withoutDynoxide },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let text = "";
      const done = (code: number | null) => resolve({ code, text });
      child.stdout.on("data", (d: Buffer) => {
        text += d.toString();
        if (/^ready: /m.test(text)) child.kill("SIGINT");
      });
      child.stderr.on("data", (d: Buffer) => (text += d.toString()));
      child.once("exit", done);
    });

  it("npm start says the same, and exits 1", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "routing-nodyn-"));
    const env: Record<string, string | undefined> = {
      ...process.env,
      PORT: String(await testPort()),
      S3_PORT: String(await testPort()),
      SES_PORT: String(await testPort()),
      ROUTING_DATA_DIR: dataDir,
    };
    delete env.DYNAMODB_ENDPOINT;
    const out = await startProgram(env);
    rmSync(dataDir, { recursive: true, force: true });
    expect(out.code).toBe(1);
    expect(out.text).toMatch(/npm start failed: the embedded DynamoDB engine has no build installed/);
    expect(out.text).toMatch(/DYNAMODB_ENDPOINT=http:\/\/localhost:8000 npm start/);
  }, 30_000);

  it("npm start runs on the DynamoDB-compatible server DYNAMODB_ENDPOINT names", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "routing-nodyn-"));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(await testPort()),
      S3_PORT: String(await testPort()),
      SES_PORT: String(await testPort()),
      ROUTING_DATA_DIR: dataDir,
    };
    expect(env.DYNAMODB_ENDPOINT).toMatch(/^http:/); // the suite's own engine, started by the global setup
    const out = await startProgram(env);
    rmSync(dataDir, { recursive: true, force: true });
    expect(out.text).toMatch(new RegExp(`emulators: dynamodb ${env.DYNAMODB_ENDPOINT} \\(external\\)`));
    expect(out.text).toMatch(/^ready: /m);
    expect(out.code).toBe(0);
  }, 30_000);
});
