import type { Counts, InboxOut } from "#shared/http/web-schemas";
import type { Status, View } from "../api/client";
import { routeHref } from "./route";

export const VIEW_NAMES: Record<View, string> = { unassigned: "Unassigned", mine: "Mine", all: "All" };

/** "1 conversation", "2 conversations": accessible names read as a sentence. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** Every inbox the user can read, each with its three views and how many conversations they hold. */
export function InboxNav(props: {
  inboxes: InboxOut[];
  counts: Record<string, Counts>;
  current: { inboxId: string; view: View; status: Status };
}) {
  const { inboxes, counts, current } = props;
  return (
    <nav class="sidebar" aria-label="Inboxes">
      {inboxes.map((i) => (
        <section key={i.id} aria-labelledby={`inbox-${i.id}`}>
          <h2 id={`inbox-${i.id}`}>{i.name}</h2>
          <ul>
            {(["unassigned", "mine", "all"] as View[]).map((v) => {
              const n = counts[i.id]?.[v];
              const cap = counts[i.id]?.cap ?? 100;
              const here = i.id === current.inboxId && v === current.view;
              const href = routeHref({
                kind: "inbox",
                inboxId: i.id,
                view: v,
                status: current.status,
                conversationId: null,
              });
              return (
                <li key={v}>
                  <a href={href} aria-current={here ? "page" : undefined}>
                    <span>{VIEW_NAMES[v]}</span>
                    <span class="count" aria-hidden="true">
                      {n === undefined ? "…" : n >= cap ? `${cap}+` : n}
                    </span>
                    <span class="sr-only">{n === undefined ? "unknown conversations" : plural(n, "conversation")}</span>
                  </a>
                </li>
              );
            })}
          </ul>
        </section>
      ))}
    </nav>
  );
}
