/**
 * The CDK app: the only place that reads the environment for infrastructure. Each setting comes from
 * `-c key=value` (or cdk.json context), else from its environment variable (infra/settings.ts); missing
 * or placeholder settings fail the synth with one line each, before anything is deployed.
 */
import type { App } from "aws-cdk-lib";
import { buildApp } from "./build";
import { readDeploySettings, SETTINGS, SettingsError } from "./settings";

try {
  const { app } = buildApp((app: App) =>
    readDeploySettings((name) => {
      const { context, env } = SETTINGS[name];
      const fromContext = app.node.tryGetContext(context) as unknown;
      return fromContext === undefined ? process.env[env] : String(fromContext);
    }),
  );
  app.synth();
} catch (err) {
  if (!(err instanceof SettingsError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
