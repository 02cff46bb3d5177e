import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { MailRate } from "../../domain/ports/mail-rate";
import type { DynamoClients } from "./client";
import { keys } from "./keys";

/**
 * A sliding-window count in two fixed windows (the current and the one before), as rate limiters
 * commonly estimate one: an atomic ADD on the current window's item, one read of the previous, and the
 * previous weighted by how much of it the sliding window still covers. Two requests per email whatever
 * the traffic; the items expire by TTL two windows later.
 */
export class DynamoMailRate implements MailRate {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
  ) {}

  async count(channelId: string, sender: string, now: Date, windowSeconds: number): Promise<number> {
    const seconds = now.getTime() / 1000;
    const window = Math.floor(seconds / windowSeconds);
    const [current, previous] = await Promise.all([
      this.db.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.mailRate(channelId, sender, window),
          UpdateExpression: "ADD messages :one SET expiresAt = if_not_exists(expiresAt, :expires)",
          ExpressionAttributeValues: { ":one": 1, ":expires": (window + 3) * windowSeconds },
          ReturnValues: "UPDATED_NEW",
        }),
      ),
      this.db.doc.send(
        new GetCommand({ TableName: this.tableName, Key: keys.mailRate(channelId, sender, window - 1) }),
      ),
    ]);
    const elapsed = seconds / windowSeconds - window;
    const before = Number(previous.Item?.messages ?? 0) * (1 - elapsed);
    return Number(current.Attributes?.messages ?? 1) + Math.floor(before);
  }
}
