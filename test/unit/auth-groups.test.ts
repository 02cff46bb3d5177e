import { describe, expect, it } from "vitest";
import { parseGroups } from "#shared/http/auth";

describe("groups come only in the HTTP API JWT authorizer's claim form", () => {
  it("reads `[a b]`, the one shape API Gateway (and the local gateway) hands over", () => {
    expect(parseGroups("[admins users]")).toEqual(["admins", "users"]);
    expect(parseGroups("[admins]")).toEqual(["admins"]);
    expect(parseGroups("[]")).toEqual([]);
  });

  it("grants nothing for shapes API Gateway never sends", () => {
    for (const claim of [
      "[x,admins]",
      '["admins"]',
      "admins",
      "admins users",
      ["admins"],
      7,
      null,
      undefined,
      "[admins",
      "[[admins]]",
      { 0: "admins" },
    ]) {
      expect(parseGroups(claim), JSON.stringify(claim)).not.toContain("admins");
    }
  });
});
