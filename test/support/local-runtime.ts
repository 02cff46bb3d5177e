import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

const root = path.resolve(new URL("../..", import.meta.url).pathname);

export interface LocalRuntime {
  child: ChildProcess;
  url: string;
  adminToken: string;
  output: () => string;
  ports: number[];
}

/**
 * Starts `npm start`'s program as a child process with `env` added (ports, data directory), and resolves at
 * its `ready` line; a start that fails rejects with its output and exit code. The e2e and browser tiers
 * both run the service this way.
 */
export async function startLocalRuntime(env: Record<string, string>): Promise<LocalRuntime> {
  // Each runtime runs its own embedded engine on its own data, not the suite's shared one.
  const { DYNAMODB_ENDPOINT: _suiteEngine, ...inherited } = process.env;
  const child = spawn(process.execPath, ["--import", "tsx", "infra/local/start.ts"], {
    cwd: root,
    env: { ...inherited, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line in 20 s:\n${out}`)), 20_000);
    const check = () => {
      if (/^ready: /m.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`exited with ${code}:\n${out}`), { output: out, code }));
    });
  });
  const adminToken = /^admin token: (\S+)$/m.exec(out)![1]!;
  return {
    child,
    url: /^ready: (\S+)/m.exec(out)![1]!,
    adminToken,
    output: () => out,
    ports: [env.PORT, env.LIVE_PORT, env.DYNAMODB_PORT, env.S3_PORT, env.SES_PORT].filter(Boolean).map(Number),
  };
}

export function stopLocalRuntime(rt: LocalRuntime, signal: NodeJS.Signals): Promise<number | null> {
  if (rt.child.exitCode !== null) return Promise.resolve(rt.child.exitCode);
  return new Promise((resolve) => {
    rt.child.once("exit", (code) => resolve(code));
    rt.child.kill(signal);
  });
}

/**
 * A port to hand to a child process. Port 0 would give one from the kernel's ephemeral range, which is
 * also where outgoing connections take their source ports: with a busy suite one of those can take it
 * before the child binds it. So pick at random below that range, and check it is free now.
 */
export async function testPort(): Promise<number> {
  let low = 32768;
  try {
    low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || low;
  } catch {
    // Not Linux: the range's usual floor.
  }
  const floor = Math.min(10_000, low - 1000);
  for (;;) {
    const port = floor + Math.floor(Math.random() * (low - floor));
    const free = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
    });
    if (free) return port;
  }
}

/** The ports `npm start` listens on, each moved by its variable. */
const PORT_VARIABLES = ["PORT", "LIVE_PORT", "DYNAMODB_PORT", "S3_PORT", "SES_PORT"] as const;

/**
 * `startLocalRuntime` on free ports (`testPort`, with `env` added), returning the env it used. A port
 * found free can still be taken before the child binds it (another test worker): then it starts again
 * on fresh ports, at most three times. Any other failure is thrown at once.
 */
export async function startOnFreePorts(
  env: Record<string, string>,
): Promise<LocalRuntime & { env: Record<string, string> }> {
  for (let attempt = 1; ; attempt++) {
    const ports = Object.fromEntries(await Promise.all(PORT_VARIABLES.map(async (v) => [v, String(await testPort())])));
    const used = { ...env, ...ports };
    try {
      return { ...(await startLocalRuntime(used)), env: used };
    } catch (err) {
      const taken = /port \d+ is already in use/.test((err as { output?: string }).output ?? "");
      if (!taken || attempt >= 3) throw err;
    }
  }
}
