/**
 * Every key of the table comes from here. Layout:
 *
 * | entity        | pk                              | sk                   |
 * |---------------|---------------------------------|----------------------|
 * | user          | DIRECTORY                       | USER#<id>            |
 * | team          | DIRECTORY                       | TEAM#<id>            |
 * | inbox         | DIRECTORY                       | INBOX#<id>           |
 * | channel       | CHANNEL#<id>                    | CHANNEL              |
 * | team address  | CHANNEL_ADDRESS#<lowercased>    | LOOKUP               |
 * | contact       | CONTACT#<id>                    | CONTACT              |
 * | contact email | CONTACT_EMAIL#<lowercased>      | LOOKUP               |
 * | visitor token | VISITOR#<token>                 | LOOKUP               |
 * | visitor       | VISITOR#<token>                 | PROFILE              |
 * | conversation  | CONV#<id>                       | CONV                 |
 * | message       | CONV#<id>                       | MSG#<createdAt>#<id> |
 * | dedupe record | DEDUPE#<channelId>#<key>        | DEDUPE               |
 * | queue entry   | DIRECTORY                       | QUEUE#<channelId>#<queuedAt>#<conversationId> |
 *
 * Users, teams and inboxes share one item collection so that one consistent Query reads the whole
 * routing snapshot (the candidates' state) in a single round trip. Routing-queue entries live there too,
 * so the same read tells a router whether a burst is already being drained for its channel.
 */
export const DIRECTORY_PK = "DIRECTORY";

export const keys = {
  user: (id: string) => ({ pk: DIRECTORY_PK, sk: `USER#${id}` }),
  team: (id: string) => ({ pk: DIRECTORY_PK, sk: `TEAM#${id}` }),
  inbox: (id: string) => ({ pk: DIRECTORY_PK, sk: `INBOX#${id}` }),
  channel: (id: string) => ({ pk: `CHANNEL#${id}`, sk: "CHANNEL" }),
  contact: (id: string) => ({ pk: `CONTACT#${id}`, sk: "CONTACT" }),
  contactEmail: (email: string) => ({ pk: `CONTACT_EMAIL#${email.trim().toLowerCase()}`, sk: "LOOKUP" }),
  visitor: (token: string) => ({ pk: `VISITOR#${token}`, sk: "LOOKUP" }),
  /** The visitor's own record: an unverified email typed into the chat, contacts this visitor created. */
  visitorProfile: (token: string) => ({ pk: `VISITOR#${token}`, sk: "PROFILE" }),
  conversation: (id: string) => ({ pk: `CONV#${id}`, sk: "CONV" }),
  message: (conversationId: string, createdAt: string, id: string) => ({
    pk: `CONV#${conversationId}`,
    sk: `MSG#${createdAt}#${id}`,
  }),
  messagePrefix: "MSG#",
  dedupe: (channelId: string, key: string) => ({ pk: `DEDUPE#${channelId}#${key}`, sk: "DEDUPE" }),
  channelAddress: (address: string) => ({ pk: `CHANNEL_ADDRESS#${address.trim().toLowerCase()}`, sk: "LOOKUP" }),
  queueEntry: (channelId: string, position: string) => ({ pk: DIRECTORY_PK, sk: `QUEUE#${channelId}#${position}` }),
  queuePrefix: (channelId: string) => `QUEUE#${channelId}#`,
} as const;

/** Partition keys of the inbox views: written on conversations, read by the views, from one place. */
export const viewKeys = {
  /** gsi1: the All view of an inbox, by status. */
  all: (inboxId: string, status: string) => `INBOX#${inboxId}#STATUS#${status}`,
  /** gsi2: the Unassigned (assignee null) and Mine views of an inbox, by status. */
  byAssignee: (inboxId: string, status: string, assigneeId: string | null) => `INBOX#${inboxId}#STATUS#${status}#ASSIGNEE#${assigneeId ?? "NONE"}`,
  /** gsi3: an inbox's conversations by last change, the inbox's live-update feed (web). */
  changes: (inboxId: string) => `INBOX#${inboxId}#CHANGES`,
  /** gsi1, overloaded: every channel, by id (the admin's channel list); never collides with `INBOX#...`. */
  channels: "CHANNELS",
};

/**
 * gsi3 keys of a conversation: its inbox's change feed, ordered by `updatedAt`. Spam is kept out of
 * the feed like it is kept out of the views (sparse: no key, no entry).
 */
export function changeFeedKeys(c: { id: string; inboxId: string; updatedAt: string; spam?: boolean | undefined }) {
  return c.spam ? {} : { gsi3pk: viewKeys.changes(c.inboxId), gsi3sk: `${c.updatedAt}#${c.id}` };
}

/** Index keys of a conversation, recomputed on every write that changes its status or assignee. */
export function conversationIndexKeys(c: {
  id: string;
  inboxId: string;
  status: string;
  assigneeId: string | null;
  createdAt: string;
  spam?: boolean | undefined;
}) {
  const order = `${c.createdAt}#${c.id}`;
  // Spam is kept but listed nowhere an agent works: its own status bucket (docs/routing.md §6).
  const status = c.spam ? "spam" : c.status;
  return {
    gsi1pk: viewKeys.all(c.inboxId, status),
    gsi1sk: order,
    gsi2pk: viewKeys.byAssignee(c.inboxId, status, c.assigneeId),
    gsi2sk: order,
  };
}

export const ENTITY = {
  user: "user",
  team: "team",
  inbox: "inbox",
  channel: "channel",
  contact: "contact",
  lookup: "lookup",
  visitor: "visitor",
  conversation: "conversation",
  message: "message",
  dedupe: "dedupe",
  queueEntry: "queueEntry",
} as const;
