import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalRuntime, startOnFreePorts, stopLocalRuntime } from "../support/local-runtime";

const root = path.resolve(new URL("../..", import.meta.url).pathname);

/** `npm run smoke` as a person runs it, against `npm start`'s program. */
function smoke(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "infra/cli/smoke.ts", ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => resolve({ code, out }));
  });
}

describe("npm run smoke: the post-deploy check (docs/deploy.md)", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "routing-smoke-"));
  let rt: LocalRuntime;
  beforeAll(async () => {
    rt = await startOnFreePorts({ ROUTING_DATA_DIR: dataDir });
  }, 60_000);
  afterAll(async () => {
    await stopLocalRuntime(rt, "SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("passes against npm start, printing each step, twice in a row (it reuses its desk)", async () => {
    for (let run = 0; run < 2; run++) {
      const r = await smoke(["--url", rt.url, "--token", rt.adminToken, "--email-domain", "smoke.localhost"]);
      expect(r.code, r.out).toBe(0);
      for (const step of [
        "ok   health",
        "ok   smoke desk ready",
        "ok   chat started and routed",
        "ok   live socket open",
        "ok   agent's reply received over the socket",
        "ok   test email threaded into the inbox",
        "ok   cleaned up",
        "smoke check passed",
      ])
        expect(r.out).toContain(step);
    }
  }, 90_000);

  it("fails with the step that failed, and says what is missing", async () => {
    const bad = await smoke(["--url", rt.url, "--token", "not-a-token"]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/FAIL smoke desk ready: PUT \/users\/smoke-agent answered 401/);
    const none = await smoke(["--url", rt.url]);
    expect(none.code).toBe(2);
    expect(none.out).toContain("--url and --token are required");
  }, 60_000);
});
