import { useEffect, useRef, useState } from "preact/hooks";
import type { ConversationDetail, ConversationOut, DecisionRecordOut, Me, MessageOut } from "#shared/http/web-schemas";
import type { Client } from "../api/client";
import { type Directory, titleOf } from "./directory";
import { type Live, useMessageFeed } from "./live";
import { MessageItem, ReplyEditor } from "./message";
import { AUTOMATIC_LABEL, ago, ErrorNote, Loading } from "./ui";

interface Props {
  client: Client;
  live: Live;
  me: Me;
  id: string;
  dir: Directory;
  /** The latest batch of the live feed: the pane refetches itself when it is in it. */
  changed: ConversationOut[];
  onBack: () => void;
  onChanged: (c: ConversationOut) => void;
}

const byTime = (a: MessageOut, b: MessageOut) => (a.createdAt < b.createdAt ? -1 : 1);

/**
 * `conv` with the messages of `more` it lacks, in time order (`conv` itself when it has them all).
 * Messages are never deleted: one the pane has and a fresh read lacks was written after the read.
 */
function withMessages(conv: ConversationDetail, more: MessageOut[]): ConversationDetail {
  const missing = more.filter((m) => !conv.messages.some((x) => x.id === m.id));
  return missing.length ? { ...conv, messages: [...conv.messages, ...missing].sort(byTime) } : conv;
}

export function ConversationPane({ client, live, me, id, dir, changed, onBack, onChanged }: Props) {
  const [conv, setConv] = useState<ConversationDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // Only the latest read answers: reads started by an action and by the live feed may finish out of order.
  const reads = useRef(0);
  const load = () => {
    const read = ++reads.current;
    return client
      .conversation(id)
      .then((c) => {
        if (read !== reads.current) return;
        // Keeping the messages the socket brought while the read was on the way.
        setConv((shown) => (shown?.id === c.id ? withMessages(c, shown.messages) : c));
        setError(null);
      })
      .catch((err) => {
        if (read === reads.current) setError(err);
      });
  };
  useEffect(() => {
    void load();
  }, [id]);
  // New messages arrive on the socket as they are written; a message the pane already has is kept.
  useMessageFeed(live, id, {
    onMessage: (m) => setConv((c) => c && withMessages(c, [m])),
    onReload: () => void load(),
  });
  useEffect(() => {
    const fresh = changed.find((c) => c.id === id);
    if (fresh && conv && fresh.updatedAt !== conv.updatedAt) void load();
  }, [changed]);

  /**
   * Every action answers the conversation; the pane refetches for the new messages and notes. Answers
   * whether it succeeded, so the reply editor keeps a draft that was not sent.
   */
  const act = async (run: () => Promise<ConversationOut>): Promise<boolean> => {
    setBusy(true);
    setActionError(null);
    try {
      onChanged(await run());
      await load();
      return true;
    } catch (err) {
      setActionError(err);
      return false;
    } finally {
      setBusy(false);
    }
  };

  if (error)
    return (
      <section class="pane" aria-label="Conversation">
        <ErrorNote error={error} retry={load} />
      </section>
    );
  if (!conv)
    return (
      <section class="pane" aria-label="Conversation">
        <Loading what="the conversation" />
      </section>
    );
  const ownerValue = conv.assigneeId ? `user:${conv.assigneeId}` : conv.teamId ? `team:${conv.teamId}` : "";
  // Assignable users (docs/routing.md §3.5), the current owner, and me: anyone who reads the inbox may
  // take an unassigned conversation (§3.3); the API says no, next to the select, when it may not.
  const users = [...dir.assignees];
  const add = (id: string, name: string) => {
    if (!users.some((u) => u.id === id)) users.push({ id, name, seat: "none", availability: "away" });
  };
  if (conv.assigneeId) add(conv.assigneeId, dir.userName(conv.assigneeId));
  add(me.user.id, me.user.name);
  // Teams that can receive conversations here, and the current team even if it no longer can.
  const teams = [...dir.teams];
  if (conv.teamId && !teams.some((t) => t.id === conv.teamId))
    teams.push({ id: conv.teamId, name: dir.teamName(conv.teamId) });

  return (
    <section class="pane" aria-label="Conversation">
      <header class="pane-head">
        <button type="button" class="back" onClick={onBack} aria-label="Back to the list">
          ←
        </button>
        <div class="pane-title">
          <h2>{titleOf(conv)}</h2>
          <p class="muted">
            {[dir.channelName(conv.channelId), conv.channelType].filter(Boolean).join(" · ")} ·{" "}
            {conv.status === "open" ? "Open" : "Closed"} · started {ago(conv.createdAt)}
            {conv.automatic && ` · ${AUTOMATIC_LABEL[conv.automatic]}: sent by a machine, never assigned`}
          </p>
        </div>
      </header>
      <div class="controls">
        <label for="owner">Owner</label>
        <select
          id="owner"
          value={ownerValue}
          disabled={busy || !!conv.automatic}
          onChange={(e) => {
            const v = e.currentTarget.value;
            void act(() =>
              v === ""
                ? client.assign(id, { userId: null })
                : v.startsWith("team:")
                  ? client.assign(id, { teamId: v.slice(5) })
                  : client.assign(id, { userId: v.slice(5) }),
            );
          }}
        >
          <option value="">Unassigned</option>
          <optgroup label="Users">
            {users.map((u) => (
              <option key={u.id} value={`user:${u.id}`}>
                {u.id === me.user.id ? `${u.name} (me)` : u.name}
              </option>
            ))}
          </optgroup>
          <optgroup label="Teams">
            {teams.map((t) => (
              <option key={t.id} value={`team:${t.id}`}>
                {t.name} (team)
              </option>
            ))}
          </optgroup>
        </select>
        {conv.status === "open" ? (
          <button type="button" disabled={busy} onClick={() => void act(() => client.close(id))}>
            Close
          </button>
        ) : (
          <button type="button" disabled={busy} onClick={() => void act(() => client.reopen(id))}>
            Reopen
          </button>
        )}
      </div>
      {actionError !== null && <ErrorNote error={actionError} />}
      <ol class="messages" aria-label="Messages" aria-live="polite">
        {withRoutingNote(conv, dir).map((m) => (
          <MessageItem key={m.id} m={m} client={client} />
        ))}
      </ol>
      <ReplyEditor
        busy={busy}
        canAttach={(conv.channelType === "email" || conv.channelType === "form") && !!conv.customerEmail}
        onSend={(text, files) =>
          act(async () => {
            // Each file goes to its upload link first; the reply names them once all are there.
            const uploads = await Promise.all(files.map((f) => client.upload(id, f)));
            const r = await client.reply(id, text, uploads);
            return r.conversation;
          })
        }
      />
      <WhyThisOwner conv={conv} dir={dir} />
    </section>
  );
}

