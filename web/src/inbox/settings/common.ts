import type { ChannelOut, InboxOut, TeamOut, UserOut } from "#shared/http/web-schemas";
import { ApiError, type Client, type ErrorDetail } from "../../api/client";
import { errorText } from "../ui";

/** What every Settings tab reads: the account's users, teams, inboxes and channels. */
export interface Data {
  users: UserOut[];
  teams: TeamOut[];
  inboxes: InboxOut[];
  channels: ChannelOut[];
}

/** A tab's props: the API, what Settings read, and how to read it again after a change. */
export type Section = { client: Client; data: Data; reload: () => Promise<void> };

/** Field errors by field name (the API's `details`), and whatever names no field. */
export function splitErrors(err: unknown, prefix = "body."): { fields: Record<string, string>; rest: string | null } {
  if (!(err instanceof ApiError)) return { fields: {}, rest: err ? errorText(err) : null };
  const fields: Record<string, string> = {};
  const rest: string[] = [];
  for (const d of err.details as ErrorDetail[]) {
    const f = d.field.startsWith(prefix) ? d.field.slice(prefix.length) : d.field;
    if (f) fields[f] = fields[f] ? `${fields[f]}; ${d.reason}` : d.reason;
    else rest.push(d.reason);
  }
  return { fields, rest: err.details.length === 0 ? err.message : rest.length ? rest.join("; ") : null };
}
