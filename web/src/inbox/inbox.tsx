import { useEffect, useState } from "preact/hooks";
import { isRoutableTeam } from "#shared/domain/access";
import type { Client, Status, View } from "../api/client";
import type { Assignee, ConversationOut, Counts, InboxOut, Me, TeamOut } from "#shared/http/web-schemas";
import { ConversationPane } from "./conversation";
import { useChangeFeed } from "./live";
import { navigate, routeHref, type Route } from "./route";
import { age, Empty, ErrorNote, Loading } from "./ui";

type InboxRoute = Extract<Route, { kind: "inbox" }>;
const VIEW_NAMES: Record<View, string> = { unassigned: "Unassigned", mine: "Mine", all: "All" };

/** Who owns what, by id: the Owner select's users and teams, for names in rows and panels. */
export interface Directory {
  assignees: Assignee[];
  /** The teams that can receive conversations in this inbox (docs/routing.md §2). */
  teams: TeamOut[];
  userName: (id: string) => string;
  teamName: (id: string) => string;
  /** The channel's name where the caller may list channels (admins); otherwise undefined. */
  channelName: (id: string) => string | undefined;
}

const CHANNEL_TYPES: Record<string, string> = { chat: "Chat", bot: "Bot", email: "Email", form: "Form" };

function belongs(c: ConversationOut, route: InboxRoute, me: Me): boolean {
  if (c.status !== route.status) return false;
  if (route.view === "unassigned") return c.assigneeId === null;
  if (route.view === "mine") return c.assigneeId === me.user.id;
  return true;
}

/** Oldest first, like the views (docs/routing.md §3.2). */
const byAge = (a: ConversationOut, b: ConversationOut) =>
  a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0;

