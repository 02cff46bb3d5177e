import type {
  AdminStore,
  ConversationPage,
  ConversationQuery,
  UserPage,
  UserProfile,
  VisitorLinkInput,
  VisitorLinkOutcome,
  VisitorProfile,
} from "../../domain/ports";
import type {
  ChannelState,
  CommitOutcome,
  CommitPlan,
  DrainOutcome,
  Entities,
  EntityIds,
  NewConversation,
  Transition,
  TransitionOutcome,
  WaitingOutcome,
} from "../../domain/ports";
import type { Decision } from "../../domain/decide";
import type {
  Channel,
  Contact,
  ContactKey,
  Inbox,
  Message,
  MessageDelivery,
  QueueEntry,
  Team,
  User,
  VersionedConversation,
  WaitEntry,
} from "../../domain/types";
import type { DynamoClients } from "./client";
import { DynamoContactStore } from "./contact-store";
import { DynamoConversationQueries } from "./conversation-queries";
import { DynamoDirectoryStore } from "./directory-store";
import { DynamoRoutingStore } from "./routing-store";

/**
 * Everything the services read and write, composed of parts with one job each: routing (targeted
 * reads and the atomic commits), directory writes (configuration and presence), contacts and visitors,
 * and conversation queries (views, threads, lookups).
 */
export class DynamoAdminStore implements AdminStore {
  readonly routing: DynamoRoutingStore;
  readonly directory: DynamoDirectoryStore;
  readonly queries: DynamoConversationQueries;
  readonly contacts: DynamoContactStore;

  constructor(db: DynamoClients, tableName: string) {
    this.routing = new DynamoRoutingStore(db, tableName);
    this.directory = new DynamoDirectoryStore(db, tableName, this.routing);
    this.queries = new DynamoConversationQueries(db, tableName, this.routing);
    this.contacts = new DynamoContactStore(db, tableName);
  }

  // routing
  getChannel(channelId: string): Promise<Channel | null> {
    return this.routing.getChannel(channelId);
  }
  readChannel(channelId: string, queueLimit: number): Promise<ChannelState | null> {
    return this.routing.readChannel(channelId, queueLimit);
  }
  loadEntities(ids: EntityIds): Promise<Entities> {
    return this.routing.loadEntities(ids);
  }
  teamMembers(teamId: string): Promise<string[]> {
    return this.routing.teamMembers(teamId);
  }
  findContact(key: ContactKey): Promise<Contact | null> {
    return this.routing.findContact(key);
  }
  commitNewConversations(plans: CommitPlan[], now: Date): Promise<CommitOutcome> {
    return this.routing.commitNewConversations(plans, now);
  }
  enqueueNewConversations(queued: Array<{ item: NewConversation; entry: QueueEntry }>): Promise<CommitOutcome> {
    return this.routing.enqueueNewConversations(queued);
  }
  queueHead(channelId: string): Promise<QueueEntry | null> {
    return this.routing.queueHead(channelId);
  }
  queueEntries(channelId: string, limit: number): Promise<QueueEntry[]> {
    return this.routing.queueEntries(channelId, limit);
  }
  commitDrain(entries: Array<{ entry: QueueEntry; decision: Decision }>, now: Date): Promise<DrainOutcome> {
    return this.routing.commitDrain(entries, now);
  }
  removeQueueEntry(entry: QueueEntry): Promise<void> {
    return this.routing.removeQueueEntry(entry);
  }
  getConversation(id: string): Promise<VersionedConversation | null> {
    return this.routing.getConversation(id);
  }
  commitTransition(t: Transition, now: Date): Promise<TransitionOutcome> {
    return this.routing.commitTransition(t, now);
  }
  waitingEntries(channelId: string, limit: number, after?: WaitEntry): Promise<WaitEntry[]> {
    return this.routing.waitingEntries(channelId, limit, after);
  }
  removeWaitEntry(entry: WaitEntry): Promise<void> {
    return this.routing.removeWaitEntry(entry);
  }
  addNote(note: Message): Promise<void> {
    return this.routing.addNote(note);
  }
  countWaiting(channelId: string, until?: { since: string; conversationId: string }): Promise<number> {
    return this.routing.countWaiting(channelId, until);
  }
  waitedSince(channelId: string, since: string): Promise<number[]> {
    return this.routing.waitedSince(channelId, since);
  }
  channelsFor(userId: string, teamId: string | null): Promise<string[]> {
    return this.routing.channelsFor(userId, teamId);
  }
  addChannelRef(userId: string, channelId: string): Promise<void> {
    return this.routing.addChannelRef(userId, channelId);
  }
  commitWaitingAssignments(plans: Array<{ entry: WaitEntry; decision: Decision }>, now: Date): Promise<WaitingOutcome> {
    return this.routing.commitWaitingAssignments(plans, now);
  }
  listChannelIds(cursor?: string): Promise<{ ids: string[]; nextCursor: string | null }> {
    return this.routing.listChannelIds(cursor);
  }

