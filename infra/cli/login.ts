/**
 * `npm run -s login`: signs an agent or admin in through the managed login page (authorization code
 * with PKCE, callback on localhost) and prints an access token for the API on stdout, so
 * `TOKEN=$(npm run -s login)` works. `-- --refresh <token>` trades a refresh token instead, without a
 * browser: how a script keeps a token. Reads LoginUrl and UserPoolClientId from cdk-outputs.json.
 */
import { parseArgs } from "node:util";
import { CLI_CALLBACK_URL } from "../constructs/auth";
import { browserLogin, refreshTokens } from "./oauth";
import { CliError, describeCliFailure, OUTPUTS_FILE, readStackOutputs, requireOutput } from "./stack-outputs";

const LOGIN_USAGE = `usage: npm run -s login [-- --refresh <refresh token>] [--stack <stack name>] [--outputs <file>]

Signs you in through the managed login page (authorization code with PKCE, answered on
${CLI_CALLBACK_URL}) and prints an access token on stdout: TOKEN=$(npm run -s login).
With --refresh, trades a refresh token for a new access token without a browser (for scripts).
Reads LoginUrl and UserPoolClientId from ${OUTPUTS_FILE} (written by npm run deploy).`;

function parseLoginArgs(argv: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: "boolean", short: "h" },
        stack: { type: "string" },
        outputs: { type: "string" },
        refresh: { type: "string" },
      },
    });
    if (values.help) throw new CliError(LOGIN_USAGE, 0);
    if (positionals.length > 0) throw new CliError(`unexpected ${positionals.join(" ")}\n\n${LOGIN_USAGE}`);
    return values;
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`${(err as Error).message.split(". ")[0]}\n\n${LOGIN_USAGE}`);
  }
}

try {
  const values = parseLoginArgs(process.argv.slice(2));
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
  const { text, exitCode } = describeCliFailure(err);
  process.stderr.write(exitCode === 0 ? `${text}\n` : `npm run login failed: ${text}\n`);
  process.exit(exitCode);
}
