import { QueryCommand, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import type { DynamoClients } from "./client";

export type Item = Record<string, unknown>;

/**
 * Every page of one Query (DynamoDB answers at most 1 MB a call): the items, and the count that
 * `Select: "COUNT"` answers instead of items. Stops at `limit` items when given.
 */
export async function queryPages(
  db: DynamoClients,
  input: QueryCommandInput,
  limit?: number,
): Promise<{ items: Item[]; count: number }> {
  const items: Item[] = [];
  let count = 0;
  let start = input.ExclusiveStartKey;
  do {
    const out = await db.doc.send(
      new QueryCommand({
        ...input,
        ExclusiveStartKey: start,
        ...(limit !== undefined ? { Limit: limit - items.length } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    count += out.Count ?? 0;
    start = out.LastEvaluatedKey;
  } while (start && (limit === undefined || items.length < limit));
  return { items, count };
}
