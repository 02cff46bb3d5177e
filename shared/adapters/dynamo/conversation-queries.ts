import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { ConversationPage, ConversationQuery } from "../../domain/admin-ports";
import type { Channel, Inbox, Message } from "../../domain/types";
import type { DynamoClients } from "./client";
import { decodeCursor, encodeCursor } from "./cursor";
import { itemToConversation, itemToInbox, itemToMessage } from "./items";
import { keys, viewKeys } from "./keys";
import type { DynamoRoutingStore } from "./routing-store";

/** Read models: inbox views, threads, and the lookups inbound email needs. */
export class DynamoConversationQueries {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
    private readonly routing: DynamoRoutingStore,
  ) {}

  /** Views of an inbox (docs/api.md): one page of gsi1 (All) or gsi2 (Unassigned, Mine); oldest first. */
  async listConversations(q: ConversationQuery): Promise<ConversationPage> {
    const [index, pk] =
      q.view === "all"
        ? (["gsi1", viewKeys.all(q.inboxId, q.status)] as const)
        : (["gsi2", viewKeys.byAssignee(q.inboxId, q.status, q.view === "mine" ? q.userId : null)] as const);
    const start = decodeCursor(q.cursor, { attributes: ["pk", "sk", `${index}pk`, `${index}sk`], partition: { name: `${index}pk`, value: pk } });
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
      items: (out.Items ?? []).map((i) => {
        const { version: _v, ...c } = itemToConversation(i);
        return c;
      }),
      nextCursor: encodeCursor(out.LastEvaluatedKey),
    };
  }

  async getInbox(id: string): Promise<Inbox | null> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.inbox(id) }));
    return out.Item ? itemToInbox(out.Item) : null;
  }

  /** The messages of one conversation: partition CONV#<id>. */
  async listMessages(conversationId: string): Promise<Message[]> {
    return (await this.routing.queryAll(keys.conversation(conversationId).pk, keys.messagePrefix)).map(itemToMessage);
  }

  async findChannelByAddress(address: string): Promise<Channel | null> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.channelAddress(address) }));
    const channelId = out.Item?.channelId;
    return typeof channelId === "string" ? this.routing.getChannel(channelId) : null;
  }

  /** The conversation a dedupe key points at (email threading by Message-ID, duplicate deliveries). */
  async findByDedupeKey(channelId: string, key: string): Promise<string | null> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.dedupe(channelId, key), ConsistentRead: true }));
    return typeof out.Item?.conversationId === "string" ? out.Item.conversationId : null;
  }
}
