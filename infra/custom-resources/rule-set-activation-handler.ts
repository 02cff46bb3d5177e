/**
 * Lambda entry of the receipt rule set activation (infra/constructs/inbound-email.ts): the decisions are in
 * rule-set-activation.ts; this builds the SES client once. `@aws-sdk/client-ses` is the one the nodejs22.x
 * runtime ships (left out of the bundle like every `@aws-sdk/*`); types/aws-sdk-client-ses.d.ts declares the
 * two calls, as nothing else in the repository installs that client.
 */
import { SES } from "@aws-sdk/client-ses";
import type { CloudFormationCustomResourceEvent } from "aws-lambda";
import { onActivationEvent } from "./rule-set-activation";

const ses = new SES({});

export const handler = (event: CloudFormationCustomResourceEvent) => onActivationEvent(event, ses);
