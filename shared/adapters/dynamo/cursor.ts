import { ValidationError } from "../../domain/errors";

/** A page cursor is the query's LastEvaluatedKey, base64url JSON: opaque to clients. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString("base64url") : null;
}

/**
 * What a paginated Query pages through: one partition of one index, holding items of one kind. Its
 * cursors are exactly the table key (`pk`, `sk`) and the index key (`<index>pk`, `<index>sk`) of an item.
 */
export interface Listing {
  index: "gsi1" | "gsi2" | "gsi3";
  /** The index partition the Query reads (its `<index>pk`). */
  partition: string;
  /** The table key of the kind of item listed, without its id: e.g. `keys.team("")` (`TEAM#`, `TEAM`). */
  item: { pk: string; sk: string };
}

/** DynamoDB refuses a sort key over 1024 bytes (a partition key over 2048); ids are at most 128 characters. */
const MAX_KEY_BYTES = 1024;
const LONE_SURROGATE = /\p{Cs}/u;

const refuse = () =>
  new ValidationError("bad cursor", [{ field: "cursor", reason: "not a cursor returned by this API" }]);

/** A key value DynamoDB takes as is: a non-empty string of valid Unicode (JSON may escape a lone surrogate). */
const keyValue = (v: unknown): v is string =>
  typeof v === "string" && v !== "" && Buffer.byteLength(v) <= MAX_KEY_BYTES && !LONE_SURROGATE.test(v);

/**
 * A cursor back into the ExclusiveStartKey of the same listing, checked before DynamoDB sees it: exactly
 * the key attributes of the listing's index, each a key value, the partition it pages through, and an
 * item of the kind it lists. Anything else is a 400 naming `cursor`, never a DynamoDB error (a 500).
 * Every paginated Query decodes its cursor here.
 */
export function decodeCursor(cursor: string | undefined, listing: Listing): Record<string, string> | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw refuse();
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw refuse();
  const entries = Object.entries(parsed as Record<string, unknown>);
  const names = new Set(["pk", "sk", `${listing.index}pk`, `${listing.index}sk`]);
  if (entries.length !== names.size || entries.some(([k, v]) => !names.has(k) || !keyValue(v))) throw refuse();
  const key = parsed as Record<string, string>;
  if (key[`${listing.index}pk`] !== listing.partition) throw refuse();
  const { pk, sk } = listing.item;
  if (key.sk !== sk || !key.pk!.startsWith(pk) || key.pk!.length === pk.length) throw refuse();
  return key;
}
