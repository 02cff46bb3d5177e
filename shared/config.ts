/**
 * Configuration, read once from the environment, validated, typed. Fails loudly, naming the variable.
 */
export interface StoreConfig {
  tableName: string;
  region: string;
  /** Any DynamoDB-compatible endpoint (dynoxide locally and in tests); absent = AWS. */
  dynamodbEndpoint: string | undefined;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value.trim() === "") throw new ConfigError(`missing environment variable ${name}`);
  return value;
}

function optionalUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === "") return undefined;
  try {
    new URL(value);
  } catch {
    throw new ConfigError(`environment variable ${name} is not a URL: ${value}`);
  }
  return value;
}

export function readStoreConfig(env: NodeJS.ProcessEnv = process.env): StoreConfig {
  return {
    tableName: required(env, "TABLE_NAME"),
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    dynamodbEndpoint: optionalUrl(env, "DYNAMODB_ENDPOINT"),
  };
}

export interface ApiConfig {
  allowedOrigins: string[];
  /**
   * The master key form channels' secrets derive from: given directly (FORM_SIGNING_KEY, local and
   * tests) or as a Secrets Manager secret to read at start (FORM_SIGNING_KEY_SECRET_ARN, deployed).
   */
  formSigningKey: { value: string } | { secretArn: string };
}

export function readApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const allowedOrigins = (env.ALLOWED_ORIGINS ?? "")
    .split(",")
    .map((o) => o.trim())
    .filter(Boolean);
  if (env.FORM_SIGNING_KEY) return { allowedOrigins, formSigningKey: { value: env.FORM_SIGNING_KEY } };
  if (env.FORM_SIGNING_KEY_SECRET_ARN)
    return { allowedOrigins, formSigningKey: { secretArn: env.FORM_SIGNING_KEY_SECRET_ARN } };
  throw new ConfigError("missing environment variable FORM_SIGNING_KEY (or FORM_SIGNING_KEY_SECRET_ARN)");
}

/** Outgoing email (owner notifications, replies to customers), used by every function that routes. */
export interface SenderConfig {
  sesEndpoint: string | undefined;
  /** Sender of notifications and of replies on form conversations (a verified SES identity). */
  notifyFrom: string;
  /** Base URL of the inbox app, for links to conversations. */
  appUrl: string;
}

export function readSenderConfig(env: NodeJS.ProcessEnv = process.env): SenderConfig {
  return {
    sesEndpoint: optionalUrl(env, "SES_ENDPOINT"),
    notifyFrom: required(env, "NOTIFY_FROM"),
    appUrl: required(env, "APP_URL"),
  };
}

/** Conversations' files (docs/routing.md §6.3): the bucket they are kept in. */
export interface AttachmentConfig {
  /** Absent: attachments of inbound email are dropped and replies carry none. */
  attachmentsBucket: string | undefined;
  s3Endpoint: string | undefined;
}

export function readAttachmentConfig(env: NodeJS.ProcessEnv = process.env): AttachmentConfig {
  return { attachmentsBucket: env.ATTACHMENTS_BUCKET || undefined, s3Endpoint: optionalUrl(env, "S3_ENDPOINT") };
}

/** The re-route timer (docs/routing.md §5.6): the SQS delay queue the lapse function reads. */
export interface TimerConfig {
  /** Absent: no timer, and the sweeper alone catches clocks that ran out (within its minute). */
  lapseQueueUrl: string | undefined;
  sqsEndpoint: string | undefined;
}

export function readTimerConfig(env: NodeJS.ProcessEnv = process.env): TimerConfig {
  return { lapseQueueUrl: optionalUrl(env, "LAPSE_QUEUE_URL"), sqsEndpoint: optionalUrl(env, "SQS_ENDPOINT") };
}

/** Inbound team email: where the receipt rule's S3 action stores raw messages. */
export interface InboundEmailConfig {
  inboundBucket: string;
  inboundPrefix: string;
  s3Endpoint: string | undefined;
}

export function readInboundEmailConfig(env: NodeJS.ProcessEnv = process.env): InboundEmailConfig {
  return {
    inboundBucket: required(env, "INBOUND_BUCKET"),
    inboundPrefix: env.INBOUND_PREFIX ?? "inbound/",
    s3Endpoint: optionalUrl(env, "S3_ENDPOINT"),
  };
}

/** Live updates (docs/routing.md §9): the WebSocket API clients open and the management API posts go to. */
export interface LiveConfig {
  /** The `wss://` URL handed out with tickets. Absent: no live updates; clients poll. */
  liveUrl: string | undefined;
  /** The `@connections` management endpoint (`https://<api>.execute-api.<region>.amazonaws.com/<stage>`). */
  connectionsUrl: string | undefined;
}

export function readLiveConfig(env: NodeJS.ProcessEnv = process.env): LiveConfig {
  return { liveUrl: env.LIVE_URL || undefined, connectionsUrl: optionalUrl(env, "LIVE_CONNECTIONS_URL") };
}
