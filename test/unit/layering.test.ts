import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DomainError } from "#shared/domain/errors";
import { HttpError } from "#shared/http/errors";

const root = path.resolve(import.meta.dirname, "../..");
const sources = (dir: string) =>
  readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" })
    .filter((f) => /\.tsx?$/.test(f))
    .map((f) => ({ file: path.join(dir, f), text: readFileSync(path.join(root, dir, f), "utf8") }));
const importsOf = (text: string) => [...text.matchAll(/from "([^"]+)"/g)].map((m) => m[1]!);

describe("the layers (CONTRIBUTING.md, Layout)", () => {
  it("the HTTP layer never imports the store, an adapter or the composition root", () => {
    for (const { file, text } of sources("shared/http")) {
      const bad = importsOf(text).filter((i) => /adapters\/|\/app$|^@aws-sdk\//.test(i));
      expect(bad, file).toEqual([]);
      expect(text, file).not.toMatch(/\b(AdminStore|RoutingStore|DynamoAdminStore)\b/);
    }
  });

  it("the domain imports no AWS, no adapter and no HTTP", () => {
    for (const { file, text } of sources("shared/domain")) {
      const bad = importsOf(text).filter((i) => /adapters\/|\/http\/|^@aws-sdk\/|^aws-lambda$|^@middy\//.test(i));
      expect(bad, file).toEqual([]);
    }
  });

  it("an HTTP refusal is not a domain error", () => {
    const err = new HttpError(415, "unsupported_media_type", "send JSON");
    expect(err).not.toBeInstanceOf(DomainError);
    expect([err.status, err.code, err.details]).toEqual([415, "unsupported_media_type", []]);
  });

  it("nothing in the repository points outside it", () => {
    for (const dir of ["shared", "functions", "infra", "test", "web"]) {
      for (const { file, text } of sources(dir)) {
        expect(text, file).not.toMatch(/\/work\/shared|\.\.\/shared\/(SPEC|API)\.md/);
        // Comments cite docs/routing.md sections (the word is split so that this file passes).
        expect(text, file).not.toMatch(new RegExp(`\\b${"SP"}EC \\d`));
        // Nor the tracker or the notes a cloner does not have (issue numbers, contract notes, item numbers).
        expect(text, file).not.toMatch(new RegExp(`\\b(${"iss"}ue \\d|${"CONT"}RACTS|${"it"}em \\d+:)`, "i"));
      }
    }
  });

  it("every source line fits the formatter's 120 columns (it does not split strings or comments)", () => {
    const long: string[] = [];
    for (const dir of ["shared", "functions", "infra", "test", "web/src"]) {
      for (const { file, text } of sources(dir)) {
        text.split("\n").forEach((line, i) => {
          if (line.length > 120) long.push(`${file}:${i + 1} (${line.length})`);
        });
      }
    }
    expect(long).toEqual([]);
  });
});
