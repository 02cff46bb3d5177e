import { BatchGetCommand, GetCommand } from "@aws-sdk/lib-dynamodb";
import type { Entities, EntityIds } from "../../domain/ports/directory";
import { backoffMs, sleep } from "../../domain/retry";
import type { Channel, Contact, ContactKey, VersionedConversation } from "../../domain/types";
import type { DynamoClients } from "./client";
import { itemToChannel, itemToContact, itemToConversation, itemToInbox, itemToTeam, itemToUser } from "./items";
import { ENTITY, keys } from "./keys";
import { type Item, queryPages } from "./paging";

/** BatchGetItem takes at most 100 keys per call. */
const BATCH_GET_MAX = 100;

/**
 * Targeted reads shared by every part of the store: an item by key, the named items in batches, a
 * partition under a prefix. Every read here is sized by what the request names, never by the directory.
 */
export class DynamoEntityReads {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
  ) {}

  /** One item, partition CHANNEL#<id>. */
  async getChannel(channelId: string): Promise<Channel | null> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.channel(channelId) }));
    return out.Item ? itemToChannel(out.Item) : null;
  }

  /**
   * BatchGetItem of exactly the named users, teams and inboxes (100 keys a call, in parallel), read
   * consistently: a routing decision is checked against these loads at commit.
   */
  async loadEntities(ids: EntityIds): Promise<Entities> {
    const wanted = [
      ...[...new Set(ids.userIds ?? [])].map((id) => keys.user(id)),
      ...[...new Set(ids.teamIds ?? [])].map((id) => keys.team(id)),
      ...[...new Set(ids.inboxIds ?? [])].map((id) => keys.inbox(id)),
    ];
    const found = await this.getMany(wanted);
    const out: Entities = { users: new Map(), teams: new Map(), inboxes: new Map() };
    for (const item of found) {
      if (item.entityType === ENTITY.user) out.users.set(String(item.id), itemToUser(item));
      else if (item.entityType === ENTITY.team) out.teams.set(String(item.id), itemToTeam(item));
      else if (item.entityType === ENTITY.inbox) out.inboxes.set(String(item.id), itemToInbox(item));
    }
    return out;
  }

  /** The named channels, in the order named (missing ones left out): BatchGetItem, 100 keys a call. */
  async getChannels(ids: readonly string[]): Promise<Channel[]> {
    const found = await this.getMany(ids.map((id) => keys.channel(id)));
    const byId = new Map(found.map((item) => [String(item.id), itemToChannel(item)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  /** The named contacts, by id (missing ones left out): BatchGetItem, 100 keys a call. */
  async getContacts(ids: readonly string[]): Promise<Map<string, Contact>> {
    const found = await this.getMany([...new Set(ids)].map((id) => keys.contact(id)));
    return new Map(found.map((item) => [String(item.id), itemToContact(item)]));
  }

  /** Items by key, read consistently: BatchGetItem calls of at most 100 keys, in parallel. */
  async getMany(keyList: Array<{ pk: string; sk: string }>): Promise<Item[]> {
    const chunks: Array<typeof keyList> = [];
    for (let i = 0; i < keyList.length; i += BATCH_GET_MAX) chunks.push(keyList.slice(i, i + BATCH_GET_MAX));
    return (await Promise.all(chunks.map((chunk) => this.batchGet(chunk)))).flat();
  }

  private async batchGet(keyList: Array<{ pk: string; sk: string }>): Promise<Item[]> {
    const items: Item[] = [];
    let pending: Array<Record<string, unknown>> = keyList;
    // Unprocessed keys (throttling, 16 MB) are asked again with a short backoff, never dropped.
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await sleep(backoffMs(attempt, 200));
      const out = await this.db.doc.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      items.push(...(out.Responses?.[this.tableName] ?? []));
      pending = out.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
    }
    return items;
  }

  /** A Query of partition TEAM#<id>: one small membership item per primary member. */
  async teamMembers(teamId: string): Promise<string[]> {
    const items = await this.queryAll(keys.team(teamId).pk, keys.teamMemberPrefix);
    return items.map((i) => String(i.userId));
  }

  /** Every item of one partition under a sort-key prefix, read consistently, paged past 1 MB. */
  async queryAll(pk: string, skPrefix: string, limit?: number, afterSk?: string): Promise<Item[]> {
    // Starting after a given sort key is what paging past part of a range needs (the item may be gone).
    const { items } = await queryPages(
      this.db,
      {
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues: { ":pk": pk, ":prefix": skPrefix },
        ConsistentRead: true,
        ExclusiveStartKey: afterSk === undefined ? undefined : { pk, sk: afterSk },
      },
      limit,
    );
    return items;
  }

  async findContact(key: ContactKey): Promise<Contact | null> {
    const lookupKey = key.by === "email" ? keys.contactEmail(key.value) : keys.visitor(key.value);
    const lookup = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: lookupKey }));
    const contactId = lookup.Item?.contactId;
    if (typeof contactId !== "string") return null;
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.contact(contactId) }));
    return out.Item ? itemToContact(out.Item) : null;
  }

  /** One item, partition CONTACT#<id>. */
  async getContact(id: string): Promise<Contact | null> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.contact(id), ConsistentRead: true }),
    );
    return out.Item ? itemToContact(out.Item) : null;
  }

  async getConversation(id: string): Promise<VersionedConversation | null> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.conversation(id), ConsistentRead: true }),
    );
    return out.Item ? itemToConversation(out.Item) : null;
  }
}
