import { type CfnElement, type Stack, Token, Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { needsToken, ROUTES } from "#shared/http/route-table";
import type { WebHosting } from "./constructs/web-hosting";

/**
 * The cdk-nag AwsSolutions findings we accept, each on the construct it concerns and with the reason.
 * Everything else is fixed in the constructs; the infra tests fail on any finding not listed here.
 */
export function acknowledgeNagFindings(stack: Stack): void {
  const find = (path: string): IConstruct => {
    const c = path.split("/").reduce<IConstruct | undefined>((node, id) => node?.node.tryFindChild(id), stack);
    if (!c) throw new Error(`nag acknowledgement: no construct at ${path}`);
    return c;
  };
  const ack = (path: string, id: string, reason: string) =>
    Validations.of(find(path)).acknowledge({ id: `AwsSolutions::${id}`, reason });

  ack(
    "FormSigningKey",
    "AwsSolutions-SMG4",
    "Form channels' webhook secrets derive from this key: rotating it breaks every integrated form at once, " +
      "so rotation is a deliberate, announced operation (documented in docs/deploy.md), not a schedule.",
  );

  const functions = [
    "ApiFunction",
    "EmailFunction",
    "SweeperFunction",
    "LapseFunction",
    "Live/SocketFunction",
    "Live/FanoutFunction",
  ];
  for (const fn of functions) {
    ack(
      `${fn}/Function/ServiceRole`,
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      "The basic execution role only lets the function write its own CloudWatch logs.",
    );
    ack(
      `${fn}/Function/ServiceRole/DefaultPolicy`,
      "AwsSolutions-IAM5[Resource::*]",
      "X-Ray's PutTraceSegments and PutTelemetryRecords do not support resource-level permissions.",
    );
    ack(
      `${fn}/Function/ServiceRole/DefaultPolicy`,
      "AwsSolutions-IAM5[Resource::<RoutingTable.Arn>/index/*]",
      "The Unassigned, Mine and All views, the admin lists, the sweeper's channel walk, the inbox's " +
        "live feed and the rule preview Query the table's GSIs (gsi1-gsi5); the grant lists only the " +
        "item actions the store uses.",
    );
    ack(
      `${fn}/Function`,
      "AwsSolutions-L1",
      "Pinned to nodejs22.x, the runtime the bundles target (esbuild target node22); " +
        "runtime upgrades are deliberate, tested changes.",
    );
  }
  ack(
    "EmailFunction/Function/ServiceRole/DefaultPolicy",
    "AwsSolutions-IAM5[Resource::<InboundEmailRawEmailAE529CA1.Arn>/inbound/*]",
    "The function reads s3:GetObject only, only under the prefix the receipt rule writes raw messages to; " +
      "the object key is the SES message id.",
  );

  for (const route of ROUTES.filter((r) => !needsToken(r))) {
    const id = `${route.method}--${route.path.replace(/^\//, "").replace(/\//g, "--")}`;
    const why =
      route.auth === "signed"
        ? "Form webhooks are called by the form provider, not a user: every request must carry an HMAC-SHA256 " +
          "signature of its raw body with the channel's secret, checked before any parsing or database call."
        : route.path === "/health"
          ? "The health check is public by design and returns no data."
          : route.path === "/openapi.json"
            ? "The OpenAPI document is public by design: the same contract as the open-source docs, no data."
            : "Visitor chat is called by the anonymous widget on the customer's site: " +
              "the visitor is identified by the visitor token (cookie), which must match the conversation's.";
    ack(`Http/Api/${id}`, "AwsSolutions-APIG4", why);
  }

  // Live updates (infra/constructs/live-api.ts).
  for (const route of ["$connect", "$disconnect", "$default"])
    ack(
      `Live/Api/${route}-Route`,
      "AwsSolutions-APIG4",
      "$connect spends a one-use ticket (60 s, from the HTTP API with an agent's JWT or a visitor's token) " +
        "and refuses the socket with 401 otherwise; $disconnect and $default exist only on sockets so " +
        "opened, and every subscription re-checks access to what it names.",
    );
  ack(
    "Live/Failures",
    "AwsSolutions-SQS3",
    "This queue is the fan-out's on-failure destination (a dead letter of the stream mapping): it keeps " +
      "the batches that failed every retry, for inspection; nothing reads it as a work queue.",
  );
  const region = Token.isUnresolved(stack.region) ? "<AWS::Region>" : stack.region;
  const account = Token.isUnresolved(stack.account) ? "<AWS::AccountId>" : stack.account;
  const liveApi = stack.getLogicalId(find("Live/Api").node.defaultChild as CfnElement);
  const stage = `arn:<AWS::Partition>:execute-api:${region}:${account}:<${liveApi}>/live`;
  for (const fn of ["ApiFunction", "Live/SocketFunction", "Live/FanoutFunction"])
    for (const method of ["POST", "DELETE"])
      ack(
        `${fn}/Function/ServiceRole/DefaultPolicy`,
        `AwsSolutions-IAM5[Resource::${stage}/${method}/@connections/*]`,
        "Posts to and closes connections of this WebSocket API's stage only: connection ids are minted by " +
          "API Gateway per socket, so the resource cannot name them.",
      );

  ack(
    "Auth/Users",
    "AwsSolutions-COG2",
    "MFA is optional, TOTP only: every agent can enrol an authenticator app after their first sign-in, and " +
      "threat protection (full function) asks risky sign-ins for a second factor. Required MFA with no " +
      "enrolment path locked everyone out.",
  );

  // Present when the stack owns its receipt rule set (not with -c receiptRuleSet=<yours>).
  if (stack.node.tryFindChild("InboundEmail")?.node.tryFindChild("ActivateRuleSet")) {
    const basicRole =
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]";
    ack(
      "InboundEmail/ActivationFunction/ServiceRole",
      basicRole,
      "The basic execution role only lets the receipt rule set activation write its own CloudWatch logs.",
    );
    ack(
      "InboundEmail/ActivationFunction/ServiceRole/DefaultPolicy",
      "AwsSolutions-IAM5[Resource::*]",
      "ses:DescribeActiveReceiptRuleSet and ses:SetActiveReceiptRuleSet have no resource-level permissions; " +
        "the policy allows those two actions only.",
    );
    ack(
      "InboundEmail/ActivationFunction",
      "AwsSolutions-L1",
      "Pinned to nodejs22.x like the service's functions (esbuild target node22); " +
        "runtime upgrades are deliberate, tested changes.",
    );
    ack(
      "InboundEmail/ActivationProvider/framework-onEvent/ServiceRole",
      basicRole,
      "The CDK custom resource provider's framework function only writes its own logs with this policy.",
    );
    ack(
      "InboundEmail/ActivationProvider/framework-onEvent/ServiceRole/DefaultPolicy",
      "AwsSolutions-IAM5[Resource::<InboundEmailActivationFunctionECFDFB61.Arn>:*]",
      "The CDK provider framework may invoke only the activation function, any of its versions (`:*`).",
    );
  }

  ack(
    "InboundEmail/RawEmail",
    "AwsSolutions-S1",
    "Only SES writes (receipt rule) and only the email function reads, " +
      "under a 30-day lifecycle; CloudTrail data events are the audit trail if a team needs one.",
  );
  // Conversations' files (infra/constructs/attachments.ts).
  ack(
    "Attachments/Files",
    "AwsSolutions-S1",
    "Browsers reach files only by presigned links the API hands out to readers of the conversation, and the " +
      "API logs each request; CloudTrail data events are the object-level audit trail if a team needs one.",
  );
  for (const fn of ["ApiFunction", "EmailFunction"])
    ack(
      `${fn}/Function/ServiceRole/DefaultPolicy`,
      "AwsSolutions-IAM5[Resource::<AttachmentsFilesF5622950.Arn>/files/*]",
      "Objects under files/ only: a key per conversation and file, known only when a message arrives.",
    );
  ack(
    "ApiFunction/Function/ServiceRole/DefaultPolicy",
    "AwsSolutions-IAM5[Resource::<AttachmentsFilesF5622950.Arn>/uploads/*]",
    "Objects under uploads/ only: a key per upload an agent asks for, deleted once a reply takes it.",
  );
  // The hosted inbox (infra/constructs/web-hosting.ts).
  ack(
    "Web/AccessLogs",
    "AwsSolutions-S1",
    "This is the access-log bucket itself (CloudFront and the site bucket log here); " +
      "logging it into itself would loop.",
  );
  ack(
    "Web/Distribution",
    "AwsSolutions-CFR1",
    "Agents and widget visitors can be anywhere; the inbox serves static files and the API enforces authentication.",
  );
  ack(
    "Web/Distribution",
    "AwsSolutions-CFR2",
    "Only static files are served here (the API has its own throttling); " +
      "a WAF web ACL can be attached by teams that need one.",
  );
  // With appUrl and its certificate the distribution requires TLSv1.2_2021, and there is no finding.
  if (!(find("Web") as WebHosting).customDomain) {
    ack(
      "Web/Distribution",
      "AwsSolutions-CFR4",
      "The default *.cloudfront.net certificate cannot set a minimum TLS version; " +
        "with appUrl and appDomainCertificateArn the inbox is served on that domain with TLSv1.2_2021.",
    );
  }
  const deployer = stack.node.children.find((c) => c.node.id.startsWith("Custom::CDKBucketDeployment"));
  if (deployer) {
    const p = deployer.node.id;
    // The CDK asset bucket's name holds the account and region: literal when the stack's env sets them.
    const assets = `Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${account}-${region}/*`;
    ack(
      `${p}/ServiceRole`,
      "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
      "CDK's BucketDeployment function: the basic execution role only lets it write its own logs.",
    );
    for (const finding of [
      "Resource::*",
      "Action::s3:GetObject*",
      "Action::s3:GetBucket*",
      "Action::s3:List*",
      "Action::s3:DeleteObject*",
      "Action::s3:Abort*",
      assets,
      "Resource::<WebSiteD504717C.Arn>/*",
    ]) {
      ack(
        `${p}/ServiceRole/DefaultPolicy`,
        `AwsSolutions-IAM5[${finding}]`,
        "CDK's BucketDeployment copies the built inbox from the CDK asset bucket to the site bucket " +
          "and invalidates CloudFront (which has no resource-level permissions); " +
          "its grants are scoped to those two buckets.",
      );
    }
    ack(
      p,
      "AwsSolutions-L1",
      "CDK's BucketDeployment runs on the runtime the CDK version pins; it upgrades with aws-cdk-lib.",
    );
  }

  ack(
    "InboundEmail/DeadLetters",
    "AwsSolutions-SQS3",
    "This queue is itself the dead-letter destination of the email function's failed asynchronous invocations.",
  );
}
