/**
 * Signing in. Local mode (`config.auth` is null): the developer picks a user and the local server
 * mints a token (`/local/...`, refused outside local mode). Deployed: Cognito managed login with the
 * authorization code flow and PKCE; the access token is what the API's JWT authorizer checks.
 */
export interface WebConfig {
  apiUrl: string;
  auth: { domainUrl: string; clientId: string; redirectUri: string } | null;
}

const TOKEN = "routing.token";
const PKCE = "routing.pkce";

export const tokenStore = {
  get: (): string | null => sessionStorage.getItem(TOKEN),
  set: (token: string) => sessionStorage.setItem(TOKEN, token),
  clear: () => sessionStorage.removeItem(TOKEN),
};

export async function loadConfig(): Promise<WebConfig> {
  const res = await fetch("config.json", { cache: "no-store" });
  if (!res.ok) throw new Error(`config.json: HTTP ${res.status}`);
  return (await res.json()) as WebConfig;
}

export interface LocalUser {
  id: string;
  name: string;
  role: string;
}

export async function localUsers(config: WebConfig): Promise<LocalUser[]> {
  const res = await fetch(`${config.apiUrl}/local/users`);
  if (!res.ok) throw new Error("The developer sign-in is only available in local mode (npm start).");
  return ((await res.json()) as { items: LocalUser[] }).items;
}

export async function localSignIn(config: WebConfig, userId: string): Promise<string> {
  const res = await fetch(`${config.apiUrl}/local/sign-in`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId }),
  });
  if (!res.ok) throw new Error(`sign-in refused (HTTP ${res.status})`);
  return ((await res.json()) as { token: string }).token;
}

const b64url = (bytes: ArrayBuffer | Uint8Array) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");

function randomString(): string {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

/** Sends the browser to Cognito's managed login with a fresh PKCE verifier and state. */
export async function startHostedSignIn(auth: NonNullable<WebConfig["auth"]>): Promise<void> {
  const verifier = randomString();
  const state = randomString();
  sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state }));
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const params = new URLSearchParams({
    response_type: "code",
    client_id: auth.clientId,
    redirect_uri: auth.redirectUri,
    scope: "openid email profile",
    code_challenge_method: "S256",
    code_challenge: challenge,
    state,
  });
  location.assign(`${auth.domainUrl}/oauth2/authorize?${params}`);
}

/** Back from managed login: trade the code for tokens (only with the matching state and verifier). */
export async function finishHostedSignIn(auth: NonNullable<WebConfig["auth"]>): Promise<string | null> {
  const url = new URL(location.href);
  const code = url.searchParams.get("code");
  if (!code) return null;
  const saved = JSON.parse(sessionStorage.getItem(PKCE) ?? "null") as { verifier: string; state: string } | null;
  sessionStorage.removeItem(PKCE);
  history.replaceState(null, "", url.pathname + url.hash);
  if (!saved || saved.state !== url.searchParams.get("state")) throw new Error("sign-in state mismatch: try again");
  const res = await fetch(`${auth.domainUrl}/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: auth.clientId,
      code,
      redirect_uri: auth.redirectUri,
      code_verifier: saved.verifier,
    }),
  });
  if (!res.ok) throw new Error(`sign-in failed (HTTP ${res.status})`);
  return ((await res.json()) as { access_token: string }).access_token;
}

export function hostedSignOutUrl(auth: NonNullable<WebConfig["auth"]>): string {
  return `${auth.domainUrl}/logout?${new URLSearchParams({ client_id: auth.clientId, logout_uri: auth.redirectUri })}`;
}
