import { hasAccess, isAssignable } from "./access";
import { pickByPolicy, decide, type Decision } from "./decide";
import { ConflictError, ContentionError, errorText, ForbiddenError, NotFoundError, ValidationError } from "./errors";
import type { Clock, CustomerEmailSender, Entities, RandomSource, RoutingStore, Transition } from "./ports";
import type { ConversationPage, ConversationQuery } from "./ports";
import type { Channel, Contact, Conversation, Message, MessageDelivery, User, VersionedConversation } from "./types";
import type { WaitingLine } from "./waiting-line";
import { withoutVersion } from "./types";

export interface ConversationServiceOptions {
  store: RoutingStore & {
    getChannel(id: string): Promise<Channel | null>;
    listMessages(id: string): Promise<Message[]>;
    setMessageDelivery(message: Message, delivery: MessageDelivery): Promise<void>;
    listConversations(q: ConversationQuery): Promise<ConversationPage>;
  };
  /** Sends replies on email and form conversations; absent = replies stay in the inbox only. */
  emailSender?: CustomerEmailSender;
  /** Sender of replies on form conversations. */
  replyFrom?: string;
  clock: Clock;
  random: RandomSource;
  newId: () => string;
  maxAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Told when a change frees someone's capacity, so it can give them its oldest (docs/routing.md §5.5). */
  waiting?: WaitingLine;
}

type Stored = VersionedConversation;

/**
 * What an operation reads besides the conversation, its inbox and the actor: named users and teams,
 * and the primary members of some teams. Never the whole directory.
 */
interface Needs {
  userIds?: Array<string | null>;
  teamIds?: string[];
  membersOf?: string[];
}

/** What a change wants to write; `null` = nothing to do (already in the asked state). */
type Change = Omit<Transition, "before"> | null;

/**
 * What one attempt knows besides the conversation and what it read. `assigneeFull`: the previous
 * attempt failed because the user it would give the conversation to is at capacity.
 */
interface Attempt {
  conv: Stored;
  dir: Entities;
  assigneeFull: boolean;
}

interface ChangeOptions {
  /** What to read besides the conversation, its inbox and the actor. */
  needs?: (conv: Stored) => Needs;
  /**
   * A full assignee is a 409 unless the operation can do without them: then the next attempt is built
   * again with `assigneeFull: true` (reopening unassigned, docs/routing.md §3.6).
   */
  canDoWithoutFullAssignee?: boolean;
}

/** How a change ended: written, nothing to write, or a redelivery of one already written. */
interface ChangeResult {
  conversation: Conversation;
  outcome: "changed" | "unchanged" | "duplicate";
}

export type AssignTarget = { userId: string } | { userId: null } | { teamId: string };

/**
 * Manual assignment and the conversation lifecycle (docs/routing.md §3), plus the bot hand-off (docs/routing.md §5).
 * Every operation is read, decide, one conditional transaction on the conversation's version; a
 * concurrent change makes it re-read and decide again, so counters always follow the conversation.
 */
