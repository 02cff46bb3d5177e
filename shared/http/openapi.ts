import * as z from "zod";
import pkg from "../../package.json" with { type: "json" };
import { CONTRACT, type OperationContract, REQUEST_BODIES, RESPONSE_BODIES } from "./contract";
import { needsToken, ROUTES, type Route } from "./route-table";
import { id } from "./schemas";

/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas of shared/http/contract.ts
 * (one source: nothing here is typed by hand). Served at `GET /openapi.json`; docs/api.md is its prose.
 */

type JsonSchema = Record<string, unknown>;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** zod schemas to named components; requests as clients send them (defaults optional), responses as sent. */
export function components(
  named: Record<string, z.ZodType>,
  io: "input" | "output",
  target: "draft-2020-12" | "draft-7" = "draft-2020-12",
): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [name, schema] of Object.entries(named)) registry.add(schema, { id: name });
  const { schemas } = z.toJSONSchema(registry, { io, target, uri: (name) => ref(name).$ref });
  const out: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema as JsonSchema;
    out[name] = rest;
  }
  return out;
}

function inline(schema: z.ZodType): JsonSchema {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io: "input", target: "draft-2020-12" }) as JsonSchema;
  return rest;
}

const TAGS = {
  admin: "Admin (token with the admins group)",
  agent: "Agent (any user's token)",
  visitor: "Visitor chat (public, visitor token)",
  webhook: "Form webhook (signed)",
  service: "Service",
} as const;

function tagOf(route: Route): keyof typeof TAGS {
  if (route.auth === "admin" || route.auth === "agent") return route.auth; // the tag names the audience
  if (route.auth === "signed") return "webhook";
  return route.path.startsWith("/chat/") ? "visitor" : "service";
}

function parameters(route: Route, contract: OperationContract) {
  const params: JsonSchema[] = [];
  for (const [, name] of route.path.matchAll(/\{([^}]+)\}/g)) {
    params.push({ name, in: "path", required: true, schema: inline(id) });
  }
  if (contract.query) {
    const q = inline(contract.query) as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(q.properties ?? {})) {
      params.push({ name, in: "query", required: q.required?.includes(name) ?? false, schema });
    }
  }
  for (const [name, h] of Object.entries(contract.headers ?? {})) {
    params.push({ name, in: "header", required: h.required, description: h.description, schema: { type: "string" } });
  }
  if (tagOf(route) === "visitor") {
    params.push({
      name: "routing_visitor",
      in: "cookie",
      required: false,
      description: "the visitor token, when the body and the query carry none",
      schema: { type: "string" },
    });
  }
  return params;
}

function operation(route: Route) {
  const contract: OperationContract = CONTRACT[route.operation];
  const responses: Record<string, unknown> = {};
  for (const [status, body] of Object.entries(contract.responses)) {
    responses[status] = { description: contract.summary, content: { "application/json": { schema: ref(body) } } };
  }
  if (contract.redirect) {
    responses["302"] = {
      description: contract.redirect,
      headers: { Location: { description: contract.redirect, schema: { type: "string", format: "uri" } } },
    };
  }
  responses.default = {
    description: "An error (docs/api.md, Errors)",
    content: { "application/json": { schema: ref("Error") } },
  };
  return {
    operationId: route.operation,
    summary: contract.summary,
    tags: [TAGS[tagOf(route)]],
    security: needsToken(route) ? [{ bearer: [] }] : [],
    parameters: parameters(route, contract),
    ...(contract.body
      ? { requestBody: { required: true, content: { "application/json": { schema: ref(contract.body) } } } }
      : {}),
    responses,
  };
}

/** Builds the document; callers use the cached `openApiDocument()`. */
export function buildOpenApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Conversation routing",
      version: pkg.version,
      description: "Who answers each chat, bot hand-off, team email and form submission. Prose: docs/api.md.",
      license: { name: pkg.license, identifier: pkg.license },
    },
    tags: Object.values(TAGS).map((name) => ({ name })),
    paths,
    components: {
      schemas: { ...components(REQUEST_BODIES, "input"), ...components(RESPONSE_BODIES, "output") },
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApiDocument>;

let cached: OpenApiDocument | undefined;
/** The document, built once per process (a few milliseconds of zod conversion). */
export function openApiDocument(): OpenApiDocument {
  cached ??= buildOpenApiDocument();
  return cached;
}
