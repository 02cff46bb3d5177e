import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EmulatorError, startDynoxide } from "../../infra/local/dynoxide";
import { startS3, startSes } from "../../infra/local/emulators";

export const TEST_BUCKET = "routing-inbound-test";
/** Conversations' files (docs/routing.md §6.3). */
export const TEST_ATTACHMENTS_BUCKET = "routing-attachments-test";

/**
 * One in-memory dynoxide for the whole run (each test file makes its own table), unless
 * DYNAMODB_ENDPOINT names a DynamoDB-compatible endpoint to use instead; plus the S3 (s3rver) and
 * SES (aws-ses-v2-local) emulators for the email tests.
 */
/** A platform without the embedded engine gets what to do, not a stack trace. */
function explain(err: unknown): never {
  if (!(err instanceof EmulatorError)) throw err;
  const help = new Error(`npm test needs DynamoDB: ${err.message}`);
  help.stack = help.message;
  throw help;
}

export default async function setup() {
  const stops: Array<() => Promise<void>> = [];
  // vitest runs the global setup once per project (vitest.config.ts has two) and once for the root:
  // the first starts the emulators, the others find them in the environment it set. The mark names
  // this process: a vitest run as a child of a test (test/e2e/install-anywhere) starts its own.
  if (process.env.ROUTING_TEST_EMULATORS === String(process.pid)) return async () => {};
  process.env.ROUTING_TEST_EMULATORS = String(process.pid);
  if (!process.env.DYNAMODB_ENDPOINT) {
    const dynamo = await startDynoxide().catch(explain);
    process.env.DYNAMODB_ENDPOINT = dynamo.endpoint;
    stops.push(dynamo.stop);
  }
  const dir = mkdtempSync(path.join(tmpdir(), "routing-s3-"));
  const s3 = await startS3({ directory: dir, buckets: [TEST_BUCKET], browserBuckets: [TEST_ATTACHMENTS_BUCKET] });
  const ses = await startSes();
  process.env.S3_ENDPOINT = s3.endpoint;
  process.env.SES_ENDPOINT = ses.endpoint;
  stops.push(s3.stop, ses.stop, async () => rmSync(dir, { recursive: true, force: true }));
  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
