import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { App, Stack, Validations } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { Bucket } from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { LIVE_STREAM_FILTERS } from "#shared/adapters/dynamo/stream";
import { INDEXES, TTL_ATTRIBUTE } from "#shared/adapters/dynamo/table";
import { METRIC, METRICS_NAMESPACE } from "#shared/adapters/metrics/names";
import { PROTECTED_ROUTES, ROUTES } from "#shared/http/route-table";
import { buildApp } from "../../infra/build";
import { Auth, CLI_CALLBACK_URL } from "../../infra/constructs/auth";
import { ACTIVATION_ACTIONS } from "../../infra/constructs/inbound-email";
import { BUNDLING, PROJECT_ROOT } from "../../infra/constructs/routing-function";
import { RoutingTable } from "../../infra/constructs/table";
import { SERVICE_NAMES, TABLE_ACTIONS } from "../../infra/stacks/routing-stack";

const props = {
  stackName: "RoutingTest",
  env: { region: "eu-west-1" },
  emailDomain: "support.acme.dev",
  notifyFrom: "routing@support.acme.dev",
  appUrl: "https://inbox.acme.dev",
  appDomainCertificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
  allowedOrigins: ["https://www.acme.dev"],
  alarmEmail: "oncall@acme.dev",
};

let app: App;
let template: Template;
let outdir: string;
// CloudFormation properties are free-form; assertions pick what they check.
// biome-ignore lint/suspicious/noExplicitAny: free-form CloudFormation properties (above)
type Resource = { Properties: Record<string, any>; DeletionPolicy?: string };
const resources = (type: string) => Object.entries(template.findResources(type)) as Array<[string, Resource]>;

beforeAll(() => {
  outdir = mkdtempSync(path.join(tmpdir(), "cdk-test-"));
  ({ app } = buildApp(() => props, { outdir }));
  template = Template.fromStack(app.node.findChild("RoutingTest") as Stack);
}, 60_000);

describe("the table", () => {
  it("is on-demand, with point-in-time recovery, deletion protection, TTL, retained, under a stable logical id", () => {
    const tables = template.findResources("AWS::DynamoDB::Table");
    expect(Object.keys(tables)).toEqual([RoutingTable.LOGICAL_ID]);
    const t = tables[RoutingTable.LOGICAL_ID]!;
    expect(t.DeletionPolicy).toBe("Retain");
    expect(t.Properties).toMatchObject({
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
    });
  });

  it("has exactly the indexes the repositories use, from the same definition as the tests' table", () => {
    const t = template.findResources("AWS::DynamoDB::Table")[RoutingTable.LOGICAL_ID]!;
    expect(t.Properties.GlobalSecondaryIndexes).toEqual(
      INDEXES.map((ix) => ({
        IndexName: ix.name,
        KeySchema: [
          { AttributeName: ix.partitionKey, KeyType: "HASH" },
          { AttributeName: ix.sortKey, KeyType: "RANGE" },
        ],
        Projection: {
          ProjectionType: ix.projection,
          ...(ix.nonKeyAttributes ? { NonKeyAttributes: [...ix.nonKeyAttributes] } : {}),
        },
      })),
    );
  });
});

