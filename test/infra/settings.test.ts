import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../infra/build";
import { readDeploySettings, SES_RECEIVING_REGIONS, type SettingName, SettingsError } from "../../infra/settings";

const root = path.resolve(new URL("../..", import.meta.url).pathname);
const CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";
const good: Partial<Record<SettingName, string>> = {
  region: "eu-west-1",
  emailDomain: "support.acme.dev",
  appUrl: "https://inbox.acme.dev",
  appDomainCertificateArn: CERT,
  allowedOrigins: "https://www.acme.dev, https://acme.dev",
};
const read = (over: Partial<Record<SettingName, string | undefined>>) =>
  readDeploySettings((n) => ({ ...good, ...over })[n]);
const problems = (over: Partial<Record<SettingName, string | undefined>>) => {
  try {
    read(over);
  } catch (err) {
    expect(err).toBeInstanceOf(SettingsError);
    return (err as Error).message;
  }
  throw new Error("expected a SettingsError");
};

describe("deploy settings (synth fails naming each missing or placeholder setting)", () => {
  it("a complete set becomes the stack's props, with defaults for the rest", () => {
    expect(read({})).toEqual({
      stackName: "ConversationRouting",
      env: { region: "eu-west-1" },
      emailDomain: "support.acme.dev",
      notifyFrom: "routing@support.acme.dev",
      appUrl: "https://inbox.acme.dev",
      appDomainCertificateArn: CERT,
      allowedOrigins: ["https://www.acme.dev", "https://acme.dev"],
      existingSesIdentity: false,
    });
    expect(
      read({
        alarmEmail: "ops@acme.dev",
        existingSesIdentity: "true",
        receiptRuleSet: "main",
        account: "123456789012",
      }),
    ).toMatchObject({
      env: { region: "eu-west-1", account: "123456789012" },
      alarmEmail: "ops@acme.dev",
      existingSesIdentity: true,
      existingReceiptRuleSet: "main",
    });
  });

  it("nothing given: every required setting is named with its -c flag and environment variable", () => {
    const msg = problems({
      region: undefined,
      emailDomain: undefined,
      appUrl: undefined,
      appDomainCertificateArn: undefined,
      allowedOrigins: undefined,
    });
    expect(msg).toMatch(/missing region: .*\(-c region=\.\.\. or CDK_DEFAULT_REGION\)/);
    expect(msg).toMatch(/missing emailDomain: .*ROUTING_EMAIL_DOMAIN/);
    // appUrl is optional: the stack hosts the inbox itself.
    expect(msg).not.toMatch(/appUrl/);
    expect(msg).toMatch(/missing allowedOrigins: .*ROUTING_ALLOWED_ORIGINS/);
  });

  it("appUrl needs an ACM certificate in us-east-1 for its host: CloudFront serves the inbox only with it", () => {
    const msg = problems({ appDomainCertificateArn: undefined });
    expect(msg).toContain(
      "appUrl https://inbox.acme.dev needs appDomainCertificateArn: an ACM certificate in us-east-1 for inbox.acme.dev",
    );
    expect(msg).toContain("(-c appDomainCertificateArn=... or ROUTING_APP_DOMAIN_CERTIFICATE_ARN)");
    expect(problems({ appUrl: undefined })).toMatch(/appDomainCertificateArn is for appUrl's host: set appUrl too/);
    expect(problems({ appDomainCertificateArn: CERT.replace("us-east-1", "eu-west-1") })).toMatch(
      /appDomainCertificateArn must be an ACM certificate in us-east-1/,
    );
    expect(problems({ appDomainCertificateArn: "my-cert" })).toMatch(
      /appDomainCertificateArn must be an ACM certificate/,
    );
    // CloudFront serves the inbox at the root of the host.
    expect(problems({ appUrl: "https://inbox.acme.dev/app" })).toMatch(/appUrl must be an origin/);
    expect(read({ appUrl: undefined, appDomainCertificateArn: undefined }).appUrl).toBeUndefined();
  });

  it("a sender outside emailDomain is refused: only that domain's identity can send", () => {
    expect(problems({ notifyFrom: "routing@elsewhere.dev" })).toMatch(/notifyFrom must be an address at emailDomain/);
    expect(() => read({ notifyFrom: "routing@mail.support.acme.dev" })).not.toThrow();
  });

  it("example.com and other documentation placeholders are refused everywhere", () => {
    const msg = problems({
      emailDomain: "support.example.com",
      appUrl: "https://inbox.example.com",
      allowedOrigins: "https://www.example.org",
      notifyFrom: "a@x.test",
    });
    expect(msg).toMatch(/emailDomain is a placeholder \(support\.example\.com\)/);
    expect(problems({ emailDomain: "support.yourcompany.com" })).toMatch(/emailDomain is a placeholder/);
    expect(msg).toMatch(/appUrl is a placeholder/);
    expect(msg).toMatch(/allowedOrigins is a placeholder/);
    expect(msg).toMatch(/notifyFrom is a placeholder/);
  });

  it("malformed values are refused with the value", () => {
    expect(problems({ appUrl: "inbox" })).toMatch(/appUrl is not a URL: inbox/);
    expect(problems({ appUrl: "http://inbox.acme.dev" })).toMatch(/appUrl must be https/);
    expect(problems({ allowedOrigins: "https://www.acme.dev/widget" })).toMatch(/allowedOrigins entries are origins/);
    expect(problems({ emailDomain: "not a domain" })).toMatch(/emailDomain is not a domain name/);
    expect(problems({ alarmEmail: "ops" })).toMatch(/alarmEmail is not an email address/);
    expect(problems({ existingSesIdentity: "yes" })).toMatch(/existingSesIdentity must be true or false/);
    expect(problems({ authDomainPrefix: "my-cognito-login" })).toMatch(/authDomainPrefix must be/);
  });

  it("a region without SES email receiving fails with the regions that have it; the check can be turned off", () => {
    expect(problems({ region: "sa-east-1" })).toMatch(
      /region sa-east-1 has no SES email receiving: deploy to one of us-east-1, /,
    );
    expect(read({ region: "sa-east-1", sesReceivingRegionCheck: "off" }).env).toEqual({ region: "sa-east-1" });
    for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) expect(SES_RECEIVING_REGIONS).toContain(region);
  });

  it("`cdk synth` with no settings exits 1 listing them, without a stack trace", async () => {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith("ROUTING_") || k.startsWith("CDK_")) delete env[k];
    const err = await promisify(execFile)(process.execPath, ["--import", "tsx", "infra/app.ts"], {
      cwd: root,
      env,
    }).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err?.code).toBe(1);
    expect(err?.stderr).toMatch(/^cannot synthesize the routing stack:\n {2}- missing region/);
    expect(err?.stderr).toMatch(/missing emailDomain/);
    expect(err?.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);
});

