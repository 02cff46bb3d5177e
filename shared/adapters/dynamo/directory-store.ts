import { DeleteCommand, GetCommand, PutCommand, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ConflictError, ContentionError, NotFoundError } from "../../domain/errors";
import type { UserPage, UserProfile } from "../../domain/ports/directory";
import type { Channel, Inbox, Team, User } from "../../domain/types";
import type { DynamoClients } from "./client";
import { activityOlderThan, all, capacityNotBelowLoad, primaryTeamIs } from "./conditions";
import { decodeCursor, encodeCursor } from "./cursor";
import type { DynamoEntityReads } from "./entity-reads";
import { channelToItem, inboxToItem, itemToUser, teamToItem } from "./items";
import { ENTITY, keys, viewKeys } from "./keys";
import { runTransaction, type TransactItem, Tx } from "./transaction";

/**
 * Presence is written at most once a minute per user however often the app calls (every
 * authenticated request records activity): "active in the last 2 minutes" and "offline after 5"
 * (docs/routing.md §5.2, §5.3) stay true to within this interval.
 */
export const ACTIVITY_WRITE_INTERVAL_MS = 60_000;

const USERS_INDEX = { name: "gsi3", pk: "gsi3pk", sk: "gsi3sk" } as const;

/**
 * Configuration writes (users, teams, inboxes, channels, contacts) and presence. Each touches the
 * partitions of the ids it names: a user change writes USER#<id> and, when the primary team changes,
 * the two membership items, in one transaction.
 */
