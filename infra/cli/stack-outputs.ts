import { existsSync, readFileSync } from "node:fs";

/** Where `npm run deploy` writes the stack's outputs (cdk deploy --outputs-file). */
export const OUTPUTS_FILE = "cdk-outputs.json";

export class CliError extends Error {
  override name = "CliError";
}

/** The deployed stack's outputs (README, Deploy: "Stack outputs"), from the file `npm run deploy` wrote. */
export function readStackOutputs(file: string, stackName: string | undefined): Record<string, string> {
  if (!existsSync(file)) {
    throw new CliError(
      `${file} not found: run npm run deploy first (it writes the stack's outputs there), or pass --outputs <file>`,
    );
  }
  const all = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, string>>;
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
