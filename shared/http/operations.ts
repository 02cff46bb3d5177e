import { ADMIN_OPERATIONS } from "./admin-operations";
import { AGENT_OPERATIONS } from "./agent-operations";
import { asyncApiDocument } from "./asyncapi";
import { type Operation, ok } from "./context";
import { LIVE_OPERATIONS } from "./live";
import { openApiDocument } from "./openapi";
import type { OperationName } from "./route-table";
import { VISITOR_OPERATIONS } from "./visitor-operations";
import { WEB_OPERATIONS } from "./web-operations";
import { WEBHOOK_OPERATIONS } from "./webhook-operations";

export type { HttpConfig, HttpServices, Operation, Reply, RequestContext } from "./context";
export { publicConversation } from "./context";
export { VISITOR_COOKIE } from "./visitor-operations";

/** The service's own routes: health and the contract. */
const SERVICE_OPERATIONS = {
  async health(ctx) {
    await ctx.services.queries.health();
    return ok({ status: "ok" });
  },
  openapi() {
    return ok(openApiDocument());
  },
  asyncapi() {
    return ok(asyncApiDocument());
  },
} satisfies Partial<Record<OperationName, Operation>>;

/**
 * Every operation of the route table, by audience (admin, agent and its web inbox, visitor, webhook).
 * `satisfies` makes a route without its operation, or an operation without its route, a `tsc` error.
 */
export const OPERATIONS = {
  ...ADMIN_OPERATIONS,
  ...AGENT_OPERATIONS,
  ...VISITOR_OPERATIONS,
  ...WEBHOOK_OPERATIONS,
  ...WEB_OPERATIONS,
  ...LIVE_OPERATIONS,
  ...SERVICE_OPERATIONS,
} satisfies Record<OperationName, Operation>;
