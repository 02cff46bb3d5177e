import type { APIGatewayProxyEventV2WithJWTAuthorizer } from "aws-lambda";
import { UnauthenticatedError } from "../domain/errors";

export interface Principal {
  userId: string;
  admin: boolean;
}

/**
 * Groups from the JWT authorizer's claims. Deployed, API Gateway hands array claims over as a string
 * like `[admins users]`; tests and the local gateway may pass a real array or a JSON array string.
 */
export function parseGroups(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.map(String);
  if (typeof claim !== "string") return [];
  const text = claim.trim();
  if (text.startsWith("[") && text.endsWith("]")) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // the authorizer's `[a b]` form: not JSON
    }
    return text.slice(1, -1).split(/[\s,]+/).filter(Boolean);
  }
  return text.split(/[\s,]+/).filter(Boolean);
}

/** The caller, from the claims the API Gateway JWT authorizer (or the local gateway) put on the event. */
export function principalOf(event: Partial<APIGatewayProxyEventV2WithJWTAuthorizer>): Principal {
  const claims = event.requestContext?.authorizer?.jwt?.claims;
  const sub = claims?.sub;
  if (typeof sub !== "string" || sub === "") throw new UnauthenticatedError("a bearer token is required");
  return { userId: sub, admin: parseGroups(claims?.["cognito:groups"]).includes("admins") };
}
