import path from "node:path";
import { fileURLToPath } from "node:url";
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { Architecture, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { type BundlingOptions, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/** The repository root, where functions/ lives. */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Bundling for every function: minified, source maps, the runtime's own AWS SDK left out.
 * Exported so the bundle-size test builds exactly what is deployed.
 */
export const BUNDLING: BundlingOptions = {
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  target: "node22",
  format: OutputFormat.CJS,
  // The nodejs22.x runtime ships AWS SDK v3: bundling it again would only add megabytes.
  externalModules: ["@aws-sdk/*", "@smithy/*"],
};

export interface RoutingFunctionProps {
  /** Entry file, relative to the repository root (e.g. functions/api/handler.ts). */
  readonly entry: string;
  readonly description: string;
  readonly environment: Record<string, string>;
  /** @default Duration.seconds(15) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
}

/** A Lambda as every function of the service runs: Node 22, arm64, bundled, traced, JSON logs kept a month. */
export class RoutingFunction extends Construct {
  readonly fn: NodejsFunction;

  constructor(scope: Construct, id: string, props: RoutingFunctionProps) {
    super(scope, id);
    const logGroup = new LogGroup(this, "Logs", {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.fn = new NodejsFunction(this, "Function", {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: "handler",
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(15),
      tracing: Tracing.ACTIVE,
      logGroup,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, "package-lock.json"),
      bundling: BUNDLING,
      environment: {
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_LOG_LEVEL: "INFO",
        ...props.environment,
      },
    });
  }
}