  // directory writes
  putUser(profile: UserProfile): Promise<User> {
    return this.directory.putUser(profile);
  }
  getUser(id: string): Promise<User | null> {
    return this.directory.getUser(id);
  }
  updatePresence(userId: string, change: { availability?: User["availability"]; activityAt?: string }): Promise<User> {
    return this.directory.updatePresence(userId, change);
  }
  listUsers(q: { limit: number; cursor?: string | undefined }): Promise<UserPage> {
    return this.directory.listUsers(q);
  }
  putTeam(team: Team): Promise<void> {
    return this.directory.putTeam(team);
  }
  putInbox(inbox: Inbox): Promise<void> {
    return this.directory.putInbox(inbox);
  }
  putChannel(channel: Channel): Promise<void> {
    return this.directory.putChannel(channel);
  }

  // contacts and visitors
  getContact(id: string): Promise<Contact | null> {
    return this.contacts.getContact(id);
  }
  getContacts(ids: readonly string[]): Promise<Map<string, Contact>> {
    return this.routing.getContacts(ids);
  }
  putContact(contact: Contact): Promise<void> {
    return this.contacts.putContact(contact);
  }
  getVisitorProfile(token: string): Promise<VisitorProfile | null> {
    return this.contacts.getVisitorProfile(token);
  }
  recordUnverifiedEmail(token: string, email: string, name?: string): Promise<void> {
    return this.contacts.recordUnverifiedEmail(token, email, name);
  }
  linkVisitor(input: VisitorLinkInput): Promise<VisitorLinkOutcome> {
    return this.contacts.linkVisitor(input);
  }

  // conversation queries
  listConversations(q: ConversationQuery): Promise<ConversationPage> {
    return this.queries.listConversations(q);
  }
  listMessages(conversationId: string): Promise<Message[]> {
    return this.queries.listMessages(conversationId);
  }
  lastMessages(conversationId: string, count: number): Promise<Message[]> {
    return this.queries.lastMessages(conversationId, count);
  }
  findChannelByAddress(address: string): Promise<Channel | null> {
    return this.queries.findChannelByAddress(address);
  }
  findByDedupeKey(channelId: string, key: string): Promise<string | null> {
    return this.queries.findByDedupeKey(channelId, key);
  }
  findByDedupeKeys(channelId: string, dedupeKeys: string[]): Promise<Map<string, string>> {
    return this.queries.findByDedupeKeys(channelId, dedupeKeys);
  }
  hasMessageFrom(conversationId: string, email: string): Promise<boolean> {
    return this.queries.hasMessageFrom(conversationId, email);
  }
  setMessageDelivery(message: Message, delivery: MessageDelivery): Promise<void> {
    return this.queries.setMessageDelivery(message, delivery);
  }

  /**
   * The inbox an agent view checks access against: one item, partition INBOX#<id>, read eventually
   * consistent (half a read unit): every agent's polling reads it, and access lists change rarely.
   */
  getInbox(id: string): Promise<Inbox | null> {
    return this.queries.getInbox(id);
  }
}
