import { createHmac, timingSafeEqual } from "node:crypto";
import { HttpError } from "./errors";

export const SIGNATURE_HEADER = "x-routing-signature";
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/**
 * A form channel's signing secret, derived from the deployment's master key and the channel id.
 * Derived rather than stored so the signature is checked on the raw bytes before any database call:
 * a forged request never reaches the table. It is handed out once, when the channel is created.
 */
export function formSigningSecret(masterKey: string, channelId: string): string {
  return createHmac("sha256", masterKey).update(`form-channel:${channelId}`).digest("base64url");
}

/**
 * A chat or bot channel's identity secret (docs/routing.md §6.1): the site's backend signs a visitor's
 * email with it to vouch for them. Derived like the form secret but under its own label, so the two differ.
 */
export function channelIdentitySecret(masterKey: string, channelId: string): string {
  return createHmac("sha256", masterKey).update(`identity-channel:${channelId}`).digest("base64url");
}

/** hex HMAC-SHA256(identity secret, lowercased trimmed email), compared in constant time. */
export function identityHashMatches(secret: string, email: string, hash: string | undefined): boolean {
  if (!hash || !/^[0-9a-f]{64}$/i.test(hash)) return false;
  const expected = createHmac("sha256", secret).update(email.trim().toLowerCase()).digest();
  return timingSafeEqual(Buffer.from(hash, "hex"), expected);
}

export function sign(secret: string, t: number, rawBody: string | Buffer): string {
  return createHmac("sha256", secret).update(`${t}.`).update(rawBody).digest("hex");
}

/** The header a sender puts on a request: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. */
export function signatureHeader(
  secret: string,
  rawBody: string | Buffer,
  nowSeconds = Math.floor(Date.now() / 1000),
): string {
  return `t=${nowSeconds},v1=${sign(secret, nowSeconds, rawBody)}`;
}

const refuse = (reason: string) =>
  new HttpError(401, "unauthenticated", "invalid signature", [{ field: SIGNATURE_HEADER, reason }]);

/** Throws a 401 unless the header signs exactly these bytes with this secret, within the tolerance. */
export function verifySignature(header: string | undefined, rawBody: Buffer, secret: string, nowSeconds: number): void {
  if (!header) throw refuse("missing");
  const parts = new Map<string, string[]>();
  for (const piece of header.split(",")) {
    const eq = piece.indexOf("=");
    if (eq <= 0) continue;
    const k = piece.slice(0, eq).trim();
    parts.set(k, [...(parts.get(k) ?? []), piece.slice(eq + 1).trim()]);
  }
  const t = Number(parts.get("t")?.[0]);
  if (!Number.isInteger(t)) throw refuse("no timestamp");
  if (Math.abs(nowSeconds - t) > SIGNATURE_TOLERANCE_SECONDS) throw refuse("timestamp outside the 300 s tolerance");
  const expected = Buffer.from(sign(secret, t, rawBody), "hex");
  const ok = (parts.get("v1") ?? []).some((v) => {
    const given = /^[0-9a-f]{64}$/i.test(v) ? Buffer.from(v, "hex") : null;
    return given !== null && given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!ok) throw refuse("does not match the body");
}
