import type { Entities } from "./ports/directory";
import type { Conversation, User, VersionedConversation } from "./types";

/**
 * What the service writes for people to read, in one place: system notes, reply subjects, and the
 * reasons a decision record gives when nobody was assigned.
 */

/** Why a conversation routing had no time for waits unassigned (docs/routing.md §5.5). */
export const OUT_OF_TIME_WHY = "routing ran out of time: waiting in the channel's line";

/** Why a conversation went back to the line when its assignee turned away (docs/routing.md §5.5). */
export const returnedWhy = (userId: string) => `returned to the line: ${userId} went away`;

/** The subject of an emailed reply: the conversation's, answered once ("Re: " is not repeated). */
export function replySubject(subject: string | null | undefined): string {
  if (!subject) return "Re: your message";
  return /^re:/i.test(subject) ? subject : `Re: ${subject}`;
}

/**
 * The system note for a manual change (docs/routing.md §3), with display names only: "Bob assigned this
 * to Alice", "Alice closed this". `null` when nothing a person would call an action happened.
 */
export function noteText(
  actor: User,
  before: VersionedConversation,
  after: Conversation,
  dir: Entities,
  replied: boolean,
): string | null {
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

/** docs/routing.md §5.6: the note and the record's reason when a chat lapses. */
export function lapseText(from: string, seconds: number, to: string): string {
  return `${from} did not answer within ${seconds} s; re-routed to ${to}`;
}

/** docs/routing.md §6.2: "Your reply to lee@x.example bounced: 550 5.1.1 user unknown". */
export function bounceText(failures: ReadonlyArray<{ recipient: string; diagnostic: string }>): string {
  return failures.map((f) => `Your reply to ${f.recipient} bounced: ${f.diagnostic}`).join("\n");
}
