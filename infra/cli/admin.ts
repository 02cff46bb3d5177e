/** `npm run admin -- create --email ...`: the first admin, with only the deploy credentials (admin-bootstrap.ts). */
import { CognitoIdentityProviderClient } from "@aws-sdk/client-cognito-identity-provider";
import { createDynamoClients } from "#shared/adapters/dynamo/client";
import { createApp } from "#shared/app";
import { createAdmin, parseAdminArgs } from "./admin-bootstrap";
import { describeCliFailure, readStackOutputs, regionOfUserPool, requireOutput } from "./stack-outputs";

try {
  const args = parseAdminArgs(process.argv.slice(2));
  const outputs = readStackOutputs(args.outputs, args.stack);
  const userPoolId = requireOutput(outputs, "UserPoolId");
  const region = regionOfUserPool(userPoolId);
  const app = createApp({
    db: createDynamoClients({ region, endpoint: undefined }),
    tableName: requireOutput(outputs, "TableName"),
  });
  const { user, created } = await createAdmin(
    { cognito: new CognitoIdentityProviderClient({ region }), app, userPoolId },
    args,
  );
  process.stdout.write(
    `${created ? "created" : "updated"} admin ${user.email} (routing user id ${user.id}, group admins)\n` +
      (created ? "Cognito has emailed them a temporary password; " : "") +
      `they sign in at ${outputs.LoginUrl ?? "the web inbox"} (or: npm run login).\n`,
  );
} catch (err) {
  const { text, exitCode } = describeCliFailure(err);
  process.stderr.write(exitCode === 0 ? `${text}\n` : `npm run admin failed: ${text}\n`);
  process.exit(exitCode);
}
