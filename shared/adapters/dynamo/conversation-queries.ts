import { BatchGetCommand, GetCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { ConversationPage, ConversationQuery } from "../../domain/ports/reads";
import type { Channel, Conversation, Inbox, Message, MessageDelivery } from "../../domain/types";
import { withoutVersion } from "../../domain/types";
import type { DynamoClients } from "./client";
import { exists } from "./conditions";
import { decodeCursor, encodeCursor } from "./cursor";
import type { DynamoEntityReads } from "./entity-reads";
import { itemToConversation, itemToInbox, itemToMessage } from "./items";
import { keys, viewPartition } from "./keys";

/** Read models: inbox views, threads, and the lookups inbound email needs. */
export class DynamoConversationQueries {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
    private readonly reads: DynamoEntityReads,
  ) {}

  /** Views of an inbox (docs/api.md): one page of gsi1 (All) or gsi2 (Unassigned, Mine); oldest first. */
  async listConversations(q: ConversationQuery): Promise<ConversationPage> {
    const { index, pk } = viewPartition(q);
    const start = decodeCursor(q.cursor, { index, partition: pk, item: keys.conversation("") });
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index,
        KeyConditionExpression: `${index}pk = :pk`,
        ExpressionAttributeValues: { ":pk": pk },
        Limit: q.limit,
        ExclusiveStartKey: start,
      }),
    );
    return {
      items: (out.Items ?? []).map((i) => withoutVersion(itemToConversation(i))),
      nextCursor: encodeCursor(out.LastEvaluatedKey),
    };
  }

  async getInbox(id: string): Promise<Inbox | null> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.inbox(id) }));
    return out.Item ? itemToInbox(out.Item) : null;
  }

  /** The messages of one conversation: partition CONV#<id>. */
  async listMessages(conversationId: string): Promise<Message[]> {
    return (await this.reads.queryAll(keys.conversation(conversationId).pk, keys.messagePrefix)).map(itemToMessage);
  }

  /** Messages written at or after `sinceIso`, oldest first, at most `limit` (a live client's resume). */
  async messagesSince(conversationId: string, sinceIso: string, limit: number): Promise<Message[]> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :from AND :to",
        ExpressionAttributeValues: {
          ":pk": keys.conversation(conversationId).pk,
          ":from": `${keys.messagePrefix}${sinceIso}`,
          ":to": `${keys.messagePrefix}\uffff`,
        },
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map(itemToMessage);
  }

  /** Conversations by id (missing ones left out): BatchGetItem, 100 keys a call. */
  async getConversations(ids: readonly string[]): Promise<Conversation[]> {
    const found = await this.reads.getMany([...new Set(ids)].map((id) => keys.conversation(id)));
    return found.map((i) => withoutVersion(itemToConversation(i)));
  }

  /** The newest `count` messages, oldest first: one Query of the conversation's partition, newest first. */
  async lastMessages(conversationId: string, count: number): Promise<Message[]> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :msg)",
        ExpressionAttributeValues: { ":pk": keys.conversation(conversationId).pk, ":msg": keys.messagePrefix },
        ScanIndexForward: false,
        Limit: count,
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map(itemToMessage).reverse();
  }

  async findChannelByAddress(address: string): Promise<Channel | null> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.channelAddress(address) }),
    );
    const channelId = out.Item?.channelId;
    return typeof channelId === "string" ? this.reads.getChannel(channelId) : null;
  }

  /** The conversation a dedupe key points at (email threading by Message-ID, duplicate deliveries). */
  async findByDedupeKey(channelId: string, key: string): Promise<string | null> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.dedupe(channelId, key), ConsistentRead: true }),
    );
    return typeof out.Item?.conversationId === "string" ? out.Item.conversationId : null;
  }

  /** The conversation each dedupe key points at: one consistent BatchGetItem per 100 keys (DEDUPE#<channel>#<key>). */
  async findByDedupeKeys(channelId: string, dedupeKeys: string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const unique = [...new Set(dedupeKeys)];
    for (let i = 0; i < unique.length; i += 100) {
      let request: Record<string, { Keys: Array<Record<string, unknown>>; ConsistentRead: boolean }> | undefined = {
        [this.tableName]: {
          Keys: unique.slice(i, i + 100).map((k) => keys.dedupe(channelId, k)),
          ConsistentRead: true,
        },
      };
      for (let round = 0; request && Object.keys(request).length > 0; round++) {
        if (round > 10) throw new Error("BatchGetItem left keys unprocessed after 10 rounds");
        const out = await this.db.doc.send(new BatchGetCommand({ RequestItems: request }));
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const prefix = keys.dedupe(channelId, "").pk;
          if (typeof item.conversationId === "string" && typeof item.pk === "string") {
            found.set(item.pk.slice(prefix.length), item.conversationId);
          }
        }
        request = out.UnprocessedKeys as typeof request;
      }
    }
    return found;
  }

  /**
   * Whether the address already wrote in the conversation: a Query of its partition (CONV#<id>, messages),
   * stopping at the first page with a match. Grows with the thread, never with the organisation.
   */
  async hasMessageFrom(conversationId: string, email: string): Promise<boolean> {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.db.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :msg)",
          FilterExpression: "#author.#email = :email",
          ExpressionAttributeNames: { "#author": "author", "#email": "email" },
          ExpressionAttributeValues: {
            ":pk": keys.conversation(conversationId).pk,
            ":msg": keys.messagePrefix,
            ":email": email,
          },
          ProjectionExpression: "sk",
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      if ((out.Items ?? []).length > 0) return true;
      start = out.LastEvaluatedKey;
    } while (start);
    return false;
  }

  /** Records whether an outbound reply was delivered: one UpdateItem of the message (CONV#<id>). */
  async setMessageDelivery(message: Message, delivery: MessageDelivery): Promise<void> {
    await this.db.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.message(message.conversationId, message.createdAt, message.id),
        UpdateExpression: "SET delivery = :delivery",
        ConditionExpression: exists.expression,
        ExpressionAttributeValues: { ":delivery": delivery },
      }),
    );
  }
}
