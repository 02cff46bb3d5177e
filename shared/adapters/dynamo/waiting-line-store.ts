import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { WaitingOutcome } from "../../domain/ports/waiting-line";
import type { Decision, WaitEntry } from "../../domain/types";
import type { DynamoClients } from "./client";
import { type CommitItems, listConflict } from "./commit-items";
import { all, stillWaiting } from "./conditions";
import { decodeCursor, encodeCursor } from "./cursor";
import type { DynamoEntityReads } from "./entity-reads";
import { itemToWaitEntry } from "./items";
import { ENTITY, keys, viewKeys } from "./keys";
import { queryPages } from "./paging";
import { runTransaction, Tx } from "./transaction";

/** The stats endpoint looks back one hour; samples are kept two, then expire (TTL). */
const WAITED_TTL_SECONDS = 2 * 3600;

/**
 * The waiting line of partition CHANNEL#<id> (entries `WAIT#<since>#<id>`, oldest first), the waits
 * recorded for its stats, and which channels a user's return may serve (docs/routing.md §5.5).
 */
export class DynamoWaitingLineStore {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
    private readonly reads: DynamoEntityReads,
    private readonly commits: CommitItems,
  ) {}

  /** The line of partition CHANNEL#<id>, oldest first: at most `limit` entries, after `after` if given. */
  async waitingEntries(channelId: string, limit: number, after?: WaitEntry): Promise<WaitEntry[]> {
    const afterSk = after ? keys.waitEntry(channelId, after.since, after.conversationId).sk : undefined;
    return (await this.reads.queryAll(keys.channel(channelId).pk, keys.waitPrefix, limit, afterSk)).map(
      itemToWaitEntry,
    );
  }

  async removeWaitEntry(entry: WaitEntry): Promise<void> {
    await this.db.doc.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: keys.waitEntry(entry.channelId, entry.since, entry.conversationId),
      }),
    );
  }

  /** Counts line entries from the head up to `until` (inclusive): a keys-only count, sized by the line. */
  async countWaiting(channelId: string, until?: { since: string; conversationId: string }): Promise<number> {
    const upper = until ? keys.waitEntry(channelId, until.since, until.conversationId).sk : `${keys.waitPrefix}\uffff`;
    const { count } = await queryPages(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      ExpressionAttributeValues: { ":pk": keys.channel(channelId).pk, ":from": keys.waitPrefix, ":to": upper },
      Select: "COUNT",
    });
    return count;
  }

  async lineTickets(
    channelId: string,
    entry: { since: string; conversationId: string },
  ): Promise<{ mine: number; head: number } | null> {
    const [mine, head] = await Promise.all([
      this.db.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: keys.waitEntry(channelId, entry.since, entry.conversationId),
          ProjectionExpression: "ticket",
          ConsistentRead: true,
        }),
      ),
      this.db.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :wait)",
          ExpressionAttributeValues: { ":pk": keys.channel(channelId).pk, ":wait": keys.waitPrefix },
          ProjectionExpression: "ticket",
          Limit: 1,
          // Read right after the head left (the fan-out of its removal): it must not be seen still there.
          ConsistentRead: true,
        }),
      ),
    ]);
    const m = mine.Item?.ticket;
    const h = head.Items?.[0]?.ticket;
    return typeof m === "number" && typeof h === "number" ? { mine: m, head: h } : null;
  }

  /** Waits of the conversations assigned from the line since `since` (the stats' window), in ms. */
  async waitedSince(channelId: string, since: string): Promise<number[]> {
    const { items } = await queryPages(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
      ExpressionAttributeValues: {
        ":pk": keys.channel(channelId).pk,
        ":from": `${keys.waitedPrefix}${since}`,
        ":to": `${keys.waitedPrefix}\uffff`,
      },
    });
    return items.map((i) => Number(i.waitedMs));
  }

  /** Channels whose rule lists the user or their primary team: two small Queries (USER#, TEAM#). */
  async channelsFor(userId: string, teamId: string | null): Promise<string[]> {
    const lists = await Promise.all([
      this.reads.queryAll(keys.user(userId).pk, keys.channelRefPrefix),
      teamId ? this.reads.queryAll(keys.team(teamId).pk, keys.channelRefPrefix) : Promise.resolve([]),
    ]);
    return [...new Set(lists.flat().map((i) => String(i.channelId)))];
  }

  /** Remember that `userId` can take the channel's conversations (a contact owner waited for). */
  async addChannelRef(userId: string, channelId: string): Promise<void> {
    await this.db.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...keys.userChannel(userId, channelId), entityType: ENTITY.channelRef, channelId },
      }),
    );
  }

  /**
   * Assign conversations from the waiting line: each must still be waiting since the time its entry
   * says (nobody took, closed or re-routed it), its entry goes, the wait is recorded for the stats, and
   * the chosen users' loads move as in a direct commit. All or nothing.
   */
  async commitWaitingAssignments(
    plans: Array<{ entry: WaitEntry; decision: Decision }>,
    now: Date,
  ): Promise<WaitingOutcome> {
    const tx = new Tx();
    const at = now.toISOString();
    plans.forEach((plan, index) => {
      const { entry } = plan;
      this.commits.decideListed(tx, plan, at, all(stillWaiting(entry.since)), { remove: "waitingSince" }, index);
      tx.add(
        {
          Delete: {
            TableName: this.tableName,
            Key: keys.waitEntry(entry.channelId, entry.since, entry.conversationId),
            ConditionExpression: "attribute_exists(pk)",
          },
        },
        { kind: "wait", plan: index },
      );
      const waitedMs = Math.max(0, now.getTime() - Date.parse(entry.since));
      const expiresAt = Math.floor(now.getTime() / 1000) + WAITED_TTL_SECONDS;
      tx.add(
        {
          Put: {
            TableName: this.tableName,
            Item: {
              ...keys.waited(entry.channelId, at, entry.conversationId),
              entityType: ENTITY.waited,
              waitedMs,
              expiresAt,
            },
          },
        },
        { kind: "sample", plan: index },
      );
    });
    this.commits.addUserLoads(
      tx,
      plans.map((p) => p.decision),
      now,
    );
    const result = await runTransaction(this.db, tx);
    // A conversation no longer waiting whose entry is still there lost its entry's removal: drop it.
    return result.ok ? { type: "committed" } : listConflict(result, plans, "wait");
  }

  /** One page of channel ids (gsi3, keys only): the sweeper's walk over every channel. */
  async listChannelIds(cursor?: string): Promise<{ ids: string[]; nextCursor: string | null }> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: "gsi3",
        KeyConditionExpression: "gsi3pk = :pk",
        ExpressionAttributeValues: { ":pk": viewKeys.channels },
        Limit: 100,
        ExclusiveStartKey: decodeCursor(cursor, {
          index: "gsi3",
          partition: viewKeys.channels,
          item: keys.channel(""),
        }),
      }),
    );
    return { ids: (out.Items ?? []).map((i) => String(i.gsi3sk)), nextCursor: encodeCursor(out.LastEvaluatedKey) };
  }
}
