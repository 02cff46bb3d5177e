import { hasPaidSeat } from "./access";
import { ConflictError, ContentionError, NotFoundError, ValidationError } from "./errors";
import type { ArrivalStore } from "./ports/arrival";
import type { ContactStore } from "./ports/contacts";
import type { DirectoryStore, UserProfile } from "./ports/directory";
import { validateRule } from "./rules";
import type { Channel, Contact, EligibilityTrigger, Inbox, RoutingRule, Team, User } from "./types";

/** Verified identify calls may create this many contacts per visitor token, no more (docs/routing.md §6.1). */
export const MAX_CONTACTS_PER_VISITOR = 5;
/** Each attempt loses only to a write that landed: enough for many identify calls on one contact at once. */
const MAX_IDENTIFY_ATTEMPTS = 16;

/** What configuration changes tell the waiting line (docs/routing.md §5.5). */
export interface EligibilityHooks {
  userMayTakeMore(user: User, trigger: EligibilityTrigger): Promise<void>;
  ruleChanged(channel: Channel): Promise<void>;
}

/** Account configuration (docs/api.md admin endpoints), with the checks docs/routing.md §4 asks for. */
export class AdminService {
  constructor(
    private readonly store: DirectoryStore & ContactStore & Pick<ArrivalStore, "getChannel">,
    private readonly newId: () => string,
    private readonly hooks?: EligibilityHooks,
    /** A user's record changed: live subscriptions re-check what they may read (docs/routing.md §9). */
    private readonly userChanged?: (user: User) => Promise<void>,
  ) {}

  /**
   * `POST /chat/identify` (docs/routing.md §6.1). Verified (the site's backend signed the email with the
   * channel's identity secret): the visitor token is linked to the contact with that email, created if
   * absent, so contact-owner routing applies. Unverified: the email is only recorded for agents to see on
   * the visitor's conversations; it links nothing and routes nothing. Concurrent calls converge: each
   * attempt is one conditional transaction, re-read on conflict.
   */
  async identifyVisitor(input: {
    token: string;
    email: string;
    name?: string;
    verified: boolean;
  }): Promise<{ verified: boolean }> {
    const email = input.email.trim();
    if (!input.verified) {
      await this.store.recordUnverifiedEmail(input.token, email, input.name);
      return { verified: false };
    }
    for (let attempt = 0; attempt < MAX_IDENTIFY_ATTEMPTS; attempt++) {
      const outcome = await this.store.linkVisitor({
        token: input.token,
        email,
        ...(input.name ? { name: input.name } : {}),
        newContactId: this.newId(),
        maxContactsCreated: MAX_CONTACTS_PER_VISITOR,
      });
      if (outcome.type === "linked") return { verified: true };
      if (outcome.type === "limit") {
        throw new ConflictError("too many contacts for this visitor", [
          { field: "visitorToken", reason: `a visitor may create at most ${MAX_CONTACTS_PER_VISITOR} contacts` },
        ]);
      }
    }
    throw new ContentionError("the contact kept changing; try again");
  }

  /** Reads only the teams the profile names (one BatchGetItem). */
  async putUser(profile: UserProfile): Promise<User> {
    const named = [profile.primaryTeamId, ...profile.additionalTeamIds].filter((t): t is string => t !== null);
    const dir = await this.store.loadEntities({ teamIds: named });
    const missing = [profile.primaryTeamId, ...profile.additionalTeamIds]
      .filter((t): t is string => t !== null && !dir.teams.has(t))
      .map((t) => ({ field: "teams", reason: `team ${t} does not exist` }));
    if (missing.length > 0) throw new ValidationError("unknown team", missing);
    const before = this.hooks ? await this.store.getUser(profile.id) : null;
    const user = await this.store.putUser(profile);
    const trigger = becameEligible(before, user);
    if (trigger && this.hooks) await this.hooks.userMayTakeMore(user, trigger);
    await this.userChanged?.(user);
    return user;
  }

