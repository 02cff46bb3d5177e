import type { RoutingStore } from "./ports";
import type { Channel, Contact, Conversation, ConversationStatus, Inbox, Message, Team, User } from "./types";

/** The part of a user an admin sets; availability, activity and load are the user's own. */
export type UserProfile = Pick<User, "id" | "name" | "email" | "seat" | "role" | "primaryTeamId" | "additionalTeamIds" | "capacity">;

export type ConversationView = "unassigned" | "mine" | "all";

/** One page of an inbox view (API.md `GET /inboxes/{id}/conversations`). */
export interface ConversationQuery {
  inboxId: string;
  view: ConversationView;
  status: ConversationStatus;
  /** The caller: "mine" is theirs. */
  userId: string;
  limit: number;
  cursor?: string;
}

export interface ConversationPage {
  items: Conversation[];
  nextCursor: string | null;
}

/** One page of the account's users, by id (docs/api.md `GET /users`). */
export interface UserPage {
  items: User[];
  nextCursor: string | null;
}

/** Configuration and read models, on top of what routing needs. */
export interface AdminStore extends RoutingStore {
  putUser(profile: UserProfile): Promise<User>;
  getUser(id: string): Promise<User | null>;
  updatePresence(userId: string, change: { availability?: User["availability"]; activityAt?: string }): Promise<User>;
  listUsers(q: { limit: number; cursor?: string | undefined }): Promise<UserPage>;
  getInbox(id: string): Promise<Inbox | null>;
  putTeam(team: Team): Promise<void>;
  putInbox(inbox: Inbox): Promise<void>;
  putChannel(channel: Channel): Promise<void>;
  findChannelByAddress(address: string): Promise<Channel | null>;
  findByDedupeKey(channelId: string, key: string): Promise<string | null>;
  getContact(id: string): Promise<Contact | null>;
  putContact(contact: Contact): Promise<void>;
  listConversations(q: ConversationQuery): Promise<ConversationPage>;
  listMessages(conversationId: string): Promise<Message[]>;
}