describe("the HTTP API", () => {
  it("has one route per entry of the route table", () => {
    const keys = resources("AWS::ApiGatewayV2::Route")
      .map(([, r]) => r.Properties.RouteKey)
      .filter((k: string) => !k.startsWith("$"))
      .sort();
    expect(keys).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it("puts the JWT authorizer on exactly the admin and agent routes", () => {
    const protectedKeys = new Set(PROTECTED_ROUTES.map((r) => `${r.method} ${r.path}`));
    for (const [, r] of resources("AWS::ApiGatewayV2::Route")) {
      const expected = protectedKeys.has(r.Properties.RouteKey) ? "JWT" : "NONE";
      expect([r.Properties.RouteKey, r.Properties.AuthorizationType ?? "NONE"]).toEqual([
        r.Properties.RouteKey,
        expected,
      ]);
    }
    template.hasResourceProperties("AWS::ApiGatewayV2::Authorizer", {
      AuthorizerType: "JWT",
      IdentitySource: ["$request.header.Authorization"],
    });
  });

  it("throttles, logs access, and answers CORS for the widget's origins", () => {
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp("requestId") },
    });
    template.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      CorsConfiguration: {
        AllowOrigins: ["https://www.acme.dev", "https://inbox.acme.dev"],
        AllowCredentials: true,
      },
    });
  });

  it("limits each public route on its own, so anonymous chat creation cannot use up the agents' stage capacity", () => {
    const stage = resources("AWS::ApiGatewayV2::Stage").find(([id]) => id.startsWith("Http"))![1].Properties;
    const publicKeys = ROUTES.filter((r) => r.method !== "OPTIONS" && (r.auth === "public" || r.auth === "signed")).map(
      (r) => `${r.method} ${r.path}`,
    );
    expect(Object.keys(stage.RouteSettings).sort()).toEqual(publicKeys.sort());
    expect(stage.RouteSettings["POST /chat/{channelId}/conversations"]).toEqual({
      ThrottlingRateLimit: 20,
      ThrottlingBurstLimit: 40,
    });
    for (const key of publicKeys) {
      const limits = stage.RouteSettings[key];
      expect([key, limits.ThrottlingRateLimit < stage.DefaultRouteSettings.ThrottlingRateLimit]).toEqual([key, true]);
    }
    // Agents' and admins' routes keep the stage limit.
    for (const r of PROTECTED_ROUTES) expect(stage.RouteSettings[`${r.method} ${r.path}`]).toBeUndefined();
  });
});

describe("sign-in (Cognito)", () => {
  it("keeps the user pool under its original logical id, retained, with an admins group and optional TOTP MFA", () => {
    const pools = template.findResources("AWS::Cognito::UserPool");
    expect(Object.keys(pools)).toEqual([Auth.USER_POOL_LOGICAL_ID]);
    const pool = pools[Auth.USER_POOL_LOGICAL_ID]!;
    expect(pool.DeletionPolicy).toBe("Retain");
    expect(pool.Properties).toMatchObject({
      MfaConfiguration: "OPTIONAL",
      EnabledMfas: ["SOFTWARE_TOKEN_MFA"],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      UserPoolAddOns: { AdvancedSecurityMode: "ENFORCED" },
    });
    template.hasResourceProperties("AWS::Cognito::UserPoolGroup", { GroupName: "admins" });
    // Risky sign-ins must give the second factor (why MFA can be optional).
    template.hasResourceProperties("AWS::Cognito::UserPoolRiskConfigurationAttachment", {
      ClientId: "ALL",
      AccountTakeoverRiskConfiguration: {
        Actions: {
          MediumAction: { EventAction: "MFA_IF_CONFIGURED", Notify: false },
          HighAction: { EventAction: "MFA_REQUIRED", Notify: false },
        },
      },
    });
  });

  it("has a managed login page and one public client for the authorization code flow with PKCE only", () => {
    template.hasResourceProperties("AWS::Cognito::UserPoolDomain", { ManagedLoginVersion: 2 });
    template.hasResourceProperties("AWS::Cognito::ManagedLoginBranding", { UseCognitoProvidedValues: true });
    const clients = resources("AWS::Cognito::UserPoolClient");
    expect(clients).toHaveLength(1);
    const c = clients[0]![1].Properties;
    expect(c.GenerateSecret).toBe(false);
    expect(c.AllowedOAuthFlows).toEqual(["code"]);
    expect(c.AllowedOAuthFlowsUserPoolClient).toBe(true);
    expect(c.PreventUserExistenceErrors).toBe("ENABLED");
    expect(c.SupportedIdentityProviders).toEqual(["COGNITO"]);
    // The inbox on the team's own domain (appUrl), and the CLI's login; not the CloudFront name it also has.
    expect(c.CallbackURLs).toEqual(["https://inbox.acme.dev/", CLI_CALLBACK_URL]);
    expect(c.LogoutURLs).toEqual(["https://inbox.acme.dev/", CLI_CALLBACK_URL]);
    expect(JSON.stringify(c)).not.toMatch(/example\.com|implicit/);
    // No SDK sign-in (SRP, password, custom, choice-based): the inbox and `npm run login` use managed login,
    // and `npm run admin` calls admin APIs with the deploy credentials, not this client. Refresh only.
    expect(c.ExplicitAuthFlows).toEqual(["ALLOW_REFRESH_TOKEN_AUTH"]);
  });

  it("the JWT authorizer accepts exactly that client's tokens from that pool", () => {
    const authorizer = resources("AWS::ApiGatewayV2::Authorizer")[0]![1].Properties;
    expect(authorizer.JwtConfiguration.Audience).toHaveLength(1);
    expect(authorizer.JwtConfiguration.Audience[0].Ref).toMatch(/^AuthUsersInboxApp/);
    expect(JSON.stringify(authorizer.JwtConfiguration.Issuer)).toContain(Auth.USER_POOL_LOGICAL_ID);
  });
});

