import { useEffect, useState } from "preact/hooks";
import type { ConversationOut, InboxOut, Me } from "#shared/http/web-schemas";
import type { Client, Status } from "../api/client";
import { useAttention } from "./attention";
import { ConversationPane } from "./conversation";
import { type InboxRoute, useConversationList } from "./conversation-list";
import { useDirectory } from "./directory";
import { type Live, useChangeFeed } from "./live";
import { navigate } from "./route";
import { ConversationRows } from "./rows";
import { InboxNav, VIEW_NAMES } from "./sidebar";
import { Empty, ErrorNote, Loading } from "./ui";

export function InboxScreen({
  client,
  live,
  me,
  inboxes,
  route,
}: {
  client: Client;
  live: Live;
  me: Me;
  inboxes: InboxOut[];
  route: InboxRoute;
}) {
  const { inboxId, view, status } = route;
  const attention = useAttention(me, route);
  const { counts, items, nextCursor, error, loadCounts, loadList, loadMore, applyChanges } = useConversationList(
    client,
    me,
    inboxes,
    route,
    attention.listed,
  );
  const dir = useDirectory(client, me, inboxes, inboxId);
  const [, setTick] = useState(0);
  // Ages in rows stay current without refetching anything.
  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 30_000);
    return () => clearInterval(t);
  }, []);
  const [changed, setChanged] = useState<ConversationOut[]>([]);
  useEffect(() => {
    if (items) attention.seen(items);
  }, [items]);
  useChangeFeed(client, live, inboxId, {
    onChanges: (list) => {
      attention.changed(list);
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

  return (
    <div class={`inbox${route.conversationId ? " has-open" : ""}`}>
      <InboxNav inboxes={inboxes} counts={counts} current={route} />
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
          <ConversationRows items={items} route={route} dir={dir} />
        )}
        {nextCursor && items && (
          <button type="button" onClick={loadMore}>
            Load more
          </button>
        )}
      </section>
      {route.conversationId ? (
        dir ? (
          <ConversationPane
            key={route.conversationId}
            client={client}
            live={live}
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
