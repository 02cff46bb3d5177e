/**
 * Capacity is stored as `maxOpen` (`capacity` is a DynamoDB reserved word); absent = unlimited.
 *
 * Condition expressions, built from named pieces so every invariant of docs/routing.md §5.4 reads as a word.
 * Each piece returns its expression and the values it binds; `all` joins them with AND.
 */
export interface Condition {
  expression: string;
  values: Record<string, unknown>;
}

/** The item must not exist yet (idempotent creation, dedupe records). */
export const isNew: Condition = { expression: "attribute_not_exists(pk)", values: {} };

/** The item is there: an update never creates a stray item with only the updated attribute. */
export const exists: Condition = { expression: "attribute_exists(pk)", values: {} };

/** The conversation is exactly the version that was read: nothing changed it meanwhile. */
export const versionIs = (version: number): Condition => ({
  expression: "version = :version",
  values: { ":version": version },
});

/**
 * A queued conversation that still waits for its router: pending, open and unassigned (its key in the
 * Unassigned view says both). A visitor's new message changes its version, not this; a take by hand or
 * a close does (docs/routing.md §5.4).
 */
export const stillQueued = (unassignedOpenView: string): Condition => ({
  expression: "routingPending = :pending AND gsi2pk = :unassignedOpen",
  values: { ":pending": true, ":unassignedOpen": unassignedOpenView },
});

/** The user's stored load is the load the decision was based on (docs/routing.md §5.4.2). */
export const loadUnchanged = (seen: number): Condition => ({
  expression: "openCount = :seenLoad",
  values: { ":seenLoad": seen },
});

/** After adding, the user is still within capacity; no capacity = unlimited. */
export const underCapacityAfter = (after: number): Condition => ({
  expression: "attribute_not_exists(maxOpen) OR maxOpen >= :afterLoad",
  values: { ":afterLoad": after },
});

/** Adding one keeps the user within capacity, whatever their load is now (manual operations). */
export const roomForOneMore: Condition = {
  expression: "attribute_exists(pk) AND (attribute_not_exists(maxOpen) OR openCount < maxOpen)",
  values: {},
};

/** Least busy only routes to people who are still available at commit. */
export const stillAvailable: Condition = {
  expression: "availability = :available",
  values: { ":available": "available" },
};

/** A new capacity may not be below the conversations the user already holds. */
export const capacityNotBelowLoad = (capacity: number): Condition => ({
  expression: "attribute_not_exists(openCount) OR openCount <= :newCapacity",
  values: { ":newCapacity": capacity },
});

/** AND of the pieces; DynamoDB refuses redundant parentheses, so only OR-pieces get them. */
export function all(...conditions: Condition[]): { ConditionExpression: string; values: Record<string, unknown> } {
  const wrap = (e: string) => (conditions.length > 1 && / OR /.test(e) ? `(${e})` : e);
  return {
    ConditionExpression: conditions.map((c) => wrap(c.expression)).join(" AND "),
    values: Object.assign({}, ...conditions.map((c) => c.values)),
  };
}

/**
 * A contact item is written only at the revision that was read (`rev` moves on every write); an item
 * from before revisions existed has none. So concurrent identify calls and admin edits never lose each
 * other's visitor tokens.
 */
export const contactRevisionIs = (rev: number | null): Condition =>
  rev === null
    ? { expression: "attribute_exists(pk) AND attribute_not_exists(rev)", values: {} }
    : { expression: "rev = :rev", values: { ":rev": rev } };

/** A lookup item (email or visitor token) still names the contact it named when read. */
export const lookupNames = (contactId: string): Condition => ({
  expression: "contactId = :lookupContact",
  values: { ":lookupContact": contactId },
});

/** The visitor has created fewer contacts than the bound (docs/routing.md §6.1). */
export const underContactQuota = (max: number): Condition => ({
  expression: "attribute_not_exists(contactsCreated) OR contactsCreated < :maxContacts",
  values: { ":maxContacts": max },
});

/**
 * The user's primary team is still the one read (absent = none): team membership items are moved in
 * the same transaction as the user, so they can never disagree with it.
 */
export const primaryTeamIs = (teamId: string | null): Condition =>
  teamId === null
    ? { expression: "attribute_not_exists(primaryTeamId)", values: {} }
    : { expression: "primaryTeamId = :seenTeam", values: { ":seenTeam": teamId } };

/** The last recorded activity is older than `before` (or there is none): presence writes at most once a minute. */
export const activityOlderThan = (before: string): Condition => ({
  expression:
    "attribute_exists(pk) AND (attribute_not_exists(lastInboxActivityAt) OR lastInboxActivityAt < :staleBefore)",
  values: { ":staleBefore": before },
});

/** The conversation is still in the waiting line, since the time its entry says (nobody took it meanwhile). */
export const stillWaiting = (since: string): Condition => ({
  expression: "waitingSince = :waitingSince",
  values: { ":waitingSince": since },
});
