import { Validations, type Stack } from "aws-cdk-lib";
import type { IConstruct } from "constructs";
import { needsToken, ROUTES } from "../shared/http/route-table";

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
  const ack = (path: string, id: string, reason: string) => Validations.of(find(path)).acknowledge({ id: `AwsSolutions::${id}`, reason });

  ack("FormSigningKey", "AwsSolutions-SMG4", "Form channels' webhook secrets derive from this key: rotating it breaks every integrated form at once, so rotation is a deliberate, announced operation (documented in the README), not a schedule.");

  for (const fn of ["ApiFunction", "EmailFunction"]) {
    ack(`${fn}/Function/ServiceRole`, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]", "The basic execution role only lets the function write its own CloudWatch logs.");
    ack(`${fn}/Function/ServiceRole/DefaultPolicy`, "AwsSolutions-IAM5[Resource::*]", "X-Ray's PutTraceSegments and PutTelemetryRecords do not support resource-level permissions.");
    ack(`${fn}/Function/ServiceRole/DefaultPolicy`, "AwsSolutions-IAM5[Resource::<RoutingTable.Arn>/index/*]", "The Unassigned, Mine and All views Query the table's two GSIs (gsi1, gsi2); the grant lists only the item actions the store uses.");
    ack(`${fn}/Function`, "AwsSolutions-L1", "Pinned to nodejs22.x, the runtime the bundles target (esbuild target node22); runtime upgrades are deliberate, tested changes.");
  }
  ack("EmailFunction/Function/ServiceRole/DefaultPolicy", "AwsSolutions-IAM5[Resource::<InboundEmailRawMailF40EB49F.Arn>/inbound/*]", "The function reads s3:GetObject only, only under the prefix the receipt rule writes raw messages to; the object key is the SES message id.");

  for (const route of ROUTES.filter((r) => !needsToken(r))) {
    const id = `${route.method}--${route.path.replace(/^\//, "").replace(/\//g, "--")}`;
    const why =
      route.auth === "signed"
        ? "Form webhooks are called by the form provider, not a user: every request must carry an HMAC-SHA256 signature of its raw body with the channel's secret, checked before any parsing or database call."
        : route.path === "/health"
          ? "The health check is public by design and returns no data."
          : route.path === "/openapi.json"
            ? "The OpenAPI document is public by design: the same contract as the open-source docs, no data."
          : "Visitor chat is called by the anonymous widget on the customer's site: the visitor is identified by the visitor token (cookie), which must match the conversation's.";
    ack(`Http/Api/${id}`, "AwsSolutions-APIG4", why);
  }

  ack(
    "Auth/Users",
    "AwsSolutions-COG2",
    "MFA is optional, TOTP only: every agent can enrol an authenticator app after their first sign-in, and " +
      "threat protection (full function) asks risky sign-ins for a second factor. Required MFA with no " +
      "enrolment path locked everyone out.",
  );

  // Present when the stack owns its receipt rule set (not with -c receiptRuleSet=<yours>).
  if (stack.node.tryFindChild("InboundEmail")?.node.tryFindChild("ActivateRuleSet")) {
    ack(
      "InboundEmail/ActivateRuleSet/CustomResourcePolicy",
      "AwsSolutions-IAM5[Resource::*]",
      "ses:SetActiveReceiptRuleSet has no resource-level permissions; the policy allows that one action only.",
    );
    const provider = stack.node.children.find((c) => c.node.id.startsWith("AWS679f53fac002430cb0da5b7982bd2287"));
    if (provider) {
      ack(
        `${provider.node.id}/ServiceRole`,
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
        "The CDK's AwsCustomResource provider (activates the receipt rule set on create, deactivates it on " +
          "delete) only writes its own logs with this policy.",
      );
    }
  }

  ack("InboundEmail/RawMail", "AwsSolutions-S1", "Only SES writes (receipt rule) and only the email function reads, under a 30-day lifecycle; CloudTrail data events are the audit trail if a team needs one.");
  ack("InboundEmail/DeadLetters", "AwsSolutions-SQS3", "This queue is itself the dead-letter destination of the email function's failed asynchronous invocations.");
}
