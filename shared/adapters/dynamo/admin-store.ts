import type {
  ArrivalStore,
  ChannelState,
  CommitOutcome,
  CommitPlan,
  NewConversation,
} from "../../domain/ports/arrival";
import type { ContactStore, VisitorLinkInput, VisitorLinkOutcome, VisitorProfile } from "../../domain/ports/contacts";
import type { DirectoryStore, Entities, EntityIds, UserPage, UserProfile } from "../../domain/ports/directory";
import type { ConversationPage, ConversationQuery, ConversationReads } from "../../domain/ports/reads";
import type { DrainOutcome, RoutingQueueStore } from "../../domain/ports/routing-queue";
import type { Transition, TransitionOutcome, TransitionStore } from "../../domain/ports/transitions";
import type { WaitingLineStore, WaitingOutcome } from "../../domain/ports/waiting-line";
import type {
  Channel,
  Contact,
  ContactKey,
  Decision,
  Inbox,
  Message,
  MessageDelivery,
  QueueEntry,
  Team,
  User,
  VersionedConversation,
  WaitEntry,
} from "../../domain/types";
import { DynamoArrivalStore } from "./arrival-store";
import type { DynamoClients } from "./client";
import { CommitItems } from "./commit-items";
import { DynamoContactStore } from "./contact-store";
import { DynamoConversationQueries } from "./conversation-queries";
import { DynamoDirectoryStore } from "./directory-store";
import { DynamoEntityReads } from "./entity-reads";
import { DynamoRoutingQueueStore } from "./routing-queue-store";
import { DynamoTransitionStore } from "./transition-store";
import { DynamoWaitingLineStore } from "./waiting-line-store";

/**
 * Everything the services read and write on the one routing table, composed of parts with one job
 * each (one per port of shared/domain/ports/): targeted reads, arrivals, the routing queue, the waiting
 * line, transitions, the directory, contacts and visitors, and conversation queries. Each service is
 * handed this object typed as only the ports it uses.
 */
export class DynamoAdminStore
  implements
    ArrivalStore,
    RoutingQueueStore,
    WaitingLineStore,
    TransitionStore,
    DirectoryStore,
    ContactStore,
    ConversationReads
{
  readonly reads: DynamoEntityReads;
  readonly arrival: DynamoArrivalStore;
  readonly queue: DynamoRoutingQueueStore;
  readonly line: DynamoWaitingLineStore;
  readonly transitions: DynamoTransitionStore;
  readonly directory: DynamoDirectoryStore;
  readonly queries: DynamoConversationQueries;
  readonly contacts: DynamoContactStore;

  constructor(db: DynamoClients, tableName: string) {
    const commits = new CommitItems(tableName);
    this.reads = new DynamoEntityReads(db, tableName);
    this.arrival = new DynamoArrivalStore(db, tableName, commits);
    this.queue = new DynamoRoutingQueueStore(db, tableName, this.reads, commits);
    this.line = new DynamoWaitingLineStore(db, tableName, this.reads, commits);
    this.transitions = new DynamoTransitionStore(db, tableName, commits);
    this.directory = new DynamoDirectoryStore(db, tableName, this.reads);
    this.queries = new DynamoConversationQueries(db, tableName, this.reads);
    this.contacts = new DynamoContactStore(db, tableName);
  }

  // arrivals
  getChannel(channelId: string): Promise<Channel | null> {
    return this.reads.getChannel(channelId);
  }
  readChannel(channelId: string, queueLimit: number): Promise<ChannelState | null> {
    return this.arrival.readChannel(channelId, queueLimit);
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
  commitNewConversations(plans: CommitPlan[], now: Date): Promise<CommitOutcome> {
    return this.arrival.commitNewConversations(plans, now);
  }

  // the routing queue
  enqueueNewConversations(queued: Array<{ item: NewConversation; entry: QueueEntry }>): Promise<CommitOutcome> {
    return this.queue.enqueueNewConversations(queued);
  }
  queueHead(channelId: string): Promise<QueueEntry | null> {
    return this.queue.queueHead(channelId);
  }
  queueEntries(channelId: string, limit: number): Promise<QueueEntry[]> {
    return this.queue.queueEntries(channelId, limit);
  }
  commitDrain(entries: Array<{ entry: QueueEntry; decision: Decision }>, now: Date): Promise<DrainOutcome> {
    return this.queue.commitDrain(entries, now);
  }
  removeQueueEntry(entry: QueueEntry): Promise<void> {
    return this.queue.removeQueueEntry(entry);
  }

  // the waiting line
  waitingEntries(channelId: string, limit: number, after?: WaitEntry): Promise<WaitEntry[]> {
    return this.line.waitingEntries(channelId, limit, after);
  }
  removeWaitEntry(entry: WaitEntry): Promise<void> {
    return this.line.removeWaitEntry(entry);
  }
  countWaiting(channelId: string, until?: { since: string; conversationId: string }): Promise<number> {
    return this.line.countWaiting(channelId, until);
  }
  lineTickets(channelId: string, entry: { since: string; conversationId: string }) {
    return this.line.lineTickets(channelId, entry);
  }
  waitedSince(channelId: string, since: string): Promise<number[]> {
    return this.line.waitedSince(channelId, since);
  }
  channelsFor(userId: string, teamId: string | null): Promise<string[]> {
    return this.line.channelsFor(userId, teamId);
  }
  addChannelRef(userId: string, channelId: string): Promise<void> {
    return this.line.addChannelRef(userId, channelId);
  }
  commitWaitingAssignments(plans: Array<{ entry: WaitEntry; decision: Decision }>, now: Date): Promise<WaitingOutcome> {
    return this.line.commitWaitingAssignments(plans, now);
  }
  listChannelIds(cursor?: string): Promise<{ ids: string[]; nextCursor: string | null }> {
    return this.line.listChannelIds(cursor);
  }

  // transitions
  getConversation(id: string): Promise<VersionedConversation | null> {
    return this.reads.getConversation(id);
  }
  commitTransition(t: Transition, now: Date): Promise<TransitionOutcome> {
    return this.transitions.commitTransition(t, now);
  }
  addNote(note: Message): Promise<void> {
    return this.transitions.addNote(note);
  }
  setMessageDelivery(message: Message, delivery: MessageDelivery): Promise<void> {
    return this.queries.setMessageDelivery(message, delivery);
  }

  // the directory
  loadEntities(ids: EntityIds): Promise<Entities> {
    return this.reads.loadEntities(ids);
  }
  teamMembers(teamId: string): Promise<string[]> {
    return this.reads.teamMembers(teamId);
  }
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
  /**
   * The inbox an agent view checks access against: one item, partition INBOX#<id>, read eventually
   * consistent (half a read unit): every agent's polling reads it, and access lists change rarely.
   */
  getInbox(id: string): Promise<Inbox | null> {
    return this.queries.getInbox(id);
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
  findContact(key: ContactKey): Promise<Contact | null> {
    return this.reads.findContact(key);
  }
  getContact(id: string): Promise<Contact | null> {
    return this.contacts.getContact(id);
  }
  getContacts(ids: readonly string[]): Promise<Map<string, Contact>> {
    return this.reads.getContacts(ids);
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
  hasMessageFrom(conversationId: string, email: string): Promise<boolean> {
    return this.queries.hasMessageFrom(conversationId, email);
  }
}
