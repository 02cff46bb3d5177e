import path from "node:path";
import { CustomResource, Duration, RemovalPolicy } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import { Architecture, type IFunction, Runtime } from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { BlockPublicAccess, Bucket, BucketEncryption } from "aws-cdk-lib/aws-s3";
import { type IReceiptRuleSet, ReceiptRule, ReceiptRuleSet, TlsPolicy } from "aws-cdk-lib/aws-ses";
import { Lambda, LambdaInvocationType, S3 } from "aws-cdk-lib/aws-ses-actions";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { Provider } from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";
import type { ActivationProperties } from "../custom-resources/rule-set-activation";
import { BUNDLING, PROJECT_ROOT } from "./routing-function";

/** The SES calls the activation makes; neither has resource-level permissions. */
export const ACTIVATION_ACTIONS = ["ses:DescribeActiveReceiptRuleSet", "ses:SetActiveReceiptRuleSet"];

export interface InboundEmailProps {
  /** The email function: reads the stored message and routes it. */
  readonly handler: IFunction;
  /** Domains (or addresses) whose mail SES receives for the team inboxes, e.g. `support.example.com`. */
  readonly recipients: string[];
  /** Object key prefix of stored messages; the function reads `<prefix><SES message id>`. @default "inbound/" */
  readonly prefix?: string;
  /** How long raw messages are kept. @default Duration.days(30) */
  readonly retention?: Duration;
  /**
   * An account that keeps its own active receipt rule set names it here: our rule is added to that set
   * and activation is left alone. @default a rule set of our own, activated with the stack unless another
   * set is active (then the deploy fails naming it)
   */
  readonly existingRuleSetName?: string;
}

/**
 * Team email in: an SES receipt rule that first stores the raw message in a private, encrypted bucket
 * (S3 action), then invokes the email function (Lambda action), spam and virus scanning on. The
 * function's failed invocations go to a dead-letter queue, kept 14 days, so no email is lost.
 */
export class InboundEmail extends Construct {
  readonly bucket: Bucket;
  readonly deadLetters: Queue;
  readonly ruleSet: IReceiptRuleSet;
  readonly ruleSetName: string;
  /** The custom resource that activates our rule set; absent when an existing set is used. */
  readonly activation?: CustomResource;
  readonly prefix: string;

  constructor(scope: Construct, id: string, props: InboundEmailProps) {
    super(scope, id);
    this.prefix = props.prefix ?? "inbound/";
    this.bucket = new Bucket(this, "RawEmail", {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: props.retention ?? Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Only what the function does: read (and HEAD) the stored messages under the prefix.
    props.handler.addToRolePolicy(
      new PolicyStatement({ actions: ["s3:GetObject"], resources: [this.bucket.arnForObjects(`${this.prefix}*`)] }),
    );

    this.deadLetters = new Queue(this, "DeadLetters", {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // SES invokes the function asynchronously: after Lambda's own retries, the event lands here.
    props.handler.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new SqsDestination(this.deadLetters),
    });

    // SES has one active rule set per region. Ours is activated with the stack, unless another set is active
    // (the deploy then fails naming it, never deactivating it), and deactivated before it is deleted (an
    // active set cannot be deleted) if it is still the active one. An account with its own set opts out.
    this.ruleSet = props.existingRuleSetName
      ? ReceiptRuleSet.fromReceiptRuleSetName(this, "RuleSet", props.existingRuleSetName)
      : new ReceiptRuleSet(this, "RuleSet");
    this.ruleSetName = props.existingRuleSetName ?? (this.ruleSet as ReceiptRuleSet).receiptRuleSetName;
    const rule = new ReceiptRule(this, "TeamInboxes", {
      ruleSet: this.ruleSet,
      recipients: props.recipients,
      scanEnabled: true,
      tlsPolicy: TlsPolicy.REQUIRE,
      actions: [
        new S3({ bucket: this.bucket, objectKeyPrefix: this.prefix }),
        new Lambda({ function: props.handler, invocationType: LambdaInvocationType.EVENT }),
      ],
    });
    if (!props.existingRuleSetName) {
      // The decisions live in infra/custom-resources/rule-set-activation.ts (unit-tested with a fake client).
      const onEvent = new NodejsFunction(this, "ActivationFunction", {
        entry: path.join(PROJECT_ROOT, "infra/custom-resources/rule-set-activation-handler.ts"),
        handler: "handler",
        description: "Conversation routing: activates the receipt rule set unless another one is active",
        runtime: Runtime.NODEJS_22_X,
        architecture: Architecture.ARM_64,
        timeout: Duration.seconds(30),
        logGroup: new LogGroup(this, "ActivationLogs", {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        projectRoot: PROJECT_ROOT,
        depsLockFilePath: path.join(PROJECT_ROOT, "package-lock.json"),
        bundling: BUNDLING,
      });
      onEvent.addToRolePolicy(new PolicyStatement({ actions: ACTIVATION_ACTIONS, resources: ["*"] }));
      const provider = new Provider(this, "ActivationProvider", {
        onEventHandler: onEvent,
        logGroup: new LogGroup(this, "ActivationProviderLogs", {
          retention: RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
      });
      const properties: ActivationProperties = { RuleSetName: this.ruleSetName };
      this.activation = new CustomResource(this, "ActivateRuleSet", {
        serviceToken: provider.serviceToken,
        resourceType: "Custom::ReceiptRuleSetActivation",
        properties,
      });
      // Activated only once its rule exists; on delete, deactivated before the set and rule go.
      this.activation.node.addDependency(rule);
    }
  }
}