export function InboxScreen({
  client,
  me,
  inboxes,
  route,
}: {
  client: Client;
  me: Me;
  inboxes: InboxOut[];
  route: InboxRoute;
}) {
  const [counts, setCounts] = useState<Record<string, Counts>>({});
  const [items, setItems] = useState<ConversationOut[] | null>(null);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [dir, setDir] = useState<Directory | null>(null);
  const [, setTick] = useState(0);
  const { inboxId, view, status } = route;

  const loadCounts = (id: string) =>
    client
      .counts(id, status)
      .then((c) => setCounts((all) => ({ ...all, [id]: c })))
      .catch(() => undefined);
  const loadList = () => {
    setError(null);
    client
      .conversations(inboxId, view, status)
      .then((page) => {
        setItems(page.items);
        setNextCursor(page.nextCursor);
      })
      .catch(setError);
  };

  useEffect(() => {
    for (const i of inboxes) void loadCounts(i.id);
  }, [status]);
  useEffect(() => {
    setItems(null);
    loadList();
    // The counts beside the views say what the list on screen says: read them with it. (The live feed
    // starts from now, so what changed before this view opened reaches the counts only this way.)
    void loadCounts(inboxId);
  }, [inboxId, view, status]);
  useEffect(() => {
    setDir(null);
    // Channel names are an admin's list; agents see the channel's type instead.
    Promise.all([client.assignees(inboxId), client.teams(), me.admin ? client.channels() : []])
      .then(([assignees, teams, channels]) => {
        const users = new Map(assignees.map((u) => [u.id, u.name]));
        const names = new Map(teams.map((t) => [t.id, t.name]));
        const channelNames = new Map(channels.map((c) => [c.id, c.name]));
        const inbox = inboxes.find((i) => i.id === inboxId);
        setDir({
          assignees,
          teams: teams.filter((t) => !inbox || isRoutableTeam(t.id, inbox)),
          userName: (id) => users.get(id) ?? id,
          teamName: (id) => names.get(id) ?? id,
          channelName: (id) => channelNames.get(id),
        });
      })
      .catch(() =>
        setDir({ assignees: [], teams: [], userName: (id) => id, teamName: (id) => id, channelName: () => undefined }),
      );
  }, [inboxId]);
  // Ages in rows stay current without refetching anything.
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 30_000);
    return () => clearInterval(t);
  }, []);

  const applyChanges = (changed: ConversationOut[]) => {
    setItems((list) => {
      if (!list) return list;
      const byId = new Map(list.map((c) => [c.id, c]));
      const last = list[list.length - 1];
      for (const c of changed) {
        const known = byId.get(c.id);
        if (known && known.updatedAt > c.updatedAt) continue;
        byId.delete(c.id);
        // Past the loaded page, a conversation arrives with "Load more", in its place.
        const pastPage = nextCursor !== null && last !== undefined && c.createdAt > last.createdAt;
        if (belongs(c, route, me) && !pastPage) byId.set(c.id, c);
      }
      return [...byId.values()].sort(byAge);
    });
    void loadCounts(inboxId);
  };
  const [changed, setChanged] = useState<ConversationOut[]>([]);
  useChangeFeed(client, inboxId, {
    onStart: () => undefined,
    onChanges: (list) => {
      applyChanges(list);
      setChanged(list);
    },
    onTruncated: () => {
      loadList();
      void loadCounts(inboxId);
    },
  });

  const go = (patch: Partial<InboxRoute>) => navigate({ ...route, conversationId: null, ...patch });
  const inbox = inboxes.find((i) => i.id === inboxId);
  const ownerOf = (c: ConversationOut) =>
    c.assigneeId
      ? (dir?.userName(c.assigneeId) ?? c.assigneeId)
      : c.teamId
        ? `${dir?.teamName(c.teamId) ?? c.teamId} (team)`
        : "Unassigned";

  return (
    <div class={`inbox${route.conversationId ? " has-open" : ""}`}>
      <nav class="sidebar" aria-label="Inboxes">
        {inboxes.map((i) => (
          <section key={i.id} aria-labelledby={`inbox-${i.id}`}>
            <h2 id={`inbox-${i.id}`}>{i.name}</h2>
            <ul>
              {(["unassigned", "mine", "all"] as View[]).map((v) => {
                const n = counts[i.id]?.[v];
                const cap = counts[i.id]?.cap ?? 100;
                const current = i.id === inboxId && v === view;
                return (
                  <li key={v}>
                    <a
                      href={routeHref({ kind: "inbox", inboxId: i.id, view: v, status, conversationId: null })}
                      aria-current={current ? "page" : undefined}
                    >
                      <span>{VIEW_NAMES[v]}</span>
                      <span class="count" aria-hidden="true">
                        {n === undefined ? "…" : n >= cap ? `${cap}+` : n}
                      </span>
                      <span class="sr-only">
                        {n === undefined ? "unknown conversations" : plural(n, "conversation")}
                      </span>
                    </a>
                  </li>
                );
              })}
            </ul>
          </section>
        ))}
      </nav>
      <section class="list" aria-label={`${inbox?.name ?? inboxId}: ${VIEW_NAMES[view]}`}>
        <div class="list-head">
          <h1>
            {VIEW_NAMES[view]} <span class="muted">· {inbox?.name ?? inboxId}</span>
          </h1>
          <label for="status-filter" class="sr-only">
            Status
          </label>
          <select id="status-filter" value={status} onChange={(e) => go({ status: e.currentTarget.value as Status })}>
            <option value="open">Open</option>
            <option value="closed">Closed</option>
          </select>
        </div>
        {error ? (
          <ErrorNote error={error} retry={loadList} />
        ) : items === null ? (
          <Loading what="conversations" />
        ) : items.length === 0 ? (
          <Empty>
            {view === "unassigned"
              ? "Nothing waiting: every conversation has an owner."
              : `No ${status} conversations here.`}
          </Empty>
        ) : (
          <ul class="rows">
            {items.map((c) => (
              <li key={c.id}>
                <a
                  class="row"
                  href={routeHref({ ...route, conversationId: c.id })}
                  aria-current={c.id === route.conversationId ? "true" : undefined}
                  aria-label={`${titleOf(c)}: ${c.preview ?? ""}`}
                >
                  <span class="row-top">
                    <span class={`chip ${c.channelType}`} title={c.channelId}>
                      {dir?.channelName(c.channelId) ?? CHANNEL_TYPES[c.channelType] ?? c.channelType}
                    </span>
                    <span class="row-title">{titleOf(c)}</span>
                    {c.waitingSince && (
                      <span class="chip waiting" title={`Waiting since ${c.waitingSince}`}>
                        In line
                      </span>
                    )}
                    <span class="age">{age(c.createdAt)}</span>
                  </span>
                  <span class="preview">{c.preview || c.subject || "(no text)"}</span>
                  <span class="owner">{ownerOf(c)}</span>
                </a>
              </li>
            ))}
          </ul>
        )}
        {nextCursor && items && (
          <button
            type="button"
            onClick={() =>
              client
                .conversations(inboxId, view, status, nextCursor)
                .then((p) => {
                  setItems((list) => [...(list ?? []), ...p.items.filter((c) => !list?.some((x) => x.id === c.id))]);
                  setNextCursor(p.nextCursor);
                })
                .catch(setError)
            }
          >
            Load more
          </button>
        )}
      </section>
      {route.conversationId ? (
        dir ? (
          <ConversationPane
            key={route.conversationId}
            client={client}
            me={me}
            id={route.conversationId}
            dir={dir}
            changed={changed}
            onBack={() => go({})}
            onChanged={(c) => applyChanges([c])}
          />
        ) : (
          <Loading what="the conversation" />
        )
      ) : (
        <section class="pane empty-pane" aria-label="Conversation">
          <Empty>Pick a conversation.</Empty>
        </section>
      )}
    </div>
  );
}

export function titleOf(c: ConversationOut): string {
  return (
    c.subject ||
    c.customerEmail ||
    (c.contactId ? `Contact ${c.contactId}` : c.channelType === "form" ? "Form submission" : "Visitor")
  );
}

/** "1 conversation", "2 conversations": accessible names read as a sentence. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
