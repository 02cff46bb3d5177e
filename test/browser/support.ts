import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AxeBuilder } from "@axe-core/playwright";
import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import { issueToken } from "../../infra/local/gateway";
import { startOnFreePorts, stopLocalRuntime } from "../support/local-runtime";

const root = path.resolve(new URL("../..", import.meta.url).pathname);
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const ARTIFACTS = path.join(root, "test-artifacts", "browser");

/**
 * Whether the browser tests can run. Under CI a missing browser is a failure (the suite must never
 * pass by skipping); elsewhere they are skipped with a message saying how to get Chromium.
 */
export function browserAvailable(executable = CHROMIUM, env: NodeJS.ProcessEnv = process.env): boolean {
  if (existsSync(executable)) return true;
  const how =
    `no Chromium at ${executable}: apt-get install chromium ` +
    `(or set CHROMIUM_PATH); see docs/web.md, "Browser tests"`;
  if (env.CI === "true") throw new Error(how);
  console.warn(`browser tests skipped: ${how}`);
  return false;
}

export interface Runtime {
  url: string;
  adminToken: string;
  stop: () => Promise<void>;
  output: () => string;
}

/** `npm start`'s program on free ports and a fresh data directory; resolves at its `ready` line. */
export async function startRuntime(): Promise<Runtime> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "routing-browser-"));
  const rt = await startOnFreePorts({ ROUTING_DATA_DIR: dataDir });
  const stop = async () => {
    await stopLocalRuntime(rt, "SIGTERM");
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { url: rt.url, adminToken: rt.adminToken, stop, output: rt.output };
}

/**
 * A call to the running API as the bootstrap admin (seeding), or as a user (`as`, with a local token
 * signed like `npm run token` does): the checks the screens cannot make.
 */
export function api(rt: Runtime, as?: { userId: string; admin?: boolean }) {
  const token = as
    ? issueToken(process.env.ROUTING_DEV_JWT_SECRET ?? "local-dev-secret", as.userId, { admin: as.admin ?? false })
    : Promise.resolve(rt.adminToken);
  return async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${rt.url}${p}`, {
      method,
      headers: { authorization: `Bearer ${await token}`, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const json = text ? JSON.parse(text) : undefined;
    if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return json;
  };
}

/** Debian's Chromium, headless, each launch with a fresh temporary profile (Playwright's own). */
export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--headless",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

/** Local mode's developer sign-in, the way a person does it. */
export async function signIn(page: Page, rt: Runtime, userId: string): Promise<void> {
  await page.goto(`${rt.url}/`);
  await page.getByLabel("User").selectOption(userId);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("switch", { name: "Availability" }).waitFor();
}

/** The end state of a flow, kept as a test artifact (git-ignored). */
export async function screenshot(page: Page | Locator, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/** Any uncaught page error fails the flow that caused it. */
export function watchErrors(page: Page, errors: string[]): Page {
  page.on("pageerror", (e) => errors.push(`${page.url()}: ${e.message}`));
  return page;
}

/** A user body for `PUT /users/{id}`: an agent with a paid seat unless said. */
export const agent = (name: string, team: string | null, seat = "service") => ({
  name,
  email: `${name.toLowerCase()}@example.com`,
  seat,
  primaryTeamId: team,
});

/**
 * An email desk as the browser tests of team email use it: one agent, an inbox everyone reads, and an
 * email channel at `address` that leaves routing to people (the conversations wait in Unassigned).
 */
export async function seedEmailDesk(
  rt: Runtime,
  desk: { userId: string; userName: string; inboxId: string; inboxName: string; channelName: string; address: string },
): Promise<void> {
  const call = api(rt);
  await call("PUT", `/users/${desk.userId}`, agent(desk.userName, null));
  await call("PUT", `/inboxes/${desk.inboxId}`, { name: desk.inboxName, access: { type: "everyone" } });
  await call("PUT", `/channels/${desk.inboxId}-mail`, {
    inboxId: desk.inboxId,
    type: "email",
    name: desk.channelName,
    address: desk.address,
    routing: { autoAssign: false, target: { type: "users_and_teams", userIds: [desk.userId], teamIds: [] } },
  });
}

/** A raw message delivered as SES would, through `npm start`'s local inbound route. */
export async function sendEmail(rt: Runtime, raw: string): Promise<void> {
  const res = await fetch(`${rt.url}/local/inbound-email`, {
    method: "POST",
    headers: { "content-type": "message/rfc822" },
    body: raw,
  });
  if (res.status >= 300) throw new Error(`local inbound email: ${res.status} ${await res.text()}`);
}

/** The violations axe calls serious or critical, each as `rule: target (how to fix)`, for a readable failure. */
export async function audit(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice", "experimental"])
    .analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(" ")} (${n.failureSummary ?? v.help})`));
}
