/**
 * Lambda entry of the receipt rule set activation (infra/constructs/inbound-email.ts): the decisions are in
 * rule-set-activation.ts; this builds the SES client once. Receipt rule sets are SES v1 (`@aws-sdk/client-ses`;
 * SES v2 has no such API), the one place the project uses it.
 */
import { SES } from "@aws-sdk/client-ses";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { onActivationEvent } from "./rule-set-activation";

const ses = new SES({});

export const handler = (event: CloudFormationCustomResourceEvent) => onActivationEvent(event, ses);
