/**
 * Every key of the table comes from here. Layout (docs/design.md, "Data model"):
 *
 * | entity             | pk                            | sk                     |
 * |--------------------|-------------------------------|------------------------|
 * | user               | USER#<id>                     | USER                   |
 * | team               | TEAM#<id>                     | TEAM                   |
 * | team membership    | TEAM#<teamId>                 | MEMBER#<userId>        |
 * | inbox              | INBOX#<id>                    | INBOX                  |
 * | channel            | CHANNEL#<id>                  | CHANNEL                |
 * | routing-queue entry| CHANNEL#<id>                  | QUEUE#<queuedAt>#<conv>|
 * | waiting-line entry | CHANNEL#<id>                  | WAIT#<since>#<conv>    |
 * | time waited        | CHANNEL#<id>                  | WAITED#<at>#<conv>     |  (TTL: the stats' last hour)
 * | channel of a user  | USER#<id>                     | CHANNEL#<channelId>    |  (rules listing the user)
 * | channel of a team  | TEAM#<id>                     | CHANNEL#<channelId>    |  (rules listing the team)
 * | team address       | CHANNEL_ADDRESS#<lowercased>  | LOOKUP                 |
 * | contact            | CONTACT#<id>                  | CONTACT                |
 * | contact email      | CONTACT_EMAIL#<lowercased>    | LOOKUP                 |
 * | visitor token      | VISITOR#<token>               | LOOKUP                 |
 * | visitor            | VISITOR#<token>               | PROFILE                |
 * | conversation       | CONV#<id>                     | CONV                   |
 * | message            | CONV#<id>                     | MSG#<createdAt>#<id>   |
 * | dedupe record      | DEDUPE#<channelId>#<key>      | DEDUPE                 |
 * | line tickets       | CHANNEL#<id>                  | LINE_TICKETS           |
 * | live records       | LIVE_TICKET# / LIVE_CONN# / LIVE_USER# / LIVE_TOPIC# (liveKeys, below)   |
 *
 * Every user, team and inbox is its own partition, so no key carries everyone's writes (loads,
 * presence). A routing snapshot reads only the channel's pool: the listed users and the primary
 * members of the listed teams (one small Query per team), fetched with BatchGetItem. Routing-queue
 * entries sort after the channel item in the channel's partition, so the one read of a channel also
 * tells a router whether a burst is being drained there (docs/routing.md §5.4).
 */
export const keys = {
  user: (id: string) => ({ pk: `USER#${id}`, sk: "USER" }),
  team: (id: string) => ({ pk: `TEAM#${id}`, sk: "TEAM" }),
  /** A primary member of a team: the candidate pool of a rule listing the team (docs/routing.md §5.1). */
  teamMember: (teamId: string, userId: string) => ({ pk: `TEAM#${teamId}`, sk: `MEMBER#${userId}` }),
  teamMemberPrefix: "MEMBER#",
  inbox: (id: string) => ({ pk: `INBOX#${id}`, sk: "INBOX" }),
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
  /** One sender's mail to one channel in one window of time (docs/routing.md §6.2, a loop or a flood). */
  mailRate: (channelId: string, sender: string, window: number) => ({
    pk: `MAIL_RATE#${channelId}#${sender}`,
    sk: `WINDOW#${window}`,
  }),
  channelAddress: (address: string) => ({ pk: `CHANNEL_ADDRESS#${address.trim().toLowerCase()}`, sk: "LOOKUP" }),
  queueEntry: (channelId: string, position: string) => ({ pk: `CHANNEL#${channelId}`, sk: `QUEUE#${position}` }),
  queuePrefix: "QUEUE#",
  waitEntry: (channelId: string, since: string, conversationId: string) => ({
    pk: `CHANNEL#${channelId}`,
    sk: `WAIT#${since}#${conversationId}`,
  }),
  waitPrefix: "WAIT#",
  /** The last line ticket a channel's entries took (docs/routing.md §5.5.6): beside the line. */
  lineTickets: (channelId: string) => ({ pk: `CHANNEL#${channelId}`, sk: "LINE_TICKETS" }),
  lineTicketsSk: "LINE_TICKETS",
  waited: (channelId: string, at: string, conversationId: string) => ({
    pk: `CHANNEL#${channelId}`,
    sk: `WAITED#${at}#${conversationId}`,
  }),
  waitedPrefix: "WAITED#",
  /** Which channels a user or team can take conversations of: written with the rule that lists them. */
  userChannel: (userId: string, channelId: string) => ({ pk: `USER#${userId}`, sk: `CHANNEL#${channelId}` }),
  teamChannel: (teamId: string, channelId: string) => ({ pk: `TEAM#${teamId}`, sk: `CHANNEL#${channelId}` }),
  channelRefPrefix: "CHANNEL#",
} as const;

