/**
 * The one table's key schema and indexes. The CDK stack and the test/local setup both build the table
 * from this definition, so they cannot drift apart.
 */
export const TABLE_KEYS = { partitionKey: "pk", sortKey: "sk" } as const;

/** TTL attribute: dedupe records of chats and forms expire; email Message-IDs are kept for threading. */
export const TTL_ATTRIBUTE = "expiresAt";

export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey: string;
  /** The access pattern the index serves. */
  serves: string;
  /** What the index copies: keys only means writes that change no key attribute never touch it. */
  projection: "ALL" | "KEYS_ONLY" | "INCLUDE";
  /** For `INCLUDE`: the attributes copied besides the keys. */
  nonKeyAttributes?: readonly string[];
}

/**
 * What the views and the change feed copy of a conversation: what an inbox row shows and what tells a
 * view it changed, not the routing record (most of an item's size: ~3 KB for a 20-candidate pool) nor
 * the visitor's token. Every change of a conversation rewrites its entry in each of them (twice in the
 * feed, whose sort key is the change time), so small entries are what let one inbox take hundreds of
 * changes a second. The record is read with the conversation itself.
 */
export const VIEW_ATTRIBUTES = [
  "id",
  "inboxId",
  "channelId",
  "channelType",
  "status",
  "assigneeId",
  "teamId",
  "contactId",
  "subject",
  "preview",
  "createdAt",
  "updatedAt",
  "awaitingHandoff",
  "spam",
  "automatic",
  "routingPending",
  "waitingSince",
  "customerEmail",
  "entityType",
] as const;

export const INDEXES: readonly IndexDefinition[] = [
  // "All" view of an inbox by status, oldest first: gsi1pk = INBOX#<id>#STATUS#<status>.
  {
    name: "gsi1",
    partitionKey: "gsi1pk",
    sortKey: "gsi1sk",
    serves: "inbox conversations by status (All view)",
    projection: "INCLUDE",
    nonKeyAttributes: VIEW_ATTRIBUTES,
  },
  // "Unassigned" and "Mine" views: gsi2pk = INBOX#<id>#STATUS#<status>#ASSIGNEE#<userId|NONE>.
  {
    name: "gsi2",
    partitionKey: "gsi2pk",
    sortKey: "gsi2sk",
    serves: "inbox conversations by status and assignee",
    projection: "INCLUDE",
    nonKeyAttributes: VIEW_ATTRIBUTES,
  },
  // Directory lists, keys only, set once at creation: gsi3pk = USERS | TEAMS | INBOXES | CHANNELS, gsi3sk = id.
  {
    name: "gsi3",
    partitionKey: "gsi3pk",
    sortKey: "gsi3sk",
    serves: "users, teams, inboxes and channels by id (admin lists, the sweep)",
    projection: "KEYS_ONLY",
  },
  // The inbox's change feed for live updates: gsi4pk = INBOX#<id>#CHANGES, gsi4sk = <updatedAt>#<id>.
  {
    name: "gsi4",
    partitionKey: "gsi4pk",
    sortKey: "gsi4sk",
    serves: "inbox conversations by last change (live updates)",
    projection: "INCLUDE",
    nonKeyAttributes: VIEW_ATTRIBUTES,
  },
  // A channel's conversations by creation time, keys only: gsi5pk = CHANNEL#<id>#CONVERSATIONS,
  // gsi5sk = <createdAt>#<id>. Read by the rule preview (docs/routing.md §8), then BatchGetItem.
  {
    name: "gsi5",
    partitionKey: "gsi5pk",
    sortKey: "gsi5sk",
    serves: "channel conversations by creation time (rule preview)",
    projection: "KEYS_ONLY",
  },
  // Re-route clocks by deadline, keys only and sparse (only conversations whose clock runs):
  // gsi6pk = CHANNEL#<id>#LAPSES, gsi6sk = <at>#<id>. The sweeper finds overdue lapses a lost timer left.
  {
    name: "gsi6",
    partitionKey: "gsi6pk",
    sortKey: "gsi6sk",
    serves: "re-route clocks by deadline (the sweeper's catch-up, docs/routing.md §5.6)",
    projection: "KEYS_ONLY",
  },
];

/** The CreateTable input used by tests and `npm start` (the CDK construct maps the same definition). */
/** The table's stream: the new image of every write, read by the live fan-out. */
export const STREAM = { StreamEnabled: true, StreamViewType: "NEW_IMAGE" as const };

export function createTableInput(tableName: string) {
  const attributes = new Set<string>([TABLE_KEYS.partitionKey, TABLE_KEYS.sortKey]);
  for (const ix of INDEXES) {
    attributes.add(ix.partitionKey);
    attributes.add(ix.sortKey);
  }
  return {
    TableName: tableName,
    BillingMode: "PAY_PER_REQUEST" as const,
    AttributeDefinitions: [...attributes].map((AttributeName) => ({ AttributeName, AttributeType: "S" as const })),
    KeySchema: [
      { AttributeName: TABLE_KEYS.partitionKey, KeyType: "HASH" as const },
      { AttributeName: TABLE_KEYS.sortKey, KeyType: "RANGE" as const },
    ],
    // The live fan-out reads the stream (docs/design.md, Live updates): new images are all it needs.
    StreamSpecification: STREAM,
    GlobalSecondaryIndexes: INDEXES.map((ix) => ({
      IndexName: ix.name,
      KeySchema: [
        { AttributeName: ix.partitionKey, KeyType: "HASH" as const },
        { AttributeName: ix.sortKey, KeyType: "RANGE" as const },
      ],
      Projection: {
        ProjectionType: ix.projection,
        ...(ix.nonKeyAttributes ? { NonKeyAttributes: [...ix.nonKeyAttributes] } : {}),
      },
    })),
  };
}
