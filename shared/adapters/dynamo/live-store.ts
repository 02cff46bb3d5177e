import { DeleteCommand, GetCommand, PutCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { NotFoundError } from "../../domain/errors";
import type {
  AccessSnapshot,
  LiveConnection,
  LiveStore,
  LiveSubject,
  LiveSubscription,
  Topic,
} from "../../domain/ports/live";
import { topicKind } from "../../domain/ports/live";
import type { DynamoClients } from "./client";
import type { DynamoEntityReads } from "./entity-reads";
import { liveKeys } from "./keys";
import { queryPages } from "./paging";
import { isTransient } from "./transaction";

/** Layout: keys.ts `liveKeys`; what each record is for: docs/design.md, Live updates. */

export class DynamoLiveStore implements LiveStore {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
    private readonly reads: DynamoEntityReads,
  ) {}

  async putTicket(ticket: string, subject: LiveSubject, expiresAt: number): Promise<void> {
    await this.db.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...liveKeys.ticket(ticket), entityType: "liveTicket", subject, expiresAt },
      }),
    );
  }

  async takeTicket(ticket: string, nowSeconds: number): Promise<LiveSubject | null> {
    // Deleted as it is read: a ticket opens one connection, however many try it at once.
    const out = await this.db.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: liveKeys.ticket(ticket), ReturnValues: "ALL_OLD" }),
    );
    const old = out.Attributes;
    // TTL deletes lazily (up to days later): the expiry is checked here.
    if (!old || Number(old.expiresAt) < nowSeconds) return null;
    return old.subject as LiveSubject;
  }

  async putConnection(c: LiveConnection): Promise<void> {
    const item = { ...liveKeys.connection(c.connectionId), entityType: "liveConnection", ...toItem(c) };
    if (c.subject.kind !== "agent") {
      await this.db.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
      return;
    }
    const index = { ...liveKeys.userConnection(c.subject.userId, c.connectionId), connectionId: c.connectionId };
    await this.db.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.tableName, Item: item } },
          { Put: { TableName: this.tableName, Item: { ...index, expiresAt: c.expiresAt } } },
        ],
      }),
    );
  }

  async getConnection(connectionId: string): Promise<LiveConnection | null> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.tableName, Key: liveKeys.connection(connectionId), ConsistentRead: true }),
    );
    return out.Item ? fromItem(out.Item) : null;
  }

  /**
   * The connection item goes first, answering what it held: a subscribe that committed after `c` was
   * read is in that answer, and none can commit after it (each needs the item), so no subscription is
   * left behind to be posted to until its TTL.
   */
  async deleteConnection(c: LiveConnection): Promise<void> {
    const out = await this.db.doc.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: liveKeys.connection(c.connectionId),
        ReturnValues: "ALL_OLD",
      }),
    );
    const topics = new Set([...c.topics, ...(out.Attributes ? fromItem(out.Attributes).topics : [])]);
    const keys = [
      ...(c.subject.kind === "agent" ? [liveKeys.userConnection(c.subject.userId, c.connectionId)] : []),
      ...[...topics].map((t) => liveKeys.subscription(t, c.connectionId)),
    ];
    await Promise.all(keys.map((Key) => this.db.doc.send(new DeleteCommand({ TableName: this.tableName, Key }))));
  }

  /**
   * Two subscribes of one socket run at once (API Gateway does not serialise a socket's messages) and
   * both write its connection item: the one cancelled by the other is retried. The connection must
   * still hold `replaces` (or nothing, or `sub`'s topic) for that kind: when another subscribe changed
   * it meanwhile, the connection is read again and what it holds now is replaced, so a connection never
   * keeps two subscriptions of one kind. A socket closed meanwhile fails too: the connection is gone (a
   * NotFoundError the client gets as an error frame).
   */
  async subscribe(c: LiveConnection, sub: LiveSubscription, replaces: Topic | undefined): Promise<void> {
    const kind = topicKind(sub.topic);
    let held = replaces;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.db.doc.send(new TransactWriteCommand(this.subscribeWrite(c.connectionId, sub, held)));
        return;
      } catch (err) {
        const reasons = (err as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? [];
        if (attempt >= 5) throw err;
        if (reasons.at(-1)?.Code === "ConditionalCheckFailed") {
          const now = await this.getConnection(c.connectionId);
          if (!now) throw new NotFoundError("this connection is closed: reconnect");
          const current = now.topics.find((t) => topicKind(t) === kind);
          held = current === sub.topic ? undefined : current;
          continue;
        }
        if (!isTransient(err) && (err as { name?: string }).name !== "TransactionCanceledException") throw err;
        await new Promise((r) => setTimeout(r, 10 * 2 ** attempt * Math.random()));
      }
    }
  }

  /** `sub` in, `replaces` out, and the connection's topic of that kind set, if it is what was read. */
  private subscribeWrite(connectionId: string, sub: LiveSubscription, replaces: Topic | undefined) {
    return {
      TransactItems: [
        { Put: { TableName: this.tableName, Item: subscriptionItem(sub) } },
        ...(replaces
          ? [{ Delete: { TableName: this.tableName, Key: liveKeys.subscription(replaces, connectionId) } }]
          : []),
        {
          Update: {
            TableName: this.tableName,
            Key: liveKeys.connection(connectionId),
            UpdateExpression: "SET topics.#kind = :topic",
            ConditionExpression:
              "attribute_exists(pk) AND (attribute_not_exists(topics.#kind) OR topics.#kind = :held)",
            ExpressionAttributeNames: { "#kind": topicKind(sub.topic) },
            ExpressionAttributeValues: { ":topic": sub.topic, ":held": replaces ?? sub.topic },
          },
        },
      ],
    };
  }

  async unsubscribe(connectionId: string, topic: Topic): Promise<void> {
    await this.db.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: liveKeys.subscription(topic, connectionId) }),
    );
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: liveKeys.connection(connectionId),
          UpdateExpression: "REMOVE topics.#kind",
          ConditionExpression: "topics.#kind = :topic",
          ExpressionAttributeNames: { "#kind": topicKind(topic) },
          ExpressionAttributeValues: { ":topic": topic },
        }),
      );
    } catch (err) {
      // Gone, or already listening to another topic of that kind: nothing to forget.
      if ((err as { name?: string }).name !== "ConditionalCheckFailedException") throw err;
    }
  }

  async subscribers(topic: Topic): Promise<LiveSubscription[]> {
    const { items } = await queryPages(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": liveKeys.subscription(topic, "").pk },
    });
    // An expired one TTL has not deleted yet answers 410 when posted to, and goes then.
    return items.map((i) => ({
      topic,
      connectionId: String(i.connectionId),
      audience: JSON.parse(String(i.audience)),
      expiresAt: Number(i.expiresAt),
    }));
  }

  async connectionsOf(userId: string): Promise<LiveConnection[]> {
    const index = await this.reads.queryAll(liveKeys.userConnection(userId, "").pk, "CONN#");
    const items = await this.reads.getMany(index.map((i) => liveKeys.connection(String(i.connectionId))));
    return items.map(fromItem);
  }

  async refreshAccess(sub: LiveSubscription, user: AccessSnapshot): Promise<void> {
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: liveKeys.subscription(sub.topic, sub.connectionId),
          UpdateExpression: "SET audience = :a",
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeValues: { ":a": JSON.stringify({ kind: "agent", user }) },
        }),
      );
    } catch (err) {
      if ((err as { name?: string }).name !== "ConditionalCheckFailedException") throw err;
    }
  }
}

/**
 * A subscription as stored: small, since a change to a topic reads every one of them (its topic is the
 * partition key; its audience one JSON string, read whole, never queried into).
 */
export function subscriptionItem(sub: LiveSubscription) {
  return {
    ...liveKeys.subscription(sub.topic, sub.connectionId),
    connectionId: sub.connectionId,
    audience: JSON.stringify(sub.audience),
    expiresAt: sub.expiresAt,
  };
}

function toItem(c: LiveConnection) {
  const topics = Object.fromEntries(c.topics.map((t) => [topicKind(t), t]));
  return { connectionId: c.connectionId, subject: c.subject, topics, expiresAt: c.expiresAt };
}

function fromItem(i: Record<string, unknown>): LiveConnection {
  return {
    connectionId: String(i.connectionId),
    subject: i.subject as LiveSubject,
    topics: Object.values((i.topics ?? {}) as Record<string, Topic>),
    expiresAt: Number(i.expiresAt),
  };
}
