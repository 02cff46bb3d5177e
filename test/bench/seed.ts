import { BatchWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoClients } from "#shared/adapters/dynamo/client";

/** Items written straight to the table (seeding a bench), 25 a BatchWriteItem, 16 calls at once. */
export async function putItems(
  db: DynamoClients,
  tableName: string,
  items: Array<Record<string, unknown>>,
): Promise<void> {
  const chunks: Array<typeof items> = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  for (let i = 0; i < chunks.length; i += 16) {
    await Promise.all(
      chunks.slice(i, i + 16).map(async (chunk) => {
        let pending = chunk.map((Item) => ({ PutRequest: { Item } }));
        while (pending.length > 0) {
          const out = await db.doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } }));
          pending = (out.UnprocessedItems?.[tableName] ?? []) as typeof pending;
        }
      }),
    );
  }
}
