import { useEffect, useState } from "preact/hooks";
import { hasPaidSeat, isAssignable, isRoutableTeam } from "#shared/domain/access";
import type { ChannelOut, CreatedChannel, InboxOut, TeamOut, UserOut } from "#shared/http/web-schemas";
import { ApiError, type ChannelBody, type Client, type ErrorDetail, type RuleBody } from "../api/client";
import type { SettingsTab } from "./route";
import { RulePreviewPanel } from "./rule-preview";
import { CopyButton, Empty, ErrorNote, errorText, Field, Loading } from "./ui";

interface Data {
  users: UserOut[];
  teams: TeamOut[];
  inboxes: InboxOut[];
  channels: ChannelOut[];
}

const TAB_NAMES: Record<SettingsTab, string> = {
  users: "Users",
  teams: "Teams",
  inboxes: "Inboxes",
  channels: "Channels",
};
const paid = (u: UserOut) => hasPaidSeat(u);

/** Field errors by field name (the API's `details`), and whatever names no field. */
function splitErrors(err: unknown, prefix = "body."): { fields: Record<string, string>; rest: string | null } {
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

export function Settings({ client, tab }: { client: Client; tab: SettingsTab }) {
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () =>
    Promise.all([client.users(), client.teams(), client.inboxes(), client.channels()])
      .then(([users, teams, inboxes, channels]) => {
        setData({ users, teams, inboxes, channels });
        setError(null);
      })
      .catch(setError);
  useEffect(() => {
    void load();
  }, []);
  return (
    <main class="settings">
      <h1>Settings</h1>
      <nav class="tabs" aria-label="Settings">
        {(Object.keys(TAB_NAMES) as SettingsTab[]).map((t) => (
          <a key={t} href={`#/settings/${t}`} aria-current={t === tab ? "page" : undefined}>
            {TAB_NAMES[t]}
          </a>
        ))}
      </nav>
      {error ? (
        <ErrorNote error={error} retry={load} />
      ) : !data ? (
        <Loading what="settings" />
      ) : tab === "users" ? (
        <Users client={client} data={data} reload={load} />
      ) : tab === "teams" ? (
        <Teams client={client} data={data} reload={load} />
      ) : tab === "inboxes" ? (
        <Inboxes client={client} data={data} reload={load} />
      ) : (
        <Channels client={client} data={data} reload={load} />
      )}
    </main>
  );
}

type Section = { client: Client; data: Data; reload: () => Promise<void> };

function Users({ client, data, reload }: Section) {
  const blank = {
    id: "",
    name: "",
    email: "",
    seat: "service",
    role: "agent",
    primaryTeamId: "",
    additionalTeamIds: [] as string[],
    capacity: "",
  };
  const [form, setForm] = useState(blank);
  const [err, setErr] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const { fields, rest } = splitErrors(err);
  const set = (patch: Partial<typeof form>) => setForm({ ...form, ...patch });
  const teamName = (id: string | null) => data.teams.find((t) => t.id === id)?.name ?? id ?? "–";
  return (
    <div class="two-col">
      <section aria-labelledby="users-h">
        <h2 id="users-h">Users</h2>
        {data.users.length === 0 ? (
          <Empty>No users yet.</Empty>
        ) : (
          // A named region a keyboard user can focus to scroll the columns a narrow screen cuts off
          // (a scrollable region must be focusable: WCAG 2.1.1).
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region needs focus to scroll by keys
          <section class="table-wrap" aria-label="Users table" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Seat</th>
                  <th scope="col">Role</th>
                  <th scope="col">Teams</th>
                  <th scope="col">Capacity</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span class="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.users.map((u) => (
                  <tr key={u.id}>
                    <td>
                      {u.name} <span class="muted">{u.id}</span>
                    </td>
                    <td>{u.seat}</td>
                    <td>{u.role}</td>
                    <td>
                      {teamName(u.primaryTeamId)}
                      {u.additionalTeamIds.length ? ` + ${u.additionalTeamIds.map(teamName).join(", ")}` : ""}
                    </td>
                    <td>{u.capacity ?? "∞"}</td>
                    <td>
                      {u.availability}, {u.openCount} open
                    </td>
                    <td>
                      <button
                        type="button"
                        aria-label={`Edit ${u.name}`}
                        onClick={() =>
                          setForm({
                            id: u.id,
                            name: u.name,
                            email: u.email,
                            seat: u.seat,
                            role: u.role,
                            primaryTeamId: u.primaryTeamId ?? "",
                            additionalTeamIds: u.additionalTeamIds,
                            capacity: u.capacity === null ? "" : String(u.capacity),
                          })
                        }
                      >
                        Edit
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        )}
      </section>
      <form
        class="card"
        aria-labelledby="user-form-h"
        onSubmit={async (e) => {
          e.preventDefault();
          setErr(null);
          setSaved(null);
          try {
            await client.putUser(form.id, {
              name: form.name,
              email: form.email,
              seat: form.seat as "sales" | "service" | "none",
              role: form.role as "agent" | "admin",
              primaryTeamId: form.primaryTeamId || null,
              additionalTeamIds: form.additionalTeamIds,
              capacity: form.capacity === "" ? null : Number(form.capacity),
            });
            setSaved(`Saved ${form.name}.`);
            setForm(blank);
            await reload();
          } catch (x) {
            setErr(x);
          }
        }}
      >
        <h2 id="user-form-h">Add or edit a user</h2>
        <Field id="user-id" label="User id" error={fields["path.userId"] ?? fields.id}>
          <input id="user-id" required value={form.id} onInput={(e) => set({ id: e.currentTarget.value })} />
        </Field>
        <Field id="user-name" label="Name" error={fields.name}>
          <input id="user-name" required value={form.name} onInput={(e) => set({ name: e.currentTarget.value })} />
        </Field>
        <Field id="user-email" label="Email" error={fields.email}>
          <input
            id="user-email"
            type="email"
            required
            value={form.email}
            onInput={(e) => set({ email: e.currentTarget.value })}
          />
        </Field>
        <Field id="user-seat" label="Seat" error={fields.seat}>
          <select id="user-seat" value={form.seat} onChange={(e) => set({ seat: e.currentTarget.value })}>
            <option value="service">Service (paid)</option>
            <option value="sales">Sales (paid)</option>
            <option value="none">None</option>
          </select>
        </Field>
        <Field id="user-role" label="Role" error={fields.role}>
          <select id="user-role" value={form.role} onChange={(e) => set({ role: e.currentTarget.value })}>
            <option value="agent">Agent</option>
            <option value="admin">Admin</option>
          </select>
        </Field>
        <Field id="user-primary" label="Primary team" error={fields.primaryTeamId ?? fields.teams}>
          <select
            id="user-primary"
            value={form.primaryTeamId}
            onChange={(e) => set({ primaryTeamId: e.currentTarget.value })}
          >
            <option value="">None</option>
            {data.teams.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
          </select>
        </Field>
        <fieldset>
          <legend>Additional teams</legend>
          {data.teams.map((t) => (
            <label key={t.id} class="check">
              <input
                type="checkbox"
                checked={form.additionalTeamIds.includes(t.id)}
                onChange={(e) =>
                  set({
                    additionalTeamIds: e.currentTarget.checked
                      ? [...form.additionalTeamIds, t.id]
                      : form.additionalTeamIds.filter((x) => x !== t.id),
                  })
                }
              />
              {t.name}
            </label>
          ))}
        </fieldset>
        <Field id="user-capacity" label="Capacity (most open conversations; empty = no limit)" error={fields.capacity}>
          <input
            id="user-capacity"
            type="number"
            min={0}
            value={form.capacity}
            onInput={(e) => set({ capacity: e.currentTarget.value })}
          />
        </Field>
        {rest && (
          <p class="field-error" role="alert">
            {rest}
          </p>
        )}
        {saved && <p role="status">{saved}</p>}
        <button type="submit" class="primary">
          Save user
        </button>
      </form>
    </div>
  );
}

function Teams({ client, data, reload }: Section) {
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const [err, setErr] = useState<unknown>(null);
  const { fields, rest } = splitErrors(err);
  return (
    <div class="two-col">
      <section aria-labelledby="teams-h">
        <h2 id="teams-h">Teams</h2>
        {data.teams.length === 0 ? (
          <Empty>No teams yet.</Empty>
        ) : (
          <ul class="plain">
            {data.teams.map((t) => {
              const primaryMembers = data.users.filter((u) => u.primaryTeamId === t.id).length;
              return (
                <li key={t.id}>
                  {t.name} <span class="muted">{t.id}</span> · {primaryMembers} primary members
                </li>
              );
            })}
          </ul>
        )}
      </section>
      <form
        class="card"
        aria-labelledby="team-form-h"
        onSubmit={async (e) => {
          e.preventDefault();
          setErr(null);
          try {
            await client.putTeam(id, { name });
            setId("");
            setName("");
            await reload();
          } catch (x) {
            setErr(x);
          }
        }}
      >
        <h2 id="team-form-h">Add or rename a team</h2>
        <Field id="team-id" label="Team id" error={fields["path.teamId"]}>
          <input id="team-id" required value={id} onInput={(e) => setId(e.currentTarget.value)} />
        </Field>
        <Field id="team-name" label="Name" error={fields.name}>
          <input id="team-name" required value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </Field>
        {rest && (
          <p class="field-error" role="alert">
            {rest}
          </p>
        )}
        <button type="submit" class="primary">
          Save team
        </button>
      </form>
    </div>
  );
}

function Inboxes({ client, data, reload }: Section) {
  const blank = { id: "", name: "", type: "everyone", teamIds: [] as string[], userIds: [] as string[] };
  const [form, setForm] = useState(blank);
  const [err, setErr] = useState<unknown>(null);
  const { fields, rest } = splitErrors(err);
  const set = (patch: Partial<typeof form>) => setForm({ ...form, ...patch });
  const toggle = (list: string[], id: string, on: boolean) => (on ? [...list, id] : list.filter((x) => x !== id));
  return (
    <div class="two-col">
      <section aria-labelledby="inboxes-h">
        <h2 id="inboxes-h">Inboxes</h2>
        {data.inboxes.length === 0 ? (
          <Empty>No inboxes yet.</Empty>
        ) : (
          <ul class="plain">
            {data.inboxes.map((i) => (
              <li key={i.id}>
                {i.name} <span class="muted">{i.id}</span> ·{" "}
                {i.access.type === "everyone"
                  ? "everyone"
                  : "restricted to " +
                    ([...i.access.teamIds.map((t) => `team ${t}`), ...i.access.userIds].join(", ") || "nobody")}{" "}
                <button
                  type="button"
                  aria-label={`Edit ${i.name}`}
                  onClick={() =>
                    setForm({
                      id: i.id,
                      name: i.name,
                      type: i.access.type,
                      teamIds: i.access.type === "restricted" ? i.access.teamIds : [],
                      userIds: i.access.type === "restricted" ? i.access.userIds : [],
                    })
                  }
                >
                  Edit
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <form
        class="card"
        aria-labelledby="inbox-form-h"
        onSubmit={async (e) => {
          e.preventDefault();
          setErr(null);
          try {
            await client.putInbox(form.id, {
              name: form.name,
              access:
                form.type === "everyone"
                  ? { type: "everyone" }
                  : { type: "restricted", teamIds: form.teamIds, userIds: form.userIds },
            });
            setForm(blank);
            await reload();
          } catch (x) {
            setErr(x);
          }
        }}
      >
        <h2 id="inbox-form-h">Add or edit an inbox</h2>
        <Field id="inbox-id" label="Inbox id" error={fields["path.inboxId"]}>
          <input id="inbox-id" required value={form.id} onInput={(e) => set({ id: e.currentTarget.value })} />
        </Field>
        <Field id="inbox-name" label="Name" error={fields.name}>
          <input id="inbox-name" required value={form.name} onInput={(e) => set({ name: e.currentTarget.value })} />
        </Field>
        <Field id="inbox-access" label="Access" error={fields.access}>
          <select id="inbox-access" value={form.type} onChange={(e) => set({ type: e.currentTarget.value })}>
            <option value="everyone">Everyone</option>
            <option value="restricted">Restricted to teams and users</option>
          </select>
        </Field>
        {form.type === "restricted" && (
          <fieldset>
            <legend>Who has access</legend>
            {data.teams.map((t) => (
              <label key={t.id} class="check">
                <input
                  type="checkbox"
                  checked={form.teamIds.includes(t.id)}
                  onChange={(e) => set({ teamIds: toggle(form.teamIds, t.id, e.currentTarget.checked) })}
                />
                {t.name} team
              </label>
            ))}
            {data.users.map((u) => (
              <label key={u.id} class="check">
                <input
                  type="checkbox"
                  checked={form.userIds.includes(u.id)}
                  onChange={(e) => set({ userIds: toggle(form.userIds, u.id, e.currentTarget.checked) })}
                />
                {u.name}
              </label>
            ))}
            {(fields["access.teamIds"] || fields["access.userIds"]) && (
              <p class="field-error" role="alert">
                {[fields["access.teamIds"], fields["access.userIds"]].filter(Boolean).join("; ")}
              </p>
            )}
          </fieldset>
        )}
        {rest && (
          <p class="field-error" role="alert">
            {rest}
          </p>
        )}
        <button type="submit" class="primary">
          Save inbox
        </button>
      </form>
    </div>
  );
}

function Channels({ client, data, reload }: Section) {
  return (
    <div class="channels">
      <NewChannel client={client} data={data} reload={reload} />
      {data.channels.length === 0 ? (
        <Empty>No channels yet: add one above.</Empty>
      ) : (
        data.channels.map((c) => <RoutingEditor key={c.id} client={client} data={data} channel={c} onSaved={reload} />)
      )}
    </div>
  );
}

/** A new channel; a form's signing secret or a chat's identity secret is shown here once. */
function NewChannel({ client, data, reload }: Section) {
  const blank = {
    id: "",
    name: "",
    type: "chat" as ChannelBody["type"],
    inboxId: data.inboxes[0]?.id ?? "",
    address: "",
  };
  const [form, setForm] = useState(blank);
  const [err, setErr] = useState<unknown>(null);
  const [created, setCreated] = useState<CreatedChannel | null>(null);
  const { fields, rest } = splitErrors(err);
  const set = (patch: Partial<typeof form>) => setForm({ ...form, ...patch });
  const secret = created?.signingSecret ?? created?.identitySecret;
  return (
    <form
      class="card"
      aria-labelledby="channel-form-h"
      onSubmit={async (e) => {
        e.preventDefault();
        setErr(null);
        try {
          const c = await client.putChannel(form.id, {
            inboxId: form.inboxId,
            type: form.type,
            name: form.name,
            ...(form.type === "email" ? { address: form.address } : {}),
            routing: { autoAssign: false, target: { type: "users_and_teams", userIds: [], teamIds: [] } },
          });
          setCreated(c);
          setForm(blank);
          await reload();
        } catch (x) {
          setErr(x);
        }
      }}
    >
      <h2 id="channel-form-h">New channel</h2>
      <div class="row-fields">
        <Field id="channel-id" label="Channel id" error={fields["path.channelId"]}>
          <input id="channel-id" required value={form.id} onInput={(e) => set({ id: e.currentTarget.value })} />
        </Field>
        <Field id="channel-name" label="Name" error={fields.name}>
          <input id="channel-name" required value={form.name} onInput={(e) => set({ name: e.currentTarget.value })} />
        </Field>
        <Field id="channel-type" label="Type" error={fields.type}>
          <select
            id="channel-type"
            value={form.type}
            onChange={(e) => set({ type: e.currentTarget.value as ChannelBody["type"] })}
          >
            <option value="chat">Chat</option>
            <option value="bot">Bot</option>
            <option value="email">Team email</option>
            <option value="form">Form</option>
          </select>
        </Field>
        <Field id="channel-inbox" label="Inbox" error={fields.inboxId}>
          <select id="channel-inbox" value={form.inboxId} onChange={(e) => set({ inboxId: e.currentTarget.value })}>
            {data.inboxes.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name}
              </option>
            ))}
          </select>
        </Field>
        {form.type === "email" && (
          <Field id="channel-address" label="Team address" error={fields.address}>
            <input
              id="channel-address"
              type="email"
              required
              value={form.address}
              onInput={(e) => set({ address: e.currentTarget.value })}
            />
          </Field>
        )}
      </div>
      {rest && (
        <p class="field-error" role="alert">
          {rest}
        </p>
      )}
      <button type="submit" class="primary">
        Create channel
      </button>
      {created && (
        <div class="secret" role="status">
          <p>Channel {created.name} created.</p>
          {secret ? (
            <p>
              {created.signingSecret ? "Signing secret" : "Identity secret"} (shown once, keep it now):{" "}
              <code>{secret}</code> <CopyButton text={secret} label="Copy the secret" />
            </p>
          ) : null}
        </div>
      )}
    </form>
  );
}

/**
 * A channel's routing rule (docs/routing.md §4): "Assign conversations automatically", "Assign to"
 * specific users and teams or the contact owner. Each id the API refuses is flagged at its checkbox.
 */
function RoutingEditor({
  client,
  data,
  channel,
  onSaved,
}: {
  client: Client;
  data: Data;
  channel: ChannelOut;
  onSaved: () => Promise<void>;
}) {
  const [rule, setRule] = useState<RuleBody>(channel.routing);
  const [err, setErr] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const target = rule.target;
  const userIds = target.type === "users_and_teams" ? (target.userIds ?? []) : [];
  const teamIds = target.type === "users_and_teams" ? (target.teamIds ?? []) : [];
  const { fields, rest } = splitErrors(err, "");
  // `target.userIds[2]`: the third id sent. Map it back to that id's checkbox.
  const byId = (kind: "userIds" | "teamIds", ids: string[]) => {
    const out: Record<string, string> = {};
    for (const [f, reason] of Object.entries(fields)) {
      const m = new RegExp(`^(?:body\\.)?target\\.${kind}\\[(\\d+)\\]$`).exec(f);
      const id = m ? ids[Number(m[1])] : undefined;
      if (id) out[id] = reason;
    }
    return out;
  };
  const sentRef = err instanceof ApiError ? ((err as ApiError & { sent?: RuleBody }).sent ?? rule) : rule;
  const sentTarget = sentRef.target.type === "users_and_teams" ? sentRef.target : null;
  const userErrors = byId("userIds", sentTarget?.userIds ?? []);
  const teamErrors = byId("teamIds", sentTarget?.teamIds ?? []);
  const otherErrors = Object.entries(fields)
    .filter(([f]) => !/target\.(userIds|teamIds)\[\d+\]$/.test(f) && !/fallbackUserId$/.test(f))
    .map(([, r]) => r);
  const fallbackError = Object.entries(fields).find(([f]) => /fallbackUserId$/.test(f))?.[1];
  // The domain's own rule (docs/routing.md §2, §4): only users a rule may list are offered.
  const inbox = data.inboxes.find((i) => i.id === channel.inboxId);
  const listable = (u: UserOut) => paid(u) && (!inbox || isAssignable(u, inbox));
  const candidates = data.users.filter((u) => listable(u) || userIds.includes(u.id));
  // A team outside a restricted inbox's access has no assignable member there: not offered.
  const teams = data.teams.filter((t) => !inbox || isRoutableTeam(t.id, inbox) || teamIds.includes(t.id));
  const h = `channel-${channel.id}`;
  const setUT = (u: string[], t: string[]) =>
    setRule({ ...rule, target: { type: "users_and_teams", userIds: u, teamIds: t } });

  return (
    <section class="card routing" aria-labelledby={`${h}-h`}>
      <h2 id={`${h}-h`}>{channel.name}</h2>
      <p class="muted">
        {channel.type} · inbox {data.inboxes.find((i) => i.id === channel.inboxId)?.name ?? channel.inboxId} · id{" "}
        {channel.id}
        {channel.address ? ` · ${channel.address}` : ""}
      </p>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setErr(null);
          setSaved(false);
          try {
            // Only chat and bot channels take returnWhenAway: a rule stored with it elsewhere saves without it.
            const takesReturn = channel.type === "chat" || channel.type === "bot";
            const { returnWhenAway: _r, ...withoutReturn } = rule;
            await client.putRule(channel.id, takesReturn ? rule : withoutReturn);
            setSaved(true);
            await onSaved();
          } catch (x) {
            if (x instanceof ApiError) Object.assign(x, { sent: rule });
            setErr(x);
          }
        }}
      >
        <label class="check switch">
          <input
            type="checkbox"
            role="switch"
            aria-checked={rule.autoAssign}
            checked={rule.autoAssign}
            onChange={(e) => setRule({ ...rule, autoAssign: e.currentTarget.checked })}
          />
          Assign conversations automatically
        </label>
        <Field id={`${h}-assign-to`} label="Assign to" error={undefined}>
          <select
            id={`${h}-assign-to`}
            value={target.type}
            onChange={(e) =>
              setRule({
                ...rule,
                target:
                  e.currentTarget.value === "contact_owner"
                    ? { type: "contact_owner" }
                    : { type: "users_and_teams", userIds: [], teamIds: [] },
              })
            }
          >
            <option value="users_and_teams">Specific users and teams</option>
            <option value="contact_owner">Contact owner</option>
          </select>
        </Field>
        {target.type === "users_and_teams" ? (
          <fieldset aria-describedby={otherErrors.length ? `${h}-target-error` : undefined}>
            <legend>Users and teams</legend>
            <div class="checks">
              {candidates.map((u) => (
                <div key={u.id} class={userErrors[u.id] ? "invalid" : ""}>
                  <label class="check">
                    <input
                      type="checkbox"
                      checked={userIds.includes(u.id)}
                      aria-describedby={userErrors[u.id] ? `${h}-u-${u.id}-error` : undefined}
                      aria-invalid={userErrors[u.id] ? "true" : undefined}
                      onChange={(e) =>
                        setUT(e.currentTarget.checked ? [...userIds, u.id] : userIds.filter((x) => x !== u.id), teamIds)
                      }
                    />
                    {u.name}
                  </label>
                  {userErrors[u.id] && (
                    <p class="field-error" id={`${h}-u-${u.id}-error`} role="alert">
                      {userErrors[u.id]}
                    </p>
                  )}
                </div>
              ))}
              {teams.map((t) => (
                <div key={t.id} class={teamErrors[t.id] ? "invalid" : ""}>
                  <label class="check">
                    <input
                      type="checkbox"
                      checked={teamIds.includes(t.id)}
                      aria-invalid={teamErrors[t.id] ? "true" : undefined}
                      onChange={(e) =>
                        setUT(userIds, e.currentTarget.checked ? [...teamIds, t.id] : teamIds.filter((x) => x !== t.id))
                      }
                    />
                    {t.name} team
                  </label>
                  {teamErrors[t.id] && (
                    <p class="field-error" role="alert">
                      {teamErrors[t.id]}
                    </p>
                  )}
                </div>
              ))}
            </div>
          </fieldset>
        ) : channel.type === "chat" ? (
          <Field id={`${h}-fallback`} label="If there is no contact owner, assign to" error={fallbackError}>
            <select
              id={`${h}-fallback`}
              value={target.fallbackUserId ?? ""}
              onChange={(e) =>
                setRule({
                  ...rule,
                  target: e.currentTarget.value
                    ? { type: "contact_owner", fallbackUserId: e.currentTarget.value }
                    : { type: "contact_owner" },
                })
              }
            >
              <option value="">Nobody (leave unassigned)</option>
              {data.users.filter(listable).map((u) => (
                <option key={u.id} value={u.id}>
                  {u.name}
                </option>
              ))}
            </select>
          </Field>
        ) : null}
        {channel.type === "chat" || channel.type === "bot" ? (
          <label class="check">
            <input
              type="checkbox"
              checked={rule.returnWhenAway === true}
              onChange={(e) => setRule({ ...rule, returnWhenAway: e.currentTarget.checked })}
            />
            Return conversations to the waiting line when their owner goes away
          </label>
        ) : null}
        {(otherErrors.length > 0 || rest) && (
          <p class="field-error" id={`${h}-target-error`} role="alert">
            {[...otherErrors, ...(rest ? [rest] : [])].join("; ")}
          </p>
        )}
        {saved && <p role="status">Saved.</p>}
        <div class="actions">
          <button type="submit" class="primary">
            Save
          </button>
          <RulePreviewPanel
            client={client}
            channelId={channel.id}
            rule={rule}
            nameOf={(id) => data.users.find((u) => u.id === id)?.name ?? id}
          />
        </div>
      </form>
    </section>
  );
}
