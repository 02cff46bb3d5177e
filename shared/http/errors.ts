import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import {
  ConflictError,
  ContentionError,
  type DomainError,
  type ErrorDetail,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
  ValidationError,
} from "../domain/errors";

/**
 * An HTTP-level refusal that is not a domain rule (size, media type, signature). Not a DomainError: the
 * domain never sees it, and code that handles domain outcomes (the email ingest's "dropped") must not
 * mistake it for one.
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** The one table from domain error classes to docs/api.md statuses and codes. */
const TABLE: Array<[new (...args: never[]) => DomainError, number, string]> = [
  [ValidationError, 400, "validation_failed"],
  [UnauthenticatedError, 401, "unauthenticated"],
  [ForbiddenError, 403, "forbidden"],
  [NotFoundError, 404, "not_found"],
  [ConflictError, 409, "conflict"],
  // The store kept refusing (throttled, or contention past the retry budget): the client may retry.
  [ContentionError, 429, "throttled"],
];

/** middy's own errors carry a status; malformed JSON comes as a 415 whose message says so. */
function fromMiddy(err: { statusCode: number; message: string }): [number, string, string] {
  if (/malformed JSON/i.test(err.message)) return [400, "validation_failed", "the body is not valid JSON"];
  if (err.statusCode === 415) return [415, "unsupported_media_type", "send Content-Type: application/json"];
  if (err.statusCode === 404) return [404, "not_found", "no such route"];
  if (err.statusCode === 413) return [413, "payload_too_large", err.message];
  return [err.statusCode, "error", err.message];
}

export function errorBody(
  status: number,
  code: string,
  message: string,
  details: ErrorDetail[] = [],
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ error: { code, message, details } }),
  };
}

/**
 * Any error to the docs/api.md error shape. Known errors keep their message and details; anything else is
 * logged and answered with a bare 500 that leaks nothing.
 */
export function errorResponse(
  err: unknown,
  log: (msg: string, extra: Record<string, unknown>) => void,
): APIGatewayProxyStructuredResultV2 {
  if (err instanceof HttpError) return errorBody(err.status, err.code, err.message, err.details);
  for (const [cls, status, code] of TABLE) {
    if (err instanceof cls) return errorBody(status, code, (err as DomainError).message, (err as DomainError).details);
  }
  const e = err as { statusCode?: unknown; expose?: unknown; message?: string; name?: string };
  if (typeof e?.statusCode === "number" && e.statusCode < 500) {
    const [status, code, message] = fromMiddy({ statusCode: e.statusCode, message: e.message ?? "" });
    return errorBody(status, code, message);
  }
  if (e?.name === "ThrottlingException" || e?.name === "ProvisionedThroughputExceededException") {
    return errorBody(429, "throttled", "the service is busy; retry shortly");
  }
  log("unhandled error", { error: { name: e?.name, message: e?.message, stack: (err as Error)?.stack } });
  return errorBody(500, "internal", "internal error");
}
