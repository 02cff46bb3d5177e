import { describe, expect, it } from "vitest";
import { browserAvailable } from "./support";

describe("the browser tests never pass by skipping in CI", () => {
  it("a missing Chromium fails under CI=true, naming how to get it", () => {
    expect(() => browserAvailable("/nonexistent/chromium", { CI: "true" })).toThrow(/apt-get install chromium/);
  });

  it("outside CI a missing Chromium skips the browser tests", () => {
    expect(browserAvailable("/nonexistent/chromium", {})).toBe(false);
  });
});
