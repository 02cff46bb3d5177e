import type { Channel, Inbox, Team, User } from "../types";

/** Users, teams and inboxes named by id, read together: never the whole directory (docs/routing.md §5). */
export interface Entities {
  users: Map<string, User>;
  teams: Map<string, Team>;
  inboxes: Map<string, Inbox>;
}

/** Which entities to read. */
export interface EntityIds {
  userIds?: readonly string[];
  teamIds?: readonly string[];
  inboxIds?: readonly string[];
}

/** The part of a user an admin sets; availability, activity and load are the user's own. */
export type UserProfile = Pick<
  User,
  "id" | "name" | "email" | "seat" | "role" | "primaryTeamId" | "additionalTeamIds" | "capacity"
>;

/** One page of the account's users, by id (docs/api.md `GET /users`). */
export interface UserPage {
  items: User[];
  nextCursor: string | null;
}

/** What routing reads of the directory: the named entities and a team's members. */
export interface DirectoryReads {
  /** The named users, teams and inboxes, read consistently: cost grows with the ids, never the directory. */
  loadEntities(ids: EntityIds): Promise<Entities>;
  /** Ids of the primary members of a team (the candidates it brings to a rule). */
  teamMembers(teamId: string): Promise<string[]>;
}

/** The account's users, teams, inboxes and channels, as admins set them and users change their presence. */
export interface DirectoryStore extends DirectoryReads {
  putUser(profile: UserProfile): Promise<User>;
  getUser(id: string): Promise<User | null>;
  updatePresence(userId: string, change: { availability?: User["availability"]; activityAt?: string }): Promise<User>;
  listUsers(q: { limit: number; cursor?: string | undefined }): Promise<UserPage>;
  getInbox(id: string): Promise<Inbox | null>;
  putTeam(team: Team): Promise<void>;
  putInbox(inbox: Inbox): Promise<void>;
  putChannel(channel: Channel): Promise<void>;
}
