import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { acknowledgeNagFindings } from "./nag-acknowledgements";
import { RoutingStack, type RoutingStackProps } from "./stacks/routing-stack";

/**
 * The app with its one stack and the cdk-nag AwsSolutions pack: used by `cdk` (infra/app.ts) and the
 * infra tests. `props` may read the app's context (`-c key=value`).
 */
export function buildApp(
  props: (app: App) => RoutingStackProps & { stackName: string },
  appProps: ConstructorParameters<typeof App>[0] = {},
) {
  const app = new App(appProps);
  const p = props(app);
  const stack = new RoutingStack(app, p.stackName, p);
  acknowledgeNagFindings(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}
