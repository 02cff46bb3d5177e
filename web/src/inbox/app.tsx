import { useEffect, useMemo, useState } from "preact/hooks";
import type { InboxOut, Me } from "#shared/http/web-schemas";
import { type Client, createClient } from "../api/client";
import { useNotificationPermission } from "./attention";
import { finishHostedSignIn, hostedSignOutUrl, tokenStore, type WebConfig } from "./auth";
import { InboxScreen } from "./inbox";
import { type Live, useHeartbeat, useLive } from "./live";
import { parseRoute, type Route, routeHref, useRoute } from "./route";
import { Settings } from "./settings";
import { SignIn } from "./sign-in";
import { ErrorNote, Loading } from "./ui";

export function App({ config }: { config: WebConfig }) {
  const [token, setToken] = useState(tokenStore.get());
  const [signInError, setSignInError] = useState<string | null>(null);
  const signOut = () => {
    tokenStore.clear();
    setToken(null);
  };
  const client = useMemo(
    () => createClient({ apiUrl: config.apiUrl, token: tokenStore.get, onUnauthorized: signOut }),
    [config],
  );

  useEffect(() => {
    if (!config.auth || token) return;
    finishHostedSignIn(config.auth)
      .then((t) => {
        if (!t) return;
        tokenStore.set(t);
        setToken(t);
      })
      .catch((err: unknown) => setSignInError(String(err instanceof Error ? err.message : err)));
  }, []);

  const signedIn = (t: string) => {
    tokenStore.set(t);
    setToken(t);
  };
  if (!token) return <SignIn config={config} onSignedIn={signedIn} error={signInError} />;
  return (
    <Shell
      client={client}
      signOut={() => {
        signOut();
        if (config.auth) location.assign(hostedSignOutUrl(config.auth));
      }}
    />
  );
}

function Shell({ client, signOut }: { client: Client; signOut: () => void }) {
  const [me, setMe] = useState<Me | null>(null);
  const [inboxes, setInboxes] = useState<InboxOut[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const route = useRoute();
  const load = () => {
    setError(null);
    Promise.all([client.me(), client.inboxes()])
      .then(([m, i]) => {
        setMe(m);
        setInboxes(i);
      })
      .catch(setError);
  };
  useEffect(load, []);
  useHeartbeat(client);
  const live = useLive(client);
  const alerts = useNotificationPermission();

  if (error) return <ErrorNote error={error} retry={load} />;
  if (!me || !inboxes) return <Loading what="your inbox" />;
  const current: Route = route.kind === "none" ? defaultRoute(inboxes) : route;
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href={routeHref(defaultRoute(inboxes))}>
          Inbox
        </a>
        <nav aria-label="Main">
          {me.admin && (
            <a href="#/settings/channels" aria-current={current.kind === "settings" ? "page" : undefined}>
              Settings
            </a>
          )}
        </nav>
        <LiveIndicator status={live.status} />
        {alerts.ask && (
          <button type="button" class="alerts" onClick={() => void alerts.ask?.()}>
            Turn on desktop alerts
          </button>
        )}
        <AvailabilitySwitch client={client} initial={me.user.availability} />
        {/* On a narrow screen the name is cut with "…": the full name stays at hand as a tooltip. */}
        <span class="who" title={me.user.name}>
          {me.user.name}
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      {current.kind === "settings" ? (
        <Settings client={client} tab={current.tab} />
      ) : current.kind === "inbox" ? (
        <InboxScreen client={client} live={live} me={me} inboxes={inboxes} route={current} />
      ) : (
        <main class="state empty">
          <p>You have no inbox yet. An admin can give you access in Settings.</p>
        </main>
      )}
    </div>
  );
}

function defaultRoute(inboxes: InboxOut[]): Route {
  const first = inboxes[0];
  return first
    ? { kind: "inbox", inboxId: first.id, view: "unassigned", status: "open", conversationId: null }
    : parseRoute("#/empty");
}

/** Available / Away (docs/routing.md §5.1): a switch, so it reads and works like one from the keyboard. */
function AvailabilitySwitch({ client, initial }: { client: Client; initial: "available" | "away" }) {
  const [value, setValue] = useState(initial);
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    const next = value === "available" ? "away" : "available";
    setBusy(true);
    try {
      setValue((await client.setAvailability(next)).availability);
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      role="switch"
      class={`availability ${value}`}
      aria-checked={value === "available"}
      aria-label="Availability"
      disabled={busy}
      onClick={toggle}
    >
      <span class="dot" aria-hidden="true" />
      {value === "available" ? "Available" : "Away"}
    </button>
  );
}

/** Whether changes arrive as they happen, or by polling while the socket is down (docs/web.md). */
function LiveIndicator({ status }: { status: Live["status"] }) {
  const text =
    status === "live"
      ? "Live"
      : status === "connecting"
        ? "Connecting…"
        : status === "reconnecting"
          ? "Reconnecting… (updates every 2 s)"
          : "Updates every 2 s";
  return (
    <span class={`live-status ${status}`} role="status" title="Live updates">
      <span class="dot" aria-hidden="true" />
      <span class="text">{text}</span>
    </span>
  );
}
