import { useState } from "preact/hooks";
import { Empty, Field } from "../ui";

import { type Section, splitErrors } from "./common";

export function Inboxes({ client, data, reload }: Section) {
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
