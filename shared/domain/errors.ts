/**
 * Domain errors. The domain never imports HTTP: one table in shared/http maps these classes to statuses.
 */

export interface ErrorDetail {
  /** The field path or the offending id. */
  field: string;
  reason: string;
}

export class DomainError extends Error {
  readonly details: ErrorDetail[];
  constructor(message: string, details: ErrorDetail[] = [], options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
  }
}

/** An error as a person reads it in the thread or a log line: its name and message, at most 300 characters. */
export function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err).slice(0, 300);
  return (err.name && err.name !== "Error" ? `${err.name}: ${err.message}` : err.message).slice(0, 300);
}

/** The input breaks a rule (docs/routing.md §4, shapes of docs/api.md). */
export class ValidationError extends DomainError {}

/** A referenced object does not exist. */
export class NotFoundError extends DomainError {}

/** The operation is valid but the current state forbids it (capacity, already assigned, duplicate...). */
export class ConflictError extends DomainError {}

/** The caller may not act on this object. */
export class ForbiddenError extends DomainError {}

/** The caller could not be identified. */
export class UnauthenticatedError extends DomainError {}

/** The store kept refusing the write (throttling, transaction conflicts) past the retry budget. */
export class ContentionError extends DomainError {}
