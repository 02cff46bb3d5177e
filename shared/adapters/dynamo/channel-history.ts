import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { Conversation } from "../../domain/types";
import { withoutVersion } from "../../domain/types";
import type { DynamoClients } from "./client";
import type { DynamoEntityReads } from "./entity-reads";
import { type Item, itemToConversation } from "./items";
import { keys, viewKeys } from "./keys";

/** A channel's conversations by creation time, for the rule preview (docs/routing.md §8). */
export class DynamoChannelHistory {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
    private readonly reads: DynamoEntityReads,
  ) {}

  /**
   * gsi5's `CHANNEL#<id>#CONVERSATIONS` partition between `from` and `to`, newest first, paged (keys only,
   * ~1,000 keys a page), up to `limit` keys; then BatchGetItem of those conversations, 100 a call in
   * parallel. Reads `limit` items at the most, whatever the size of the channel's history; oldest first.
   */
  async channelConversations(channelId: string, from: string, to: string, limit: number): Promise<Conversation[]> {
    const found: Array<{ pk: string; sk: string }> = [];
    // Each page's conversations are fetched while the next page of keys is read.
    const fetches: Array<Promise<Item[]>> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: "gsi5",
          KeyConditionExpression: "gsi5pk = :pk AND gsi5sk BETWEEN :from AND :to",
          // `#` sorts before every id character, `~` after: the window's bounds include both ends.
          ExpressionAttributeValues: { ":pk": viewKeys.channelHistory(channelId), ":from": from, ":to": `${to}~` },
          ScanIndexForward: false,
          Limit: limit - found.length,
          ExclusiveStartKey: start,
        }),
      );
      const page = (out.Items ?? []).map((item) => ({ pk: String(item.pk), sk: String(item.sk) }));
      found.push(...page);
      fetches.push(this.reads.getMany(page));
      start = out.LastEvaluatedKey;
    } while (start && found.length < limit);
    const items = (await Promise.all(fetches)).flat();
    const byId = new Map(items.map((i) => [String(i.id), withoutVersion(itemToConversation(i))]));
    // The keys came newest first; the replay goes oldest first.
    return found.reverse().flatMap((k) => byId.get(k.pk.slice(keys.conversation("").pk.length)) ?? []);
  }
}
