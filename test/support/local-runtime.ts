import { spawn, type ChildProcess } from "node:child_process";
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
    ports: [env.PORT, env.DYNAMODB_PORT, env.S3_PORT, env.SES_PORT].map(Number),
  };
}

export async function stopLocalRuntime(rt: LocalRuntime, signal: NodeJS.Signals): Promise<number | null> {
  if (rt.child.exitCode !== null) return rt.child.exitCode;
  return new Promise((resolve) => {
    rt.child.once("exit", (code) => resolve(code));
    rt.child.kill(signal);
  });
}
