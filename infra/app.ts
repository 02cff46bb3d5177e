/**
 * The CDK app: the only place that reads the environment for infrastructure. Settings come from
 * `-c key=value` (or cdk.json context), else from environment variables, else the example defaults.
 */
import type { App } from "aws-cdk-lib";
import { buildApp } from "./build";

const { app } = buildApp((app: App) => {
  const setting = (key: string, env: string, fallback: string): string => {
    const value = (app.node.tryGetContext(key) as string | undefined) ?? process.env[env] ?? fallback;
    if (value.trim() === "") throw new Error(`empty setting ${key}: pass -c ${key}=... or set ${env}`);
    return value;
  };
  const emailDomain = setting("emailDomain", "ROUTING_EMAIL_DOMAIN", "support.example.com");
  return {
    stackName: setting("stackName", "ROUTING_STACK_NAME", "ConversationRouting"),
    emailDomain,
    notifyFrom: setting("notifyFrom", "ROUTING_NOTIFY_FROM", `routing@${emailDomain}`),
    // Default: the inbox the stack hosts (CloudFront).
    ...((app.node.tryGetContext("appUrl") ?? process.env.ROUTING_APP_URL) ? { appUrl: setting("appUrl", "ROUTING_APP_URL", "") } : {}),
    allowedOrigins: setting("allowedOrigins", "ROUTING_ALLOWED_ORIGINS", "https://www.example.com").split(",").map((o) => o.trim()).filter(Boolean),
    ...(process.env.CDK_DEFAULT_ACCOUNT ? { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } } : {}),
  };
});
app.synth();
