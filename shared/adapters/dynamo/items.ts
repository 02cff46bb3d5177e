import type {
  Channel,
  Contact,
  Conversation,
  DecisionRecord,
  Inbox,
  Message,
  Team,
  User,
  VersionedConversation,
  WaitEntry,
} from "../../domain/types";
import { changeFeedKeys, channelHistoryKeys, conversationIndexKeys, ENTITY, keys, lapseKeys, viewKeys } from "./keys";

/** Item <-> domain mapping. Attributes with `null` meaning are stored absent, so conditions can test them. */
export type Item = Record<string, unknown>;

export function userToItem(u: User): Item {
  const { capacity, ...rest } = u;
  // `capacity` is a DynamoDB reserved word: stored as maxOpen, absent when unlimited.
  return { ...keys.user(u.id), entityType: ENTITY.user, ...rest, ...(capacity === null ? {} : { maxOpen: capacity }) };
}

export function itemToUser(item: Item): User {
  return {
    id: String(item.id),
    name: String(item.name ?? ""),
    email: String(item.email ?? ""),
    seat: (item.seat as User["seat"]) ?? "none",
    role: (item.role as User["role"]) ?? "agent",
    primaryTeamId: (item.primaryTeamId as string | null | undefined) ?? null,
    additionalTeamIds: (item.additionalTeamIds as string[] | undefined) ?? [],
    capacity: typeof item.maxOpen === "number" ? item.maxOpen : null,
    availability: (item.availability as User["availability"]) ?? "available",
    lastInboxActivityAt: (item.lastInboxActivityAt as string | null | undefined) ?? null,
    lastAssignedAt: (item.lastAssignedAt as string | null | undefined) ?? null,
    openCount: typeof item.openCount === "number" ? item.openCount : 0,
  };
}

// gsi3 (keys only): the admin's team and inbox lists page through these, then read the items.
export const teamToItem = (t: Team): Item => ({
  ...keys.team(t.id),
  entityType: ENTITY.team,
  ...t,
  gsi3pk: viewKeys.teams,
  gsi3sk: t.id,
});
export const itemToTeam = (i: Item): Team => ({ id: String(i.id), name: String(i.name ?? "") });

export const inboxToItem = (x: Inbox): Item => ({
  ...keys.inbox(x.id),
  entityType: ENTITY.inbox,
  ...x,
  gsi3pk: viewKeys.inboxes,
  gsi3sk: x.id,
});
export const itemToInbox = (i: Item): Inbox => ({
  id: String(i.id),
  name: String(i.name ?? ""),
  access: i.access as Inbox["access"],
});

export function channelToItem(c: Channel): Item {
  // gsi3 (keys only): the sweeper and the admin's list page through every channel.
  return { ...keys.channel(c.id), entityType: ENTITY.channel, ...c, gsi3pk: viewKeys.channels, gsi3sk: c.id };
}
export function itemToChannel(i: Item): Channel {
  const { pk: _pk, sk: _sk, entityType: _e, gsi1pk: _a, gsi1sk: _b, gsi3pk: _g, gsi3sk: _s, ...rest } = i;
  return rest as unknown as Channel;
}

export const contactToItem = (c: Contact): Item => ({ ...keys.contact(c.id), entityType: ENTITY.contact, ...c });
export function itemToContact(i: Item): Contact {
  return {
    id: String(i.id),
    email: String(i.email ?? ""),
    ...(i.name !== undefined ? { name: String(i.name) } : {}),
    ownerId: (i.ownerId as string | null | undefined) ?? null,
    visitorTokens: (i.visitorTokens as string[] | undefined) ?? [],
  };
}

/**
 * The routing record is stored as one JSON string: it is always read whole and never queried, and a
 * 50-candidate explanation as nested maps costs the emulator ten times more to write (DynamoDB bills
 * the same bytes either way).
 */
export const routingToAttribute = (r: DecisionRecord): string => JSON.stringify(r);

export function conversationToItem(c: Conversation, version: number): Item {
  // `waiting` is computed for answers (the visitor's place in line), never stored.
  const { routing, waiting: _w, ...rest } = c;
  return {
    ...keys.conversation(c.id),
    ...conversationIndexKeys(c),
    ...changeFeedKeys(c),
    ...channelHistoryKeys(c),
    ...lapseKeys(c),
    entityType: ENTITY.conversation,
    ...rest,
    ...(routing ? { routing: routingToAttribute(routing) } : {}),
    version,
  };
}

export function itemToConversation(i: Item): VersionedConversation {
  const {
    pk: _pk,
    sk: _sk,
    entityType: _e,
    gsi1pk: _a,
    gsi1sk: _b,
    gsi2pk: _c,
    gsi2sk: _d,
    gsi4pk: _e4,
    gsi4sk: _f4,
    gsi5pk: _g5,
    gsi5sk: _h5,
    gsi6pk: _g6,
    gsi6sk: _h6,
    ...rest
  } = i;
  const routing =
    typeof i.routing === "string"
      ? (JSON.parse(i.routing) as DecisionRecord)
      : (i.routing as DecisionRecord | undefined);
  return {
    ...(rest as unknown as Conversation),
    ...(routing ? { routing } : {}),
    assigneeId: (i.assigneeId as string | null | undefined) ?? null,
    teamId: (i.teamId as string | null | undefined) ?? null,
    contactId: (i.contactId as string | null | undefined) ?? null,
    version: typeof i.version === "number" ? i.version : 0,
  };
}

export const messageToItem = (m: Message): Item => ({
  ...keys.message(m.conversationId, m.createdAt, m.id),
  entityType: ENTITY.message,
  ...m,
});
export function itemToMessage(i: Item): Message {
  const { pk: _pk, sk: _sk, entityType: _e, ...rest } = i;
  return rest as unknown as Message;
}

export const waitEntryToItem = (e: WaitEntry): Item => ({
  ...keys.waitEntry(e.channelId, e.since, e.conversationId),
  entityType: ENTITY.waitEntry,
  ...e,
});
export function itemToWaitEntry(i: Item): WaitEntry {
  return {
    channelId: String(i.channelId),
    conversationId: String(i.conversationId),
    inboxId: String(i.inboxId),
    createdAt: String(i.createdAt),
    since: String(i.since),
    contactId: (i.contactId as string | null | undefined) ?? null,
    ownerId: (i.ownerId as string | null | undefined) ?? null,
  };
}

/** The line entry of a conversation that is (or was) waiting since `since`. */
export function waitEntryOf(c: Conversation, since: string, ownerId: string | null): WaitEntry {
  return {
    channelId: c.channelId,
    conversationId: c.id,
    inboxId: c.inboxId,
    createdAt: c.createdAt,
    since,
    contactId: c.contactId,
    ownerId,
  };
}
