import { existsSync, readFileSync } from "node:fs";

/** Where `npm run deploy` writes the stack's outputs (cdk deploy --outputs-file). */
export const OUTPUTS_FILE = "cdk-outputs.json";

/** A refusal the CLI explains in words (no stack trace); `exitCode` 0 for an asked-for usage text. */
export class CliError extends Error {
  override name = "CliError";
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

/**
 * What a CLI prints for any failure: its own refusals as they are, the AWS SDK's (no credentials, access
 * denied, unknown pool) as one line naming the error, anything else with its stack (a bug to report).
 */
export function describeCliFailure(err: unknown): { text: string; exitCode: number } {
  if (err instanceof CliError) return { text: err.message, exitCode: err.exitCode };
  const e = err as { name?: string; message?: string; $metadata?: unknown; stack?: string };
  if (e?.$metadata !== undefined || /Credentials|ExpiredToken|AccessDenied|NotAuthorized/.test(e?.name ?? "")) {
    return { text: `${e.name}: ${e.message} (check the AWS credentials and region you deploy with)`, exitCode: 1 };
  }
  return { text: e?.stack ?? String(err), exitCode: 1 };
}

/** The deployed stack's outputs (docs/deploy.md, the outputs table), from the file `npm run deploy` wrote. */
export function readStackOutputs(file: string, stackName: string | undefined): Record<string, string> {
  if (!existsSync(file)) {
    throw new CliError(
      `${file} not found: run npm run deploy first (it writes the stack's outputs there), or pass --outputs <file>`,
    );
  }
  let all: Record<string, Record<string, string>>;
  try {
    all = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, string>>;
  } catch (err) {
    throw new CliError(`${file} is not the JSON npm run deploy writes (${(err as Error).message}): deploy again`);
  }
  const names = Object.keys(all);
  const name = stackName ?? (names.length === 1 ? names[0] : undefined);
  if (!name) throw new CliError(`${file} holds several stacks (${names.join(", ")}): pass --stack <name>`);
  const outputs = all[name];
  if (!outputs) throw new CliError(`${file} has no stack ${name} (it has ${names.join(", ") || "none"})`);
  return outputs;
}

export function requireOutput(outputs: Record<string, string>, key: string): string {
  const v = outputs[key];
  if (!v) throw new CliError(`the stack outputs have no ${key}: redeploy with this version (npm run deploy)`);
  return v;
}

/** A user pool id is `<region>_<id>`: the region every client must use. */
export const regionOfUserPool = (userPoolId: string) => userPoolId.split("_")[0]!;