export class ConversationService {
  private readonly maxAttempts: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly opts: ConversationServiceOptions) {
    this.maxAttempts = opts.maxAttempts ?? 12;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * docs/routing.md §3.3 / §3.5: assign to a user (self-assign needs access; others must be assignable), a team,
   * or nobody.
   */
  async assign(actor: User, conversationId: string, target: AssignTarget): Promise<Conversation> {
    const needs = (conv: Stored): Needs =>
      "teamId" in target
        ? { teamIds: [target.teamId], membersOf: [target.teamId], userIds: [conv.assigneeId] }
        : { userIds: [target.userId] };
    const result = await this.change(
      actor,
      conversationId,
      ({ conv, dir }) => {
        if ("teamId" in target) return this.toTeam(conv, dir, target.teamId);
        if (target.userId === null) {
          if (conv.assigneeId === null) return null;
          return { after: { ...conv, assigneeId: null } };
        }
        if (conv.assigneeId === target.userId) return null;
        const user = dir.users.get(target.userId);
        if (!user)
          throw new ValidationError("unknown user", [
            { field: "userId", reason: `user ${target.userId} does not exist` },
          ]);
        const inbox = dir.inboxes.get(conv.inboxId)!;
        const selfAssignUnassigned = user.id === actor.id && conv.assigneeId === null;
        // Anyone with access may take an unassigned conversation; any other target must be assignable.
        // An admin by token (not by stored role) is still an admin for their own access.
        const self = actor.role === "admin" ? actor : user;
        const allowed = selfAssignUnassigned ? hasAccess(self, inbox) : isAssignable(user, inbox);
        if (!allowed)
          throw new ValidationError("user cannot be assigned here", [
            { field: "userId", reason: `user ${user.id} is not assignable in inbox ${inbox.id}` },
          ]);
        return { after: { ...conv, assigneeId: user.id } };
      },
      { needs },
    );
    return result.conversation;
  }

  /**
   * docs/routing.md §3.4: an agent's reply; an unassigned conversation becomes the replier's in the same step.
   * On email and form conversations the reply is also emailed to the customer after the commit.
   */
  async reply(
    actor: User,
    conversationId: string,
    text: string,
  ): Promise<{ conversation: Conversation; message: Message; emailed: boolean | null }> {
    const message: Message = {
      id: this.opts.newId(),
      conversationId,
      author: { kind: "agent", userId: actor.id, name: actor.name },
      text,
      createdAt: this.opts.clock.now().toISOString(),
    };
    const { conversation } = await this.change(actor, conversationId, ({ conv }) => {
      const after: Conversation = conv.assigneeId === null ? { ...conv, assigneeId: actor.id } : { ...conv };
      return { after, message };
    });
    if (!this.sendsEmail(conversation)) return { conversation, message, emailed: null };
    const delivery = await this.emailReply(conversation, message);
    // The reply stands either way; its delivery tells the agent whether the customer got it.
    await this.opts.store.setMessageDelivery(message, delivery);
    return { conversation, message: { ...message, delivery }, emailed: delivery.state === "sent" };
  }

  private sendsEmail(c: Conversation): boolean {
    return (
      this.opts.emailSender !== undefined &&
      (c.channelType === "email" || c.channelType === "form") &&
      !!c.customerEmail
    );
  }

  /**
   * After the commit: the reply is kept in the inbox even if the email cannot be sent. The email sender
   * adapter logs and counts its own failures; here the outcome becomes the message's delivery state.
   */
  private async emailReply(conversation: Conversation, message: Message): Promise<MessageDelivery> {
    const { store, emailSender, replyFrom } = this.opts;
    try {
      const channel = await store.getChannel(conversation.channelId);
      const from = conversation.channelType === "email" ? channel?.address : replyFrom;
      if (!from) return { state: "failed", error: "the channel has no sender address" };
      const lastCustomer = (await store.listMessages(conversation.id))
        .filter((m) => m.author.kind === "customer" && m.emailMessageId)
        .pop();
      const subject = conversation.subject
        ? /^re:/i.test(conversation.subject)
          ? conversation.subject
          : `Re: ${conversation.subject}`
        : "Re: your message";
      await emailSender!.sendReply({
        conversationId: conversation.id,
        from,
        to: conversation.customerEmail!,
        subject,
        text: message.text,
        inReplyTo: lastCustomer?.emailMessageId ?? null,
      });
      return { state: "sent" };
    } catch (err) {
      return { state: "failed", error: errorText(err) };
    }
  }

  /** docs/routing.md §3.6: closing keeps the assignee and frees the load. */
  async close(actor: User, conversationId: string): Promise<Conversation> {
    const result = await this.change(actor, conversationId, ({ conv }) =>
      conv.status === "closed" ? null : { after: { ...conv, status: "closed" } },
    );
    return result.conversation;
  }

  /**
   * docs/routing.md §3.6: reopening gives the load back to the assignee. If that would take them past their
   * capacity, the conversation reopens unassigned (it shows in the Unassigned view) rather than fail.
   */
  async reopen(actor: User, conversationId: string): Promise<Conversation> {
    const result = await this.change(
      actor,
      conversationId,
      ({ conv, assigneeFull }) => (conv.status === "open" ? null : { after: reopened(conv, assigneeFull) }),
      { canDoWithoutFullAssignee: true },
    );
    return result.conversation;
  }

  /**
   * A customer's message on an existing conversation (visitor chat, email reply threaded by Message-ID).
   * It is not routed again and keeps its assignee (docs/routing.md §6); a closed conversation reopens, unassigned
   * if its assignee is now at capacity. With `dedupeKey`, a redelivery is applied once.
   */
  async customerMessage(
    conversationId: string,
    input: { text: string; name?: string; email?: string; emailMessageId?: string; dedupeKey?: string },
  ): Promise<{ conversation: Conversation; message: Message; duplicate: boolean }> {
    const message: Message = {
      id: this.opts.newId(),
      conversationId,
      author: {
        kind: "customer",
        ...(input.name ? { name: input.name } : {}),
        ...(input.email ? { email: input.email } : {}),
      },
      text: input.text,
      createdAt: this.opts.clock.now().toISOString(),
      ...(input.emailMessageId ? { emailMessageId: input.emailMessageId } : {}),
    };
    const { conversation, outcome } = await this.change(
      null,
      conversationId,
      ({ conv, assigneeFull }) => ({
        after: reopened(conv, assigneeFull),
        message,
        ...(input.dedupeKey ? { dedupe: { key: input.dedupeKey } } : {}),
      }),
      { canDoWithoutFullAssignee: true },
    );
    return { conversation, message, duplicate: outcome === "duplicate" };
  }

  /**
   * The bot's "send to team member" action (docs/routing.md §5): route an existing bot conversation once.
   * A second hand-off (retry, double click) finds it already handed off and changes nothing.
   */
  async handoff(conversationId: string, contact: Contact | null, channel: Channel): Promise<Conversation> {
    const result = await this.change(
      null,
      conversationId,
      ({ conv, dir }) => {
        if (!conv.awaitingHandoff) return null;
        const inbox = dir.inboxes.get(conv.inboxId)!;
        const now = this.opts.clock.now();
        const decision = decide({ channel, contact }, { users: dir.users, inbox, now }, this.opts.random);
        // Nobody can take it now: it waits in the channel's line like a chat routed on arrival.
        const waits = decision.userId === null && decision.record.strategy !== "manual";
        return this.applyDecision(
          { ...conv, awaitingHandoff: false, ...(waits ? { waitingSince: now.toISOString() } : {}) },
          decision,
        );
      },
      { needs: () => poolNeeds(channel, contact) },
    );
    return result.conversation;
  }

  private toTeam(conv: Stored, dir: Entities, teamId: string): Change {
    if (!dir.teams.has(teamId))
      throw new ValidationError("unknown team", [{ field: "teamId", reason: `team ${teamId} does not exist` }]);
    const inbox = dir.inboxes.get(conv.inboxId)!;
    const members = [...dir.users.values()]
      .filter((u) => u.primaryTeamId === teamId && isAssignable(u, inbox))
      .map((u) => ({ userId: u.id, source: "team_assignment" as const }));
    // The current assignee's own conversation counts in their load; judge them as if it were released.
    const users = new Map(dir.users);
    if (conv.assigneeId && conv.status === "open") {
      const cur = users.get(conv.assigneeId);
      if (cur) users.set(cur.id, { ...cur, openCount: Math.max(0, cur.openCount - 1) });
    }
    const decision = pickByPolicy(
      conv.channelType,
      members,
      { users, inbox, now: this.opts.clock.now() },
      this.opts.random,
      null,
    );
    return this.applyDecision({ ...conv, teamId }, decision, conv.assigneeId);
  }

  private applyDecision(conv: Stored, decision: Decision, currentAssignee: string | null = null): Change {
    const userId = decision.userId;
    const after: Conversation = { ...conv, assigneeId: userId, routing: decision.record };
    // Keeping the same assignee changes no load: no load condition applies.
    const gains = userId !== null && userId !== currentAssignee;
    const expectedLoad = gains ? decision.expectedLoad : null;
    return { after, expectedLoad, requireAvailable: gains && decision.requireAvailable, markAssigned: userId !== null };
  }

  /**
   * The optimistic loop shared by every operation: read, build the change, commit it at the read
   * version; a concurrent change means read and build again. A full assignee is a 409 unless the
   * operation says it can do without them (`canDoWithoutFullAssignee`).
   */
  private async change(
    actor: User | null,
    conversationId: string,
    build: (attempt: Attempt) => Change,
    options: ChangeOptions = {},
  ): Promise<ChangeResult> {
    const { store, clock, random } = this.opts;
    let assigneeFull = false;
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const conv = await store.getConversation(conversationId);
      if (!conv) throw new NotFoundError(`conversation ${conversationId} does not exist`);
      const dir = await this.read(conv, actor, options.needs?.(conv) ?? {});
      const inbox = dir.inboxes.get(conv.inboxId);
      if (!inbox) throw new NotFoundError(`inbox ${conv.inboxId} does not exist`);
      // The stored user is the fresher record, but an admin by token stays an admin (docs/routing.md §2).
      const who = actor === null ? null : actor.role === "admin" ? actor : (dir.users.get(actor.id) ?? actor);
      if (who && !hasAccess(who, inbox)) throw new ForbiddenError(`user ${who.id} has no access to inbox ${inbox.id}`);
      const built = build({ conv, dir, assigneeFull });
      if (built === null) return { conversation: strip(conv), outcome: "unchanged" };
      const taken = leavesLineIfTaken(built);
      // A person's action leaves its trace in the thread, atomically with the change itself.
      const text = who ? noteText(who, conv, taken.after, dir, taken.message != null) : null;
      const change = text ? { ...taken, note: this.note(who!, conv.id, text) } : taken;
      const outcome = await store.commitTransition({ before: conv, ...change }, clock.now());
      if (outcome.type === "committed") {
        await this.capacityFreed(conv, change.after, dir);
        const after = { ...change.after, version: conv.version + 1, updatedAt: clock.now().toISOString() };
        return { conversation: strip(after), outcome: "changed" };
      }
      if (outcome.type === "duplicate") return { conversation: strip(conv), outcome: "duplicate" };
      if (outcome.type === "user_conflict") {
        const fresh = outcome.fresh;
        const full = fresh === null || (fresh.capacity !== null && fresh.openCount >= fresh.capacity);
        if (full) assigneeFull = true;
        if (full && !options.canDoWithoutFullAssignee) {
          throw new ConflictError(`user ${outcome.userId} is at capacity`, [
            {
              field: "userId",
              reason:
                `user ${outcome.userId} holds ${fresh?.openCount ?? "?"} ` +
                `of ${fresh?.capacity ?? "?"} conversations`,
            },
          ]);
        }
      }
      if (outcome.type === "transient") await this.sleep(random.next() * Math.min(100, 5 * 2 ** attempt));
    }
    throw new ContentionError(`conversation ${conversationId} kept changing; try again`);
  }

  private note(actor: User, conversationId: string, text: string): Message {
    return {
      id: this.opts.newId(),
      conversationId,
      author: { kind: "system", userId: actor.id },
      text,
      createdAt: this.opts.clock.now().toISOString(),
    };
  }

  /**
   * Closing, unassigning or handing over frees the former assignee's slot: the waiting line may give
   * them its oldest conversation (docs/routing.md §5.5), within a few ms of this answer.
   */
  private async capacityFreed(before: Stored, after: Conversation, dir: Entities): Promise<void> {
    const waiting = this.opts.waiting;
    if (!waiting || !before.assigneeId || before.status !== "open") return;
    if (after.assigneeId === before.assigneeId && after.status === "open") return;
    // Returned to the line because its assignee went away: that drain is the caller's (returnToLine).
    if (after.waitingSince && !before.waitingSince) return;
    const user = dir.users.get(before.assigneeId);
    if (user) await waiting.userMayTakeMore(user, { kind: "freed", userId: user.id });
  }

  /**
   * docs/routing.md §5.5, "return to the line when the owner goes away": on channels that ask for it,
   * the open conversations of a user who turned away are unassigned, join the line, and go to whoever
   * is eligible. Reads the user's channels (two small Queries) and their Mine view page by page.
   */
  async returnToLine(user: User): Promise<number> {
    const { store, clock, waiting } = this.opts;
    const ids = await store.channelsFor(user.id, user.primaryTeamId);
    const channels = (await Promise.all(ids.map((id) => store.getChannel(id)))).filter(
      // Contact-owner channels route to the owner even while away (docs/routing.md §5.2): handing theirs
      // back to the line would only give it back to them. The option applies to the other rules.
      // Only chat and bot channels take the option (docs/routing.md §5.5): email and form routing ignores
      // availability, so a returned conversation could go straight back to the user who left.
      (c): c is Channel =>
        c?.routing.returnWhenAway === true &&
        c.routing.target.type !== "contact_owner" &&
        (c.type === "chat" || c.type === "bot"),
    );
    let returned = 0;
    for (const channel of channels) {
      let cursor: string | undefined;
      do {
        const page = await store.listConversations({
          inboxId: channel.inboxId,
          view: "mine",
          status: "open",
          userId: user.id,
          limit: 100,
          ...(cursor ? { cursor } : {}),
        });
        for (const c of page.items.filter((x) => x.channelId === channel.id)) {
          const { outcome } = await this.change(null, c.id, ({ conv }) => {
            if (conv.assigneeId !== user.id || conv.status !== "open") return null;
            const now = clock.now().toISOString();
            const why = `returned to the line: ${user.id} went away`;
            const record = conv.routing
              ? { ...conv.routing, outcome: { type: "unassigned" as const, why }, returnedFrom: user.id }
              : undefined;
            return { after: { ...conv, assigneeId: null, waitingSince: now, ...(record ? { routing: record } : {}) } };
          });
          if (outcome === "changed") returned++;
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      if (waiting) await waiting.drain(channel, { kind: "away", userId: user.id });
    }
    return returned;
  }

  /**
   * The inbox, the actor and what the operation names, in one BatchGetItem (after one Query per team
   * whose members it needs): sized by the request, never by the directory.
   */
  private async read(conv: Stored, actor: User | null, needs: Needs): Promise<Entities> {
    const { store } = this.opts;
    const members = await Promise.all((needs.membersOf ?? []).map((t) => store.teamMembers(t)));
    // The current assignee too: a change that frees their slot tells the waiting line who they are.
    const userIds = [actor?.id ?? null, conv.assigneeId, ...(needs.userIds ?? []), ...members.flat()].filter(
      (u): u is string => u !== null,
    );
    return store.loadEntities({ inboxIds: [conv.inboxId], userIds, teamIds: needs.teamIds ?? [] });
  }
}

/**
 * docs/routing.md §5.5: a conversation taken by hand, closed or re-routed leaves the waiting line; one
 * routed again and still for nobody stays in it if it was there. Nothing here makes one join the line: a
 * hand-made team assignment that finds nobody keeps the team and stays unassigned (§3.5).
 */
function leavesLineIfTaken(change: NonNullable<Change>): NonNullable<Change> {
  const { after } = change;
  if (!after.waitingSince || (after.assigneeId === null && after.status === "open")) return change;
  const { waitingSince: _w, ...rest } = after;
  return { ...change, after: rest };
}

/**
 * The system note for a manual change (docs/routing.md §3), with display names only: "Bob assigned this
 * to Alice", "Alice closed this". `null` when nothing a person would call an action happened.
 */
function noteText(actor: User, before: Stored, after: Conversation, dir: Entities, replied: boolean): string | null {
  const name = (id: string) => (id === actor.id ? actor.name : (dir.users.get(id)?.name ?? id));
  const by = actor.name;
  if (before.status === "open" && after.status === "closed") return `${by} closed this`;
  if (before.status === "closed" && after.status === "open") {
    const dropped = before.assigneeId !== null && after.assigneeId === null;
    return dropped
      ? `${by} reopened this; it is unassigned because ${name(before.assigneeId!)} is at capacity`
      : `${by} reopened this`;
  }
  if (after.teamId !== before.teamId || (after.routing !== before.routing && after.routing?.rule === null)) {
    const team = after.teamId ? (dir.teams.get(after.teamId)?.name ?? after.teamId) : "no";
    // The team's decision replaces the stored one, so the note keeps who had it before.
    const from = before.assigneeId && before.assigneeId !== actor.id ? `from ${name(before.assigneeId)} ` : "";
    return from ? `${by} moved this ${from}to the ${team} team` : `${by} assigned this to the ${team} team`;
  }
  if (after.assigneeId === before.assigneeId) return null;
  if (after.assigneeId === null)
    return before.assigneeId === actor.id
      ? `${by} unassigned this`
      : `${by} unassigned this from ${name(before.assigneeId!)}`;
  if (replied) return `${by} took this by replying`;
  if (after.assigneeId === actor.id) return `${by} took this`;
  return `${by} assigned this to ${name(after.assigneeId)}`;
}

/** The ids a channel's rule can pick from, as reads (docs/routing.md §5.1, §5.2). */
function poolNeeds(channel: Channel, contact: Contact | null): Needs {
  const target = channel.routing.target;
  if (target.type === "users_and_teams") return { userIds: target.userIds, membersOf: target.teamIds };
  return { userIds: [contact?.ownerId ?? null, target.fallbackUserId ?? null] };
}

/**
 * docs/routing.md §3.6: a closed conversation reopens with its assignee, who takes the load back; if that would
 * pass their capacity (the commit said so), it reopens unassigned instead. An open one is unchanged.
 */
function reopened(conv: Stored, assigneeAtCapacity: boolean): Stored {
  if (conv.status === "open") return conv;
  return { ...conv, status: "open", assigneeId: assigneeAtCapacity ? null : conv.assigneeId };
}

const strip = withoutVersion;
