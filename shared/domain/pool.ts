import { NotFoundError } from "./errors";
import type { DirectoryReads, Entities } from "./ports/directory";
import type { Channel, Contact, Inbox, User } from "./types";

/** What a routing decision reads: the channel's inbox and the users its rule can pick from. */
export interface Pool {
  inbox: Inbox;
  users: Map<string, User>;
}

/**
 * The candidate pool of a channel's rule (docs/routing.md §5.1, §5.2): the listed users and the primary
 * members of the listed teams, or the contacts' owners and the fallback user. Reading it costs one
 * Query per listed team and one BatchGetItem per 100 users: proportional to the pool, never to the
 * directory.
 */
export async function loadPool(
  store: DirectoryReads,
  channel: Channel,
  contacts: ReadonlyArray<Contact | null>,
): Promise<Pool> {
  const target = channel.routing.target;
  const userIds = new Set<string>();
  if (target.type === "users_and_teams") {
    for (const id of target.userIds) userIds.add(id);
    const members = await Promise.all(target.teamIds.map((t) => store.teamMembers(t)));
    for (const id of members.flat()) userIds.add(id);
  } else {
    for (const c of contacts) if (c?.ownerId) userIds.add(c.ownerId);
    if (target.fallbackUserId) userIds.add(target.fallbackUserId);
  }
  const found: Entities = await store.loadEntities({ userIds: [...userIds], inboxIds: [channel.inboxId] });
  const inbox = found.inboxes.get(channel.inboxId);
  if (!inbox) throw new NotFoundError(`inbox ${channel.inboxId} of channel ${channel.id} does not exist`);
  return { inbox, users: found.users };
}
