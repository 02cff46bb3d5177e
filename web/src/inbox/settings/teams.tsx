import { useState } from "preact/hooks";
import { Empty, Field } from "../ui";

import { type Section, splitErrors } from "./common";

export function Teams({ client, data, reload }: Section) {
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
