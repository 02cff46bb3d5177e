import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../infra/build";
import { anotherSetActive } from "../../infra/custom-resources/rule-set-activation";
import { SETTINGS } from "../../infra/settings";

const root = path.resolve(new URL("../..", import.meta.url).pathname);
const readme = readFileSync(path.join(root, "README.md"), "utf8");

/** The README's `## <title>` section, up to the next `## `. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}`);
  if (start === -1) throw new Error(`README has no section ${title}`);
  const end = readme.indexOf("\n## ", start + 4);
  return readme.slice(start, end === -1 ? undefined : end);
}

describe("README: what a team pastes", () => {
  const blocks = [...readme.matchAll(/^```(sh|bash|shell)\n([\s\S]*?)^```$/gm)].map((m) => m[2]!);

  it("has shell blocks, the settings and the deploy command among them", () => {
    expect(blocks.length).toBeGreaterThan(5);
    expect(blocks.some((b) => /^npm run deploy$/m.test(b))).toBe(true);
    expect(blocks.some((b) => b.includes("export ROUTING_EMAIL_DOMAIN="))).toBe(true);
  });

  it("every shell block parses with bash -n, and no line continues into a comment", () => {
    for (const block of blocks) {
      let error = "";
      try {
        execFileSync("bash", ["-n"], { input: block, stdio: ["pipe", "pipe", "pipe"] });
      } catch (err) {
        error = String((err as { stderr: Buffer }).stderr);
      }
      expect([block, error]).toEqual([block, ""]);
      // `\` then a comment ends the continuation: bash -n accepts it, but the next line runs alone.
      expect(block.split("\n").filter((l) => /\\\s+#/.test(l) || /\\\s+$/.test(l))).toEqual([]);
    }
  });

  it("the settings it exports are ones the app reads (the region through the CDK's AWS_REGION)", () => {
    const settings = blocks.find((b) => b.includes("export ROUTING_EMAIL_DOMAIN="))!;
    const vars = [...settings.matchAll(/^export (\w+)=/gm)].map((m) => m[1]!);
    const known: string[] = [...Object.values(SETTINGS).map((s) => s.env), "AWS_REGION"];
    expect(vars.filter((v) => !known.includes(v))).toEqual([]);
    const table = [...section("Deploy (AWS CDK)").matchAll(/^\| `(\w+)` \| `(\w+)` \|/gm)].map((m) => [m[1], m[2]]);
    for (const [context, env] of table)
      expect(Object.values(SETTINGS).some((s) => s.context === context && s.env === env)).toBe(true);
  });
});

describe("README: the receipt rule set", () => {
  it("the setting a refused activation names is a setting the app reads, and the one the README gives", () => {
    const failure = anotherSetActive("company-inbound", "ours");
    const setting = /-c (\w+)=company-inbound /.exec(failure)?.[1];
    expect(setting).toBe(SETTINGS.receiptRuleSet.context);
    expect(failure).toContain(`${SETTINGS.receiptRuleSet.env}=company-inbound`);
    expect(section("Deploy (AWS CDK)")).toContain(`-c ${setting}=<its name>`);
  });
});

describe("README: true to the template", () => {
  let template: Template;
  beforeAll(() => {
    const { stack } = buildApp(
      () => ({
        stackName: "Readme",
        env: { region: "eu-west-1" },
        emailDomain: "support.acme.dev",
        notifyFrom: "r@support.acme.dev",
        appUrl: "https://inbox.acme.dev",
        appDomainCertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
        allowedOrigins: ["https://acme.dev"],
      }),
      { outdir: mkdtempSync(path.join(tmpdir(), "cdk-readme-")) },
    );
    template = Template.fromStack(stack as Stack);
  }, 60_000);

  it("the stack outputs it lists are exactly the stack's outputs", () => {
    const outputs = Object.keys(template.toJSON().Outputs as object).sort();
    const deploy = section("Deploy (AWS CDK)");
    const table = deploy.slice(deploy.indexOf("| output | what it is |"));
    const listed = [...table.slice(0, table.indexOf("\n\n")).matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(outputs);
  });

  it("Tear down deletes by hand exactly what the stack retains; every other bucket the stack empties", () => {
    const teardown = section("Deploy (AWS CDK)").slice(section("Deploy (AWS CDK)").indexOf("### Tear down"));
    const resources = template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>;
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const retained = Object.keys(resources).filter((id) => resources[id]!.DeletionPolicy === "Retain");
    expect(retained.map((id) => resources[id]!.Type).sort()).toEqual([
      "AWS::Cognito::UserPool",
      "AWS::DynamoDB::Table",
      "AWS::S3::Bucket",
      "AWS::SecretsManager::Secret",
    ]);
    // Each retained resource has an output naming it, which the README's commands read (`out <Output>`).
    for (const id of retained) {
      const output = Object.keys(outputs).find(
        (o) => JSON.stringify(outputs[o]!.Value) === JSON.stringify({ Ref: id }),
      );
      expect([id, output && teardown.includes(`$(out ${output})`)]).toEqual([id, true]);
    }
    const emptied = Object.values(template.findResources("Custom::S3AutoDeleteObjects")).map((r) => r.Properties);
    for (const [id, r] of Object.entries(resources).filter(([, r]) => r.Type === "AWS::S3::Bucket")) {
      if (r.DeletionPolicy !== "Retain")
        expect(emptied).toContainEqual(expect.objectContaining({ BucketName: { Ref: id } }));
    }
    // The identity the stack created goes with it (no Retain); only one given by existingSesIdentity stays.
    template.resourceCountIs("AWS::SES::EmailIdentity", 1);
    expect(Object.values(template.findResources("AWS::SES::EmailIdentity"))[0]!.DeletionPolicy).toBeUndefined();
    expect(teardown).toMatch(/SES domain identity[^.]*goes with the stack/);
    expect(teardown).toMatch(/existingSesIdentity[^.]*stays/);
  });
});
