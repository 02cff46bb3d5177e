import { ValidationError } from "../../domain/errors";

/** A page cursor is the query's LastEvaluatedKey, base64url JSON: opaque to clients. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString("base64url") : null;
}

const refuse = () =>
  new ValidationError("bad cursor", [{ field: "cursor", reason: "not a cursor returned by this API" }]);

/**
 * A cursor back into the ExclusiveStartKey of the same query, checked before DynamoDB sees it: exactly
 * the key attributes of that index, all strings, and the partition it pages through. Anything else is
 * a 400, never a DynamoDB error.
 */
export function decodeCursor(
  cursor: string | undefined,
  expect: {
    attributes: readonly string[];
    partition: { name: string; value: string };
    /** The kind of item the listing pages through: its table key (e.g. `CONV#…` / `CONV`). */
    item?: { pkPrefix: string; sk: string };
  },
): Record<string, string> | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw refuse();
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw refuse();
  const entries = Object.entries(parsed as Record<string, unknown>);
  const names = new Set(expect.attributes);
  if (
    entries.length !== names.size ||
    entries.some(([k, v]) => !names.has(k) || typeof v !== "string" || v.length > 1024)
  )
    throw refuse();
  const key = parsed as Record<string, string>;
  if (key[expect.partition.name] !== expect.partition.value) throw refuse();
  if (expect.item && (key.sk !== expect.item.sk || !key.pk?.startsWith(expect.item.pkPrefix))) throw refuse();
  return key;
}
