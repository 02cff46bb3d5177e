import { useEffect, useState } from "preact/hooks";
import type { Status, View } from "../api/client";

/** Hash routes: the page is one file, so any host serves it (S3 + CloudFront, `npm start`). */
export type Route =
  | { kind: "inbox"; inboxId: string; view: View; status: Status; conversationId: string | null }
  | { kind: "settings"; tab: SettingsTab }
  | { kind: "none" };

export type SettingsTab = "users" | "teams" | "inboxes" | "channels";
const VIEWS: View[] = ["unassigned", "mine", "all"];
const TABS: SettingsTab[] = ["users", "teams", "inboxes", "channels"];

export function parseRoute(hash: string): Route {
  const [kind, a, b, c, d] = hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  if (kind === "settings")
    return { kind: "settings", tab: TABS.includes(a as SettingsTab) ? (a as SettingsTab) : "channels" };
  if (kind === "inbox" && a) {
    return {
      kind: "inbox",
      inboxId: a,
      view: VIEWS.includes(b as View) ? (b as View) : "unassigned",
      status: c === "closed" ? "closed" : "open",
      conversationId: d || null,
    };
  }
  return { kind: "none" };
}

export function routeHref(r: Route): string {
  if (r.kind === "settings") return `#/settings/${r.tab}`;
  if (r.kind === "inbox") {
    const parts = ["inbox", r.inboxId, r.view, r.status, ...(r.conversationId ? [r.conversationId] : [])];
    return `#/${parts.map(encodeURIComponent).join("/")}`;
  }
  return "#/";
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

export function navigate(r: Route): void {
  location.hash = routeHref(r);
}
