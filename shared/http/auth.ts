import type { APIGatewayProxyEventV2WithJWTAuthorizer } from "aws-lambda";
import { UnauthenticatedError } from "../domain/errors";

export interface Principal {
  userId: string;
  admin: boolean;
}

/**
 * Groups from the JWT authorizer's claims. The HTTP API's JWT authorizer hands an array claim over as one
 * string, `[admins users]`: that is the only shape accepted (the local gateway passes the same). Anything
 * else (a real array, JSON, commas) grants nothing, so no unusual shape can smuggle in `admins`.
 */
export function parseGroups(claim: unknown): string[] {
  if (typeof claim !== "string") return [];
  const m = /^\[([^[\]]*)\]$/.exec(claim);
  return m ? m[1]!.split(" ").filter(Boolean) : [];
}

/** The caller, from the claims the API Gateway JWT authorizer (or the local gateway) put on the event. */
export function principalOf(event: Partial<APIGatewayProxyEventV2WithJWTAuthorizer>): Principal {
  const claims = event.requestContext?.authorizer?.jwt?.claims;
  const sub = claims?.sub;
  if (typeof sub !== "string" || sub === "") throw new UnauthenticatedError("a bearer token is required");
  return { userId: sub, admin: parseGroups(claims?.["cognito:groups"]).includes("admins") };
}
