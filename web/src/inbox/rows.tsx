import type { ConversationOut } from "#shared/http/web-schemas";
import { channelLabel, type Directory, ownerLabel, titleOf } from "./directory";
import { type Route, routeHref } from "./route";
import { AUTOMATIC_LABEL, age } from "./ui";

type InboxRoute = Extract<Route, { kind: "inbox" }>;

/** One row a conversation: where it came from, its title, whether it waits, its age, preview and owner. */
export function ConversationRows({
  items,
  route,
  dir,
}: {
  items: ConversationOut[];
  route: InboxRoute;
  dir: Directory | null;
}) {
  return (
    <ul class="rows">
      {items.map((c) => (
        <li key={c.id}>
          <a
            class="row"
            href={routeHref({ ...route, conversationId: c.id })}
            aria-current={c.id === route.conversationId ? "true" : undefined}
          >
            {/* The link's name is its visible text, title first (the channel chip is drawn before it by CSS). */}
            <span class="row-top">
              <span class="row-title">{titleOf(c)}</span>
              <span class={`chip source ${c.channelType}`} title={c.channelId}>
                {channelLabel(c, dir)}
              </span>
              {c.automatic && (
                <span class="chip automatic" title="Sent by a machine: never routed or assigned">
                  {AUTOMATIC_LABEL[c.automatic]}
                </span>
              )}
              {c.waitingSince && (
                <span class="chip waiting" title={`Waiting since ${c.waitingSince}`}>
                  In line
                </span>
              )}
              <span class="age">{age(c.createdAt)}</span>
            </span>
            <span class="preview">{c.preview || c.subject || "(no text)"}</span>
            <span class="owner">{ownerLabel(c, dir)}</span>
          </a>
        </li>
      ))}
    </ul>
  );
}