describe("the inbox on the team's own domain (appUrl with appDomainCertificateArn)", () => {
  it("CloudFront answers for appUrl's host with the team's certificate, TLS 1.2 at least", () => {
    const [, distribution] = resources("AWS::CloudFront::Distribution")[0]!;
    expect(distribution.Properties).toMatchObject({
      DistributionConfig: {
        Aliases: ["inbox.acme.dev"],
        ViewerCertificate: {
          AcmCertificateArn: props.appDomainCertificateArn,
          SslSupportMethod: "sni-only",
          MinimumProtocolVersion: "TLSv1.2_2021",
        },
      },
    });
  });

  it("is the URL everywhere the inbox is named: config.json's redirect, notification links, outputs", () => {
    // config.json as deployed: the staged asset BucketDeployment copies (the API and login are deploy-time).
    const configs = readdirSync(outdir)
      .filter((d) => d.startsWith("asset.") && existsSync(path.join(outdir, d, "config.json")))
      .map((d) => JSON.parse(readFileSync(path.join(outdir, d, "config.json"), "utf8")));
    expect(configs).toHaveLength(1);
    expect(configs[0].auth.redirectUri).toBe("https://inbox.acme.dev/");
    const fns = resources("AWS::Lambda::Function").filter(([, f]) => f.Properties.Environment?.Variables?.NOTIFY_FROM);
    expect(fns.map(([, f]) => f.Properties.Environment.Variables.APP_URL)).toEqual(Array(6).fill(props.appUrl));
    const outputs = template.toJSON().Outputs;
    expect(outputs.InboxUrl.Value).toBe("https://inbox.acme.dev");
    // Where the team points the host's CNAME (or alias).
    const [distributionId] = resources("AWS::CloudFront::Distribution")[0]!;
    expect(outputs.DistributionDomainName.Value).toEqual({ "Fn::GetAtt": [distributionId, "DomainName"] });
  });
});

describe("the waiting line's sweeper (docs/routing.md §5.5)", () => {
  it("runs every minute from an EventBridge schedule, with the table's item actions and nothing else", () => {
    const fn = resources("AWS::Lambda::Function").find(([id]) => id.startsWith("SweeperFunction"));
    expect(fn).toBeDefined();
    const rules = resources("AWS::Events::Rule");
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0]!;
    expect(rule.Properties.ScheduleExpression).toBe("rate(1 minute)");
    expect(rule.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { "Fn::GetAtt": [fn![0], "Arn"] }, RetryPolicy: { MaximumRetryAttempts: 0 } }),
    ]);
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "events.amazonaws.com",
      FunctionName: { "Fn::GetAtt": [fn![0], "Arn"] },
    });
    const policies = resources("AWS::IAM::Policy").filter(([pid]) => pid.startsWith("SweeperFunction"));
    const actions = policies.flatMap(([, p]) =>
      p.Properties.PolicyDocument.Statement.flatMap((st: { Action: string | string[] }) => [st.Action].flat()),
    );
    for (const a of TABLE_ACTIONS) expect(actions).toContain(a);
    expect(actions.filter((a: string) => /^(s3|secretsmanager):|Scan|BatchWrite/.test(a))).toEqual([]);
    expect(fn![1].Properties.Timeout).toBe(60);
  });
});

