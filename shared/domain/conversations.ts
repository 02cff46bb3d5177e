import { hasAccess, isAssignable } from "./access";
import type { AttachmentService } from "./attachments";
import {
  type Attempt,
  type Change,
  type ChangeOptions,
  type ChangeResult,
  decisionChange,
  leavesLineIfTaken,
  type Needs,
  poolNeeds,
  reopened,
  type Stored,
  stopsLapseClock,
  teamChange,
} from "./conversation-change";
import { decide } from "./decide";
import { ConflictError, ContentionError, ForbiddenError, NotFoundError, ValidationError } from "./errors";
import type { ArrivalStore } from "./ports/arrival";
import type { AttachmentStore } from "./ports/attachments";
import type { DirectoryReads, Entities } from "./ports/directory";
import type { LapseClocks } from "./ports/lapses";
import type { CustomerEmailSender } from "./ports/outbound-email";
import type { ConversationReads } from "./ports/reads";
import type { Clock, RandomSource } from "./ports/time";
import type { TransitionStore } from "./ports/transitions";
import type { WaitingLineStore } from "./ports/waiting-line";
import { emailReply, sendsEmail } from "./reply-email";
import { backoffMs, sleep } from "./retry";
import { returnToLine } from "./return-to-line";
import type {
  Attachment,
  AutomaticKind,
  Channel,
  Contact,
  Conversation,
  DeliveryFailure,
  Message,
  User,
} from "./types";
import { withoutVersion } from "./types";
import type { WaitingLine } from "./waiting-line";
import { bounceText, noteText } from "./wording";

export interface ConversationServiceOptions {
  store: TransitionStore &
    DirectoryReads &
    Pick<ConversationReads, "listConversations" | "listMessages"> &
    Pick<ArrivalStore, "getChannel"> &
    Pick<WaitingLineStore, "channelsFor">;
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
  /** Told of conversations routing assigned with a re-route clock, to time it (docs/routing.md §5.6). */
  clocks?: LapseClocks;
  /** Takes a reply's uploads into the conversation (docs/routing.md §6.3); absent = replies carry none. */
  attachments?: AttachmentService;
  /** Reads a reply's files to send them with its email. */
  files?: AttachmentStore;
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
    this.sleep = opts.sleep ?? sleep;
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
        if (conv.automatic && ("teamId" in target || target.userId !== null))
          throw new ConflictError("mail sent by a machine is never assigned", [
            { field: "conversation", reason: `conversation ${conv.id} is automatic (${conv.automatic})` },
          ]);
        if ("teamId" in target) return teamChange(conv, dir, target.teamId, this.opts.clock.now(), this.opts.random);
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
   * docs/routing.md §3.4: an agent's reply; an unassigned conversation becomes the replier's in the same step,
   * unless a machine opened it (§6.2: never assigned). On email and form conversations the reply is also
   * emailed to the customer after the commit.
   */
  async reply(
    actor: User,
    conversationId: string,
    text: string,
    uploadIds: readonly string[] = [],
  ): Promise<{ conversation: Conversation; message: Message; emailed: boolean | null }> {
    const attachments = await this.claimUploads(actor, conversationId, uploadIds);
    const message: Message = {
      id: this.opts.newId(),
      conversationId,
      author: { kind: "agent", userId: actor.id, name: actor.name },
      text,
      createdAt: this.opts.clock.now().toISOString(),
      ...(attachments.length > 0 ? { attachments } : {}),
    };
    const { conversation } = await this.change(actor, conversationId, ({ conv }) => {
      const takes = conv.assigneeId === null && !conv.automatic;
      const after: Conversation = takes ? { ...conv, assigneeId: actor.id } : { ...conv };
      return { after, message };
    });
    // Only now that the reply is stored are its uploads done with; a failure above leaves them in place.
    if (attachments.length > 0) await this.opts.attachments?.release(conversationId, attachments);
    if (!sendsEmail(this.opts, conversation)) return { conversation, message, emailed: null };
    const delivery = await emailReply(this.opts, conversation, message);
    // The reply stands either way; its delivery tells the agent whether the customer got it.
    await this.opts.store.setMessageDelivery(message, delivery);
    return { conversation, message: { ...message, delivery }, emailed: delivery.state === "sent" };
  }

  private async claimUploads(actor: User, conversationId: string, ids: readonly string[]): Promise<Attachment[]> {
    if (ids.length === 0) return [];
    if (!this.opts.attachments)
      throw new ValidationError("attachments are not enabled", [
        { field: "body.attachments", reason: "this deployment keeps no files" },
      ]);
    return await this.opts.attachments.claim(actor, conversationId, ids);
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
   * if its assignee is now at capacity. With `dedupeKey`, a redelivery is applied once. Mail by machines
   * (`automatic`, §6.2) joins the thread marked as such and never reopens it.
   */
  async customerMessage(
    conversationId: string,
    input: {
      text: string;
      name?: string;
      email?: string;
      emailMessageId?: string;
      dedupeKey?: string;
      automatic?: AutomaticKind;
      attachments?: Attachment[];
    },
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
      ...(input.automatic ? { automatic: input.automatic } : {}),
      ...(input.attachments ? { attachments: input.attachments } : {}),
    };
    const { conversation, outcome } = await this.change(
      null,
      conversationId,
      ({ conv, assigneeFull }) => ({
        after: input.automatic ? conv : reopened(conv, assigneeFull),
        message,
        ...(input.dedupeKey ? { dedupe: { key: input.dedupeKey } } : {}),
      }),
      { canDoWithoutFullAssignee: true },
    );
    return { conversation, message, duplicate: outcome === "duplicate" };
  }

  /**
   * docs/routing.md §6.2: a delivery report says one of our replies did not reach its customer. A system
   * note says so in the thread, once however often the report is delivered; nothing else changes.
   */
  async deliveryFailed(conversationId: string, input: { failures: DeliveryFailure[]; dedupeKey: string }) {
    const note: Message = {
      id: this.opts.newId(),
      conversationId,
      author: { kind: "system" },
      text: bounceText(input.failures),
      createdAt: this.opts.clock.now().toISOString(),
    };
    const result = await this.change(null, conversationId, ({ conv }) => ({
      after: conv,
      note,
      dedupe: { key: input.dedupeKey },
    }));
    return { ...result, note };
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
        return decisionChange(
          { ...conv, awaitingHandoff: false, ...(waits ? { waitingSince: now.toISOString() } : {}) },
          decision,
        );
      },
      { needs: () => poolNeeds(channel, contact) },
    );
    if (result.outcome === "changed" && result.conversation.lapse)
      await this.opts.clocks?.started([result.conversation]);
    return result.conversation;
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
      const taken = stopsLapseClock(leavesLineIfTaken(built), conv, who);
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
      if (outcome.type === "transient") await this.sleep(random.next() * backoffMs(attempt, 100));
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

  /** docs/routing.md §5.5, "return to the line when the owner goes away" (return-to-line.ts). */
  returnToLine(user: User): Promise<number> {
    return returnToLine(this.opts, user, (id, build) => this.change(null, id, build));
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

const strip = withoutVersion;
