/** `npm run token -- <userId> [--admin]`: a local HS256 token for any user (ROUTING_DEV_JWT_SECRET). */
import { issueToken } from "./gateway";

const args = process.argv.slice(2);
const userId = args.find((a) => !a.startsWith("--"));
if (!userId) {
  console.error("usage: npm run token -- <userId> [--admin]");
  process.exit(2);
}
const secret = process.env.ROUTING_DEV_JWT_SECRET ?? "local-dev-secret";
process.stdout.write(`${await issueToken(secret, userId, { admin: args.includes("--admin") })}\n`);
