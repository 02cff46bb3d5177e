import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { CliError } from "./stack-outputs";

/** The tokens Cognito's `/oauth2/token` endpoint answers. */
export interface Tokens {
  access_token: string;
  id_token?: string;
  refresh_token?: string;
  expires_in: number;
  token_type: string;
}

const base64url = (b: Buffer) => b.toString("base64url");

/** A PKCE pair (RFC 7636, S256): the verifier stays here, the challenge goes in the sign-in URL. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = base64url(randomBytes(32));
  return { verifier, challenge: base64url(createHash("sha256").update(verifier).digest()) };
}

/** The managed login page's URL for the authorization code flow with PKCE (never the implicit flow). */
export function authorizeUrl(opts: {
  loginUrl: string;
  clientId: string;
  redirectUri: string;
  challenge: string;
  state: string;
}): string {
  const u = new URL("/oauth2/authorize", opts.loginUrl);
  u.search = new URLSearchParams({
    response_type: "code",
    client_id: opts.clientId,
    redirect_uri: opts.redirectUri,
    scope: "openid email profile",
    code_challenge: opts.challenge,
    code_challenge_method: "S256",
    state: opts.state,
  }).toString();
  return u.toString();
}

async function tokenRequest(loginUrl: string, form: Record<string, string>): Promise<Tokens> {
  const res = await fetch(new URL("/oauth2/token", loginUrl), {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  const body = (await res.json().catch(() => ({}))) as Partial<Tokens> & { error?: string };
  if (!res.ok || !body.access_token) throw new CliError(`the token endpoint refused: ${body.error ?? res.status}`);
  return body as Tokens;
}

/** Trades a refresh token for fresh tokens: how a script keeps a token without a browser. */
export function refreshTokens(opts: { loginUrl: string; clientId: string; refreshToken: string }): Promise<Tokens> {
  return tokenRequest(opts.loginUrl, {
    grant_type: "refresh_token",
    client_id: opts.clientId,
    refresh_token: opts.refreshToken,
  });
}

/**
 * Signs in through the managed login page: listens on the localhost callback, hands `open` the page's
 * URL (the person opens it in a browser), checks the state, and trades the code and the PKCE verifier
 * for tokens.
 */
export async function browserLogin(opts: {
  loginUrl: string;
  clientId: string;
  redirectUri: string;
  open: (url: string) => void;
  timeoutMs?: number;
}): Promise<Tokens> {
  const { verifier, challenge } = pkcePair();
  const state = base64url(randomBytes(16));
  const callback = new URL(opts.redirectUri);
  const code = await new Promise<string>((resolve, reject) => {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", opts.redirectUri);
      if (url.pathname !== callback.pathname) return void res.writeHead(404).end();
      const done = (status: number, text: string) => {
        res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(text);
        clearTimeout(timer);
        server.close();
      };
      if (url.searchParams.get("state") !== state) {
        done(400, "This sign-in did not start here. Run npm run login again.");
        return reject(new CliError("the sign-in answered with another state: run npm run login again"));
      }
      const got = url.searchParams.get("code");
      if (!got) {
        const why = url.searchParams.get("error_description") ?? url.searchParams.get("error") ?? "no code";
        done(400, `Sign-in failed: ${why}`);
        return reject(new CliError(`sign-in failed: ${why}`));
      }
      done(200, "Signed in. You can close this tab and go back to the terminal.");
      resolve(got);
    });
    const timer = setTimeout(() => {
      server.close();
      reject(new CliError("no sign-in within the time limit"));
    }, opts.timeoutMs ?? 300_000);
    server.once("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === "EADDRINUSE"
          ? new CliError(`port ${callback.port} is in use: the sign-in callback needs it`)
          : err,
      );
    });
    server.listen(Number(callback.port), "127.0.0.1", () => opts.open(authorizeUrl({ ...opts, challenge, state })));
  });
  return tokenRequest(opts.loginUrl, {
    grant_type: "authorization_code",
    client_id: opts.clientId,
    code,
    redirect_uri: opts.redirectUri,
    code_verifier: verifier,
  });
}
