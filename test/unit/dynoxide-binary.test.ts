import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dynoxideBinary, EmulatorError } from "../../infra/local/dynoxide";

describe("the embedded DynamoDB binary", () => {
  it("comes from the npm package for this platform", () => {
    expect(existsSync(dynoxideBinary())).toBe(true);
  });

  it("when missing, the error names the package to install and the endpoint override", () => {
    expect(() => dynoxideBinary("plan9", "mips")).toThrow(EmulatorError);
    expect(() => dynoxideBinary("plan9", "mips")).toThrow(
      /no build installed for plan9-mips .*\n.*DYNAMODB_ENDPOINT=/s,
    );
  });
});
