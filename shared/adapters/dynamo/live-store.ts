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
    const item = await this.connectionItem(connectionId);
    return item ? fromItem(item) : null;
  }

  /**
   * The connection item goes first, answering what it held: a subscribe that committed after `c` was
   * read is in that answer, and none can commit after it (each needs the item), so none is left
   * behind. (A crash between the two steps leaves some: they go at their first post's 410, or TTL.)
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
   * both write its connection item. The write holds only while the connection still holds `replaces`
   * for that kind (nothing, when `replaces` is undefined, or `sub`'s own topic) and, given the request's
   * `seq`, while no later request of the socket for that kind has been written. Losing, it reads the
   * connection again: closed, a NotFoundError (the client gets an error frame); superseded by a later
   * request, false (nothing written: the client has moved on); else it replaces what is held now. So
   * a connection keeps one subscription of a kind, the one its client asked for last.
   */
  subscribe(c: LiveConnection, sub: LiveSubscription, replaces: Topic | undefined, seq?: number): Promise<boolean> {
    const kind = topicKind(sub.topic);
    let held = replaces;
    return this.untilWritten(
      () => this.db.doc.send(new TransactWriteCommand(this.subscribeWrite(c.connectionId, sub, held, seq))),
      async () => {
        const now = await this.connectionItem(c.connectionId);
        if (!now) throw new NotFoundError("this connection is closed: reconnect");
        if (superseded(now, kind, seq)) return "stop";
        const current = fromItem(now).topics.find((t) => topicKind(t) === kind);
        held = current === sub.topic ? undefined : current;
        return "retry";
      },
    );
  }

  /** `sub` in, `replaces` out, and the connection's topic of that kind set, if it is what was read. */
  private subscribeWrite(connectionId: string, sub: LiveSubscription, replaces: Topic | undefined, seq?: number) {
    const kind = topicKind(sub.topic);
    const order = ordered(kind, seq);
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
            UpdateExpression: `SET topics.#kind = :topic${order.assign ? `, ${order.assign}` : ""}`,
            ConditionExpression: `${HOLDS_WHAT_WAS_READ}${order.condition}`,
            ExpressionAttributeNames: { "#kind": kind, ...order.names },
            ExpressionAttributeValues: { ":topic": sub.topic, ":held": replaces ?? sub.topic, ...order.values },
          },
        },
      ],
    };
  }

  /**
   * The subscription goes and the connection forgets the topic, if it still holds it. Given `seq`, only
   * if no later request of the socket for that kind has been written, and the request is recorded, so
   * an earlier subscribe that runs after it (API Gateway runs them at once) writes nothing.
   */
  async unsubscribe(connectionId: string, topic: Topic, seq?: number): Promise<void> {
    if (seq === undefined) return this.forget(connectionId, topic);
    const kind = topicKind(topic);
    const order = ordered(kind, seq);
    await this.untilWritten(
      () =>
        this.db.doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Delete: { TableName: this.tableName, Key: liveKeys.subscription(topic, connectionId) } },
              {
                Update: {
                  TableName: this.tableName,
                  Key: liveKeys.connection(connectionId),
                  UpdateExpression: `REMOVE topics.#kind SET ${order.assign}`,
                  ConditionExpression: `topics.#kind = :topic${order.condition}`,
                  ExpressionAttributeNames: { "#kind": kind, ...order.names },
                  ExpressionAttributeValues: { ":topic": topic, ...order.values },
                },
              },
            ],
          }),
        ),
      async () => {
        const now = await this.connectionItem(connectionId);
        if (!now || superseded(now, kind, seq)) return "stop";
        // It holds another topic of that kind (or none): nothing to forget, but the order is kept.
        const holds = fromItem(now).topics.find((t) => topicKind(t) === kind) === topic;
        return !holds && (await this.record(connectionId, kind, seq)) ? "stop" : "retry";
      },
    );
  }

  /**
   * Runs a conditional `write` until it commits (true). A failed condition asks `lost` what now:
   * "stop" (false: nothing to write any more) or "retry" at once, with what it read; conflicts and
   * throttling are retried after a backoff; five tries at most.
   */
  private async untilWritten(write: () => Promise<unknown>, lost: () => Promise<"stop" | "retry">) {
    for (let attempt = 1; ; attempt++) {
      try {
        await write();
        return true;
      } catch (err) {
        const codes = reasonCodes(err);
        const conditionFailed = codes.at(-1) === "ConditionalCheckFailed";
        if (conditionFailed) {
          if ((await lost()) === "stop") return false;
        } else if (!isTransient(err) && !codes.includes("TransactionConflict")) throw err;
        if (attempt >= 5) throw err;
        if (!conditionFailed) await backoff(attempt);
      }
    }
  }

  /** An unordered unsubscribe (access withdrawn, a post that answered 410): no `seq` to keep. */
  private async forget(connectionId: string, topic: Topic): Promise<void> {
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

  /** Records the socket's latest request for `kind`; false when the item changed meanwhile. */
  private async record(connectionId: string, kind: string, seq: number): Promise<boolean> {
    const order = ordered(kind, seq);
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: liveKeys.connection(connectionId),
          UpdateExpression: `SET ${order.assign}`,
          ConditionExpression: `attribute_exists(pk)${order.condition}`,
          ExpressionAttributeNames: order.names,
          ExpressionAttributeValues: order.values,
        }),
      );
      return true;
    } catch (err) {
      if ((err as { name?: string }).name !== "ConditionalCheckFailedException") throw err;
      return false;
    }
  }

  private async connectionItem(connectionId: string): Promise<Record<string, unknown> | undefined> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.tableName, Key: liveKeys.connection(connectionId), ConsistentRead: true }),
    );
    return out.Item;
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

/** The connection is open and holds, for the kind, what the handler read (or nothing). */
const HOLDS_WHAT_WAS_READ = "attribute_exists(pk) AND (attribute_not_exists(topics.#kind) OR topics.#kind = :held)";

/** The attribute that keeps a socket's latest request for one kind of topic (`inboxSeq`, …). */
const seqAttribute = (kind: string) => `${kind}Seq`;

/** The update and condition parts that order a request by its `seq` (none without one). */
function ordered(
  kind: string,
  seq: number | undefined,
): { assign: string; condition: string; names: Record<string, string>; values: Record<string, unknown> } {
  if (seq === undefined) return { assign: "", condition: "", names: {}, values: {} };
  return {
    assign: "#seq = :seq",
    condition: " AND (attribute_not_exists(#seq) OR #seq < :seq)",
    names: { "#seq": seqAttribute(kind) },
    values: { ":seq": seq },
  };
}

/** Whether a request of the socket later than `seq` for `kind` has been written. */
function superseded(item: Record<string, unknown>, kind: string, seq: number | undefined): boolean {
  const stored = item[seqAttribute(kind)];
  return seq !== undefined && stored !== undefined && Number(stored) >= seq;
}

function reasonCodes(err: unknown): Array<string | undefined> {
  return ((err as { CancellationReasons?: Array<{ Code?: string }> }).CancellationReasons ?? []).map((r) => r.Code);
}

const backoff = (attempt: number) => new Promise((r) => setTimeout(r, 10 * 2 ** attempt * Math.random()));
