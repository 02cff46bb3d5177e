/**
 * The one API client of the inbox: every screen talks to the service through it. Request bodies are
 * the server's zod input types, answers its response schemas' types (shared/http), never retyped.
 */
import type * as z from "zod";
import type { LiveTicket } from "#shared/http/live-schemas";
import type { assigneeBody, channelBody, inboxBody, rule, teamBody, userBody } from "#shared/http/schemas";
import type {
  Assignee,
  AttachmentLinkOut,
  Changes,
  ChannelOut,
  ConversationDetail,
  ConversationOut,
  Counts,
  CreatedChannel,
  InboxOut,
  Me,
  Page,
  RulePreviewOut,
  TeamOut,
  UploadOut,
  UserOut,
} from "#shared/http/web-schemas";

export type UserBody = z.input<typeof userBody>;
export type TeamBody = z.input<typeof teamBody>;
export type InboxBody = z.input<typeof inboxBody>;
export type ChannelBody = z.input<typeof channelBody>;
export type RuleBody = z.input<typeof rule>;
export type AssigneeBody = z.input<typeof assigneeBody>;
export type View = "unassigned" | "mine" | "all";
export type Status = "open" | "closed";

export interface ErrorDetail {
  field: string;
  reason: string;
}

/** The API's error shape `{error: {code, message, details}}`, as an exception screens can read. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[],
  ) {
    super(message);
  }
}

export interface ClientOptions {
  apiUrl: string;
  token: () => string | null;
  /** A 401: the token expired or was refused; the app goes back to sign-in. */
  onUnauthorized: () => void;
}

export type Client = ReturnType<typeof createClient>;

export function createClient(opts: ClientOptions) {
  const base = opts.apiUrl.replace(/\/$/, "");
  async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
    // JSON answers, also from routes that would otherwise redirect (a file's download link).
    const headers: Record<string, string> = { accept: "application/json" };
    const token = opts.token();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as unknown) : undefined;
    if (res.status === 401) opts.onUnauthorized();
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string; details?: ErrorDetail[] } } | undefined)?.error;
      throw new ApiError(res.status, e?.code ?? "error", e?.message ?? `HTTP ${res.status}`, e?.details ?? []);
    }
    return json as T;
  }
  const q = (params: Record<string, string | number | undefined>) => {
    const entries = Object.entries(params).filter((e): e is [string, string | number] => e[1] !== undefined);
    return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)]))}` : "";
  };
  const enc = encodeURIComponent;
  /** Follows `nextCursor` up to `max` items: for selects that need a whole (small) list. */
  async function all<T>(path: string, max = 1000): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    // Filtered listings (assignees) may answer short pages: stop after 20 pages as well.
    for (let pages = 0; pages < 20; pages++) {
      const page = await call<Page<T>>("GET", `${path}${q({ limit: 100, cursor })}`);
      out.push(...page.items);
      cursor = page.nextCursor ?? undefined;
      if (!cursor || out.length >= max) break;
    }
    return out;
  }

  return {
    me: () => call<Me>("GET", "/me"),
    setAvailability: (availability: "available" | "away") => call<UserOut>("PUT", "/me/availability", { availability }),
    heartbeat: () => call<unknown>("POST", "/me/heartbeat"),
    inboxes: () => all<InboxOut>("/inboxes"),
    counts: (inboxId: string, status: Status) => call<Counts>("GET", `/inboxes/${enc(inboxId)}/counts${q({ status })}`),
    conversations: (inboxId: string, view: View, status: Status, cursor?: string) =>
      call<Page<ConversationOut>>(
        "GET",
        `/inboxes/${enc(inboxId)}/conversations${q({ view, status, limit: 50, cursor })}`,
      ),
    /** A one-use ticket for the live socket (docs/api.md, Live updates). */
    liveTicket: () => call<LiveTicket>("POST", "/live/tickets"),
    changes: (inboxId: string, since?: string) =>
      call<Changes>("GET", `/inboxes/${enc(inboxId)}/changes${q({ since })}`),
    assignees: (inboxId: string) => all<Assignee>(`/inboxes/${enc(inboxId)}/assignees`),
    teams: () => all<TeamOut>("/teams"),
    conversation: (id: string) => call<ConversationDetail>("GET", `/conversations/${enc(id)}`),
    assign: (id: string, target: AssigneeBody) =>
      call<ConversationOut>("PUT", `/conversations/${enc(id)}/assignee`, target),
    /** `attachments`: upload ids from `upload`, sent with the reply as email attachments. */
    reply: (id: string, text: string, attachments: string[] = []) =>
      call<{ conversation: ConversationOut }>(
        "POST",
        `/conversations/${enc(id)}/messages`,
        attachments.length > 0 ? { text, attachments } : { text },
      ),
    /** A link of at most 5 minutes to one file of the conversation. */
    attachmentLink: (id: string, attachmentId: string) =>
      call<AttachmentLinkOut>("GET", `/conversations/${enc(id)}/attachments/${enc(attachmentId)}`),
    /** Puts a file where a reply can take it; answers the upload id to name in `reply`. */
    upload: async (id: string, file: File): Promise<string> => {
      const contentType = file.type || "application/octet-stream";
      const body = { filename: file.name, contentType, size: file.size };
      const target = await call<UploadOut>("POST", `/conversations/${enc(id)}/uploads`, body);
      const res = await fetch(target.url, { method: "PUT", headers: target.headers, body: file });
      if (!res.ok)
        throw new ApiError(res.status, "upload_failed", `${file.name} could not be uploaded (HTTP ${res.status})`, []);
      return target.uploadId;
    },
    close: (id: string) => call<ConversationOut>("POST", `/conversations/${enc(id)}/close`),
    reopen: (id: string) => call<ConversationOut>("POST", `/conversations/${enc(id)}/reopen`),
    // Settings (admins)
    users: () => all<UserOut>("/users"),
    putUser: (id: string, body: UserBody) => call<UserOut>("PUT", `/users/${enc(id)}`, body),
    putTeam: (id: string, body: TeamBody) => call<TeamOut>("PUT", `/teams/${enc(id)}`, body),
    putInbox: (id: string, body: InboxBody) => call<InboxOut>("PUT", `/inboxes/${enc(id)}`, body),
    channels: () => all<ChannelOut>("/channels"),
    putChannel: (id: string, body: ChannelBody) => call<CreatedChannel>("PUT", `/channels/${enc(id)}`, body),
    putRule: (id: string, body: RuleBody) => call<ChannelOut>("PUT", `/channels/${enc(id)}/routing`, body),
    /** What the rule would have done to the channel's last `days` of traffic; writes nothing. */
    previewRule: (id: string, rule: RuleBody, days = 7) =>
      call<RulePreviewOut>("POST", `/channels/${enc(id)}/routing/preview`, { rule, days }),
  };
}
