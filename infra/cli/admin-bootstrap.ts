import { parseArgs } from "node:util";
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  type AttributeType,
  type CognitoIdentityProviderClient,
  UsernameExistsException,
} from "@aws-sdk/client-cognito-identity-provider";
import type { App } from "#shared/app";
import type { User } from "#shared/domain/types";
import { ADMINS_GROUP } from "../constructs/auth";
import { CliError, OUTPUTS_FILE } from "./stack-outputs";

export const ADMIN_USAGE = `usage: npm run admin -- create --email <address> [--name <display name>]
                            [--stack <stack name>] [--outputs <file>]

Creates an admin with only the deploy credentials: the Cognito user (Cognito emails a temporary
password), their membership of the "admins" group, and their routing user (id = their Cognito sub).
Reads UserPoolId and TableName from ${OUTPUTS_FILE} (written by npm run deploy). Running it again is safe.`;

export interface CreateAdminArgs {
  command: "create";
  email: string;
  name: string;
  stack: string | undefined;
  outputs: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const ADMIN_OPTIONS = {
  help: { type: "boolean", short: "h" },
  email: { type: "string" },
  name: { type: "string" },
  stack: { type: "string" },
  outputs: { type: "string" },
} as const;

const parseAdminOptions = (argv: string[]) => parseArgs({ args: argv, allowPositionals: true, options: ADMIN_OPTIONS });

/** `npm run admin -- ...` arguments, or a CliError that says what is wrong and shows the usage. */
export function parseAdminArgs(argv: string[]): CreateAdminArgs {
  let parsed: ReturnType<typeof parseAdminOptions>;
  try {
    parsed = parseAdminOptions(argv);
  } catch (err) {
    // parseArgs's own hint (about positionals after "--") does not apply here: the first line says it all.
    const first = (err as Error).message.split(". ")[0];
    throw new CliError(`${first}\n\n${ADMIN_USAGE}`);
  }
  if (parsed.values.help) throw new CliError(ADMIN_USAGE, 0);
  const [command, ...extra] = parsed.positionals;
  if (command !== "create")
    throw new CliError(`${command ? `unknown command ${command}` : "no command"}\n\n${ADMIN_USAGE}`);
  if (extra.length > 0) throw new CliError(`unexpected ${extra.join(" ")}\n\n${ADMIN_USAGE}`);
  const email = parsed.values.email?.trim().toLowerCase();
  if (!email) throw new CliError(`--email is required\n\n${ADMIN_USAGE}`);
  if (!EMAIL.test(email)) throw new CliError(`--email ${email} is not an email address`);
  const name = parsed.values.name?.trim() || email.split("@")[0]!;
  return { command: "create", email, name, stack: parsed.values.stack, outputs: parsed.values.outputs ?? OUTPUTS_FILE };
}

const attribute = (attrs: AttributeType[] | undefined, name: string) => attrs?.find((a) => a.Name === name)?.Value;

/**
 * The first admin (or any admin), in three idempotent steps: the Cognito user, the `admins` group,
 * the routing user. A user who already exists in Cognito is reused, so a rerun after a failure
 * finishes the job.
 */
export async function createAdmin(
  deps: { cognito: CognitoIdentityProviderClient; app: Pick<App, "admin">; userPoolId: string },
  input: { email: string; name: string },
): Promise<{ user: User; created: boolean }> {
  let sub: string | undefined;
  let created = true;
  try {
    const out = await deps.cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: deps.userPoolId,
        Username: input.email,
        UserAttributes: [
          { Name: "email", Value: input.email },
          { Name: "email_verified", Value: "true" },
          { Name: "name", Value: input.name },
        ],
        DesiredDeliveryMediums: ["EMAIL"],
      }),
    );
    sub = attribute(out.User?.Attributes, "sub");
  } catch (err) {
    if (!(err instanceof UsernameExistsException) && (err as Error).name !== "UsernameExistsException") throw err;
    created = false;
    const existing = await deps.cognito.send(
      new AdminGetUserCommand({ UserPoolId: deps.userPoolId, Username: input.email }),
    );
    sub = attribute(existing.UserAttributes, "sub");
  }
  if (!sub) throw new CliError(`Cognito returned no sub for ${input.email}`);
  await deps.cognito.send(
    new AdminAddUserToGroupCommand({ UserPoolId: deps.userPoolId, Username: input.email, GroupName: ADMINS_GROUP }),
  );
  // The routing user's id is the token's `sub`: that is who the API sees when this admin signs in.
  const user = await deps.app.admin.putUser({
    id: sub,
    name: input.name,
    email: input.email,
    seat: "none",
    role: "admin",
    primaryTeamId: null,
    additionalTeamIds: [],
    capacity: null,
  });
  return { user, created };
}