describe("the re-route timer (docs/routing.md §5.6)", () => {
  it("is an SQS delay queue read by the lapse function, failures reported per message, then a DLQ", () => {
    const [lapseId] = resources("AWS::Lambda::Function").find(([id]) => id.startsWith("LapseFunction"))!;
    const queues = resources("AWS::SQS::Queue").filter(([id]) => id.startsWith("LapseTimer"));
    const [queueId, queue] = queues.find(([id]) => id.startsWith("LapseTimerQueue"))!;
    const [dlqId] = queues.find(([id]) => id.startsWith("LapseTimerDeadLetters"))!;
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 90,
      RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [dlqId, "Arn"] }, maxReceiveCount: 3 },
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: { "Fn::GetAtt": [queueId, "Arn"] },
      FunctionName: { Ref: lapseId },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BatchSize: 10,
    });
    // Every function that assigns by routing knows the queue and may send to it, to this queue only.
    for (const fn of ["Api", "Email", "Sweeper", "Lapse"]) {
      const [, f] = resources("AWS::Lambda::Function").find(([id]) => id.startsWith(`${fn}Function`))!;
      expect(f.Properties.Environment.Variables.LAPSE_QUEUE_URL, fn).toEqual({ Ref: queueId });
      const sends = resources("AWS::IAM::Policy")
        .filter(([pid]) => pid.startsWith(`${fn}Function`))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
        .filter((st: { Action: string | string[] }) => [st.Action].flat().includes("sqs:SendMessage"));
      const targets = sends.map((st: { Resource: unknown }) => st.Resource);
      expect(targets, fn).toContainEqual({ "Fn::GetAtt": [queueId, "Arn"] });
      // Besides this queue, only the email function's own failure destination.
      expect(
        targets.filter((t: unknown) => JSON.stringify(t).includes("*")),
        fn,
      ).toEqual([]);
      expect(targets.length, fn).toBe(fn === "Email" ? 2 : 1);
    }
  });
});

