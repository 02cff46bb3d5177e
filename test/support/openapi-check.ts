import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { openApiDocument } from "#shared/http/openapi";
import { matchRoute } from "../../infra/local/gateway";

/**
 * Checks an answer of the API against the served OpenAPI document: the response schema of the route's
 * operation for that status, or the shared error shape for any status the operation does not list.
 * The HTTP test helper runs it on every response, so every integration test checks the contract.
 */
const doc = openApiDocument();
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
const BASE = "urn:routing:openapi";
ajv.addSchema({ $id: BASE, components: doc.components });

const compiled = new Map<string, ValidateFunction>();
function validator(schemaRef: string): ValidateFunction {
  let v = compiled.get(schemaRef);
  if (!v) {
    v = ajv.compile({ $ref: `${BASE}${schemaRef}` });
    compiled.set(schemaRef, v);
  }
  return v;
}

interface ResponseObject {
  content?: Record<string, { schema: { $ref: string } }>;
  headers?: Record<string, unknown>;
}

/** The schema reference the document gives for this answer; null for a redirect it declares (no body). */
export function responseSchemaRef(method: string, path: string, status: number): string | null {
  const route = matchRoute(method, path);
  if (!route) return "#/components/schemas/Error";
  const op = (doc.paths[route.path] as Record<string, { responses: Record<string, ResponseObject> }>)[
    route.method.toLowerCase()
  ]!;
  const response = op.responses[String(status)] ?? op.responses.default!;
  if (status === 302 && response.headers && !response.content) return null;
  return response.content!["application/json"]!.schema.$ref;
}

/** Throws, naming the route and each schema error, when the answer breaks the document. */
export function checkResponse(method: string, path: string, status: number, body: unknown): void {
  if (method === "OPTIONS") return;
  const schemaRef = responseSchemaRef(method, path, status);
  if (schemaRef === null) {
    if (body !== undefined) throw new Error(`${method} ${path} answered a redirect with a body`);
    return;
  }
  const validate = validator(schemaRef);
  if (!validate(body)) {
    const errors = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
    throw new Error(`${method} ${path} answered ${status} outside the OpenAPI document (${schemaRef}): ${errors}`);
  }
}
