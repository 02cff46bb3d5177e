import type { AdminStore, UserProfile } from "./admin-ports";
import { NotFoundError, ValidationError } from "./errors";
import { validateRule } from "./rules";
import type { Channel, Contact, EligibilityTrigger, Inbox, RoutingRule, Team, User } from "./types";

/** Account configuration (API.md admin endpoints), with the checks SPEC 4 asks for. */
/** What configuration changes tell the waiting line (docs/routing.md §5.5). */
export interface EligibilityHooks {
  userMayTakeMore(user: User, trigger: EligibilityTrigger): Promise<void>;
  ruleChanged(channel: Channel): Promise<void>;
}

export class AdminService {
  constructor(
    private readonly store: AdminStore,
    private readonly newId: () => string,
    private readonly hooks?: EligibilityHooks,
  ) {}

  /**
   * Cookie tracking (API.md `POST /chat/identify`): link a visitor token to the contact with this email,
   * creating the contact if there is none. A token linked to another contact moves to this one.
   */
  async identifyVisitor(token: string, email: string, name?: string): Promise<Contact> {
    const current = await this.store.findContact({ by: "visitorToken", value: token });
    const target = await this.store.findContact({ by: "email", value: email });
    if (current && current.id !== target?.id) {
      await this.store.putContact({ ...current, visitorTokens: current.visitorTokens.filter((t) => t !== token) });
    }
    const contact: Contact = target
      ? { ...target, ...(name && !target.name ? { name } : {}), visitorTokens: [...new Set([...target.visitorTokens, token])] }
      : { id: this.newId(), email, ...(name ? { name } : {}), ownerId: null, visitorTokens: [token] };
    await this.store.putContact(contact);
    return contact;
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
    const trigger = before ? becameEligible(before, user) : null;
    if (trigger && this.hooks) await this.hooks.userMayTakeMore(user, trigger);
    return user;
  }

  putTeam(team: Team): Promise<void> {
    return this.store.putTeam(team);
  }

  async putInbox(inbox: Inbox): Promise<void> {
    if (inbox.access.type === "restricted") {
      const dir = await this.store.loadEntities({ teamIds: inbox.access.teamIds, userIds: inbox.access.userIds });
      const details = [
        ...inbox.access.teamIds.filter((t) => !dir.teams.has(t)).map((t) => ({ field: "access.teamIds", reason: `team ${t} does not exist` })),
        ...inbox.access.userIds.filter((u) => !dir.users.has(u)).map((u) => ({ field: "access.userIds", reason: `user ${u} does not exist` })),
      ];
      if (details.length > 0) throw new ValidationError("unknown access entries", details);
    }
    return this.store.putInbox(inbox);
  }

  /** Create or replace a channel; its rule is validated against the inbox as it is now (SPEC 4). */
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
      if (!owner) throw new ValidationError("unknown owner", [{ field: "ownerId", reason: `user ${contact.ownerId} does not exist` }]);
    }
    await this.store.putContact(contact);
  }

  /** Reads the inbox and exactly the users and teams the rule names (one BatchGetItem per 100 ids). */
  private async checkRule(channel: Channel, rule: RoutingRule): Promise<void> {
    const target = rule.target;
    const dir = await this.store.loadEntities({
      inboxIds: [channel.inboxId],
      userIds: target.type === "users_and_teams" ? target.userIds : target.fallbackUserId ? [target.fallbackUserId] : [],
      teamIds: target.type === "users_and_teams" ? target.teamIds : [],
    });
    const inbox = dir.inboxes.get(channel.inboxId);
    if (!inbox) throw new ValidationError("unknown inbox", [{ field: "inboxId", reason: `inbox ${channel.inboxId} does not exist` }]);
    validateRule(rule, { channelType: channel.type, inbox, users: dir.users, teams: dir.teams });
  }
}

/** A profile change that may let the user take more (docs/routing.md §5.5): more capacity, a new team. */
function becameEligible(before: User, after: User): EligibilityTrigger | null {
  const more = after.capacity === null ? before.capacity !== null : before.capacity !== null && after.capacity > before.capacity;
  if (more) return { kind: "capacity", userId: after.id };
  if (after.primaryTeamId !== null && after.primaryTeamId !== before.primaryTeamId) return { kind: "joined", userId: after.id };
  return null;
}