describe("the functions", () => {
  it("run nodejs22.x on arm64 with tracing, source maps and a log group kept a month", () => {
    const fns = resources("AWS::Lambda::Function").filter(([id]) => /^(Api|Email|Sweeper|Lapse)Function/.test(id));
    expect(fns).toHaveLength(4);
    for (const [, fn] of fns) {
      expect(fn.Properties).toMatchObject({
        Runtime: "nodejs22.x",
        Architectures: ["arm64"],
        TracingConfig: { Mode: "Active" },
      });
      expect(fn.Properties.Environment.Variables.NODE_OPTIONS).toBe("--enable-source-maps");
    }
    expect(resources("AWS::Logs::LogGroup").some(([, g]) => g.Properties.RetentionInDays === 30)).toBe(true);
  });

  it(
    "are granted only what they use: item actions on the table, " + "no Scan; the email function reads only raw mail",
    () => {
      const policies = resources("AWS::IAM::Policy");
      const actions = (id: string) =>
        policies
          .filter(([pid]) => pid.startsWith(id))
          .flatMap(([, p]) =>
            p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => [s.Action].flat()),
          );
      const api = actions("ApiFunction");
      const email = actions("EmailFunction");
      for (const a of TABLE_ACTIONS) expect(api).toContain(a);
      expect(
        [...api, ...email].filter((a) => /Scan|BatchWrite|GetRecords|\*$/.test(a) && !a.startsWith("xray:")),
      ).toEqual([]);
      // Raw mail is read by the email function alone; files (docs/routing.md §6.3) are below.
      expect(api.filter((a) => a.startsWith("s3:")).sort()).toEqual([
        "s3:DeleteObject",
        "s3:GetObject",
        "s3:ListBucket",
        "s3:PutObject",
      ]);
      expect(email.filter((a) => a.startsWith("s3:")).sort()).toEqual(["s3:GetObject", "s3:PutObject"]);
      expect(api).toContain("secretsmanager:GetSecretValue");
      expect(email.filter((a) => a.startsWith("secretsmanager:"))).toEqual([]);
    },
  );

  it("keep the form signing key out of their configuration: the API reads it from Secrets Manager", () => {
    const apiFn = resources("AWS::Lambda::Function").find(([id]) => id.startsWith("ApiFunction"))!;
    const vars = apiFn[1].Properties.Environment.Variables;
    expect(vars.FORM_SIGNING_KEY).toBeUndefined();
    expect(vars.FORM_SIGNING_KEY_SECRET_ARN.Ref).toMatch(/^FormSigningKey/);
  });

  it("each bundle is under 350 KB minified", async () => {
    const sizes: Record<string, number> = {};
    for (const entry of [
      "functions/api/handler.ts",
      "functions/email/handler.ts",
      "functions/sweeper/handler.ts",
      "functions/lapse/handler.ts",
      "functions/live/handler.ts",
      "functions/fanout/handler.ts",
    ]) {
      const out = await build({
        entryPoints: [path.join(PROJECT_ROOT, entry)],
        bundle: true,
        platform: "node",
        target: BUNDLING.target,
        format: "cjs",
        minify: BUNDLING.minify,
        external: BUNDLING.externalModules,
        write: false,
        logLevel: "silent",
      });
      sizes[entry] = out.outputFiles[0]!.contents.length;
    }
    for (const [entry, bytes] of Object.entries(sizes)) expect([entry, bytes < 350 * 1024]).toEqual([entry, true]);
  });
});

describe("inbound email", () => {
  it("the receipt rule stores the message in S3 first, then invokes the email function, with scanning on", () => {
    const rule = resources("AWS::SES::ReceiptRule")[0]![1].Properties.Rule;
    expect(rule.ScanEnabled).toBe(true);
    expect(rule.Recipients).toEqual(["support.acme.dev"]);
    expect(rule.Actions.map((a: Record<string, unknown>) => Object.keys(a)[0])).toEqual(["S3Action", "LambdaAction"]);
    expect(rule.Actions[0].S3Action.ObjectKeyPrefix).toBe("inbound/");
    expect(rule.Actions[1].LambdaAction.InvocationType).toBe("Event");
  });

  it("keeps raw mail in a private, encrypted bucket with a lifecycle", () => {
    template.hasResourceProperties("AWS::S3::Bucket", {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30, Status: "Enabled" })] },
    });
  });

  it(
    "sends the email function's failures to a dead-letter queue, " + "with alarms on it and on errors and throttles",
    () => {
      template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
        DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
        MaximumRetryAttempts: 2,
      });
      const alarms = resources("AWS::CloudWatch::Alarm")
        .map(([, a]) => a.Properties.MetricName)
        .filter(Boolean);
      expect(alarms.sort()).toEqual([
        ...Array(3).fill("ApproximateNumberOfMessagesVisible"),
        ...Array(6).fill("Errors"),
        ...Array(6).fill("Throttles"),
      ]);
    },
  );

  it("activates its own rule set through our custom resource, once its rule exists", () => {
    const activations = resources("Custom::ReceiptRuleSetActivation");
    expect(activations).toHaveLength(1);
    const [id, cr] = activations[0]!;
    const [ruleSetId] = resources("AWS::SES::ReceiptRuleSet")[0]!;
    expect(cr.Properties.RuleSetName).toEqual({ Ref: ruleSetId });
    const deps = [template.toJSON().Resources[id].DependsOn].flat();
    expect(deps.some((d: string) => d.startsWith("InboundEmailTeamInboxes"))).toBe(true);
    // Not the CDK's AwsCustomResource, which activated blindly and deactivated whatever set was active.
    template.resourceCountIs("Custom::AWS", 0);
    // The provider framework calls our function: Node.js 22, the bundled handler.
    const [fnId, fn] = resources("AWS::Lambda::Function").find(([fid]) =>
      fid.startsWith("InboundEmailActivationFunction"),
    )!;
    expect(fn.Properties).toMatchObject({ Runtime: "nodejs22.x", Handler: "index.handler" });
    const framework = resources("AWS::Lambda::Function").find(
      ([, f]) =>
        JSON.stringify(f.Properties.Environment?.Variables?.USER_ON_EVENT_FUNCTION_ARN) ===
        JSON.stringify({ "Fn::GetAtt": [fnId, "Arn"] }),
    )!;
    expect(cr.Properties.ServiceToken).toEqual({ "Fn::GetAtt": [framework[0], "Arn"] });
  });

  it("grants the activation exactly the two SES calls it makes (no resource-level permissions exist for them)", () => {
    const [, fn] = resources("AWS::Lambda::Function").find(([id]) => id.startsWith("InboundEmailActivationFunction"))!;
    const roleId = fn.Properties.Role["Fn::GetAtt"][0] as string;
    const role = template.toJSON().Resources[roleId];
    expect(role.Properties.ManagedPolicyArns).toHaveLength(1);
    expect(JSON.stringify(role.Properties.ManagedPolicyArns)).toContain("service-role/AWSLambdaBasicExecutionRole");
    const statements = resources("AWS::IAM::Policy")
      .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([{ Effect: "Allow", Action: ACTIVATION_ACTIONS, Resource: "*" }]);
    expect(ACTIVATION_ACTIONS).toEqual(["ses:DescribeActiveReceiptRuleSet", "ses:SetActiveReceiptRuleSet"]);
  });
});

