import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { EmulatorError, freePort } from "./dynoxide";

export interface RunningEmulator {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

function portInUse(err: unknown, port: number, variable: string): never {
  if ((err as { code?: string }).code === "EADDRINUSE")
    throw new EmulatorError(`port ${port} is already in use: set ${variable} to another port`);
  throw err;
}

/**
 * Lets the web inbox PUT a reply's file to a presigned upload link and read a download link from its
 * own origin (the link is the credential; deployed, the bucket's CORS rule names the inbox's origins).
 */
const BROWSER_CORS = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>
<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader>
<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>`;

/**
 * s3rver (local S3), in this process, keeping objects under `directory`; creates `buckets`, and
 * `browserBuckets` open to the browser by CORS.
 */
export async function startS3(opts: {
  port?: number;
  directory: string;
  buckets: string[];
  browserBuckets?: string[];
}): Promise<RunningEmulator> {
  const { default: S3rver } = await import("s3rver");
  mkdirSync(opts.directory, { recursive: true });
  const port = opts.port ?? (await freePort());
  const server = new S3rver({
    port,
    address: "127.0.0.1",
    silent: true,
    directory: opts.directory,
    configureBuckets: [
      ...opts.buckets.map((name) => ({ name, configs: [] })),
      ...(opts.browserBuckets ?? []).map((name) => ({ name, configs: [BROWSER_CORS] })),
    ],
  });
  try {
    await server.run();
  } catch (err) {
    portInUse(err, port, "S3_PORT");
  }
  return { endpoint: `http://127.0.0.1:${port}`, port, stop: async () => void (await server.close()) };
}

/** aws-ses-v2-local (local SES), in this process; what it received is at `<endpoint>/store`. */
export async function startSes(opts: { port?: number } = {}): Promise<RunningEmulator> {
  const { default: sesServer } = await import("aws-ses-v2-local");
  const port = opts.port ?? (await freePort());
  let server: Server;
  try {
    server = await sesServer({ host: "127.0.0.1", port });
  } catch (err) {
    portInUse(err, port, "SES_PORT");
  }
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
