import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { LapseStore } from "../../domain/ports/lapses";
import type { DynamoClients } from "./client";
import { viewKeys } from "./keys";

/**
 * The re-route clocks that should have fired (docs/routing.md §5.6): one keys-only Query of the
 * channel's sparse gsi6 partition, deadlines before now, oldest first. The sweeper's catch-up for a
 * timer lost to a crash.
 */
export class DynamoLapseStore implements LapseStore {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
  ) {}

  async overdueLapses(channelId: string, now: Date, limit: number): Promise<string[]> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: "gsi6",
        // Sort keys are `<at>#<id>`: "~" sorts after "#", so a clock due at `now` exactly is included.
        KeyConditionExpression: "gsi6pk = :pk AND gsi6sk < :until",
        ExpressionAttributeValues: { ":pk": viewKeys.lapses(channelId), ":until": `${now.toISOString()}~` },
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((i) => String(i.gsi6sk).slice(String(i.gsi6sk).indexOf("#") + 1));
  }
}