describe("conversations' files (docs/routing.md §6.3)", () => {
  const filesBucket = () => resources("AWS::S3::Bucket").find(([id]) => id.startsWith("AttachmentsFiles"))!;
  const statements = (fn: string) =>
    resources("AWS::IAM::Policy")
      .filter(([id]) => id.startsWith(fn))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Array<{ Action: string; Resource: unknown }>)
      .filter((st) => JSON.stringify(st.Resource).includes("AttachmentsFiles"));

  it("are kept in a private, encrypted, retained bucket; uploads no reply took go after a day", () => {
    const [id, bucket] = filesBucket();
    expect(bucket.DeletionPolicy).toBe("Retain");
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toMatchObject({
      ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" },
    });
    expect(Object.values(bucket.Properties.PublicAccessBlockConfiguration)).toEqual([true, true, true, true]);
    expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: "uploads/", ExpirationInDays: 1, Status: "Enabled" }),
        expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
      ]),
    );
    // HTTPS only: the bucket policy denies any request without TLS.
    const policy = resources("AWS::S3::BucketPolicy").find(([, p]) => p.Properties.Bucket.Ref === id)!;
    expect(JSON.stringify(policy[1].Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
  });

  it("are fetched and uploaded by the inbox's pages alone (CORS: GET and PUT from the inbox's origin)", () => {
    const [rule] = filesBucket()[1].Properties.CorsConfiguration.CorsRules;
    expect(rule.AllowedMethods.sort()).toEqual(["GET", "PUT"]);
    expect(rule.AllowedHeaders).toEqual(["content-type", "x-amz-meta-filename"]);
    expect(rule.AllowedOrigins).toEqual([props.appUrl]);
  });

  it("the API reads, writes, lists and deletes only under files/ and uploads/; email only writes files/", () => {
    const scoped = (fn: string) =>
      statements(fn).map(
        (st) => `${st.Action} ${JSON.stringify(st.Resource).match(/\/(files|uploads)\/\*/g) ?? "bucket"}`,
      );
    expect(scoped("ApiFunction").sort()).toEqual([
      "s3:DeleteObject /uploads/*",
      "s3:GetObject /files/*,/uploads/*",
      "s3:ListBucket bucket",
      "s3:PutObject /files/*,/uploads/*",
    ]);
    expect(scoped("EmailFunction")).toEqual(["s3:PutObject /files/*"]);
    for (const fn of ["ApiFunction", "EmailFunction"]) {
      const f = resources("AWS::Lambda::Function").find(([id]) => id.startsWith(fn))!;
      expect(f[1].Properties.Environment.Variables.ATTACHMENTS_BUCKET).toEqual({ Ref: filesBucket()[0] });
    }
  });
});

