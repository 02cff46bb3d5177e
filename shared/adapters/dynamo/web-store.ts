import { GetCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { ChangeBatch, ConversationView, Page, PageRequest, WebReadStore } from "../../domain/ports/reads";
import type { Channel, ConversationStatus, Inbox, Team, User } from "../../domain/types";
import type { DynamoClients } from "./client";
import { decodeCursor, encodeCursor } from "./cursor";
import type { DynamoEntityReads } from "./entity-reads";
import { itemToConversation, itemToInbox } from "./items";
import { keys, viewKeys, viewPartition } from "./keys";

/** The web inbox's reads. Each method says which partition it touches and how many items it reads. */
export class DynamoWebStore implements WebReadStore {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
    private readonly reads: DynamoEntityReads,
  ) {}

  /** GetItem on the inbox's key: one item. */
  async getInbox(id: string): Promise<Inbox | null> {
    const out = await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: keys.inbox(id) }));
    return out.Item ? itemToInbox(out.Item) : null;
  }

  /** One page of gsi3's `INBOXES` keys, then one BatchGetItem of those inboxes: at most `limit` items. */
  async listInboxes(page: PageRequest): Promise<Page<Inbox>> {
    const { ids, nextCursor } = await this.idPage(viewKeys.inboxes, keys.inbox(""), page);
    const { inboxes } = await this.reads.loadEntities({ inboxIds: ids });
    return { items: ids.flatMap((id) => inboxes.get(id) ?? []), nextCursor };
  }

  /** One page of gsi3's `TEAMS` keys, then one BatchGetItem of those teams: at most `limit` items. */
  async listTeams(page: PageRequest): Promise<Page<Team>> {
    const { ids, nextCursor } = await this.idPage(viewKeys.teams, keys.team(""), page);
    const { teams } = await this.reads.loadEntities({ teamIds: ids });
    return { items: ids.flatMap((id) => teams.get(id) ?? []), nextCursor };
  }

  /** One page of gsi3's `USERS` keys, then one BatchGetItem of those users: at most `limit` items. */
  async listUsers(page: PageRequest): Promise<Page<User>> {
    const { ids, nextCursor } = await this.idPage(viewKeys.users, keys.user(""), page);
    const { users } = await this.reads.loadEntities({ userIds: ids });
    return { items: ids.flatMap((id) => users.get(id) ?? []), nextCursor };
  }

  async listAccessUsers(inbox: Inbox, page: PageRequest): Promise<Page<User>> {
    if (inbox.access.type !== "restricted") return this.listUsers(page);
    const members = await Promise.all(inbox.access.teamIds.map((t) => this.reads.teamMembers(t)));
    const all = [...new Set([...inbox.access.userIds, ...members.flat()])].sort();
    // The users listing's own cursor (the gsi3 key of the last user answered), so a page of either kind
    // continues the same way.
    const after = decodeCursor(page.cursor, { index: "gsi3", partition: viewKeys.users, item: keys.user("") })?.gsi3sk;
    const rest = after === undefined ? all : all.filter((id) => id > after);
    const ids = rest.slice(0, page.limit);
    const { users } = await this.reads.loadEntities({ userIds: ids });
    const last = ids.at(-1);
    const more = last !== undefined && rest.length > ids.length;
    return {
      items: ids.flatMap((id) => users.get(id) ?? []),
      nextCursor: more ? encodeCursor({ ...keys.user(last), gsi3pk: viewKeys.users, gsi3sk: last }) : null,
    };
  }

  /** One page of gsi3's `CHANNELS` keys, then one BatchGetItem of those channels: at most `limit` items. */
  async listChannels(page: PageRequest): Promise<Page<Channel>> {
    const { ids, nextCursor } = await this.idPage(viewKeys.channels, keys.channel(""), page);
    return { items: await this.reads.getChannels(ids), nextCursor };
  }

  /**
   * A view's size with `Select: COUNT` on the view's own index partition (gsi1 for All, gsi2 for
   * Unassigned and Mine), stopping at `cap` items: a big inbox shows "100+" instead of costing a scan.
   */
  async countView(q: {
    inboxId: string;
    view: ConversationView;
    status: ConversationStatus;
    userId: string;
    cap: number;
  }): Promise<number> {
    const { index, pk } = viewPartition(q);
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index,
        KeyConditionExpression: `${index}pk = :pk`,
        ExpressionAttributeValues: { ":pk": pk },
        Select: "COUNT",
        Limit: q.cap,
      }),
    );
    return out.Count ?? 0;
  }

  /**
   * gsi4's `INBOX#<id>#CHANGES` partition from `sinceIso` on: only the conversations changed in that
   * window, at most `limit` items (more means the client reloads its view instead).
   */
  async changesSince(inboxId: string, sinceIso: string, limit: number): Promise<ChangeBatch> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: "gsi4",
        KeyConditionExpression: "gsi4pk = :pk AND gsi4sk >= :since",
        ExpressionAttributeValues: { ":pk": viewKeys.changes(inboxId), ":since": sinceIso },
        Limit: limit,
      }),
    );
    const items = (out.Items ?? []).map((i) => {
      const { version: _v, visitorToken: _t, ...c } = itemToConversation(i);
      return c;
    });
    return { items, truncated: out.LastEvaluatedKey !== undefined };
  }

  /** One page of a keys-only list in gsi3 (`USERS`, `TEAMS`, `INBOXES`) of `item`s: the ids, in id order. */
  private async idPage(
    list: string,
    item: { pk: string; sk: string },
    page: PageRequest,
  ): Promise<{ ids: string[]; nextCursor: string | null }> {
    const out = await this.db.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: "gsi3",
        KeyConditionExpression: "gsi3pk = :pk",
        ExpressionAttributeValues: { ":pk": list },
        Limit: page.limit,
        ExclusiveStartKey: decodeCursor(page.cursor, { index: "gsi3", partition: list, item }),
      }),
    );
    return { ids: (out.Items ?? []).map((i) => String(i.gsi3sk)), nextCursor: encodeCursor(out.LastEvaluatedKey) };
  }
}
