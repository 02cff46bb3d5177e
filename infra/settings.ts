import type { RoutingStackProps } from "./stacks/routing-stack";

/**
 * The deployment's settings, checked before anything is synthesized: a bare `npm run deploy` fails
 * naming every missing or placeholder setting instead of deploying example values.
 */
export class SettingsError extends Error {
  override name = "SettingsError";
}

/**
 * Regions where SES receives email (the receipt rule, the `inbound-smtp.<region>` MX target), as AWS
 * lists them at the time of writing. A region AWS adds later: pass `-c sesReceivingRegionCheck=off`.
 */
export const SES_RECEIVING_REGIONS = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ca-central-1",
  "eu-central-1",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-north-1",
  "eu-south-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "il-central-1",
];

/** One setting: its `-c` context key and the environment variable that may give it instead. */
export const SETTINGS = {
  region: {
    context: "region",
    env: "CDK_DEFAULT_REGION",
    help: "the AWS region to deploy to (where SES receives mail)",
  },
  account: { context: "account", env: "CDK_DEFAULT_ACCOUNT", help: "the AWS account id" },
  stackName: { context: "stackName", env: "ROUTING_STACK_NAME", help: "the CloudFormation stack name" },
  emailDomain: {
    context: "emailDomain",
    env: "ROUTING_EMAIL_DOMAIN",
    help: "the domain team email is received at, e.g. support.yourcompany.com",
  },
  notifyFrom: { context: "notifyFrom", env: "ROUTING_NOTIFY_FROM", help: "sender of notifications and form replies" },
  appUrl: {
    context: "appUrl",
    env: "ROUTING_APP_URL",
    help: "optional: the web inbox's URL on your own domain (default: the hosted inbox's CloudFront URL)",
  },
  appDomainCertificateArn: {
    context: "appDomainCertificateArn",
    env: "ROUTING_APP_DOMAIN_CERTIFICATE_ARN",
    help: "with appUrl: the ARN of an ACM certificate in us-east-1 covering appUrl's host",
  },
  allowedOrigins: {
    context: "allowedOrigins",
    env: "ROUTING_ALLOWED_ORIGINS",
    help: "the chat widget's site origin(s), comma-separated",
  },
  alarmEmail: { context: "alarmEmail", env: "ROUTING_ALARM_EMAIL", help: "an address subscribed to the alarms" },
  existingSesIdentity: {
    context: "existingSesIdentity",
    env: "ROUTING_EXISTING_SES_IDENTITY",
    help: "true when emailDomain is already an SES identity",
  },
  receiptRuleSet: {
    context: "receiptRuleSet",
    env: "ROUTING_RECEIPT_RULE_SET",
    help: "name of your own active receipt rule set to add our rule to",
  },
  authDomainPrefix: {
    context: "authDomainPrefix",
    env: "ROUTING_AUTH_DOMAIN_PREFIX",
    help: "the sign-in page's prefix: <prefix>.auth.<region>.amazoncognito.com",
  },
  sesReceivingRegionCheck: {
    context: "sesReceivingRegionCheck",
    env: "ROUTING_SES_RECEIVING_REGION_CHECK",
    help: "off to skip the SES receiving region check",
  },
} as const;

export type SettingName = keyof typeof SETTINGS;
export type SettingLookup = (name: SettingName) => string | undefined;

/**
 * Documentation placeholders (RFC 2606 / 6761, and the docs' own `yourcompany.com`) that must never
 * reach a deployment: a pasted command that still names them fails before anything is created.
 */
const PLACEHOLDER = /(^|\.)(example\.(com|org|net)|yourcompany\.com|example|invalid|test)$/i;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const EMAIL = /^[^\s@]+@([^\s@]+)$/;
const ACM_CERTIFICATE_US_EAST_1 = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/;