describe("operations", () => {
  it("every alarm notifies one SNS topic, which the alarm email subscribes to", () => {
    const topics = resources("AWS::SNS::Topic");
    expect(topics).toHaveLength(1);
    const topicId = topics[0]![0];
    const alarms = resources("AWS::CloudWatch::Alarm");
    // errors and throttles of the API, email, sweeper, lapse, socket and fan-out functions, the three
    // dead-letter queues, email send failures
    expect(alarms.length).toBe(16);
    for (const [, a] of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "oncall@acme.dev",
      TopicArn: { Ref: topicId },
    });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: [Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } })],
      },
    });
  });

  it("alarms on any outbound email SES refused, from any function that sends", () => {
    const alarm = resources("AWS::CloudWatch::Alarm").find(([id]) => id.startsWith("AlarmsEmailSendFailures"))![1]
      .Properties;
    const metrics = alarm.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat).map(
      (m: { MetricStat: { Metric: Record<string, unknown> } }) => m.MetricStat.Metric,
    );
    expect(metrics.map((m: Record<string, unknown>) => [m.Namespace, m.MetricName])).toEqual([
      [METRICS_NAMESPACE, METRIC.emailSendFailed],
      [METRICS_NAMESPACE, METRIC.emailSendFailed],
      [METRICS_NAMESPACE, METRIC.emailSendFailed],
    ]);
    expect(metrics.map((m: { Dimensions: Array<{ Value: string }> }) => m.Dimensions[0]!.Value).sort()).toEqual(
      [SERVICE_NAMES.api, SERVICE_NAMES.email, SERVICE_NAMES.sweeper].sort(),
    );
    expect(alarm.Threshold).toBe(1);
  });

  it("has a dashboard with routing per strategy, the waiting line, time to assignment and send failures", () => {
    const parts = resources("AWS::CloudWatch::Dashboard")[0]![1].Properties.DashboardBody["Fn::Join"][1] as unknown[];
    const body = JSON.parse(parts.map((p) => (typeof p === "string" ? p : "eu-west-1")).join("")) as {
      widgets: Array<{ properties: { title?: string; metrics?: Array<Array<{ expression?: string }>> } }>;
    };
    const graphs = new Map(
      body.widgets
        .filter((w) => w.properties.title)
        .map((w) => [w.properties.title!, (w.properties.metrics ?? []).flat().map((m) => m.expression ?? "")]),
    );
    const searches = (title: string) => graphs.get(title)!.join(" ");
    expect(searches("Routed per strategy")).toContain(
      `SEARCH('{${METRICS_NAMESPACE}} MetricName="${METRIC.routed}"', 'Sum', 60)`,
    );
    expect(searches("Waiting")).toContain(`MetricName="${METRIC.conversationsWaiting}"`);
    expect(searches("Waiting")).toContain(`MetricName="${METRIC.oldestWaitMs}"`);
    expect(searches("Time to assignment from the line (ms)")).toContain(
      `MetricName="${METRIC.timeToAssignmentMs}"', 'p95'`,
    );
    expect(searches("Outbound email failures")).toContain(`MetricName="${METRIC.emailSendFailed}"`);
    // Line labels name the dimensions the metrics are emitted with (shared/domain: `strategy`, `channel`).
    const labels = JSON.stringify(body).match(/Dim\.\w+/g) ?? [];
    expect(new Set(labels)).toEqual(new Set(["Dim.strategy", "Dim.channel"]));
  });

  it("the API reads the metrics namespace its dashboard and alarms watch", () => {
    for (const [, fn] of resources("AWS::Lambda::Function").filter(([id]) => /^(Api|Email)Function/.test(id))) {
      expect(fn.Properties.Environment.Variables.POWERTOOLS_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
    }
  });

  it("retains the form signing key like the table: a redeploy never changes the forms' secrets", () => {
    const secrets = Object.values(template.findResources("AWS::SecretsManager::Secret"));
    expect(secrets).toHaveLength(1);
    expect(secrets[0]!.DeletionPolicy).toBe("Retain");
    expect(secrets[0]!.UpdateReplacePolicy).toBe("Retain");
  });
});

