import { GetCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ConflictError, ContentionError } from "../../domain/errors";
import type { VisitorLinkInput, VisitorLinkOutcome, VisitorProfile } from "../../domain/ports/contacts";
import type { Contact } from "../../domain/types";
import type { DynamoClients } from "./client";
import { type Condition, contactRevisionIs, isNew, lookupNames, underContactQuota } from "./conditions";
import { contactToItem, itemToContact } from "./items";
import { ENTITY, keys } from "./keys";
import { runTransaction, type TransactItem, Tx } from "./transaction";

/** A named condition as the request fields a Put or ConditionCheck takes. */
type ConditionFields = { ConditionExpression: string; ExpressionAttributeValues?: Record<string, unknown> };
function conditionOf(c: Condition): ConditionFields {
  const values = Object.keys(c.values).length > 0 ? { ExpressionAttributeValues: c.values } : {};
  return { ConditionExpression: c.expression, ...values };
}

/**
 * Contacts, their lookups (email, visitor tokens) and visitors' own records (docs/routing.md §6.1). Every
 * read is one item of the contact's, the email's or the token's own partition: nothing here grows with
 * the number of contacts.
 */
export class DynamoContactStore {
  constructor(
    private readonly db: DynamoClients,
    private readonly tableName: string,
  ) {}

  async getContact(id: string): Promise<Contact | null> {
    const item = await this.contactItem(id);
    return item ? itemToContact(item) : null;
  }

  private async contactItem(id: string): Promise<Record<string, unknown> | null> {
    const out = await this.db.doc.send(
      new GetCommand({ TableName: this.tableName, Key: keys.contact(id), ConsistentRead: true }),
    );
    return out.Item ?? null;
  }

