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
// The README's Deploy section is the short version; docs/deploy.md has every setting, output and step.
const deploy = readFileSync(path.join(root, "docs/deploy.md"), "utf8");
const shellBlocks = (text: string) => [...text.matchAll(/^```(sh|bash|shell)\n([\s\S]*?)^```$/gm)].map((m) => m[2]!);

describe("README and docs/deploy.md: what a team pastes", () => {
  const blocks = [...shellBlocks(readme), ...shellBlocks(deploy)];

  it("the README's front door is at most 400 lines and links every document it moved out", () => {
    expect(readme.split("\n").length).toBeLessThanOrEqual(400);
    for (const doc of ["routing", "api", "design", "performance", "security", "web", "deploy"])
      expect(readme).toContain(`(docs/${doc}.md)`);
  });

  it("the README's short deploy is the long one's commands", () => {
    const short = shellBlocks(readme.slice(readme.indexOf("\n## Deploy (AWS CDK)")));
    const steps = short
      .join("\n")
      .split("\n")
      .filter((l) => l && !l.startsWith("export "));
    for (const step of steps) expect([step, deploy.includes(step)]).toEqual([step, true]);
  });

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
    const table = [...deploy.matchAll(/^\| `(\w+)` \| `(\w+)` \|/gm)].map((m) => [m[1], m[2]]);
    for (const [context, env] of table)
      expect(Object.values(SETTINGS).some((s) => s.context === context && s.env === env)).toBe(true);
  });
});

describe("docs/deploy.md: the receipt rule set", () => {
  it("the setting a refused activation names is a setting the app reads, and the one the README gives", () => {
    const failure = anotherSetActive("company-inbound", "ours");
    const setting = /-c (\w+)=company-inbound /.exec(failure)?.[1];
    expect(setting).toBe(SETTINGS.receiptRuleSet.context);
    expect(failure).toContain(`${SETTINGS.receiptRuleSet.env}=company-inbound`);
    expect(deploy).toContain(`-c ${setting}=<its name>`);
  });
});

describe("docs/deploy.md: true to the template", () => {
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
    const table = deploy.slice(deploy.indexOf("| output | what it is |"));
    const listed = [...table.slice(0, table.indexOf("\n\n")).matchAll(/^\| `(\w+)` \|/gm)].map((m) => m[1]).sort();
    expect(listed).toEqual(outputs);
  });

  it("Tear down deletes by hand exactly what the stack retains; every other bucket the stack empties", () => {
    const teardown = deploy.slice(deploy.indexOf("\n## Tear down"));
    const resources = template.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>;
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const retained = Object.keys(resources).filter((id) => resources[id]!.DeletionPolicy === "Retain");
    expect(retained.map((id) => resources[id]!.Type).sort()).toEqual([
      "AWS::Cognito::UserPool",
      "AWS::DynamoDB::Table",
      "AWS::S3::Bucket", // raw email
      "AWS::S3::Bucket", // conversations' files
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
