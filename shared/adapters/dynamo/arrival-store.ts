import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { ChannelState, CommitOutcome, CommitPlan } from "../../domain/ports/arrival";
import type { DynamoClients } from "./client";
import { type CommitItems, creationOutcome } from "./commit-items";
import { itemToChannel } from "./items";
import { ENTITY, keys } from "./keys";
import { itemToQueueEntry } from "./routing-queue-store";
import { runTransaction, Tx } from "./transaction";

/** New conversations arriving: their channel read with its routing queue, and the commit that creates them. */
export class DynamoArrivalStore {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
    private readonly commits: CommitItems,
  ) {}

  /**
   * One consistent Query of partition CHANNEL#<id>: the channel item, then (they sort after it) the
   * first `queueLimit` routing-queue entries. So a router learns whether a burst is being drained on
   * its channel with the read it needs anyway.
   */
  async readChannel(channelId: string, queueLimit: number): Promise<ChannelState | null> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :channel AND :queueEnd",
        ExpressionAttributeValues: {
          ":pk": keys.channel(channelId).pk,
          ":channel": keys.channel(channelId).sk,
          ":queueEnd": `${keys.queuePrefix}\uffff`,
        },
        ConsistentRead: true,
        Limit: 1 + queueLimit,
      }),
    );
    const items = out.Items ?? [];
    const channelItem = items.find((i) => i.entityType === ENTITY.channel);
    if (!channelItem) return null;
    return {
      channel: itemToChannel(channelItem),
      queue: items.filter((i) => i.entityType === ENTITY.queueEntry).map(itemToQueueEntry),
    };
  }

  /**
   * One transaction for the whole batch: every conversation, its dedupe record and first message, and
   * one update per chosen user (`loadUnchanged` at the load first seen, `underCapacityAfter` at the load
   * the batch brings). All or nothing, so counts can never drift from the conversations they count.
   */
  async commitNewConversations(plans: CommitPlan[], now: Date): Promise<CommitOutcome> {
    const tx = new Tx();
    plans.forEach((plan, index) => this.commits.addCreation(tx, plan.item, index));
    this.commits.addUserLoads(
      tx,
      plans.map((p) => p.decision),
      now,
    );
    return creationOutcome(
      await runTransaction(this.db, tx),
      plans.map((p) => p.item),
    );
  }
}
