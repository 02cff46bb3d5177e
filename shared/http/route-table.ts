/**
 * Every HTTP route, described once: the Lambda router, the CDK stack (API Gateway routes and which of
 * them carry the JWT authorizer) and the local gateway all read this table. Pure data, no handlers.
 *
 * auth: `admin` = token with the `admins` group; `agent` = any user's token; `public` = no token
 * (visitor chat, identified by visitor token); `signed` = no token, HMAC signature on the raw body.
 */
export type Auth = "admin" | "agent" | "public" | "signed";
export type Method = "GET" | "PUT" | "POST" | "OPTIONS";

export interface RouteSpec {
  method: Method;
  path: string;
  auth: Auth;
  /** The operation in shared/http/operations.ts; a name no operation has fails `tsc` there. */
  operation: string;
  /** Expects a JSON body (Content-Type checked, parsed, validated). */
  json?: boolean;
  /** Answers CORS for the configured origins (the chat widget runs on the customer's site). */
  cors?: boolean;
  /**
   * A background read (live polling): it does not count as inbox activity, so "active recently"
   * (docs/routing.md §5.3) means a person used the inbox, not that a tab was left open.
   */
  passive?: boolean;
}

const TABLE = [
  // Admin configuration
  { method: "PUT", path: "/users/{userId}", auth: "admin", operation: "putUser", json: true },
  { method: "GET", path: "/users", auth: "admin", operation: "listUsers" },
  { method: "GET", path: "/users/{userId}", auth: "admin", operation: "getUser" },
  { method: "PUT", path: "/teams/{teamId}", auth: "admin", operation: "putTeam", json: true },
  { method: "PUT", path: "/inboxes/{inboxId}", auth: "admin", operation: "putInbox", json: true },
  { method: "PUT", path: "/channels/{channelId}", auth: "admin", operation: "putChannel", json: true },
  { method: "PUT", path: "/channels/{channelId}/routing", auth: "admin", operation: "putRule", json: true },
  { method: "GET", path: "/channels/{channelId}/stats", auth: "admin", operation: "channelStats" },
  {
    method: "POST",
    path: "/channels/{channelId}/routing/preview",
    auth: "admin",
    operation: "previewRule",
    json: true,
  },
  { method: "PUT", path: "/contacts/{contactId}", auth: "admin", operation: "putContact", json: true },
  // Agents
  { method: "PUT", path: "/me/availability", auth: "agent", operation: "setAvailability", json: true },
  { method: "POST", path: "/me/heartbeat", auth: "agent", operation: "heartbeat" },
  { method: "POST", path: "/live/tickets", auth: "agent", operation: "liveTicket", passive: true },
  { method: "GET", path: "/inboxes/{inboxId}/conversations", auth: "agent", operation: "listConversations" },
  { method: "GET", path: "/conversations/{conversationId}", auth: "agent", operation: "getConversation" },
  { method: "PUT", path: "/conversations/{conversationId}/assignee", auth: "agent", operation: "assign", json: true },
  { method: "POST", path: "/conversations/{conversationId}/messages", auth: "agent", operation: "reply", json: true },
  {
    method: "POST",
    path: "/conversations/{conversationId}/uploads",
    auth: "agent",
    operation: "uploadAttachment",
    json: true,
  },
  {
    method: "GET",
    path: "/conversations/{conversationId}/attachments/{attachmentId}",
    auth: "agent",
    operation: "attachment",
    // The inbox asks one link per picture it previews: reading the conversation already counted.
    passive: true,
  },
  { method: "POST", path: "/conversations/{conversationId}/close", auth: "agent", operation: "close" },
  { method: "POST", path: "/conversations/{conversationId}/reopen", auth: "agent", operation: "reopen" },
  // Web inbox reads (shared/http/web-operations.ts)
  { method: "GET", path: "/me", auth: "agent", operation: "me" },
  { method: "GET", path: "/inboxes", auth: "agent", operation: "listInboxes" },
  { method: "GET", path: "/inboxes/{inboxId}/counts", auth: "agent", operation: "viewCounts", passive: true },
  { method: "GET", path: "/inboxes/{inboxId}/changes", auth: "agent", operation: "inboxChanges", passive: true },
  { method: "GET", path: "/inboxes/{inboxId}/assignees", auth: "agent", operation: "listAssignees" },
  { method: "GET", path: "/teams", auth: "agent", operation: "listTeams" },
  { method: "GET", path: "/channels", auth: "admin", operation: "listChannels" },
  // Visitor chat (public)
  {
    method: "POST",
    path: "/chat/{channelId}/conversations",
    auth: "public",
    operation: "startChat",
    json: true,
    cors: true,
  },
  {
    method: "POST",
    path: "/chat/conversations/{conversationId}/messages",
    auth: "public",
    operation: "visitorMessage",
    json: true,
    cors: true,
  },
  {
    method: "GET",
    path: "/chat/conversations/{conversationId}/messages",
    auth: "public",
    operation: "visitorThread",
    cors: true,
  },
  {
    method: "POST",
    path: "/chat/conversations/{conversationId}/handoff",
    auth: "public",
    operation: "handoff",
    json: true,
    cors: true,
  },
  { method: "POST", path: "/chat/identify", auth: "public", operation: "identify", json: true, cors: true },
  { method: "GET", path: "/chat/{channelId}/status", auth: "public", operation: "chatStatus", cors: true },
  {
    method: "POST",
    path: "/chat/conversations/{conversationId}/live",
    auth: "public",
    operation: "visitorLiveTicket",
    json: true,
    cors: true,
  },
  // Form webhook (signed)
  { method: "POST", path: "/forms/{channelId}/submissions", auth: "signed", operation: "formSubmission" },
  // Health and the contract (docs/api.md)
  { method: "GET", path: "/health", auth: "public", operation: "health" },
  { method: "GET", path: "/openapi.json", auth: "public", operation: "openapi" },
  { method: "GET", path: "/asyncapi.json", auth: "public", operation: "asyncapi" },
] as const satisfies readonly RouteSpec[];

/** Every operation the table names: the keys the operations object and the OpenAPI schemas must have. */
export type OperationName = (typeof TABLE)[number]["operation"];
/** One entry of the table, with its operation name typed. */
export type Route = RouteSpec & { operation: OperationName };

export const ROUTES: readonly Route[] = TABLE;

/**
 * Who may call a route, decided here once: the deployed JWT authorizer (infra/constructs/http-api.ts),
 * the local gateway, the handler and the OpenAPI document all ask these.
 */
export const needsToken = (route: RouteSpec): boolean => route.auth === "admin" || route.auth === "agent";

/** The authenticated routes: exactly those the deployed JWT authorizer protects. */
export const PROTECTED_ROUTES = ROUTES.filter(needsToken);

/** Which routes answer CORS (the chat widget runs on the customer's site, docs/api.md). */
export const answersCors = (route: RouteSpec): boolean => route.cors === true;

/** The CORS answer: API Gateway's preflight configuration, the local gateway's, and the handler's. */
export const CORS_POLICY = {
  allowMethods: ["GET", "POST", "PUT"],
  allowHeaders: ["content-type", "authorization", "x-routing-signature"],
  allowCredentials: true,
  maxAgeSeconds: 600,
} as const;

/** Whether a browser page at `origin` may call the CORS routes, given the configured origins. */
export function originAllowed(origin: string | undefined, allowedOrigins: readonly string[]): boolean {
  return origin !== undefined && (allowedOrigins.includes(origin) || allowedOrigins.includes("*"));
}
