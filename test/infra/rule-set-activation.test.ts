import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import {
  onActivationEvent,
  physicalId,
  type ReceiptRuleSetClient,
} from "../../infra/custom-resources/rule-set-activation";

/**
 * The receipt rule set activation's decisions, against a fake SES client. No SES emulator implements
 * receipt rule sets (aws-ses-v2-local, which the other tests use, speaks SES v2 sending only), so this is
 * a unit test of our decision logic against a recorded interface: the two calls as the SES API reference
 * and the AWS SDK v3 `SES` client define them (DescribeActiveReceiptRuleSet answers no Metadata when no set
 * is active; SetActiveReceiptRuleSet without RuleSetName deactivates; an unknown name is refused).
 */
class FakeSes implements ReceiptRuleSetClient {
  readonly calls: string[] = [];
  constructor(
    public active: string | undefined,
    readonly sets = ["ours", "ours-replacement", "company-inbound"],
  ) {}
  async describeActiveReceiptRuleSet() {
    this.calls.push("describe");
    return this.active === undefined ? {} : { Metadata: { Name: this.active }, Rules: [] };
  }
  async setActiveReceiptRuleSet(input: { RuleSetName?: string }) {
    this.calls.push(`set ${input.RuleSetName ?? "(none)"}`);
    if (input.RuleSetName !== undefined && !this.sets.includes(input.RuleSetName)) {
      throw Object.assign(new Error(`Rule set does not exist: ${input.RuleSetName}`), { name: "RuleSetDoesNotExist" });
    }
    this.active = input.RuleSetName;
    return {};
  }
}

const base = {
  ServiceToken: "arn:aws:lambda:eu-west-1:123456789012:function:provider",
  ResponseURL: "https://cloudformation-custom-resource-response.example/",
  StackId: "arn:aws:cloudformation:eu-west-1:123456789012:stack/Routing/1",
  RequestId: "request-1",
  LogicalResourceId: "InboundEmailActivateRuleSet",
  ResourceType: "Custom::ReceiptRuleSetActivation",
};
const props = (RuleSetName: string) => ({ ServiceToken: base.ServiceToken, RuleSetName });
const create = (name = "ours"): CloudFormationCustomResourceEvent => ({
  ...base,
  RequestType: "Create",
  ResourceProperties: props(name),
});
const update = (name: string, old: string): CloudFormationCustomResourceEvent => ({
  ...base,
  RequestType: "Update",
  PhysicalResourceId: physicalId(old),
  ResourceProperties: props(name),
  OldResourceProperties: props(old),
});
const remove = (name = "ours"): CloudFormationCustomResourceEvent => ({
  ...base,
  RequestType: "Delete",
  PhysicalResourceId: physicalId(name),
  ResourceProperties: props(name),
});

describe("receipt rule set activation: Create and Update", () => {
  it("activates our set when none is active", async () => {
    const ses = new FakeSes(undefined);
    await expect(onActivationEvent(create(), ses)).resolves.toEqual({ PhysicalResourceId: physicalId("ours") });
    expect(ses.calls).toEqual(["describe", "set ours"]);
    expect(ses.active).toBe("ours");
  });

  it("changes nothing when ours is already active (a retried Create, an Update)", async () => {
    const ses = new FakeSes("ours");
    await onActivationEvent(create(), ses);
    await onActivationEvent(update("ours", "ours"), ses);
    expect(ses.calls).toEqual(["describe", "describe"]);
  });

  it("fails naming another active set and the setting to use, and never deactivates it", async () => {
    const ses = new FakeSes("company-inbound");
    const failure = onActivationEvent(create(), ses);
    await expect(failure).rejects.toThrow(/receipt rule set "company-inbound" is active in this region/);
    await expect(failure).rejects.toThrow(/Redeploy with -c receiptRuleSet=company-inbound /);
    await expect(onActivationEvent(update("ours", "ours"), ses)).rejects.toThrow(/-c receiptRuleSet=company-inbound/);
    expect(ses.calls).toEqual(["describe", "describe"]);
    expect(ses.active).toBe("company-inbound");
  });

  it("a set the stack replaced hands activation to the new one; the old one's Delete then leaves it", async () => {
    const ses = new FakeSes("ours");
    await expect(onActivationEvent(update("ours-replacement", "ours"), ses)).resolves.toEqual({
      PhysicalResourceId: physicalId("ours-replacement"),
    });
    expect(ses.active).toBe("ours-replacement");
    // CloudFormation deletes the resource under the old physical id, with the old properties.
    await onActivationEvent(remove("ours"), ses);
    expect(ses.active).toBe("ours-replacement");
    expect(ses.calls).toEqual(["describe", "set ours-replacement", "describe"]);
  });

  it("a replacement while another set is active fails like a Create", async () => {
    const ses = new FakeSes("company-inbound");
    await expect(onActivationEvent(update("ours-replacement", "ours"), ses)).rejects.toThrow(/company-inbound/);
    expect(ses.active).toBe("company-inbound");
  });

  it("refuses an event without the rule set's name, before any call", async () => {
    const ses = new FakeSes(undefined);
    const event = { ...create(), ResourceProperties: { ServiceToken: base.ServiceToken } };
    await expect(onActivationEvent(event, ses)).rejects.toThrow(/no RuleSetName/);
    expect(ses.calls).toEqual([]);
  });
});

describe("receipt rule set activation: Delete", () => {
  it("deactivates our set while it is the active one", async () => {
    const ses = new FakeSes("ours");
    await expect(onActivationEvent(remove(), ses)).resolves.toEqual({ PhysicalResourceId: physicalId("ours") });
    expect(ses.calls).toEqual(["describe", "set (none)"]);
    expect(ses.active).toBeUndefined();
  });

  it("leaves another active set alone (someone activated it since the deploy)", async () => {
    const ses = new FakeSes("company-inbound");
    await onActivationEvent(remove(), ses);
    expect(ses.calls).toEqual(["describe"]);
    expect(ses.active).toBe("company-inbound");
  });

  it("does nothing when no set is active", async () => {
    const ses = new FakeSes(undefined);
    await onActivationEvent(remove(), ses);
    expect(ses.calls).toEqual(["describe"]);
  });
});