describe("deploying into an account that already has SES set up", () => {
  const synth = (extra: Partial<Record<SettingName, string>>) => {
    const { stack } = buildApp(() => read(extra), { outdir: mkdtempSync(path.join(tmpdir(), "cdk-settings-")) });
    return Template.fromStack(stack as Stack);
  };

  it("existingSesIdentity uses the domain's identity instead of creating it, and grants sending on it", () => {
    const t = synth({ existingSesIdentity: "true", account: "123456789012" });
    t.resourceCountIs("AWS::SES::EmailIdentity", 0);
    const statements = Object.values(t.findResources("AWS::IAM::Policy")).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>,
    );
    const send = statements.filter((s) => JSON.stringify(s.Action).includes("ses:SendEmail"));
    expect(send).toHaveLength(3); // the API, the email function and the sweeper (it may notify an owner)
    for (const s of send) expect(JSON.stringify(s.Resource)).toContain(":identity/support.acme.dev");
  }, 60_000);

  it("receiptRuleSet adds our rule to that set and leaves activation alone", () => {
    const t = synth({ receiptRuleSet: "company-inbound" });
    t.resourceCountIs("AWS::SES::ReceiptRuleSet", 0);
    t.resourceCountIs("Custom::ReceiptRuleSetActivation", 0);
    // Nothing in the stack may change which set is active.
    expect(JSON.stringify(t.findResources("AWS::IAM::Policy"))).not.toContain("ActiveReceiptRuleSet");
    t.hasResourceProperties("AWS::SES::ReceiptRule", { RuleSetName: "company-inbound" });
    expect(t.findOutputs("ReceiptRuleSetName").ReceiptRuleSetName!.Value).toBe("company-inbound");
  }, 60_000);

  it("by default the stack creates the identity and owns and activates its rule set", () => {
    const t = synth({});
    t.resourceCountIs("AWS::SES::EmailIdentity", 1);
    t.resourceCountIs("AWS::SES::ReceiptRuleSet", 1);
    t.resourceCountIs("Custom::ReceiptRuleSetActivation", 1);
  }, 60_000);
});
