import { useEffect, useState } from "preact/hooks";
import { isRoutableTeam } from "#shared/domain/access";
import type { Assignee, ConversationOut, InboxOut, Me, TeamOut } from "#shared/http/web-schemas";
import type { Client } from "../api/client";

/** Who owns what, by id: the Owner select's users and teams, for names in rows and panels. */
export interface Directory {
  assignees: Assignee[];
  /** The teams that can receive conversations in this inbox (docs/routing.md §2). */
  teams: TeamOut[];
  userName: (id: string) => string;
  teamName: (id: string) => string;
  /** The channel's name where the caller may list channels (admins); otherwise undefined. */
  channelName: (id: string) => string | undefined;
}

const CHANNEL_TYPES: Record<string, string> = { chat: "Chat", bot: "Bot", email: "Email", form: "Form" };

/** What names a conversation in a list or a header: its subject, its customer, else what it came from. */
export function titleOf(c: ConversationOut): string {
  return (
    c.subject ||
    c.customerEmail ||
    (c.contactId ? `Contact ${c.contactId}` : c.channelType === "form" ? "Form submission" : "Visitor")
  );
}

/** The channel a row came from: its name for admins, its type for agents. */
export function channelLabel(c: ConversationOut, dir: Directory | null): string {
  return dir?.channelName(c.channelId) ?? CHANNEL_TYPES[c.channelType] ?? c.channelType;
}

/** Who has it: the assignee, the team, or nobody. */
export function ownerLabel(c: ConversationOut, dir: Directory | null): string {
  if (c.assigneeId) return dir?.userName(c.assigneeId) ?? c.assigneeId;
  if (c.teamId) return `${dir?.teamName(c.teamId) ?? c.teamId} (team)`;
  return "Unassigned";
}

/** The inbox's directory, read when the inbox opens (null while it loads; ids for names if it fails). */
export function useDirectory(client: Client, me: Me, inboxes: InboxOut[], inboxId: string): Directory | null {
  const [dir, setDir] = useState<Directory | null>(null);
  useEffect(() => {
    setDir(null);
    // Channel names are an admin's list; agents see the channel's type instead.
    Promise.all([client.assignees(inboxId), client.teams(), me.admin ? client.channels() : []])
      .then(([assignees, teams, channels]) => {
        const users = new Map(assignees.map((u) => [u.id, u.name]));
        const names = new Map(teams.map((t) => [t.id, t.name]));
        const channelNames = new Map(channels.map((c) => [c.id, c.name]));
        const inbox = inboxes.find((i) => i.id === inboxId);
        setDir({
          assignees,
          teams: teams.filter((t) => !inbox || isRoutableTeam(t.id, inbox)),
          userName: (id) => users.get(id) ?? id,
          teamName: (id) => names.get(id) ?? id,
          channelName: (id) => channelNames.get(id),
        });
      })
      .catch(() =>
        setDir({ assignees: [], teams: [], userName: (id) => id, teamName: (id) => id, channelName: () => undefined }),
      );
  }, [inboxId]);
  return dir;
}
