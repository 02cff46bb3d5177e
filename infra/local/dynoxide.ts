import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import path from "node:path";
import { sleep } from "#shared/domain/retry";

export interface EmbeddedDynamo {
  endpoint: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

export class EmulatorError extends Error {
  override name = "EmulatorError";
}

/**
 * What to do when this machine has no embedded engine: the one message `npm start` and `npm test` print.
 * dynoxide publishes prebuilt binaries per platform (an optional dependency, so `npm ci` succeeds without it).
 */
export function missingEngineHelp(platform: string, arch: string): string {
  const pkg = `@dynoxide/${platform}-${arch}`;
  return [
    `the embedded DynamoDB engine has no build installed for ${platform}-${arch} (npm package ${pkg}).`,
    "Point DYNAMODB_ENDPOINT at any DynamoDB-compatible server instead, e.g.",
    "  DYNAMODB_ENDPOINT=http://localhost:8000 npm test",
    "  DYNAMODB_ENDPOINT=http://localhost:8000 npm start",
    `or, if ${pkg} exists on npm, install the npm package ${pkg} with \`npm install --no-save ${pkg}\`.`,
  ].join("\n");
}

/** The dynoxide binary shipped by its npm package for this platform (e.g. @dynoxide/linux-x64). */
export function dynoxideBinary(platform: string = process.platform, arch: string = process.arch): string {
  const pkg = `@dynoxide/${platform}-${arch}`;
  const require = createRequire(import.meta.url);
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    throw new EmulatorError(missingEngineHelp(platform, arch));
  }
  const bin = path.join(dir, platform === "win32" ? "dynoxide.exe" : "dynoxide");
  if (!existsSync(bin))
    throw new EmulatorError(`${pkg} is installed but has no binary at ${bin}: reinstall it (npm ci)`);
  return bin;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new EmulatorError(`dynoxide exited with code ${child.exitCode} before listening on port ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.end();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(25);
  }
  throw new EmulatorError(`dynoxide did not listen on port ${port} within ${timeoutMs} ms`);
}

/**
 * Start dynoxide on `port` (a free one when absent), in memory or on disk at `dbPath`.
 * A fixed port that is taken is an error naming the port; a free port lost to a race is retried.
 */
export async function startDynoxide(
  opts: { port?: number; dbPath?: string; timeoutMs?: number } = {},
): Promise<EmbeddedDynamo> {
  const bin = dynoxideBinary();
  for (let tries = 0; ; tries++) {
    const port = opts.port ?? (await freePort());
    const args = [
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      ...(opts.dbPath ? ["--db-path", opts.dbPath] : []),
    ];
    // A watchdog shell holds our stdin pipe: when this process ends, however it ends (even SIGKILL),
    // the pipe closes, `cat` returns, and dynoxide is killed. Nothing is ever left behind.
    const child = spawn(
      "sh",
      [
        "-c",
        'exec 3<&0 0</dev/null; "$0" "$@" & pid=$!; trap "kill $pid 2>/dev/null" EXIT TERM INT; ' +
          "cat <&3 >/dev/null; kill $pid 2>/dev/null; wait $pid",
        bin,
        ...args,
      ],
      {
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdout?.resume();
    try {
      await waitForPort(port, child, opts.timeoutMs ?? 10_000);
    } catch (err) {
      child.stdin?.end();
      child.kill("SIGTERM");
      const inUse = /address already in use|AddrInUse/i.test(stderr);
      if (inUse && opts.port === undefined && tries < 5) continue;
      if (inUse) throw new EmulatorError(`port ${port} is already in use: set DYNAMODB_PORT to another port`);
      throw new EmulatorError(`${(err as Error).message}${stderr ? `: ${stderr.trim()}` : ""}`);
    }
    return {
      endpoint: `http://127.0.0.1:${port}`,
      port,
      process: child,
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.stdin?.end(); // the watchdog kills dynoxide and exits
        }),
    };
  }
}
