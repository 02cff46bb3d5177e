import { Duration, Stack, type StackProps } from "aws-cdk-lib";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { EmailIdentity, Identity } from "aws-cdk-lib/aws-ses";
import type { ITopic } from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import { RoutingAlarms } from "../constructs/alarms";
import { RoutingHttpApi } from "../constructs/http-api";
import { InboundEmail } from "../constructs/inbound-email";
import { RoutingFunction } from "../constructs/routing-function";
import { Sweeper } from "../constructs/sweeper";
import { RoutingTable } from "../constructs/table";

export interface RoutingStackProps extends StackProps {
  /** The domain team emails are received at and replies are sent from, e.g. `support.example.com`. */
  readonly emailDomain: string;
  /** Sender of owner notifications and of replies on form conversations; an address at `emailDomain`. */
  readonly notifyFrom: string;
  /** Base URL of the inbox app, for links in notifications. */
  readonly appUrl: string;
  /** Origins of the chat widget (CORS). @default none */
  readonly allowedOrigins?: string[];
  /** Where alarms notify. @default none */
  readonly alarmTopic?: ITopic;
}

/**
 * Exactly the DynamoDB actions the store performs (transactions need the action of each item).
 * BatchGetItem reads a channel's pool by id; no Scan, no batch writes, no streams.
 */
export const TABLE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:ConditionCheckItem",
];

/** The deployable service: composes one construct per concern, nothing else. */
export class RoutingStack extends Stack {
  constructor(scope: Construct, id: string, props: RoutingStackProps) {
    super(scope, id, props);
    const { table } = new RoutingTable(this, "Data");
    const identity = new EmailIdentity(this, "SendingDomain", { identity: Identity.domain(props.emailDomain) });
    const sender = { NOTIFY_FROM: props.notifyFrom, APP_URL: props.appUrl };
    // Form channels' signing secrets derive from this key; it never appears in function configuration.
    const formSigningKey = new Secret(this, "FormSigningKey", {
      description: "Master key form channels' webhook signing secrets derive from",
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });

    const api = new RoutingFunction(this, "ApiFunction", {
      entry: "functions/api/handler.ts",
      description: "Conversation routing HTTP API",
      environment: {
        TABLE_NAME: table.tableName,
        ALLOWED_ORIGINS: (props.allowedOrigins ?? []).join(","),
        FORM_SIGNING_KEY_SECRET_ARN: formSigningKey.secretArn,
        POWERTOOLS_SERVICE_NAME: "routing-api",
        ...sender,
      },
    });
    const email = new RoutingFunction(this, "EmailFunction", {
      entry: "functions/email/handler.ts",
      description: "Conversation routing: inbound team email from SES",
      environment: { TABLE_NAME: table.tableName, POWERTOOLS_SERVICE_NAME: "routing-email", ...sender },
    });
    const sweeper = new RoutingFunction(this, "SweeperFunction", {
      entry: "functions/sweeper/handler.ts",
      description: "Conversation routing: sweeps the waiting lines every minute",
      environment: { TABLE_NAME: table.tableName, POWERTOOLS_SERVICE_NAME: "routing-sweeper", ...sender },
      timeout: Duration.seconds(60),
    });
    new Sweeper(this, "Sweeper", { handler: sweeper.fn });
    formSigningKey.grantRead(api.fn);
    for (const fn of [api.fn, email.fn, sweeper.fn]) table.grant(fn, ...TABLE_ACTIONS);
    identity.grantSendEmail(api.fn);
    identity.grantSendEmail(email.fn);

    new RoutingHttpApi(this, "Http", { handler: api.fn, ...(props.allowedOrigins ? { allowedOrigins: props.allowedOrigins } : {}) });
    const inbound = new InboundEmail(this, "InboundEmail", { handler: email.fn, recipients: [props.emailDomain] });
    email.fn.addEnvironment("INBOUND_BUCKET", inbound.bucket.bucketName);
    email.fn.addEnvironment("INBOUND_PREFIX", inbound.prefix);
    new RoutingAlarms(this, "Alarms", {
      functions: { Api: api.fn, Email: email.fn, Sweeper: sweeper.fn },
      deadLetters: inbound.deadLetters,
      ...(props.alarmTopic ? { topic: props.alarmTopic } : {}),
    });
  }
}