/** Turns `-c` context and environment values into the stack's props, or fails naming every problem. */
export function readDeploySettings(lookup: SettingLookup): RoutingStackProps & { stackName: string } {
  const problems: string[] = [];
  const get = (name: SettingName) => {
    const v = lookup(name)?.trim();
    return v === "" ? undefined : v;
  };
  const how = (name: SettingName) => `-c ${SETTINGS[name].context}=... or ${SETTINGS[name].env}`;
  const need = (name: SettingName): string | undefined => {
    const v = get(name);
    if (v === undefined) problems.push(`missing ${SETTINGS[name].context}: ${SETTINGS[name].help} (${how(name)})`);
    return v;
  };
  const placeholder = (name: SettingName, host: string) => {
    if (PLACEHOLDER.test(host))
      problems.push(`${SETTINGS[name].context} is a placeholder (${host}): use your own domain`);
  };
  const url = (name: SettingName, value: string): URL | undefined => {
    try {
      const u = new URL(value);
      if (u.protocol !== "https:" && !(u.protocol === "http:" && u.hostname === "localhost")) {
        problems.push(`${SETTINGS[name].context} must be https: ${value}`);
      }
      placeholder(name, u.hostname);
      return u;
    } catch {
      problems.push(`${SETTINGS[name].context} is not a URL: ${value}`);
      return undefined;
    }
  };
  const flag = (name: SettingName, on: string, off: string): boolean => {
    const v = get(name)?.toLowerCase();
    if (v === undefined || v === off) return false;
    if (v === on) return true;
    problems.push(`${SETTINGS[name].context} must be ${on} or ${off}, not ${v}`);
    return false;
  };

  const region = need("region");
  const regionCheck = !flag("sesReceivingRegionCheck", "off", "on");
  if (region && regionCheck && !SES_RECEIVING_REGIONS.includes(region)) {
    problems.push(
      `region ${region} has no SES email receiving: deploy to one of ${SES_RECEIVING_REGIONS.join(", ")} ` +
        "(or, if AWS has added it since, -c sesReceivingRegionCheck=off)",
    );
  }
  const emailDomain = need("emailDomain")?.toLowerCase();
  if (emailDomain) {
    if (!DOMAIN.test(emailDomain)) problems.push(`emailDomain is not a domain name: ${emailDomain}`);
    placeholder("emailDomain", emailDomain);
  }
  const notifyFrom = get("notifyFrom") ?? (emailDomain ? `routing@${emailDomain}` : undefined);
  const fromDomain = notifyFrom ? EMAIL.exec(notifyFrom)?.[1] : undefined;
  if (notifyFrom && !fromDomain) problems.push(`notifyFrom is not an email address: ${notifyFrom}`);
  if (fromDomain) placeholder("notifyFrom", fromDomain);
  // Only the emailDomain identity is created (or granted): a sender elsewhere could never send.
  const sameDomain = (d: string) => d.toLowerCase() === emailDomain || d.toLowerCase().endsWith(`.${emailDomain}`);
  if (fromDomain && emailDomain && !sameDomain(fromDomain)) {
    problems.push(`notifyFrom must be an address at emailDomain (${emailDomain}): ${notifyFrom}`);
  }
  // Optional: the stack hosts the inbox itself; a team that serves it on its own domain says where, and
  // gives CloudFront the certificate for that host (CloudFront takes certificates from us-east-1 only).
  const appUrl = get("appUrl")?.replace(/\/$/, "");
  const appUrlParsed = appUrl ? url("appUrl", appUrl) : undefined;
  if (appUrl && appUrlParsed && appUrlParsed.origin !== appUrl) {
    problems.push(`appUrl must be an origin (https://host), CloudFront serves the inbox at its root: ${appUrl}`);
  }
  const appDomainCertificateArn = get("appDomainCertificateArn");
  if (appUrl && !appDomainCertificateArn) {
    const host = appUrlParsed?.hostname ?? appUrl;
    problems.push(
      `appUrl ${appUrl} needs appDomainCertificateArn: an ACM certificate in us-east-1 for ${host}, ` +
        `so that CloudFront serves the inbox there (${how("appDomainCertificateArn")})`,
    );
  }
  if (appDomainCertificateArn && !appUrl) {
    problems.push("appDomainCertificateArn is for appUrl's host: set appUrl too, or leave both out");
  }
  if (appDomainCertificateArn && !ACM_CERTIFICATE_US_EAST_1.test(appDomainCertificateArn)) {
    problems.push(
      "appDomainCertificateArn must be an ACM certificate in us-east-1 (where CloudFront reads certificates), " +
        `arn:aws:acm:us-east-1:<account>:certificate/<id>, not ${appDomainCertificateArn}`,
    );
  }
  const originsText = need("allowedOrigins");
  const allowedOrigins = (originsText ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of allowedOrigins) {
    const u = url("allowedOrigins", origin);
    if (u && u.origin !== origin.replace(/\/$/, ""))
      problems.push(`allowedOrigins entries are origins (scheme://host[:port]), not ${origin}`);
  }
  const alarmEmail = get("alarmEmail");
  if (alarmEmail && !EMAIL.test(alarmEmail)) problems.push(`alarmEmail is not an email address: ${alarmEmail}`);
  const authDomainPrefix = get("authDomainPrefix")?.toLowerCase();
  if (
    authDomainPrefix &&
    (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(authDomainPrefix) || /aws|amazon|cognito/.test(authDomainPrefix))
  ) {
    problems.push(
      `authDomainPrefix must be lowercase letters, digits and hyphens, without aws/amazon/cognito: ${authDomainPrefix}`,
    );
  }
  const existingSesIdentity = flag("existingSesIdentity", "true", "false");
  const receiptRuleSet = get("receiptRuleSet");

  if (problems.length > 0) {
    throw new SettingsError(`cannot synthesize the routing stack:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  const account = get("account");
  return {
    stackName: get("stackName") ?? "ConversationRouting",
    env: { region: region!, ...(account ? { account } : {}) },
    emailDomain: emailDomain!,
    notifyFrom: notifyFrom!,
    ...(appUrl && appDomainCertificateArn ? { appUrl, appDomainCertificateArn } : {}),
    allowedOrigins,
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(authDomainPrefix ? { authDomainPrefix } : {}),
    existingSesIdentity,
    ...(receiptRuleSet ? { existingReceiptRuleSet: receiptRuleSet } : {}),
  };
}
