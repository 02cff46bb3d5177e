import { useEffect, useState } from "preact/hooks";
import type { Client } from "../api/client";
import type { SettingsTab } from "./route";
import { Channels } from "./settings/channels";
import type { Data } from "./settings/common";
import { Inboxes } from "./settings/inboxes";
import { Teams } from "./settings/teams";
import { Users } from "./settings/users";
import { ErrorNote, Loading } from "./ui";

const TAB_NAMES: Record<SettingsTab, string> = {
  users: "Users",
  teams: "Teams",
  inboxes: "Inboxes",
  channels: "Channels",
};

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