describe("live updates (docs/design.md, Live updates)", () => {
  it("is a WebSocket API whose routes run the socket function, on a logged, throttled stage", () => {
    const [apiId] = resources("AWS::ApiGatewayV2::Api").find(([, a]) => a.Properties.ProtocolType === "WEBSOCKET")!;
    const routes = resources("AWS::ApiGatewayV2::Route").filter(([, r]) => r.Properties.ApiId?.Ref === apiId);
    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(["$connect", "$default", "$disconnect"]);
    template.hasResourceProperties("AWS::ApiGatewayV2::Stage", {
      ApiId: { Ref: apiId },
      StageName: "live",
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp("connectionId") },
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
    expect(template.toJSON().Outputs.LiveUrl).toBeDefined();
  });

  it("reads the table's stream through a filtered mapping with partial batch failures and a failure queue", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", { StreamSpecification: { StreamViewType: "NEW_IMAGE" } });
    const [fanoutId] = resources("AWS::Lambda::Function").find(([id]) => id.startsWith("LiveFanoutFunction"))!;
    const [, mapping] = resources("AWS::Lambda::EventSourceMapping").find(
      ([, m]) => m.Properties.FunctionName?.Ref === fanoutId,
    )!;
    expect(mapping.Properties).toMatchObject({
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 3,
      DestinationConfig: {
        OnFailure: { Destination: { "Fn::GetAtt": [expect.stringMatching(/^LiveFailures/), "Arn"] } },
      },
    });
    const patterns = mapping.Properties.FilterCriteria.Filters.map((f: { Pattern: string }) => JSON.parse(f.Pattern));
    expect(patterns).toEqual(LIVE_STREAM_FILTERS);
  });

  it("grants ManageConnections on this API's stage only", () => {
    const [apiId] = resources("AWS::ApiGatewayV2::Api").find(([, a]) => a.Properties.ProtocolType === "WEBSOCKET")!;
    const statements = resources("AWS::IAM::Policy").flatMap(([pid, p]) =>
      p.Properties.PolicyDocument.Statement.map((st: { Action: unknown; Resource: unknown }) => ({ pid, ...st })),
    );
    const manage = statements.filter((st) => JSON.stringify(st.Action).includes("execute-api:ManageConnections"));
    expect(manage.map((m) => m.pid.replace(/[0-9A-F]{8}$/, "")).sort()).toEqual([
      "ApiFunctionServiceRoleDefaultPolicy",
      "LiveFanoutFunctionServiceRoleDefaultPolicy",
      "LiveSocketFunctionServiceRoleDefaultPolicy",
    ]);
    for (const m of manage) {
      const text = JSON.stringify(m.Resource);
      expect(text).toContain(`{"Ref":"${apiId}"}`);
      expect(text).toMatch(/\/live\/(POST|DELETE)\/@connections\/\*/);
    }
  });
});

describe("cdk-nag AwsSolutions", () => {
  it("reports no finding that is not acknowledged with a reason", () => {
    expect(() => app.synth({ force: true })).not.toThrow();
  });

  it("is really checking: an unacknowledged finding fails the synth", () => {
    const bad = new App({ outdir: mkdtempSync(path.join(tmpdir(), "cdk-bad-")) });
    new Bucket(new Stack(bad, "Bad"), "Open", {});
    Validations.of(bad).addPlugins(new AwsSolutionsChecks(bad));
    expect(() => bad.synth()).toThrow();
  });
});
