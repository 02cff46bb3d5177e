import { isAssignable } from "./access";
import { pickByPolicy } from "./decide";
import { ValidationError } from "./errors";
import type { Entities } from "./ports/directory";
import type { RandomSource } from "./ports/time";
import type { Transition } from "./ports/transitions";
import type { Channel, Contact, Conversation, Decision, User, VersionedConversation } from "./types";

/** The pieces of one conversation change (conversations.ts): what it reads, writes and how it ended. */

export type Stored = VersionedConversation;

/**
 * What an operation reads besides the conversation, its inbox and the actor: named users and teams,
 * and the primary members of some teams. Never the whole directory.
 */
export interface Needs {
  userIds?: Array<string | null>;
  teamIds?: string[];
  membersOf?: string[];
}

/** What a change wants to write; `null` = nothing to do (already in the asked state). */
export type Change = Omit<Transition, "before"> | null;

/**
 * What one attempt knows besides the conversation and what it read. `assigneeFull`: the previous
 * attempt failed because the user it would give the conversation to is at capacity.
 */
export interface Attempt {
  conv: Stored;
  dir: Entities;
  assigneeFull: boolean;
}

export interface ChangeOptions {
  /** What to read besides the conversation, its inbox and the actor. */
  needs?: (conv: Stored) => Needs;
  /**
   * A full assignee is a 409 unless the operation can do without them: then the next attempt is built
   * again with `assigneeFull: true` (reopening unassigned, docs/routing.md §3.6).
   */
  canDoWithoutFullAssignee?: boolean;
}

/** How a change ended: written, nothing to write, or a redelivery of one already written. */
export interface ChangeResult {
  conversation: Conversation;
  outcome: "changed" | "unchanged" | "duplicate";
}

/**
 * docs/routing.md §5.5: a conversation taken by hand, closed or re-routed leaves the waiting line; one
 * routed again and still for nobody stays in it if it was there. Nothing here makes one join the line: a
 * hand-made team assignment that finds nobody keeps the team and stays unassigned (§3.5).
 */
export function leavesLineIfTaken(change: NonNullable<Change>): NonNullable<Change> {
  const { after } = change;
  if (!after.waitingSince || (after.assigneeId === null && after.status === "open")) return change;
  const { waitingSince: _w, ...rest } = after;
  return { ...change, after: rest };
}

/**
 * docs/routing.md §5.6: the re-route clock stops at the assignee's first reply, a manual assign,
 * unassign or close, and whenever the conversation leaves its assignee. A customer's message, or a
 * colleague's reply, leaves it running. A change that sets a new clock (a hand-off) keeps its own.
 */
export function stopsLapseClock(change: NonNullable<Change>, before: Stored, actor: User | null): NonNullable<Change> {
  const { after } = change;
  if (!after.lapse) return change;
  const fresh = after.lapse !== before.lapse;
  const assigneeReplied = change.message?.author.kind === "agent" && change.message.author.userId === after.assigneeId;
  const keeps =
    fresh ||
    (after.status === "open" &&
      after.assigneeId === before.assigneeId &&
      after.assigneeId === after.lapse.assigneeId &&
      !assigneeReplied &&
      (actor === null || change.message?.author.kind === "agent"));
  if (keeps) return change;
  const { lapse: _l, ...rest } = after;
  return { ...change, after: rest };
}

/** The ids a channel's rule can pick from, as reads (docs/routing.md §5.1, §5.2). */
export function poolNeeds(channel: Channel, contact: Contact | null): Needs {
  const target = channel.routing.target;
  if (target.type === "users_and_teams") return { userIds: target.userIds, membersOf: target.teamIds };
  return { userIds: [contact?.ownerId ?? null, target.fallbackUserId ?? null] };
}

/**
 * docs/routing.md §3.6: a closed conversation reopens with its assignee, who takes the load back; if that would
 * pass their capacity (the commit said so), it reopens unassigned instead. An open one is unchanged.
 */
export function reopened(conv: Stored, assigneeAtCapacity: boolean): Stored {
  if (conv.status === "open") return conv;
  return { ...conv, status: "open", assigneeId: assigneeAtCapacity ? null : conv.assigneeId };
}

/** docs/routing.md §3.5: assign to a team: its least busy assignable primary member, or nobody. */
export function teamChange(conv: Stored, dir: Entities, teamId: string, now: Date, random: RandomSource): Change {
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
  const decision = pickByPolicy(conv.channelType, members, { users, inbox, now }, random, null);
  return decisionChange({ ...conv, teamId }, decision, conv.assigneeId);
}

/** A routing decision as a change: the new assignee, the record, a re-route clock if the rule sets one. */
export function decisionChange(conv: Stored, decision: Decision, currentAssignee: string | null = null): Change {
  const userId = decision.userId;
  const { lapse: _l, ...rest } = conv;
  const after: Conversation = {
    ...rest,
    assigneeId: userId,
    routing: decision.record,
    ...(decision.lapse ? { lapse: decision.lapse } : {}),
  };
  // Keeping the same assignee changes no load: no load condition applies.
  const gains = userId !== null && userId !== currentAssignee;
  const expectedLoad = gains ? decision.expectedLoad : null;
  return { after, expectedLoad, requireAvailable: gains && decision.requireAvailable, markAssigned: userId !== null };
}
