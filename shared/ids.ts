import { randomBytes } from "node:crypto";

let last = 0;
let seq = 0;

/**
 * Ids that sort in creation order: milliseconds, then a per-process counter, then randomness.
 * Messages are listed by (createdAt, id), so two messages written in the same millisecond still
 * come back in the order they were written.
 */
export function timeOrderedId(): string {
  const now = Date.now();
  seq = now === last ? seq + 1 : 0;
  last = now;
  return `${now.toString(36).padStart(9, "0")}${seq.toString(36).padStart(4, "0")}${randomBytes(8).toString("hex")}`;
}
