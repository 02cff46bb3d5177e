import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../infra/build";
import { CLI_CALLBACK_URL } from "../../infra/constructs/auth";
import { WebHosting, webConfig } from "../../infra/constructs/web-hosting";

const outdir = () => mkdtempSync(path.join(tmpdir(), "cdk-web-"));
let stack: Template;
let app: App;

beforeAll(() => {
  // No appUrl: notification links default to the hosted inbox.
  ({ app } = buildApp(
    () => ({
      stackName: "WebTest",
      emailDomain: "support.example.com",
      notifyFrom: "routing@support.example.com",
      allowedOrigins: ["https://www.example.com"],
    }),
    { outdir: outdir() },
  ));
  stack = Template.fromStack(app.node.findChild("WebTest") as Stack);
}, 60_000);

const distributionUrl = (logicalId: string) => ({
  "Fn::Join": ["", ["https://", { "Fn::GetAtt": [logicalId, "DomainName"] }]],
});
const distributionId = () => Object.keys(stack.findResources("AWS::CloudFront::Distribution"))[0]!;

describe("the hosted inbox", () => {
  it(
    "lives in a private, encrypted bucket that only this " + "CloudFront distribution reads (origin access control)",
    () => {
      stack.hasResourceProperties("AWS::S3::Bucket", {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: Match.anyValue(),
        LoggingConfiguration: Match.objectLike({ LogFilePrefix: "s3/" }),
      });
      stack.hasResourceProperties("AWS::S3::BucketPolicy", {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
            Match.objectLike({
              Effect: "Allow",
              Action: "s3:GetObject",
              Principal: { Service: "cloudfront.amazonaws.com" },
              Condition: { StringEquals: { "AWS:SourceArn": Match.anyValue() } },
            }),
          ]),
        },
      });
      stack.resourceCountIs("AWS::CloudFront::OriginAccessControl", 1);
    },
  );

  it("goes with the stack: the site and access-log buckets are emptied by the stack, then deleted", () => {
    const buckets = Object.entries(stack.findResources("AWS::S3::Bucket")).filter(([id]) => id.startsWith("Web"));
    expect(buckets.map(([id]) => id.replace(/[0-9A-F]{8}$/, "")).sort()).toEqual(["WebAccessLogs", "WebSite"]);
    const emptied = Object.values(stack.findResources("Custom::S3AutoDeleteObjects")).map(
      (r) => r.Properties.BucketName,
    );
    for (const [id, bucket] of buckets) {
      expect([id, bucket.DeletionPolicy]).toEqual([id, "Delete"]);
      // Without it CloudFormation cannot delete a bucket that still holds files or logs (DELETE_FAILED).
      expect(emptied).toContainEqual({ Ref: id });
    }
  });

  it("is served over HTTPS only, with security headers and a CSP", () => {
    stack.hasResourceProperties("AWS::CloudFront::Distribution", {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: "index.html",
        DefaultCacheBehavior: Match.objectLike({
          ViewerProtocolPolicy: "redirect-to-https",
          AllowedMethods: ["GET", "HEAD"],
          ResponseHeadersPolicyId: Match.anyValue(),
        }),
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue() })],
        Logging: Match.objectLike({ Prefix: "cloudfront/" }),
      }),
    });
    const [policy] = Object.values(stack.findResources("AWS::CloudFront::ResponseHeadersPolicy"));
    const security = policy!.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    // The region is resolved at deploy: the policy is a join, read as its JSON.
    const csp = JSON.stringify(security.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
    // Pictures of conversations' files come from presigned S3 links in the stack's region.
    expect(csp).toMatch(/img-src 'self' data: https:\/\/\*\.s3\.",\{"Ref":"AWS::Region"\},"\.amazonaws\.com/);
    expect(security.StrictTransportSecurity).toMatchObject({ AccessControlMaxAgeSec: 31536000, Override: true });
    expect(security.FrameOptions.FrameOption).toBe("DENY");
    expect(security.ContentTypeOptions.Override).toBe(true);
  });

  it("deploys the build with index.html's CSP and config.json naming the API's URL", () => {
    const [deployment] = Object.values(stack.findResources("Custom::CDKBucketDeployment"));
    const api = Object.keys(stack.findResources("AWS::ApiGatewayV2::Api")).find((id) => id.startsWith("Http"))!;
    const markers = deployment!.Properties.SourceMarkers as Array<Record<string, unknown>>;
    // index.html (CSP meta) and config.json both carry the API's endpoint, resolved at deploy.
    expect(markers.filter((m) => JSON.stringify(m).includes(`"${api}","ApiEndpoint"`))).toHaveLength(2);
    expect(deployment!.Properties.DistributionId).toEqual({ Ref: distributionId() });
  });

  it("joins the API's CORS origins and is the default link in notification emails", () => {
    const origin = distributionUrl(distributionId());
    stack.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ["https://www.example.com", origin] }),
    });
    const fns = Object.values(stack.findResources("AWS::Lambda::Function")).filter(
      (f) => f.Properties.Environment?.Variables?.NOTIFY_FROM,
    );
    expect(fns).toHaveLength(6); // the API, email, sweeper, lapse, live socket and fan-out functions
    for (const f of fns) expect(f.Properties.Environment.Variables.APP_URL).toEqual(origin);
    const api = fns.find((f) => f.Properties.Environment.Variables.ALLOWED_ORIGINS)!;
    expect(JSON.stringify(api.Properties.Environment.Variables.ALLOWED_ORIGINS)).toContain(distributionId());
  });

  it("without appUrl, its CloudFront URL is the inbox's only URL: no alias, and sign-in returns there", () => {
    const config = stack.findResources("AWS::CloudFront::Distribution")[distributionId()]!.Properties
      .DistributionConfig;
    expect(config.Aliases).toBeUndefined();
    expect(config.ViewerCertificate).toBeUndefined();
    const [client] = Object.values(stack.findResources("AWS::Cognito::UserPoolClient"));
    expect(client!.Properties.CallbackURLs).toEqual([
      { "Fn::Join": ["", ["https://", { "Fn::GetAtt": [distributionId(), "DomainName"] }, "/"]] },
      CLI_CALLBACK_URL,
    ]);
    expect(stack.findOutputs("InboxUrl").InboxUrl!.Value).toEqual(distributionUrl(distributionId()));
    // cdk-nag passes here too (the default certificate's TLS finding is acknowledged only in this case).
    expect(() => app.synth({ force: true })).not.toThrow();
  });

  it("outputs the inbox URL and the widget snippet", () => {
    const outputs = Object.values(stack.findOutputs("*"));
    expect(Object.keys(stack.findOutputs("*"))).toEqual(expect.arrayContaining(["InboxUrl", "WidgetSnippet"]));
    expect(JSON.stringify(outputs)).toContain('/widget.js\\" data-channel=\\"CHANNEL_ID\\" data-api=\\"');
  });
});

describe("WebHosting with Cognito", () => {
  it("writes the managed login's domain, client id and its own URL as redirect into config.json", () => {
    const s = new Stack(new App({ outdir: outdir() }), "Alone");
    new WebHosting(s, "Web", {
      apiUrl: "https://api.example.com",
      auth: { domainUrl: "https://login.example.com", clientId: "client-123" },
    });
    const t = Template.fromStack(s);
    const [deployment] = Object.values(t.findResources("Custom::CDKBucketDeployment"));
    // The redirect URI is the distribution's own URL: a deploy-time marker in config.json.
    expect(JSON.stringify(deployment!.Properties.SourceMarkers)).toContain("DomainName");
    expect(
      webConfig(
        { apiUrl: "https://api.example.com", auth: { domainUrl: "https://login.example.com", clientId: "client-123" } },
        "https://d1.cloudfront.net",
      ),
    ).toEqual({
      apiUrl: "https://api.example.com",
      liveUrl: null,
      auth: {
        domainUrl: "https://login.example.com",
        clientId: "client-123",
        redirectUri: "https://d1.cloudfront.net/",
      },
    });
    expect(webConfig({ apiUrl: "https://api.example.com" }, "https://d1.cloudfront.net").auth).toBeNull();
  });
});