  putTeam(team: Team): Promise<void> {
    return this.store.putTeam(team);
  }

  async putInbox(inbox: Inbox): Promise<void> {
    if (inbox.access.type === "restricted") {
      const dir = await this.store.loadEntities({ teamIds: inbox.access.teamIds, userIds: inbox.access.userIds });
      const details = [
        ...inbox.access.teamIds
          .filter((t) => !dir.teams.has(t))
          .map((t) => ({ field: "access.teamIds", reason: `team ${t} does not exist` })),
        ...inbox.access.userIds
          .filter((u) => !dir.users.has(u))
          .map((u) => ({ field: "access.userIds", reason: `user ${u} does not exist` })),
      ];
      if (details.length > 0) throw new ValidationError("unknown access entries", details);
    }
    return this.store.putInbox(inbox);
  }

  /** Create or replace a channel; its rule is validated against the inbox as it is now (docs/routing.md §4). */
  /** Returns whether the channel is new (a form channel's secret is handed out only then). */
  async putChannel(channel: Channel): Promise<{ created: boolean }> {
    await this.checkRule(channel, channel.routing);
    const created = (await this.store.getChannel(channel.id)) === null;
    await this.store.putChannel(channel);
    if (!created) await this.hooks?.ruleChanged(channel);
    return { created };
  }

  async putRule(channelId: string, rule: RoutingRule): Promise<Channel> {
    const channel = await this.store.getChannel(channelId);
    if (!channel) throw new NotFoundError(`channel ${channelId} does not exist`);
    await this.checkRule(channel, rule);
    const updated = { ...channel, routing: rule };
    await this.store.putChannel(updated);
    await this.hooks?.ruleChanged(updated);
    return updated;
  }

  async putContact(contact: Contact): Promise<void> {
    if (contact.ownerId !== null) {
      const owner = await this.store.getUser(contact.ownerId);
      if (!owner)
        throw new ValidationError("unknown owner", [
          { field: "ownerId", reason: `user ${contact.ownerId} does not exist` },
        ]);
    }
    await this.store.putContact(contact);
  }

  /**
   * docs/routing.md §4: refuses a rule that names unknown or unassignable ids. Reads the inbox and exactly
   * the users and teams the rule names (one BatchGetItem per 100 ids).
   */
  async checkRule(channel: Channel, rule: RoutingRule): Promise<void> {
    const target = rule.target;
    const dir = await this.store.loadEntities({
      inboxIds: [channel.inboxId],
      userIds:
        target.type === "users_and_teams" ? target.userIds : target.fallbackUserId ? [target.fallbackUserId] : [],
      teamIds: target.type === "users_and_teams" ? target.teamIds : [],
    });
    const inbox = dir.inboxes.get(channel.inboxId);
    if (!inbox)
      throw new ValidationError("unknown inbox", [
        { field: "inboxId", reason: `inbox ${channel.inboxId} does not exist` },
      ]);
    validateRule(rule, { channelType: channel.type, inbox, users: dir.users, teams: dir.teams });
  }
}

/** A profile change that may let the user take more (docs/routing.md §5.5): more capacity, a new team. */
function becameEligible(before: User | null, after: User): EligibilityTrigger | null {
  // A new user can be a candidate at once: as a primary member of a team a rule lists.
  if (before === null) return after.primaryTeamId !== null ? { kind: "joined", userId: after.id } : null;
  if (hasPaidSeat(after) && !hasPaidSeat(before)) return { kind: "seat", userId: after.id };
  const more =
    after.capacity === null ? before.capacity !== null : before.capacity !== null && after.capacity > before.capacity;
  if (more) return { kind: "capacity", userId: after.id };
  if (after.primaryTeamId !== null && after.primaryTeamId !== before.primaryTeamId)
    return { kind: "joined", userId: after.id };
  return null;
}
