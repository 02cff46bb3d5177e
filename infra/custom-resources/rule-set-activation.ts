import type { CloudFormationCustomResourceEvent } from "aws-lambda";

/**
 * The two SES (v1) calls the activation makes, as the AWS SDK v3 `SES` client of `@aws-sdk/client-ses`
 * offers them (the Lambda runtime ships that client). DescribeActiveReceiptRuleSet answers no `Metadata`
 * when no set is active; SetActiveReceiptRuleSet without a `RuleSetName` deactivates the active set.
 */
export interface ReceiptRuleSetClient {
  describeActiveReceiptRuleSet(input: Record<string, never>): Promise<{ Metadata?: { Name?: string } }>;
  setActiveReceiptRuleSet(input: { RuleSetName?: string }): Promise<unknown>;
}

/** What the custom resource passes: the name of the rule set the stack owns. */
export interface ActivationProperties {
  readonly RuleSetName: string;
}

/** The physical id names the set, so a replaced set is a new resource and the old one's Delete follows. */
export const physicalId = (ruleSetName: string) => `active-receipt-rule-set-${ruleSetName}`;

/** Why the deploy stops when another set is active: named, with the setting that adds our rule to it. */
export function anotherSetActive(active: string, ours: string): string {
  return (
    `SES receipt rule set "${active}" is active in this region: activating "${ours}" would deactivate it and ` +
    `stop the email it receives, so nothing was changed. Redeploy with -c receiptRuleSet=${active} ` +
    `(or ROUTING_RECEIPT_RULE_SET=${active}): the stack then adds its rule to "${active}" and leaves activation alone.`
  );
}

/**
 * The activation's decisions (one active receipt rule set per region). Create and Update: with no set
 * active, or ours, ours is made active; with another set active the deploy fails naming it, which is never
 * deactivated. Delete: ours is deactivated only if it is still the active one; any other is left alone.
 */
export async function onActivationEvent(
  event: CloudFormationCustomResourceEvent,
  ses: ReceiptRuleSetClient,
): Promise<{ PhysicalResourceId: string }> {
  const ours = (event.ResourceProperties as unknown as ActivationProperties).RuleSetName;
  if (!ours) throw new Error("the custom resource has no RuleSetName property");
  const active = (await ses.describeActiveReceiptRuleSet({})).Metadata?.Name;

  if (event.RequestType === "Delete") {
    if (active === ours) await ses.setActiveReceiptRuleSet({});
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  // A set the stack replaced (an Update with a new name) is still ours while it is active.
  const previous =
    event.RequestType === "Update"
      ? (event.OldResourceProperties as Partial<ActivationProperties> | undefined)?.RuleSetName
      : undefined;
  if (active !== undefined && active !== ours && active !== previous) throw new Error(anotherSetActive(active, ours));
  if (active !== ours) await ses.setActiveReceiptRuleSet({ RuleSetName: ours });
  return { PhysicalResourceId: physicalId(ours) };
}
