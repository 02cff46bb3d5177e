import { useEffect, useState } from "preact/hooks";
import { type LocalUser, localSignIn, localUsers, startHostedSignIn, type WebConfig } from "./auth";
import { ErrorNote, Loading } from "./ui";

export function SignIn({
  config,
  onSignedIn,
  error,
}: {
  config: WebConfig;
  onSignedIn: (token: string) => void;
  error: string | null;
}) {
  return (
    <main class="sign-in">
      <h1>Sign in to the inbox</h1>
      {error && <ErrorNote error={new Error(error)} />}
      {config.auth ? <HostedSignIn auth={config.auth} /> : <LocalSignIn config={config} onSignedIn={onSignedIn} />}
    </main>
  );
}

function HostedSignIn({ auth }: { auth: NonNullable<WebConfig["auth"]> }) {
  return (
    <button type="button" class="primary" onClick={() => void startHostedSignIn(auth)}>
      Sign in
    </button>
  );
}

/** Local mode only: pick a user, the local server mints their token. */
function LocalSignIn({ config, onSignedIn }: { config: WebConfig; onSignedIn: (token: string) => void }) {
  const [users, setUsers] = useState<LocalUser[] | null>(null);
  const [userId, setUserId] = useState("");
  const [error, setError] = useState<unknown>(null);
  const load = () => {
    setError(null);
    localUsers(config)
      .then((u) => {
        setUsers(u);
        setUserId(u[0]?.id ?? "");
      })
      .catch(setError);
  };
  useEffect(load, []);
  if (error) return <ErrorNote error={error} retry={load} />;
  if (!users) return <Loading what="users" />;
  if (users.length === 0)
    return (
      <p class="state empty">
        No users yet. Create one with the admin token <code>npm start</code> printed, or run <code>npm run demo</code>.
      </p>
    );
  return (
    <form
      class="card"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          onSignedIn(await localSignIn(config, userId));
        } catch (err) {
          setError(err);
        }
      }}
    >
      <p class="hint">Local mode: developer sign-in, no password.</p>
      <label for="sign-in-user">User</label>
      <select id="sign-in-user" value={userId} onChange={(e) => setUserId(e.currentTarget.value)}>
        {users.map((u) => (
          <option key={u.id} value={u.id}>
            {u.name} ({u.id}
            {u.role === "admin" ? ", admin" : ""})
          </option>
        ))}
      </select>
      <button type="submit" class="primary">
        Sign in
      </button>
    </form>
  );
}
