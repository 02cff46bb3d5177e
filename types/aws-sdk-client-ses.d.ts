// The SES v1 client ships with the Lambda nodejs22.x runtime and is not installed here (nothing else uses
// SES v1): this is the part of its API the receipt rule set activation calls
// (infra/custom-resources/rule-set-activation-handler.ts), as the SES API reference describes it.
declare module "@aws-sdk/client-ses" {
  export class SES {
    constructor(config: { region?: string });
    describeActiveReceiptRuleSet(input: Record<string, never>): Promise<{
      Metadata?: { Name?: string; CreatedTimestamp?: Date };
      Rules?: Array<{ Name: string }>;
    }>;
    setActiveReceiptRuleSet(input: { RuleSetName?: string }): Promise<Record<string, unknown>>;
  }
}
