import { DeleteCommand } from "@aws-sdk/lib-dynamodb";
import type { CommitOutcome, NewConversation } from "../../domain/ports/arrival";
import type { DrainOutcome } from "../../domain/ports/routing-queue";
import type { Decision, QueueEntry, WaitEntry } from "../../domain/types";
import type { DynamoClients } from "./client";
import { type CommitItems, creationOutcome, listConflict } from "./commit-items";
import { all, stillQueued } from "./conditions";
import type { DynamoEntityReads } from "./entity-reads";
import { waitEntryToItem } from "./items";
import { ENTITY, keys, viewKeys } from "./keys";
import type { Item } from "./paging";
import { runTransaction, Tx } from "./transaction";

export function queueEntryToItem(e: QueueEntry): Item {
  return { ...keys.queueEntry(e.channelId, e.position), entityType: ENTITY.queueEntry, ...e };
}

export function itemToQueueEntry(i: Item): QueueEntry {
  return {
    channelId: String(i.channelId),
    conversationId: String(i.conversationId),
    inboxId: String(i.inboxId),
    createdAt: String(i.createdAt),
    queuedAt: String(i.queuedAt),
    position: String(i.position),
  };
}

/**
 * The routing queue of partition CHANNEL#<id> (entries `QUEUE#<position>`): a burst's conversations
 * created unassigned and routed in arrival order by one drain (docs/routing.md §5.4).
 */
export class DynamoRoutingQueueStore {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
    private readonly reads: DynamoEntityReads,
    private readonly commits: CommitItems,
  ) {}

  /** Create the conversations unassigned, each with its queue entry, in one transaction. */
  async enqueueNewConversations(queued: Array<{ item: NewConversation; entry: QueueEntry }>): Promise<CommitOutcome> {
    const tx = new Tx();
    queued.forEach(({ item, entry }, index) => {
      this.commits.addCreation(tx, item, index);
      tx.add({ Put: { TableName: this.tableName, Item: queueEntryToItem(entry) } }, { kind: "queue", plan: index });
    });
    return creationOutcome(
      await runTransaction(this.db, tx),
      queued.map((q) => q.item),
    );
  }

  async queueHead(channelId: string): Promise<QueueEntry | null> {
    return (await this.queueEntries(channelId, 1))[0] ?? null;
  }

  /** The oldest entries of partition CHANNEL#<id>'s queue: a Query of at most `limit` items. */
  async queueEntries(channelId: string, limit: number): Promise<QueueEntry[]> {
    return (await this.reads.queryAll(keys.channel(channelId).pk, keys.queuePrefix, limit)).map(itemToQueueEntry);
  }

  async removeQueueEntry(entry: QueueEntry): Promise<void> {
    await this.db.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: keys.queueEntry(entry.channelId, entry.position) }),
    );
  }

  /**
   * Route queued conversations: each must still wait for its router (nobody took or closed it; a
   * visitor's new message does not count), its entry is removed, and chosen users' loads move as in a
   * direct commit.
   */
  async commitDrain(entries: Array<{ entry: QueueEntry; decision: Decision }>, now: Date): Promise<DrainOutcome> {
    const tx = new Tx();
    entries.forEach((listed, index) => {
      const { entry, decision } = listed;
      const cond = all(stillQueued(viewKeys.byAssignee(entry.inboxId, "open", null)));
      // Nobody could take it: it leaves the routing queue for the channel's waiting line.
      const waits = decision.userId === null && decision.record.strategy !== "manual";
      const effect = { set: waits ? ", waitingSince = :now" : "", remove: "routingPending" };
      this.commits.decideListed(tx, listed, now.toISOString(), cond, effect, index);
      if (waits) {
        const line: WaitEntry = { ...entry, since: now.toISOString(), contactId: null, ownerId: null };
        tx.add({ Put: { TableName: this.tableName, Item: waitEntryToItem(line) } }, { kind: "wait", plan: index });
      }
      tx.add(
        {
          Delete: {
            TableName: this.tableName,
            Key: keys.queueEntry(entry.channelId, entry.position),
            ConditionExpression: "attribute_exists(pk)",
          },
        },
        { kind: "queue", plan: index },
      );
    });
    this.commits.addUserLoads(
      tx,
      entries.map((e) => e.decision),
      now,
    );
    const result = await runTransaction(this.db, tx);
    // A conversation that changed while its entry is still there was taken by hand: the entry must go.
    // Both failing means another router drained it already: nothing is left to clean.
    return result.ok ? { type: "committed" } : listConflict(result, entries, "queue");
  }
}
