import type { OpenApiDocument } from "#shared/http/openapi";

/**
 * `GET /docs` in local mode: the OpenAPI document as one self-contained HTML page (no script, no CDN,
 * nothing fetched), so it works offline. Schemas are shown as JSON, with each `$ref` a link to its
 * component further down the page.
 */

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function schemaHtml(schema: unknown): string {
  return `<pre>${escapeHtml(JSON.stringify(schema, null, 2)).replace(
    /&quot;\$ref&quot;: &quot;#\/components\/schemas\/(\w+)&quot;/g,
    (_m, name: string) => `&quot;$ref&quot;: <a href="#schema-${name}">${name}</a>`,
  )}</pre>`;
}

interface Param {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  schema: unknown;
}
interface Op {
  operationId: string;
  summary: string;
  tags: string[];
  security: unknown[];
  parameters: Param[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  /** A redirect (302) has a description and headers, no content. */
  responses: Record<string, { description?: string; content?: Record<string, { schema: unknown }> }>;
}

function operationHtml(method: string, path: string, op: Op): string {
  const params = op.parameters.length
    ? `<table><tr><th>name</th><th>in</th><th>required</th><th>schema</th></tr>${op.parameters
        .map(
          (p) =>
            `<tr><td><code>${escapeHtml(p.name)}</code>${p.description ? `<br>${escapeHtml(p.description)}` : ""}` +
            "</td>" +
            `<td>${p.in}</td><td>${p.required ? "yes" : "no"}</td><td>${schemaHtml(p.schema)}</td></tr>`,
        )
        .join("")}</table>`
    : "";
  const body = op.requestBody
    ? `<h4>Request body</h4>${schemaHtml(op.requestBody.content["application/json"]?.schema)}`
    : "";
  const responses = Object.entries(op.responses)
    .map(
      ([status, r]) =>
        `<h4>${escapeHtml(status)}</h4>` +
        (r.content ? schemaHtml(r.content["application/json"]?.schema) : `<p>${escapeHtml(r.description ?? "")}</p>`),
    )
    .join("");
  const auth = op.security.length ? "bearer token" : "no token";
  const title = `<code>${escapeHtml(path)}</code> ${escapeHtml(op.summary)}`;
  const summary = `<b>${method.toUpperCase()}</b> ${title} <i>(${auth})</i>`;
  return `<details id="op-${op.operationId}"><summary>${summary}</summary>${params}${body}${responses}</details>`;
}

/** The page for a document. */
export function renderApiDocsPage(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops as Record<string, Op>)) {
      const tag = op.tags[0] ?? "other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(method, path, op)]);
    }
  }
  const sections = [...byTag].map(([tag, ops]) => `<h2>${escapeHtml(tag)}</h2>${ops.join("")}`).join("");
  const schemas = Object.entries(doc.components.schemas)
    .map(([name, schema]) => `<h3 id="schema-${name}">${name}</h3>${schemaHtml(schema)}`)
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(doc.info.title)} API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem}
details{border:1px solid #ccc;border-radius:6px;margin:.4rem 0;padding:.4rem .8rem}summary{cursor:pointer}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:13px}table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:.3rem;vertical-align:top;text-align:left}</style></head><body>
<h1>${escapeHtml(doc.info.title)} <small>${escapeHtml(doc.info.version)}</small></h1>
<p>${escapeHtml(doc.info.description)} The machine-readable document: <a href="/openapi.json">/openapi.json</a>.</p>
${sections}<h2>Schemas</h2>${schemas}</body></html>`;
}
