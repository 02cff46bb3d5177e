import type { Deadline } from "../domain/ports/time";
import type { Conversation, User } from "../domain/types";
import type { CommandServices, QueryPort } from "../services";
import type { Principal } from "./auth";
import * as s from "./schemas";

/**
 * What every operation receives. The HTTP layer holds exactly two things of the application: command
 * services (every write) and the query port (views and lookups); it never sees the store.
 */
export interface HttpConfig {
  /** Origins allowed to call the public chat routes (the widget's sites). */
  allowedOrigins: string[];
  /** Master key the form channels' signing secrets and the chat channels' identity secrets derive from. */
  formSigningKey: string;
  /** The live-update WebSocket endpoint handed out with tickets; absent: clients poll. */
  liveUrl?: string | undefined;
}

export interface HttpServices {
  commands: CommandServices;
  queries: QueryPort;
  config: HttpConfig;
  now: () => Date;
}

export interface RequestContext {
  params: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  cookies: Record<string, string>;
  /** Parsed JSON body for `json` routes; undefined otherwise. */
  body: unknown;
  /** The exact bytes received (signed routes verify these). */
  rawBody: Buffer;
  principal: Principal | null;
  /** The calling user's record, for agent routes (updated with this request's activity). */
  actor: User | null;
  services: HttpServices;
  /** The time the request has left (routing stops before it runs out). */
  deadline?: Deadline;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  cookies?: string[];
}

export type Operation = (ctx: RequestContext) => Reply | Promise<Reply>;

export const ok = (body: unknown, status = 200): Reply => ({ status, body });

/** A path parameter, validated as an id (a 400 naming `path.<name>` otherwise). */
export const param = (ctx: RequestContext, name: string) => s.parse(s.id, ctx.params[name], `path.${name}`);

/** The caller of an agent route (authentication guarantees one). */
export const actorOf = (ctx: RequestContext): User => ctx.actor!;

/**
 * What agents see of a conversation: never the visitor's credential or the storage version; `automatic`
 * always, null for mail a person wrote (docs/api.md).
 */
export function publicConversation(
  c: Conversation & { version?: number },
): Omit<Conversation, "automatic"> & { automatic: Conversation["automatic"] | null } {
  const { visitorToken: _t, version: _v, ...rest } = c;
  return { ...rest, automatic: c.automatic ?? null };
}