/**
 * The stored decision, also as a system note in the thread at the time it was made ("assigned by
 * routing"), beside the notes the service stores itself (messages whose author is `system`).
 */
function withRoutingNote(conv: ConversationDetail, dir: Directory): MessageOut[] {
  const record = conv.routing;
  if (!record) return conv.messages;
  const who = record.outcome.type === "assigned" && record.outcome.userId ? dir.userName(record.outcome.userId) : null;
  // A decision without a rule is a hand-made team assignment (docs/routing.md §3.5).
  const team = record.rule === null && conv.teamId ? dir.teamName(conv.teamId) : null;
  const text =
    team !== null
      ? who
        ? `Given to ${who} through the ${team} team`
        : `Given to the ${team} team; nobody there could take it, so it stays unassigned until someone takes it`
      : who
        ? `Assigned to ${who} by routing (${STRATEGIES[record.strategy]?.toLowerCase() ?? record.strategy})`
        : `Not assigned by routing: ${record.outcome.why}`;
  const note: MessageOut = {
    id: `routing-${record.decidedAt}`,
    conversationId: conv.id,
    author: { kind: "system" },
    text,
    createdAt: record.decidedAt,
  };
  return [...conv.messages, note].sort((a, b) =>
    a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.author.kind === "system" ? 1 : -1,
  );
}

const REASONS: Record<string, string> = {
  eligible: "eligible",
  no_seat: "no paid seat",
  no_access: "no access to the inbox",
  not_assignable: "not assignable in the inbox",
  away: "away",
  at_capacity: "at capacity",
  unknown_user: "unknown user",
};
const STRATEGIES: Record<string, string> = {
  least_busy: "Least busy",
  random: "Random",
  contact_owner: "Contact owner",
  manual: "Manual",
};

