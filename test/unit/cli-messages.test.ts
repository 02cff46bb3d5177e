import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ADMIN_USAGE, parseAdminArgs } from "../../infra/cli/admin-bootstrap";
import { CliError, describeCliFailure, readStackOutputs } from "../../infra/cli/stack-outputs";

describe("the deploy CLIs explain misuse in words, never with a stack trace", () => {
  it("--help prints the usage and succeeds", () => {
    const err = (() => {
      try {
        parseAdminArgs(["--help"]);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CliError);
    expect(describeCliFailure(err)).toEqual({ text: ADMIN_USAGE, exitCode: 0 });
  });

  it("an unknown option names it, without parseArgs's hint about positionals", () => {
    expect(() => parseAdminArgs(["--bogus"])).toThrow(/^Unknown option '--bogus'\n\nusage:/);
  });

  it("an outputs file that is not JSON says so and what to do", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "cli-")), "cdk-outputs.json");
    writeFileSync(file, "{not json");
    expect(() => readStackOutputs(file, undefined)).toThrow(/is not the JSON npm run deploy writes .*deploy again/);
  });

  it("an AWS SDK failure (no credentials, access denied) is one line naming the error", () => {
    const sdk = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    const { text, exitCode } = describeCliFailure(sdk);
    expect(text).toBe(
      "CredentialsProviderError: Could not load credentials from any providers " +
        "(check the AWS credentials and region you deploy with)",
    );
    expect(exitCode).toBe(1);
  });
});
