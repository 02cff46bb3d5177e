import { useState } from "preact/hooks";
import { hasPaidSeat, isAssignable, isRoutableTeam } from "#shared/domain/access";
import type { ChannelOut, UserOut } from "#shared/http/web-schemas";
import { ApiError, type Client, type RuleBody } from "../../api/client";
import { RulePreviewPanel } from "../rule-preview";
import { Field } from "../ui";

import { type Data, splitErrors } from "./common";
import { OfficeHoursEditor } from "./office-hours";
import { RerouteFields } from "./reroute-fields";

export function RoutingEditor({
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
    .filter(([f]) => !/rerouteAfter/.test(f))
    .map(([, r]) => r);
  const rerouteErrors = Object.fromEntries(
    Object.entries(fields)
      .filter(([f]) => /rerouteAfter/.test(f))
      .map(([f, r]) => [f.replace(/^(body\.)?(routing\.)?/, ""), r]),
  );
  const fallbackError = Object.entries(fields).find(([f]) => /fallbackUserId$/.test(f))?.[1];
  // The domain's own rule (docs/routing.md §2, §4): only users a rule may list are offered.
  const inbox = data.inboxes.find((i) => i.id === channel.inboxId);
  const listable = (u: UserOut) => hasPaidSeat(u) && (!inbox || isAssignable(u, inbox));
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
            // Only chat and bot channels take returnWhenAway and rerouteAfter: elsewhere a rule saves without them.
            const live = channel.type === "chat" || channel.type === "bot";
            const { returnWhenAway: _r, rerouteAfter: _a, ...asyncRule } = rule;
            await client.putRule(channel.id, live ? rule : asyncRule);
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
        {channel.type === "chat" || channel.type === "bot" ? (
          <RerouteFields h={h} rule={rule} setRule={setRule} fields={rerouteErrors} />
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
      {channel.type === "chat" || channel.type === "bot" ? (
        <OfficeHoursEditor client={client} channel={channel} onSaved={onSaved} />
      ) : null}
    </section>
  );
}
