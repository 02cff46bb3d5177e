import { useState } from "preact/hooks";
import type { CreatedChannel } from "#shared/http/web-schemas";
import type { ChannelBody } from "../../api/client";
import { CopyButton, Empty, Field } from "../ui";

import { type Section, splitErrors } from "./common";
import { RoutingEditor } from "./routing-editor";

export function Channels({ client, data, reload }: Section) {
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