/** Partition keys of the inbox views: written on conversations, read by the views, from one place. */
export const viewKeys = {
  /** gsi1: the All view of an inbox, by status. */
  all: (inboxId: string, status: string) => `INBOX#${inboxId}#STATUS#${status}`,
  /** gsi2: the Unassigned (assignee null) and Mine views of an inbox, by status. */
  byAssignee: (inboxId: string, status: string, assigneeId: string | null) =>
    `INBOX#${inboxId}#STATUS#${status}#ASSIGNEE#${assigneeId ?? "NONE"}`,
  /** gsi5 (keys only): a channel's conversations by creation time, the rule preview's replay (docs/routing.md §8). */
  channelHistory: (channelId: string) => `CHANNEL#${channelId}#CONVERSATIONS`,
  /** gsi6 (keys only, sparse): a channel's running re-route clocks by deadline (docs/routing.md §5.6). */
  lapses: (channelId: string) => `CHANNEL#${channelId}#LAPSES`,
  /** gsi4: an inbox's conversations by last change, the inbox's live-update feed (web). */
  changes: (inboxId: string) => `INBOX#${inboxId}#CHANGES`,
  /**
   * gsi3 (keys only): the admin's paginated lists of users, teams and inboxes. Written once, when the
   * item is created: the index projects keys only, so load and presence updates never write it.
   */
  users: "USERS",
  teams: "TEAMS",
  inboxes: "INBOXES",
  /**
   * Every channel, by id: gsi3 (keys only) for the sweeper and the admin's channel list. Written once,
   * when a channel is created.
   */
  channels: "CHANNELS",
};

/** The index and partition a view of an inbox reads: gsi1 for All, gsi2 for Unassigned and Mine. */
export function viewPartition(q: {
  inboxId: string;
  view: "unassigned" | "mine" | "all";
  status: string;
  userId: string;
}): { index: "gsi1" | "gsi2"; pk: string } {
  return q.view === "all"
    ? { index: "gsi1", pk: viewKeys.all(q.inboxId, q.status) }
    : { index: "gsi2", pk: viewKeys.byAssignee(q.inboxId, q.status, q.view === "mine" ? q.userId : null) };
}

/**
 * gsi4 keys of a conversation: its inbox's change feed, ordered by `updatedAt`. Spam is kept out of
 * the feed like it is kept out of the views (sparse: no key, no entry).
 */
export function changeFeedKeys(c: { id: string; inboxId: string; updatedAt: string; spam?: boolean | undefined }) {
  return c.spam ? {} : { gsi4pk: viewKeys.changes(c.inboxId), gsi4sk: `${c.updatedAt}#${c.id}` };
}

/**
 * gsi6 keys of a conversation whose re-route clock runs (docs/routing.md §5.6): sparse, so the index
 * holds only pending lapses, by deadline, per channel.
 */
export function lapseKeys(c: { id: string; channelId: string; lapse: { at: string } }): {
  gsi6pk: string;
  gsi6sk: string;
};
export function lapseKeys(c: { id: string; channelId: string; lapse?: { at: string } | undefined }): object;
export function lapseKeys(c: { id: string; channelId: string; lapse?: { at: string } | undefined }) {
  return c.lapse ? { gsi6pk: viewKeys.lapses(c.channelId), gsi6sk: `${c.lapse.at}#${c.id}` } : {};
}

/**
 * gsi5 keys of a conversation: its channel's history by creation time, for the rule preview. Keys only and
 * never changing after creation, so later writes of the conversation never write this index. Spam is
 * never routed and stays out (sparse).
 */
export function channelHistoryKeys(c: {
  id: string;
  channelId: string;
  createdAt: string;
  spam?: boolean | undefined;
  automatic?: string | undefined;
}) {
  return c.spam || c.automatic
    ? {}
    : { gsi5pk: viewKeys.channelHistory(c.channelId), gsi5sk: `${c.createdAt}#${c.id}` };
}

/** Index keys of a conversation, recomputed on every write that changes its status or assignee. */
export function conversationIndexKeys(c: {
  id: string;
  inboxId: string;
  status: string;
  assigneeId: string | null;
  createdAt: string;
  spam?: boolean | undefined;
  automatic?: string | undefined;
}) {
  const order = `${c.createdAt}#${c.id}`;
  // Spam is kept but listed nowhere an agent works: its own status bucket (docs/routing.md §6).
  const status = c.spam ? "spam" : c.status;
  // Mail by machines is listed in All but never in Unassigned or Mine: its own gsi2 bucket (§6.2).
  const byAssignee = c.automatic ? "automatic" : status;
  return {
    gsi1pk: viewKeys.all(c.inboxId, status),
    gsi1sk: order,
    gsi2pk: viewKeys.byAssignee(c.inboxId, byAssignee, c.assigneeId),
    gsi2sk: order,
  };
}

export const ENTITY = {
  user: "user",
  team: "team",
  teamMember: "teamMember",
  inbox: "inbox",
  channel: "channel",
  contact: "contact",
  lookup: "lookup",
  visitor: "visitor",
  conversation: "conversation",
  message: "message",
  dedupe: "dedupe",
  queueEntry: "queueEntry",
  waitEntry: "waitEntry",
  waited: "waited",
  channelRef: "channelRef",
} as const;

/**
 * Live-update records (docs/design.md, Live updates), each with a TTL (`expiresAt`): a ticket (60 s),
 * a connection and an agent's index of their connections (2 h, API Gateway's limit), and a topic's
 * subscriptions, one partition per topic, so a change reads exactly its listeners.
 */
export const liveKeys = {
  ticket: (t: string) => ({ pk: `LIVE_TICKET#${t}`, sk: "TICKET" }),
  connection: (id: string) => ({ pk: `LIVE_CONN#${id}`, sk: "CONN" }),
  userConnection: (userId: string, id: string) => ({ pk: `LIVE_USER#${userId}`, sk: `CONN#${id}` }),
  subscription: (topic: string, id: string) => ({ pk: `LIVE_TOPIC#${topic}`, sk: `CONN#${id}` }),
};
