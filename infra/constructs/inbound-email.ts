import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { SqsDestination } from "aws-cdk-lib/aws-lambda-destinations";
import { BlockPublicAccess, Bucket, BucketEncryption } from "aws-cdk-lib/aws-s3";
import { type IReceiptRuleSet, ReceiptRule, ReceiptRuleSet, TlsPolicy } from "aws-cdk-lib/aws-ses";
import { Lambda, LambdaInvocationType, S3 } from "aws-cdk-lib/aws-ses-actions";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from "aws-cdk-lib/custom-resources";
import { Construct } from "constructs";

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
   * and activation is left alone. @default a rule set of our own, activated with the stack
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
  readonly activation?: AwsCustomResource;
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

    // SES has one active rule set per region. Ours is activated with the stack and deactivated before
    // it is deleted (a rule set cannot be deleted while active); an account with its own set opts out.
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
      this.activation = new AwsCustomResource(this, "ActivateRuleSet", {
        onCreate: activate(this.ruleSetName),
        onUpdate: activate(this.ruleSetName),
        // No rule set name: SES deactivates the active set, which is ours while this stack owns activation.
        onDelete: { service: "SES", action: "setActiveReceiptRuleSet", parameters: {} },
        // SetActiveReceiptRuleSet has no resource-level permissions.
        policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: AwsCustomResourcePolicy.ANY_RESOURCE }),
        installLatestAwsSdk: false,
      });
      // Activated only once its rule exists; on delete, deactivated before the set and rule go.
      this.activation.node.addDependency(rule);
    }
  }
}

function activate(ruleSetName: string) {
  return {
    service: "SES",
    action: "setActiveReceiptRuleSet",
    parameters: { RuleSetName: ruleSetName },
    physicalResourceId: PhysicalResourceId.of(`active-receipt-rule-set-${ruleSetName}`),
  };
}
