import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { ConflictError, NotFoundError, ValidationError } from "../../domain/errors";
import type {
  AdminStore,
  ConversationPage,
  ConversationQuery,
  UserProfile,
  VisitorLinkInput,
  VisitorLinkOutcome,
  VisitorProfile,
} from "../../domain/ports";
import type { Channel, Contact, Inbox, Message, MessageDelivery, Team, User } from "../../domain/types";
import {
  all,
  capacityNotBelowLoad,
  contactRevisionIs,
  exists,
  isNew,
  lookupNames,
  underContactQuota,
  type Condition,
} from "./conditions";
import { channelToItem, contactToItem, inboxToItem, itemToContact, itemToConversation, itemToMessage, itemToUser, teamToItem } from "./items";
import { ENTITY, keys, viewKeys } from "./keys";
import { DynamoRoutingStore } from "./routing-store";

type TransactItem = NonNullable<TransactWriteCommandInput["TransactItems"]>[number];

/** A named condition as the request fields a Put or ConditionCheck takes. */
type ConditionFields = { ConditionExpression: string; ExpressionAttributeValues?: Record<string, unknown> };
function conditionOf(c: Condition): ConditionFields {
  const values = Object.keys(c.values).length > 0 ? { ExpressionAttributeValues: c.values } : {};
  return { ConditionExpression: c.expression, ...values };
}

function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString("base64url") : null;
}

const badCursor = (reason: string) => new ValidationError("bad cursor", [{ field: "query.cursor", reason }]);

/**
 * A cursor is the view's LastEvaluatedKey: exactly the table and index keys, all strings, of a conversation
 * in the very view it was issued for (docs/api.md). Anything else never reaches DynamoDB.
 */
