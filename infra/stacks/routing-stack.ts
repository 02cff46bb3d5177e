import { Arn, CfnOutput, Duration, Lazy, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import { Certificate } from "aws-cdk-lib/aws-certificatemanager";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Secret } from "aws-cdk-lib/aws-secretsmanager";
import { EmailIdentity, Identity } from "aws-cdk-lib/aws-ses";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { Construct } from "constructs";
import { METRICS_NAMESPACE } from "#shared/adapters/metrics/names";
import { RoutingAlarms } from "../constructs/alarms";
import { AttachmentFiles } from "../constructs/attachments";
import { Auth } from "../constructs/auth";
import { RoutingDashboard } from "../constructs/dashboard";
import { RoutingHttpApi } from "../constructs/http-api";
import { InboundEmail } from "../constructs/inbound-email";
import { LapseTimer } from "../constructs/lapse-timer";
import { LiveApi } from "../constructs/live-api";
import { RoutingFunction } from "../constructs/routing-function";
import { Sweeper } from "../constructs/sweeper";
import { RoutingTable } from "../constructs/table";
import { WebHosting } from "../constructs/web-hosting";

export interface RoutingStackProps extends StackProps {
  /** The domain team emails are received at and replies are sent from, e.g. `support.yourcompany.com`. */
  readonly emailDomain: string;
  /** Sender of owner notifications and of replies on form conversations; an address at `emailDomain`. */
  readonly notifyFrom: string;
  /**
   * The web inbox's URL on your own domain (an origin, `https://host`), with `appDomainCertificateArn`:
   * CloudFront serves the inbox on that host (point a CNAME or alias at the distribution), and it is the
   * URL everywhere the inbox is named: notification links, where sign-in returns, the API's CORS origin.
   * @default the hosted inbox's CloudFront URL
   */
  readonly appUrl?: string;
  /** An ACM certificate in us-east-1 covering `appUrl`'s host; required with `appUrl`. */
  readonly appDomainCertificateArn?: string;
  /** Origins of the chat widget (CORS). @default none */
  readonly allowedOrigins?: string[];
  /** An address subscribed to the alarms' topic (it confirms by email). @default none */
  readonly alarmEmail?: string;
  /** `emailDomain` is already an SES identity in this region: use it instead of creating it. @default false */
  readonly existingSesIdentity?: boolean;
  /** Add our receipt rule to this existing (active) rule set instead of owning and activating one. */
  readonly existingReceiptRuleSet?: string;
  /** Prefix of the sign-in page's domain. @default "<stack name>-<account>" */
  readonly authDomainPrefix?: string;
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

/** Powertools service names: the `service` dimension of each function's metrics and its log field. */
export const SERVICE_NAMES = {
  api: "routing-api",
  email: "routing-email",
  sweeper: "routing-sweeper",
  lapse: "routing-lapse",
} as const;

/** The deployable service: composes one construct per concern, nothing else. */
export class RoutingStack extends Stack {
  constructor(scope: Construct, id: string, props: RoutingStackProps) {
    super(scope, id, props);
    const { table } = new RoutingTable(this, "Data");
    if (props.appUrl && !props.appDomainCertificateArn) {
      throw new Error("appUrl needs appDomainCertificateArn: CloudFront serves a domain only with its certificate");
    }
    // The inbox's URL (appUrl, else the distribution's) is known only once its distribution exists, after the
    // API it calls. It is the one URL the inbox has: notification links, sign-in's return, the API's CORS.
    let web: WebHosting | undefined;
    const webUrl = Lazy.string({ produce: () => web!.url });
    const allowedOrigins = [...(props.allowedOrigins ?? []), webUrl];
    const sender = { NOTIFY_FROM: props.notifyFrom, APP_URL: webUrl, POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE };
    // Form channels' signing secrets derive from this key; it never appears in function configuration.
    // Retained like the table: a new key would silently change every integrated form's secret.
    const formSigningKey = new Secret(this, "FormSigningKey", {
      description: "Master key form channels' webhook signing secrets derive from",
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const api = new RoutingFunction(this, "ApiFunction", {
      entry: "functions/api/handler.ts",
      description: "Conversation routing HTTP API",
      environment: {
        TABLE_NAME: table.tableName,
        ALLOWED_ORIGINS: allowedOrigins.join(","),
        FORM_SIGNING_KEY_SECRET_ARN: formSigningKey.secretArn,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.api,
        ...sender,
      },
    });
    const email = new RoutingFunction(this, "EmailFunction", {
      entry: "functions/email/handler.ts",
      description: "Conversation routing: inbound team email from SES",
      environment: { TABLE_NAME: table.tableName, POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.email, ...sender },
    });
    const sweeper = new RoutingFunction(this, "SweeperFunction", {
      entry: "functions/sweeper/handler.ts",
      description: "Conversation routing: sweeps the waiting lines every minute",
      environment: { TABLE_NAME: table.tableName, POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.sweeper, ...sender },
      timeout: Duration.seconds(60),
    });
    new Sweeper(this, "Sweeper", { handler: sweeper.fn });
    const lapse = new RoutingFunction(this, "LapseFunction", {
      entry: "functions/lapse/handler.ts",
      description: "Conversation routing: re-routes chats their assignee did not answer in time",
      environment: { TABLE_NAME: table.tableName, POWERTOOLS_SERVICE_NAME: SERVICE_NAMES.lapse, ...sender },
    });
    // Every function that assigns by routing starts re-route clocks, and so times them.
    const timer = new LapseTimer(this, "LapseTimer", { handler: lapse.fn, senders: [api.fn, email.fn, sweeper.fn] });
    for (const fn of [api.fn, email.fn, sweeper.fn, lapse.fn])
      fn.addEnvironment("LAPSE_QUEUE_URL", timer.queue.queueUrl);
    formSigningKey.grantRead(api.fn);
    // Only the inbox's own pages fetch and upload files; the widget never sees them.
    const attachments = new AttachmentFiles(this, "Attachments", {
      api: api.fn,
      email: email.fn,
      allowedOrigins: [webUrl],
    });
    for (const fn of [api.fn, email.fn]) fn.addEnvironment("ATTACHMENTS_BUCKET", attachments.bucket.bucketName);
    // Live updates: the WebSocket API, and the table's stream fanned out to it. The API posts too (a user's
    // record changed: their sockets are told what they may no longer read).
    const live = new LiveApi(this, "Live", {
      table,
      environment: { TABLE_NAME: table.tableName, ...sender },
      posters: [api.fn],
    });
    for (const fn of [api.fn, email.fn, sweeper.fn, lapse.fn, live.socket.fn, live.fanout.fn])
      table.grant(fn, ...TABLE_ACTIONS);
    // A closed socket's records (connection, its subscriptions) go in one BatchWriteItem.
    for (const fn of [live.socket.fn, live.fanout.fn]) table.grant(fn, "dynamodb:BatchWriteItem");

    // A domain that is already an SES identity in this region (another stack, the console) is used as is:
    // creating it again would fail the first deploy.
    if (props.existingSesIdentity) {
      const identityArn = Arn.format({ service: "ses", resource: "identity", resourceName: props.emailDomain }, this);
      for (const fn of [api.fn, email.fn, sweeper.fn])
        fn.addToRolePolicy(
          new PolicyStatement({ actions: ["ses:SendEmail", "ses:SendRawEmail"], resources: [identityArn] }),
        );
    } else {
      const identity = new EmailIdentity(this, "SendingDomain", { identity: Identity.domain(props.emailDomain) });
      // The sweeper routes waiting conversations, and so may email an offline owner.
      for (const fn of [api.fn, email.fn, sweeper.fn]) identity.grantSendEmail(fn);
    }

    // Sign-in returns to the inbox (config.json's redirectUri is `<inbox URL>/`).
    const auth = new Auth(this, "Auth", {
      callbackUrls: [Lazy.string({ produce: () => `${web!.url}/` })],
      ...(props.authDomainPrefix ? { domainPrefix: props.authDomainPrefix } : {}),
    });
    const http = new RoutingHttpApi(this, "Http", {
      handler: api.fn,
      userPool: auth.userPool,
      clientIds: [auth.clientId],
      allowedOrigins,
    });
    web = new WebHosting(this, "Web", {
      apiUrl: http.api.apiEndpoint,
      liveUrl: live.url,
      auth: { domainUrl: auth.domainUrl, clientId: auth.clientId },
      fileOrigins: AttachmentFiles.linkOrigins,
      ...(props.appUrl && props.appDomainCertificateArn
        ? {
            customDomain: {
              url: props.appUrl,
              certificate: Certificate.fromCertificateArn(this, "AppCertificate", props.appDomainCertificateArn),
            },
          }
        : {}),
    });
    const inbound = new InboundEmail(this, "InboundEmail", {
      handler: email.fn,
      recipients: [props.emailDomain],
      ...(props.existingReceiptRuleSet ? { existingRuleSetName: props.existingReceiptRuleSet } : {}),
    });
    email.fn.addEnvironment("INBOUND_BUCKET", inbound.bucket.bucketName);
    email.fn.addEnvironment("INBOUND_PREFIX", inbound.prefix);

    const alarmTopic = new Topic(this, "AlarmTopic", { displayName: "Conversation routing alarms", enforceSSL: true });
    if (props.alarmEmail) alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    const functions = {
      Api: api.fn,
      Email: email.fn,
      Sweeper: sweeper.fn,
      Lapse: lapse.fn,
      Live: live.socket.fn,
      Fanout: live.fanout.fn,
    };
    new RoutingAlarms(this, "Alarms", {
      functions,
      deadLetters: inbound.deadLetters,
      lapseDeadLetters: timer.deadLetters,
      liveFailures: live.failures,
      topic: alarmTopic,
      // The lapse function routes to available agents only: it never emails an offline owner.
      emailSenders: [SERVICE_NAMES.api, SERVICE_NAMES.email, SERVICE_NAMES.sweeper],
    });
    const { dashboard } = new RoutingDashboard(this, "Monitoring", {
      functions,
      dashboardName: `${this.stackName}-routing`,
    });

    // Outputs at the stack's top level keep their names exactly (docs/deploy.md lists them).
    const output = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    output("ApiUrl", http.api.apiEndpoint, "Base URL of the HTTP API (the widget's and the web inbox's apiUrl)");
    output("UserPoolId", auth.userPool.userPoolId, "Cognito user pool of agents and admins (npm run admin reads it)");
    output("UserPoolClientId", auth.clientId, "Public app client: authorization code with PKCE");
    output("LoginUrl", auth.domainUrl, "Base URL of the managed sign-in page and the OAuth endpoints");
    output(
      "TableName",
      table.tableName,
      "The DynamoDB table (npm run admin writes the first admin's routing user here)",
    );
    output("ReceiptRuleSetName", inbound.ruleSetName, "The SES receipt rule set holding the team-inbox rule");
    output(
      "RawEmailBucket",
      inbound.bucket.bucketName,
      "Raw inbound messages, kept 30 days (oversized ones are read from here)",
    );
    output("AttachmentsBucket", attachments.bucket.bucketName, "Conversations' files (retained with the stack)");
    output("AlarmTopicArn", alarmTopic.topicArn, "SNS topic every alarm notifies: subscribe more endpoints here");
    output("DashboardName", dashboard.dashboardName, "CloudWatch dashboard: routing, waiting line, email failures");
    output("InboxUrl", web.url, "The agent inbox (sign-in returns here)");
    output("LiveUrl", live.url, "The live-update WebSocket endpoint (tickets point clients here; in config.json)");
    output(
      "DistributionDomainName",
      web.distribution.distributionDomainName,
      "The inbox's CloudFront domain: with appUrl, point its host here (CNAME, or a Route 53 alias)",
    );
    output("FormSigningKeyArn", formSigningKey.secretArn, "Master key of the form and chat secrets (retained)");
    output(
      "WidgetSnippet",
      `<script src="${web.url}/widget.js" data-channel="CHANNEL_ID" data-api="${http.api.apiEndpoint}"></script>`,
      "Paste on the site that hosts the chat; CHANNEL_ID is a chat or bot channel's id",
    );
  }
}