  /**
   * The contact item written only if nobody wrote it since it was read (`rev` moves on every write), so
   * an admin's edit and a visitor's identify never lose each other's visitor tokens.
   */
  private contactPut(contact: Contact, previous: Record<string, unknown> | null): TransactItem {
    const rev = typeof previous?.rev === "number" ? previous.rev : null;
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...contactToItem(contact), rev: (rev ?? 0) + 1 },
        ...conditionOf(previous === null ? isNew : contactRevisionIs(rev)),
      },
    };
  }

  /**
   * Create or replace a contact and its lookups (email, visitor tokens) in one transaction; an email or
   * token that already belongs to another contact is a conflict, never a silent steal.
   */
  async putContact(contact: Contact): Promise<void> {
    const previousItem = await this.contactItem(contact.id);
    const previous = previousItem ? itemToContact(previousItem) : null;
    const items: TransactItem[] = [this.contactPut(contact, previousItem)];
    const lookup = (key: { pk: string; sk: string }) => ({
      Put: {
        TableName: this.tableName,
        Item: { ...key, entityType: ENTITY.lookup, contactId: contact.id },
        // Free, or already ours.
        ConditionExpression: "attribute_not_exists(pk) OR contactId = :me",
        ExpressionAttributeValues: { ":me": contact.id },
      },
    });
    items.push(lookup(keys.contactEmail(contact.email)));
    for (const token of new Set(contact.visitorTokens)) items.push(lookup(keys.visitor(token)));
    if (previous) {
      const keep = new Set([
        keys.contactEmail(contact.email).pk,
        ...contact.visitorTokens.map((t) => keys.visitor(t).pk),
      ]);
      for (const key of [keys.contactEmail(previous.email), ...previous.visitorTokens.map((t) => keys.visitor(t))]) {
        if (!keep.has(key.pk)) items.push({ Delete: { TableName: this.tableName, Key: key } });
      }
    }
    const result = await runTransaction(this.db, contactTx(items));
    if (result.ok) return;
    if (result.transient) throw new ContentionError("the contact kept changing; try again");
    throw new ConflictError("email or visitor token belongs to another contact", [
      {
        field: "contact",
        reason: `${contact.email} or a visitor token belongs to another contact, or the contact changed meanwhile`,
      },
    ]);
  }

  async getVisitorProfile(token: string): Promise<VisitorProfile | null> {
    const get = new GetCommand({ TableName: this.tableName, Key: keys.visitorProfile(token), ConsistentRead: true });
    const out = await this.db.doc.send(get);
    if (!out.Item) return null;
    return {
      ...(typeof out.Item.unverifiedEmail === "string" ? { unverifiedEmail: out.Item.unverifiedEmail } : {}),
      ...(typeof out.Item.visitorName === "string" ? { name: out.Item.visitorName } : {}),
      contactsCreated: typeof out.Item.contactsCreated === "number" ? out.Item.contactsCreated : 0,
    };
  }

  /** One item per visitor, overwritten: what an unverified visitor says costs one bounded write. */
  async recordUnverifiedEmail(token: string, email: string, name?: string): Promise<void> {
    await this.db.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.visitorProfile(token),
        UpdateExpression: `SET entityType = :type, unverifiedEmail = :email${
          name ? ", visitorName = :name" : " REMOVE visitorName"
        }`,
        ExpressionAttributeValues: { ":type": ENTITY.visitor, ":email": email, ...(name ? { ":name": name } : {}) },
      }),
    );
  }

  /**
   * One attempt at a verified identify: five consistent GetItems (token and email lookups, the visitor
   * profile, the two contacts; one item each), then one transaction
   * whose conditions say nothing of that changed. Any change meanwhile cancels it (`conflict`): the
   * caller reads again, so concurrent calls converge and no lookup is ever left without its contact.
   */
  async linkVisitor(input: VisitorLinkInput): Promise<VisitorLinkOutcome> {
    const { token, email, name } = input;
    const get = async (key: { pk: string; sk: string }) =>
      (await this.db.doc.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }))).Item ??
      null;
    const [tokenLink, emailLink, profile] = await Promise.all([
      get(keys.visitor(token)),
      get(keys.contactEmail(email)),
      get(keys.visitorProfile(token)),
    ]);
    const fromId = typeof tokenLink?.contactId === "string" ? tokenLink.contactId : null;
    const toId = typeof emailLink?.contactId === "string" ? emailLink.contactId : null;
    const [fromItem, toItem] = await Promise.all([
      fromId ? this.contactItem(fromId) : null,
      toId ? this.contactItem(toId) : null,
    ]);
    if (toItem && fromId === toId) {
      const contact = itemToContact(toItem);
      if (contact.visitorTokens.includes(token)) return { type: "linked", contact };
    }
    const items: TransactItem[] = [];
    let contact: Contact;
    if (toItem) {
      const current = itemToContact(toItem);
      const visitorTokens = [...new Set([...current.visitorTokens, token])];
      contact = { ...current, ...(name && !current.name ? { name } : {}), visitorTokens };
      items.push(this.contactPut(contact, toItem));
      items.push({
        ConditionCheck: {
          TableName: this.tableName,
          Key: keys.contactEmail(email),
          ...conditionOf(lookupNames(current.id)),
        },
      });
    } else {
      const created = typeof profile?.contactsCreated === "number" ? profile.contactsCreated : 0;
      if (created >= input.maxContactsCreated) return { type: "limit" };
      contact = { id: input.newContactId, email, ...(name ? { name } : {}), ownerId: null, visitorTokens: [token] };
      items.push(this.contactPut(contact, null));
      items.push({
        Put: {
          TableName: this.tableName,
          Item: { ...keys.contactEmail(email), entityType: ENTITY.lookup, contactId: contact.id },
          // A lookup whose contact is gone is taken over; a live one never is.
          ...conditionOf(toId ? lookupNames(toId) : isNew),
        },
      });
      items.push({
        Update: {
          TableName: this.tableName,
          Key: keys.visitorProfile(token),
          UpdateExpression: "SET entityType = :type ADD contactsCreated :one",
          ConditionExpression: underContactQuota(input.maxContactsCreated).expression,
          ExpressionAttributeValues: {
            ":type": ENTITY.visitor,
            ":one": 1,
            ...underContactQuota(input.maxContactsCreated).values,
          },
        },
      });
    }
    items.push({
      Put: {
        TableName: this.tableName,
        Item: { ...keys.visitor(token), entityType: ENTITY.lookup, contactId: contact.id },
        ...conditionOf(fromId ? lookupNames(fromId) : isNew),
      },
    });
    if (fromItem && fromId !== contact.id) {
      const from = itemToContact(fromItem);
      items.push(this.contactPut({ ...from, visitorTokens: from.visitorTokens.filter((t) => t !== token) }, fromItem));
    }
    // A lost race (the lookup or the contact changed, or a transient conflict): the caller reads again.
    const result = await runTransaction(this.db, contactTx(items));
    return result.ok ? { type: "linked", contact } : { type: "conflict" };
  }
}

/** A contact transaction: its conditions guard lookups and versions, each read back as a conflict. */
function contactTx(items: TransactItem[]): Tx {
  const tx = new Tx();
  for (const item of items) tx.add(item, { kind: "contact" });
  return tx;
}