/** "least busy: 2 open" under the heading "Least busy" reads "2 open": the heading already says it. */
function withoutLabel(why: string, label: string | undefined): string {
  const prefix = `${label ?? ""}: `.toLowerCase();
  return label && why.toLowerCase().startsWith(prefix) ? why.slice(prefix.length) : why;
}

function sourceText(source: string, dir: Directory): string {
  if (source.startsWith("team:")) return `team ${dir.teamName(source.slice(5))}`;
  return (
    {
      listed_user: "listed",
      contact_owner: "contact owner",
      fallback_user: "fallback",
      team_assignment: "team assignment",
    }[source] ?? source
  );
}

/**
 * The stored decision (docs/routing.md §7), as a person reads it: rule, strategy, each candidate. When
 * someone changed the owner by hand since, that comes first: the decision no longer explains the owner.
 */
function WhyThisOwner({ conv, dir }: { conv: ConversationDetail; dir: Directory }) {
  const record: DecisionRecordOut | undefined = conv.routing;
  const decided = record?.outcome.type === "assigned" ? (record.outcome.userId ?? null) : null;
  const changed = record !== undefined && conv.assigneeId !== decided;
  // A customer's message may reopen it unassigned (owner at capacity): only a note says a person did it.
  // A person's action leaves a note that names them (author.userId); the service's own notes do not.
  const byHand =
    changed &&
    conv.messages.some((m) => m.author.kind === "system" && !!m.author.userId && m.createdAt >= record.decidedAt);
  // The note the service leaves when the owner's email could not be sent (shared/domain/owner-notice.ts).
  const emailFailed = conv.messages.some((m) => m.author.kind === "system" && m.id.startsWith("owner-email-"));
  const owner = conv.assigneeId ? dir.userName(conv.assigneeId) : "nobody";
  return (
    <details class="why">
      <summary>Why this owner</summary>
      {changed && (
        <p class="by-hand" role="note">
          {byHand
            ? `Changed by hand: the current owner (${owner}) was set after the routing decision below, not by it. ` +
              "The notes in the thread say who changed it and when."
            : `The owner changed since the routing decision below: it is ${owner} now.`}
        </p>
      )}
      {!record ? (
        <p class="muted">
          No routing decision: this conversation was not assigned automatically. The notes in the thread say who changed
          its owner by hand.
        </p>
      ) : (
        <div>
          <p>
            <strong>{STRATEGIES[record.strategy] ?? record.strategy}</strong> ·{" "}
            {withoutLabel(record.outcome.why, STRATEGIES[record.strategy])}
            {record.ownerNotified
              ? emailFailed
                ? " · the email to the owner could not be sent (see the thread)"
                : " · the owner was emailed"
              : ""}
          </p>
          <p class="muted">
            Rule:{" "}
            {!record.rule
              ? "none: given to a team by hand"
              : record.rule.target.type === "contact_owner"
                ? "contact owner" +
                  (record.rule.target.fallbackUserId ? `, else ${dir.userName(record.rule.target.fallbackUserId)}` : "")
                : `users ${record.rule.target.userIds.map(dir.userName).join(", ") || "none"}; teams ${
                    record.rule.target.teamIds.map(dir.teamName).join(", ") || "none"
                  }`}{" "}
            · decided {ago(record.decidedAt)}
          </p>
          {record.lapses?.length ? (
            <ol class="lapses" aria-label="Re-routes">
              {record.lapses.map((l) => (
                <li key={`${l.userId}-${l.at}`}>
                  {dir.userName(l.userId)} did not answer within {l.seconds} s ({ago(l.at)})
                </li>
              ))}
            </ol>
          ) : null}
          {record.candidates.length > 0 && (
            <table>
              <caption class="sr-only">Candidates</caption>
              <thead>
                <tr>
                  <th scope="col">Candidate</th>
                  <th scope="col">Kept</th>
                  <th scope="col">Why</th>
                  <th scope="col">Open</th>
                  <th scope="col">Rank</th>
                </tr>
              </thead>
              <tbody>
                {record.candidates.map((c) => (
                  <tr key={c.userId}>
                    <td>
                      {dir.userName(c.userId)} <span class="muted">({sourceText(c.source, dir)})</span>
                    </td>
                    <td>{c.kept ? "yes" : "no"}</td>
                    <td>
                      {REASONS[c.reason] ?? c.reason}
                      {c.activeRecently ? ", active recently" : ""}
                    </td>
                    <td>{c.load}</td>
                    <td>{c.rank ?? "–"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </details>
  );
}
