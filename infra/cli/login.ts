/**
 * `npm run -s login`: signs an agent or admin in through the managed login page (authorization code
 * with PKCE, callback on localhost) and prints an access token for the API on stdout, so
 * `TOKEN=$(npm run -s login)` works. `-- --refresh <token>` trades a refresh token instead, without a
 * browser: how a script keeps a token. Reads LoginUrl and UserPoolClientId from cdk-outputs.json.
 */
import { parseArgs } from "node:util";
import { CLI_CALLBACK_URL } from "../constructs/auth";
import { browserLogin, refreshTokens } from "./oauth";
import { CliError, OUTPUTS_FILE, readStackOutputs, requireOutput } from "./stack-outputs";

try {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { stack: { type: "string" }, outputs: { type: "string" }, refresh: { type: "string" } },
  });
  const outputs = readStackOutputs(values.outputs ?? OUTPUTS_FILE, values.stack);
  const loginUrl = requireOutput(outputs, "LoginUrl");
  const clientId = requireOutput(outputs, "UserPoolClientId");
  const tokens = values.refresh
    ? await refreshTokens({ loginUrl, clientId, refreshToken: values.refresh })
    : await browserLogin({
        loginUrl,
        clientId,
        redirectUri: CLI_CALLBACK_URL,
        open: (url) => process.stderr.write(`Open this address in a browser and sign in:\n\n  ${url}\n\n`),
      });
  if (tokens.refresh_token) {
    process.stderr.write(
      `Refresh token (30 days; keep it secret): npm run -s login -- --refresh '${tokens.refresh_token}'\n`,
    );
  }
  process.stdout.write(`${tokens.access_token}\n`);
} catch (err) {
  process.stderr.write(`npm run login failed: ${(err as Error).message}\n`);
  process.exit(err instanceof CliError ? 2 : 1);
}
