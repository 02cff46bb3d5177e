import type { RoutingStore } from "./ports";
import type { Channel, Contact, Conversation, ConversationStatus, Inbox, Message, MessageDelivery, Team, User } from "./types";

/** The part of a user an admin sets; availability, activity and load are the user's own. */
export type UserProfile = Pick<User, "id" | "name" | "email" | "seat" | "role" | "primaryTeamId" | "additionalTeamIds" | "capacity">;

export type ConversationView = "unassigned" | "mine" | "all";

/** One page of an inbox view (docs/api.md `GET /inboxes/{id}/conversations`). */
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

/** What a visitor typed about themselves: shown to agents, never trusted for routing (docs/routing.md §6.1). */
export interface VisitorProfile {
  unverifiedEmail?: string;
  name?: string;
  /** Contacts created by this visitor's verified identify calls (bounded). */
  contactsCreated: number;
}

export interface VisitorLinkInput {
  token: string;
  email: string;
  name?: string;
  newContactId: string;
  maxContactsCreated: number;
}

/** One attempt to link a visitor token to the contact with an email; `conflict` = someone wrote meanwhile. */
export type VisitorLinkOutcome =
  | { type: "linked"; contact: Contact }
  | { type: "conflict" }
  | { type: "limit" };

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
  getVisitorProfile(token: string): Promise<VisitorProfile | null>;
  recordUnverifiedEmail(token: string, email: string, name?: string): Promise<void>;
  /**
   * Links the token to the contact with this email (created as `newContactId` if there is none, at most
   * `maxContactsCreated` per token), moving it off any other contact, all in one conditional transaction.
   */
  linkVisitor(input: VisitorLinkInput): Promise<VisitorLinkOutcome>;
  /** The conversation each dedupe key points at, in one batched read (missing keys are absent). */
  findByDedupeKeys(channelId: string, keys: string[]): Promise<Map<string, string>>;
  /** Whether this address already wrote a message in the conversation (a participant, SPEC 6). */
  hasMessageFrom(conversationId: string, email: string): Promise<boolean>;
  listConversations(q: ConversationQuery): Promise<ConversationPage>;
  listMessages(conversationId: string): Promise<Message[]>;
  /** Records on an existing message whether its email was sent (docs/api.md: `delivery`). */
  setMessageDelivery(message: Message, delivery: MessageDelivery): Promise<void>;
}