function decodeCursor(
  cursor: string | undefined,
  index: "gsi1" | "gsi2",
  viewPk: string,
): Record<string, string> | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw badCursor("not a cursor returned by this API");
  }
  const notOurs = "not a cursor returned by this API";
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw badCursor(notOurs);
  const key = parsed as Record<string, unknown>;
  const names = ["pk", "sk", `${index}pk`, `${index}sk`];
  const exact = Object.keys(key).length === names.length && names.every((n) => typeof key[n] === "string");
  if (!exact || key.sk !== "CONV" || !String(key.pk).startsWith("CONV#")) throw badCursor(notOurs);
  if (key[`${index}pk`] !== viewPk) throw badCursor("issued for another inbox, view or status");
  return key as Record<string, string>;
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

  async getContact(id: string): Promise<Contact | null> {
    const item = await this.contactItem(id);
    return item ? itemToContact(item) : null;
  }

  private async contactItem(id: string): Promise<Record<string, unknown> | null> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.contact(id), ConsistentRead: true }));
    return out.Item ?? null;
  }

  /**
   * The contact item written only if nobody wrote it since it was read (`rev` moves on every write), so
   * an admin's edit and a visitor's identify never lose each other's visitor tokens.
   */
  private contactPut(contact: Contact, previous: Record<string, unknown> | null): TransactItem {
    const rev = typeof previous?.rev === "number" ? previous.rev : null;
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...contactToItem(contact), rev: (rev ?? 0) + 1 },
        ...conditionOf(previous === null ? isNew : contactRevisionIs(rev)),
      },
    };
  }

  /**
   * Create or replace a contact and its lookups (email, visitor tokens) in one transaction; an email or
   * token that already belongs to another contact is a conflict, never a silent steal.
   */
  async putContact(contact: Contact): Promise<void> {
    const previousItem = await this.contactItem(contact.id);
    const previous = previousItem ? itemToContact(previousItem) : null;
    const items: TransactItem[] = [this.contactPut(contact, previousItem)];
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
          {
            field: "contact",
            reason: `${contact.email} or a visitor token belongs to another contact, or the contact changed meanwhile`,
          },
        ]);
      }
      throw err;
    }
  }

  async getVisitorProfile(token: string): Promise<VisitorProfile | null> {
    const get = new GetCommand({ TableName: this.tableName, Key: keys.visitorProfile(token), ConsistentRead: true });
    const out = await this.db.doc.send(get);
    if (!out.Item) return null;
    return {
      ...(typeof out.Item.unverifiedEmail === "string" ? { unverifiedEmail: out.Item.unverifiedEmail } : {}),
      ...(typeof out.Item.visitorName === "string" ? { name: out.Item.visitorName } : {}),
      contactsCreated: typeof out.Item.contactsCreated === "number" ? out.Item.contactsCreated : 0,
    };
  }

  /** One item per visitor, overwritten: what an unverified visitor says costs one bounded write. */
  async recordUnverifiedEmail(token: string, email: string, name?: string): Promise<void> {
    await this.db.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.visitorProfile(token),
        UpdateExpression: `SET entityType = :type, unverifiedEmail = :email${
          name ? ", visitorName = :name" : " REMOVE visitorName"
        }`,
        ExpressionAttributeValues: { ":type": ENTITY.visitor, ":email": email, ...(name ? { ":name": name } : {}) },
      }),
    );
  }

  /**
   * One attempt at a verified identify: five consistent GetItems (token and email lookups, the visitor
   * profile, the two contacts; one item each), then one transaction
   * whose conditions say nothing of that changed. Any change meanwhile cancels it (`conflict`): the
   * caller reads again, so concurrent calls converge and no lookup is ever left without its contact.
   */
  async linkVisitor(input: VisitorLinkInput): Promise<VisitorLinkOutcome> {
    const { token, email, name } = input;
    const get = async (key: { pk: string; sk: string }) =>
      (await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }))).Item ??
      null;
    const [tokenLink, emailLink, profile] = await Promise.all([
      get(keys.visitor(token)),
      get(keys.contactEmail(email)),
      get(keys.visitorProfile(token)),
    ]);
    const fromId = typeof tokenLink?.contactId === "string" ? tokenLink.contactId : null;
    const toId = typeof emailLink?.contactId === "string" ? emailLink.contactId : null;
    const [fromItem, toItem] = await Promise.all([
      fromId ? this.contactItem(fromId) : null,
      toId ? this.contactItem(toId) : null,
    ]);
    if (toItem && fromId === toId) {
      const contact = itemToContact(toItem);
      if (contact.visitorTokens.includes(token)) return { type: "linked", contact };
    }
    const items: TransactItem[] = [];
    let contact: Contact;
    if (toItem) {
      const current = itemToContact(toItem);
      const visitorTokens = [...new Set([...current.visitorTokens, token])];
      contact = { ...current, ...(name && !current.name ? { name } : {}), visitorTokens };
      items.push(this.contactPut(contact, toItem));
      items.push({
        ConditionCheck: {
          TableName: this.tableName,
          Key: keys.contactEmail(email),
          ...conditionOf(lookupNames(current.id)),
        },
      });
    } else {
      const created = typeof profile?.contactsCreated === "number" ? profile.contactsCreated : 0;
      if (created >= input.maxContactsCreated) return { type: "limit" };
      contact = { id: input.newContactId, email, ...(name ? { name } : {}), ownerId: null, visitorTokens: [token] };
      items.push(this.contactPut(contact, null));
      items.push({
        Put: {
          TableName: this.tableName,
          Item: { ...keys.contactEmail(email), entityType: ENTITY.lookup, contactId: contact.id },
          // A lookup whose contact is gone is taken over; a live one never is.
          ...conditionOf(toId ? lookupNames(toId) : isNew),
        },
      });
      items.push({
        Update: {
          TableName: this.tableName,
          Key: keys.visitorProfile(token),
          UpdateExpression: "SET entityType = :type ADD contactsCreated :one",
          ConditionExpression: underContactQuota(input.maxContactsCreated).expression,
          ExpressionAttributeValues: {
            ":type": ENTITY.visitor,
            ":one": 1,
            ...underContactQuota(input.maxContactsCreated).values,
          },
        },
      });
    }
    items.push({
      Put: {
        TableName: this.tableName,
        Item: { ...keys.visitor(token), entityType: ENTITY.lookup, contactId: contact.id },
        ...conditionOf(fromId ? lookupNames(fromId) : isNew),
      },
    });
    if (fromItem && fromId !== contact.id) {
      const from = itemToContact(fromItem);
      items.push(this.contactPut({ ...from, visitorTokens: from.visitorTokens.filter((t) => t !== token) }, fromItem));
    }
    try {
      await this.db.doc.send(new TransactWriteCommand({ TransactItems: items }));
      return { type: "linked", contact };
    } catch (err) {
      if ((err as { name?: string }).name === "TransactionCanceledException") return { type: "conflict" };
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
        ExclusiveStartKey: decodeCursor(q.cursor, index as "gsi1" | "gsi2", pk),
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
