import type { Contact, ContactKey } from "../types";

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
export type VisitorLinkOutcome = { type: "linked"; contact: Contact } | { type: "conflict" } | { type: "limit" };

/** What routing reads of contacts: who a conversation's customer is and who owns them. */
export interface ContactReads {
  findContact(key: ContactKey): Promise<Contact | null>;
  getContact(id: string): Promise<Contact | null>;
  /** The named contacts, by id (one BatchGetItem per 100): missing ones are left out. */
  getContacts(ids: readonly string[]): Promise<Map<string, Contact>>;
}

/** Contacts and the chat visitors linked to them. */
export interface ContactStore extends ContactReads {
  putContact(contact: Contact): Promise<void>;
  getVisitorProfile(token: string): Promise<VisitorProfile | null>;
  recordUnverifiedEmail(token: string, email: string, name?: string): Promise<void>;
  /**
   * Links the token to the contact with this email (created as `newContactId` if there is none, at most
   * `maxContactsCreated` per token), moving it off any other contact, all in one conditional transaction.
   */
  linkVisitor(input: VisitorLinkInput): Promise<VisitorLinkOutcome>;
}
