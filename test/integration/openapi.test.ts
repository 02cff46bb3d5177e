import { Validator } from "@seriousme/openapi-schema-validator";
import { beforeAll, describe, expect, it } from "vitest";
import { CONTRACT } from "#shared/http/contract";
import { buildOpenApiDocument, openApiDocument } from "#shared/http/openapi";
import { ROUTES } from "#shared/http/route-table";
import { apiHarness } from "../support/http";
import { checkResponse } from "../support/openapi-check";

type Operation = {
  operationId: string;
  parameters: Array<{ name: string; in: string; required: boolean; schema: object }>;
  requestBody?: { content: Record<string, { schema: { $ref: string } }> };
  responses: Record<string, { content: Record<string, { schema: { $ref: string } }> }>;
  security: unknown[];
};

const doc = openApiDocument();
const operationOf = (method: string, path: string) =>
  (doc.paths[path] as Record<string, Operation> | undefined)?.[method.toLowerCase()];

describe("the OpenAPI document (docs/api.md)", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const validator = new Validator();
    const result = await validator.validate(buildOpenApiDocument());
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe("3.1");
  });

  it("has exactly one operation per route of the route table, named like it", () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    for (const route of ROUTES) expect(operationOf(route.method, route.path)?.operationId).toBe(route.operation);
  });

  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))(
    "%s has its path parameters, request body and response schemas",
    (_name, route) => {
      const op = operationOf(route.method, route.path)!;
      const pathParams = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(op.parameters.filter((p) => p.in === "path").map((p) => p.name)).toEqual(pathParams);
      for (const p of op.parameters) expect(p.schema).toBeTypeOf("object");
      // Every route that reads a JSON body documents it; routes without one document none.
      const readsBody = route.json === true || route.auth === "signed";
      expect(op.requestBody !== undefined).toBe(readsBody);
      if (op.requestBody)
        expect(op.requestBody.content["application/json"]!.schema.$ref).toMatch(/^#\/components\/schemas\//);
      const success = Object.keys(op.responses).filter((s) => /^2\d\d$/.test(s));
      expect(success.length).toBeGreaterThan(0);
      for (const status of [...success, "default"]) {
        const ref = op.responses[status]!.content["application/json"]!.schema.$ref;
        expect(ref, `${status} of ${route.operation}`).toMatch(/^#\/components\/schemas\/\w+$/);
        expect(doc.components.schemas[ref.split("/").pop()!]).toBeDefined();
      }
      expect(op.responses.default!.content["application/json"]!.schema.$ref).toBe("#/components/schemas/Error");
    },
  );

  it("asks for the bearer token on exactly the admin and agent routes", () => {
    for (const route of ROUTES) {
      const secured = operationOf(route.method, route.path)!.security.length > 0;
      expect(secured, `${route.method} ${route.path}`).toBe(route.auth === "admin" || route.auth === "agent");
    }
  });

  it("documents the signature header of the form webhook and the visitor cookie of chat routes", () => {
    const form = operationOf("POST", "/forms/{channelId}/submissions")!;
    expect(form.parameters).toContainEqual(
      expect.objectContaining({ name: "X-Routing-Signature", in: "header", required: true }),
    );
    const chat = operationOf("POST", "/chat/{channelId}/conversations")!;
    expect(chat.parameters).toContainEqual(expect.objectContaining({ name: "routing_visitor", in: "cookie" }));
    expect(Object.keys(CONTRACT).sort()).toEqual(ROUTES.map((r) => r.operation).sort());
  });

  it("the response check refuses an answer outside the document", () => {
    expect(() => checkResponse("GET", "/users/u1", 200, { id: "u1" })).toThrow(/outside the OpenAPI document.*seat/);
    expect(() => checkResponse("GET", "/users/u1", 404, { message: "nope" })).toThrow(/Error/);
    expect(() => checkResponse("GET", "/health", 200, { status: "ok" })).not.toThrow();
  });
});

describe("GET /openapi.json", () => {
  let api: Awaited<ReturnType<typeof apiHarness>>;
  beforeAll(async () => {
    api = await apiHarness();
  });

  it("answers the document without a token", async () => {
    const r = await api.call({ method: "GET", path: "/openapi.json", as: null });
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^application\/json/);
    expect(r.json).toEqual(JSON.parse(JSON.stringify(doc)));
  });
});
