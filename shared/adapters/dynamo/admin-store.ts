import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand, type TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import { ConflictError, NotFoundError, ValidationError } from "../../domain/errors";
import type { AdminStore, ConversationPage, ConversationQuery, UserProfile } from "../../domain/admin-ports";
import type { Channel, Contact, Inbox, Message, MessageDelivery, Team, User } from "../../domain/types";
import { all, capacityNotBelowLoad, exists } from "./conditions";
import { channelToItem, contactToItem, inboxToItem, itemToContact, itemToConversation, itemToMessage, itemToUser, teamToItem } from "./items";
import { ENTITY, keys, viewKeys } from "./keys";
import { DynamoRoutingStore } from "./routing-store";

type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString("base64url") : null;
}

function decodeCursor(cursor: string | undefined): Record<string, unknown> | undefined {
  if (!cursor) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new ValidationError("bad cursor", [{ field: "cursor", reason: "not a cursor returned by this API" }]);
}

/** Everything an admin or agent reads and writes besides routing commits. */
export class DynamoAdminStore extends DynamoRoutingStore implements AdminStore {
  /**
   * Create or replace a user's profile, keeping availability, activity and load (they belong to the
   * user's work, not to the admin's form). A capacity below the user's current load is refused.
   */
  async putUser(profile: UserProfile): Promise<User> {
    const cond = profile.capacity === null ? null : all(capacityNotBelowLoad(profile.capacity));
    const set = [
      "id = :id",
      "entityType = :entityType",
      "#name = :name",
      "email = :email",
      "seat = :seat",
      "#role = :role",
      "primaryTeamId = :primaryTeamId",
      "additionalTeamIds = :additionalTeamIds",
      "availability = if_not_exists(availability, :available)",
      "openCount = if_not_exists(openCount, :zero)",
    ];
    if (profile.capacity !== null) set.push("maxOpen = :capacity");
    try {
      const out = await this.db.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.user(profile.id),
          UpdateExpression: `SET ${set.join(", ")}${profile.capacity === null ? " REMOVE maxOpen" : ""}`,
          ConditionExpression: cond?.ConditionExpression,
          ExpressionAttributeNames: { "#name": "name", "#role": "role" },
          ExpressionAttributeValues: {
            ...(cond?.values ?? {}),
            ":id": profile.id,
            ":entityType": ENTITY.user,
            ":name": profile.name,
            ":email": profile.email,
            ":seat": profile.seat,
            ":role": profile.role,
            ":primaryTeamId": profile.primaryTeamId,
            ":additionalTeamIds": profile.additionalTeamIds,
            ":available": "available",
            ":zero": 0,
            ...(profile.capacity !== null ? { ":capacity": profile.capacity } : {}),
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return itemToUser(out.Attributes ?? {});
    } catch (err) {
      if ((err as { name?: string }).name === "ConditionalCheckFailedException") {
        throw new ConflictError("capacity below current load", [
          { field: "capacity", reason: `user ${profile.id} already holds more than ${profile.capacity} open conversations` },
        ]);
      }
      throw err;
    }
  }

  async getUser(id: string): Promise<User | null> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.user(id), ConsistentRead: true }));
    return out.Item ? itemToUser(out.Item) : null;
  }

  /** Availability and activity are the user's own: plain updates of an existing user. */
  async updatePresence(userId: string, change: { availability?: User["availability"]; activityAt?: string }): Promise<User> {
    const set: string[] = [];
    const values: Record<string, unknown> = {};
    if (change.availability) {
      set.push("availability = :availability");
      values[":availability"] = change.availability;
    }
    if (change.activityAt) {
      set.push("lastInboxActivityAt = :at");
      values[":at"] = change.activityAt;
    }
    try {
      const out = await this.db.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.user(userId),
          UpdateExpression: `SET ${set.join(", ")}`,
          ConditionExpression: "attribute_exists(pk)",
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
        }),
      );
      return itemToUser(out.Attributes ?? {});
    } catch (err) {
      if ((err as { name?: string }).name === "ConditionalCheckFailedException") throw new NotFoundError(`user ${userId} does not exist`);
      throw err;
    }
  }

  async putTeam(team: Team): Promise<void> {
    await this.put(teamToItem(team));
  }

  async putInbox(inbox: Inbox): Promise<void> {
    await this.put(inboxToItem(inbox));
  }

  /**
   * Create or replace a channel. An email channel's address gets a unique lookup (SES finds the channel
   * by recipient); an address already used by another channel is a conflict.
   */
  async putChannel(channel: Channel): Promise<void> {
    const previous = await this.getChannel(channel.id);
    const items: TransactItem[] = [{ Put: { TableName: this.tableName, Item: channelToItem(channel) } }];
    if (channel.address) {
      items.push({
        Put: {
          TableName: this.tableName,
          Item: { ...keys.channelAddress(channel.address), entityType: ENTITY.lookup, channelId: channel.id },
          ConditionExpression: "attribute_not_exists(pk) OR channelId = :me",
          ExpressionAttributeValues: { ":me": channel.id },
        },
      });
    }
    if (previous?.address && previous.address.toLowerCase() !== channel.address?.toLowerCase()) {
      items.push({ Delete: { TableName: this.tableName, Key: keys.channelAddress(previous.address) } });
    }
    try {
      await this.db.doc.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (err) {
      if ((err as { name?: string }).name === "TransactionCanceledException") {
        throw new ConflictError("address in use", [{ field: "address", reason: `${channel.address} already belongs to another channel` }]);
      }
      throw err;
    }
  }

  async findChannelByAddress(address: string): Promise<Channel | null> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.channelAddress(address) }));
    const channelId = out.Item?.channelId;
    return typeof channelId === "string" ? this.getChannel(channelId) : null;
  }

  /** The conversation a dedupe key points at (email threading by Message-ID, duplicate deliveries). */
  async findByDedupeKey(channelId: string, key: string): Promise<string | null> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.dedupe(channelId, key), ConsistentRead: true }));
    return typeof out.Item?.conversationId === "string" ? out.Item.conversationId : null;
  }

  async getContact(id: string): Promise<Contact | null> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.contact(id), ConsistentRead: true }));
    return out.Item ? itemToContact(out.Item) : null;
  }

  /**
   * Create or replace a contact and its lookups (email, visitor tokens) in one transaction; an email or
   * token that already belongs to another contact is a conflict, never a silent steal.
   */
  async putContact(contact: Contact): Promise<void> {
    const previous = await this.getContact(contact.id);
    const items: TransactItem[] = [{ Put: { TableName: this.tableName, Item: contactToItem(contact) } }];
    const lookup = (key: { pk: string; sk: string }) => ({
      Put: {
        TableName: this.tableName,
        Item: { ...key, entityType: ENTITY.lookup, contactId: contact.id },
        // Free, or already ours.
        ConditionExpression: "attribute_not_exists(pk) OR contactId = :me",
        ExpressionAttributeValues: { ":me": contact.id },
      },
    });
    items.push(lookup(keys.contactEmail(contact.email)));
    for (const token of new Set(contact.visitorTokens)) items.push(lookup(keys.visitor(token)));
    if (previous) {
      const keep = new Set([keys.contactEmail(contact.email).pk, ...contact.visitorTokens.map((t) => keys.visitor(t).pk)]);
      for (const key of [keys.contactEmail(previous.email), ...previous.visitorTokens.map((t) => keys.visitor(t))]) {
        if (!keep.has(key.pk)) items.push({ Delete: { TableName: this.tableName, Key: key } });
      }
    }
    try {
      await this.db.doc.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (err) {
      if ((err as { name?: string }).name === "TransactionCanceledException") {
        throw new ConflictError("email or visitor token belongs to another contact", [
          { field: "contact", reason: `email ${contact.email} or one of the visitor tokens is already linked to another contact` },
        ]);
      }
      throw err;
    }
  }

  /** Views of an inbox (docs/api.md): unassigned and mine read gsi2, all reads gsi1; oldest first. */
  async listConversations(q: ConversationQuery): Promise<ConversationPage> {
    const [index, pk] =
      q.view === "all"
        ? ["gsi1", viewKeys.all(q.inboxId, q.status)]
        : ["gsi2", viewKeys.byAssignee(q.inboxId, q.status, q.view === "mine" ? q.userId : null)];
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index,
        KeyConditionExpression: `${index}pk = :pk`,
        ExpressionAttributeValues: { ":pk": pk },
        Limit: q.limit,
        ExclusiveStartKey: decodeCursor(q.cursor),
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

  async listMessages(conversationId: string): Promise<Message[]> {
    return (await this.queryAll(keys.conversation(conversationId).pk, keys.messagePrefix)).map(itemToMessage);
  }

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

  private async put(item: Record<string, unknown>): Promise<void> {
    await this.db.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }
}
