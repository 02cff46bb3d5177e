import { useState } from "preact/hooks";
import { Empty, Field } from "../ui";

import { type Section, splitErrors } from "./common";

export function Users({ client, data, reload }: Section) {
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