export class DynamoDirectoryStore {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
    private readonly reads: DynamoEntityReads,
  ) {}

  /**
   * Create or replace a user's profile, keeping availability, activity and load (they belong to the
   * user's work, not to the admin's form). A capacity below the user's current load is refused. The
   * membership item of the primary team moves in the same transaction, on condition that the team
   * read is still the user's: a concurrent change makes it read again.
   */
  async putUser(profile: UserProfile): Promise<User> {
    for (let attempt = 0; attempt < 8; attempt++) {
      const before = await this.getUser(profile.id);
      const seenTeam = before?.primaryTeamId ?? null;
      const cond = all(
        primaryTeamIs(seenTeam),
        ...(profile.capacity === null ? [] : [capacityNotBelowLoad(profile.capacity)]),
      );
      const set = [
        "id = :id",
        "entityType = :entityType",
        "#name = :name",
        "email = :email",
        "seat = :seat",
        "#role = :role",
        "additionalTeamIds = :additionalTeamIds",
        "availability = if_not_exists(availability, :available)",
        "openCount = if_not_exists(openCount, :zero)",
        // The user list's index key, set once: the index projects keys only, so later writes skip it.
        `${USERS_INDEX.pk} = if_not_exists(${USERS_INDEX.pk}, :usersPk)`,
        `${USERS_INDEX.sk} = if_not_exists(${USERS_INDEX.sk}, :id)`,
      ];
      const remove: string[] = [];
      if (profile.capacity !== null) set.push("maxOpen = :capacity");
      else remove.push("maxOpen");
      if (profile.primaryTeamId !== null) set.push("primaryTeamId = :primaryTeamId");
      else remove.push("primaryTeamId");
      const tx = new Tx();
      tx.add(
        {
          Update: {
            TableName: this.tableName,
            Key: keys.user(profile.id),
            UpdateExpression: `SET ${set.join(", ")}${remove.length ? ` REMOVE ${remove.join(", ")}` : ""}`,
            ConditionExpression: cond.ConditionExpression,
            ExpressionAttributeNames: { "#name": "name", "#role": "role" },
            ExpressionAttributeValues: {
              ...cond.values,
              ":id": profile.id,
              ":entityType": ENTITY.user,
              ":name": profile.name,
              ":email": profile.email,
              ":seat": profile.seat,
              ":role": profile.role,
              ":additionalTeamIds": profile.additionalTeamIds,
              ":available": "available",
              ":zero": 0,
              ":usersPk": viewKeys.users,
              ...(profile.capacity !== null ? { ":capacity": profile.capacity } : {}),
              ...(profile.primaryTeamId !== null ? { ":primaryTeamId": profile.primaryTeamId } : {}),
            },
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          },
        },
        { kind: "user", userId: profile.id },
      );
      if (seenTeam !== null && seenTeam !== profile.primaryTeamId) {
        tx.add(
          { Delete: { TableName: this.tableName, Key: keys.teamMember(seenTeam, profile.id) } },
          { kind: "member" },
        );
      }
      if (profile.primaryTeamId !== null) {
        const item = {
          ...keys.teamMember(profile.primaryTeamId, profile.id),
          entityType: ENTITY.teamMember,
          userId: profile.id,
        };
        tx.add({ Put: { TableName: this.tableName, Item: item } }, { kind: "member" });
      }
      const result = await runTransaction(this.db, tx);
      if (result.ok) {
        const kept = before ?? {
          availability: "available" as const,
          lastInboxActivityAt: null,
          lastAssignedAt: null,
          openCount: 0,
        };
        return {
          ...profile,
          availability: kept.availability,
          lastInboxActivityAt: kept.lastInboxActivityAt,
          lastAssignedAt: kept.lastAssignedAt,
          openCount: kept.openCount,
        };
      }
      const old = result.conditions.find((f) => f.kind === "user")?.old;
      if (old && profile.capacity !== null && typeof old.openCount === "number" && old.openCount > profile.capacity) {
        throw new ConflictError("capacity below current load", [
          {
            field: "capacity",
            reason: `user ${profile.id} already holds more than ${profile.capacity} open conversations`,
          },
        ]);
      }
      // The primary team changed meanwhile (or a transient conflict): read again.
    }
    throw new ContentionError(`user ${profile.id} kept changing; try again`);
  }

  /** One item, partition USER#<id>. */
  async getUser(id: string): Promise<User | null> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.user(id), ConsistentRead: true }),
    );
    return out.Item ? itemToUser(out.Item) : null;
  }

  /**
   * Availability is the user's own toggle: written each time. Activity (every authenticated request)
   * is written only when the stored one is older than a minute, so an app that calls every second
   * costs one read per call and one small write per minute on USER#<id>.
   */
  async updatePresence(
    userId: string,
    change: { availability?: User["availability"]; activityAt?: string },
  ): Promise<User> {
    if (!change.availability && change.activityAt) return this.touchActivity(userId, change.activityAt);
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
      if ((err as { name?: string }).name === "ConditionalCheckFailedException")
        throw new NotFoundError(`user ${userId} does not exist`);
      throw err;
    }
  }

  private async touchActivity(userId: string, at: string): Promise<User> {
    const user = await this.getUser(userId);
    if (!user) throw new NotFoundError(`user ${userId} does not exist`);
    const staleBefore = new Date(Date.parse(at) - ACTIVITY_WRITE_INTERVAL_MS).toISOString();
    if (user.lastInboxActivityAt !== null && user.lastInboxActivityAt >= staleBefore) return user;
    const cond = activityOlderThan(staleBefore);
    try {
      await this.db.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.user(userId),
          UpdateExpression: "SET lastInboxActivityAt = :at",
          ConditionExpression: cond.expression,
          ExpressionAttributeValues: { ...cond.values, ":at": at },
        }),
      );
      return { ...user, lastInboxActivityAt: at };
    } catch (err) {
      // Another request of the same user recorded it a moment ago: that is the write of this minute.
      if ((err as { name?: string }).name === "ConditionalCheckFailedException") return user;
      throw err;
    }
  }

  /**
   * One page of users by id: a Query of the keys-only user index (partition USERS, `limit` keys), then
   * one BatchGetItem of those users. Never the whole directory.
   */
  async listUsers(q: { limit: number; cursor?: string | undefined }): Promise<UserPage> {
    const start = decodeCursor(q.cursor, {
      index: USERS_INDEX.name,
      partition: viewKeys.users,
      item: keys.user(""),
    });
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: USERS_INDEX.name,
        KeyConditionExpression: `${USERS_INDEX.pk} = :pk`,
        ExpressionAttributeValues: { ":pk": viewKeys.users },
        Limit: q.limit,
        ExclusiveStartKey: start,
      }),
    );
    const ids = (out.Items ?? []).map((i) => String(i[USERS_INDEX.sk]));
    const { users } = await this.reads.loadEntities({ userIds: ids });
    return {
      items: ids.map((id) => users.get(id)).filter((u): u is User => u !== undefined),
      nextCursor: encodeCursor(out.LastEvaluatedKey),
    };
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
    const previous = await this.reads.getChannel(channel.id);
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
    const tx = new Tx();
    for (const item of items) tx.add(item, { kind: "channel" });
    const result = await runTransaction(this.db, tx);
    if (!result.ok && result.transient) throw new ContentionError("the channel kept changing; try again");
    if (!result.ok)
      throw new ConflictError("address in use", [
        { field: "address", reason: `${channel.address} already belongs to another channel` },
      ]);
    await this.moveChannelRefs(channel, previous);
  }

  /**
   * The reverse of a rule: for each user and team it lists, an item saying they can take this
   * channel's conversations, so a user who becomes eligible finds the lines to drain with two small
   * Queries. They are hints (the sweeper drains every line anyway), written after the channel.
   */
  private async moveChannelRefs(channel: Channel, previous: Channel | null): Promise<void> {
    const refsOf = (c: Channel | null) => {
      const out = new Map<string, { pk: string; sk: string }>();
      const target = c?.routing.target;
      if (!c || !target) return out;
      const users =
        target.type === "users_and_teams" ? target.userIds : target.fallbackUserId ? [target.fallbackUserId] : [];
      for (const u of users) out.set(`u:${u}`, keys.userChannel(u, c.id));
      if (target.type === "users_and_teams")
        for (const t of target.teamIds) out.set(`t:${t}`, keys.teamChannel(t, c.id));
      return out;
    };
    const next = refsOf(channel);
    const old = refsOf(previous);
    await Promise.all([
      ...[...next.values()].map((key) =>
        this.db.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { ...key, entityType: ENTITY.channelRef, channelId: channel.id },
          }),
        ),
      ),
      ...[...old]
        .filter(([k]) => !next.has(k))
        .map(([, key]) => this.db.doc.send(new DeleteCommand({ TableName: this.tableName, Key: key }))),
    ]);
  }

  private async put(item: Record<string, unknown>): Promise<void> {
    await this.db.doc.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }
}
