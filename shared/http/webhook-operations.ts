import { ValidationError } from "../domain/errors";
import { type Operation, ok, param } from "./context";
import { HttpError } from "./errors";
import type { OperationName } from "./route-table";
import * as s from "./schemas";
import { formSigningSecret, SIGNATURE_HEADER, verifySignature } from "./signature";

/** The form webhook (signed): the signature is checked on the raw bytes before anything is parsed or read. */
export const WEBHOOK_OPERATIONS = {
  async formSubmission(ctx) {
    const channelId = param(ctx, "channelId");
    const { config, now, commands } = ctx.services;
    const secret = formSigningSecret(config.formSigningKey, channelId);
    verifySignature(ctx.headers[SIGNATURE_HEADER], ctx.rawBody, secret, Math.floor(now().getTime() / 1000));
    const type = ctx.headers["content-type"] ?? "";
    if (!/^application\/json($|;)/i.test(type)) {
      throw new HttpError(415, "unsupported_media_type", "send Content-Type: application/json");
    }
    let json: unknown;
    try {
      json = JSON.parse(ctx.rawBody.toString("utf8"));
    } catch {
      throw new ValidationError("the body is not valid JSON", [{ field: "body", reason: "malformed JSON" }]);
    }
    const sub = s.parse(s.formSubmission, json);
    const fields = sub.fields ? `\n\n${renderFields(sub.fields)}` : "";
    if (sub.message.length + fields.length > MAX_FORM_TEXT) {
      throw new ValidationError("submission too long", [
        { field: "body", reason: `message and fields together are over ${MAX_FORM_TEXT} characters` },
      ]);
    }
    const r = await commands.forms.submit({
      channelId,
      submissionId: sub.submissionId,
      email: sub.email,
      name: sub.name,
      text: sub.message + fields,
    });
    return ok(r, r.duplicate ? 200 : 201);
  },
} satisfies Partial<Record<OperationName, Operation>>;

/** A form's message and extra fields, as stored: the same cap as any message. */
const MAX_FORM_TEXT = 20_000;
/** Extra fields nest at most this deep (a field, a list in it, an object in that...). */
const MAX_FIELD_DEPTH = 5;

/**
 * The extra fields as `key: value` lines. Their depth is checked without recursion first, so hostile
 * nesting is a 400, never a stack overflow in JSON.stringify.
 */
function renderFields(fields: Record<string, unknown>): string {
  const stack: Array<[unknown, number]> = Object.values(fields).map((v) => [v, 1]);
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (depth >= MAX_FIELD_DEPTH) {
      const reason = `nest values at most ${MAX_FIELD_DEPTH} levels deep`;
      throw new ValidationError("fields nested too deep", [{ field: "body.fields", reason }]);
    }
    for (const inner of Object.values(value)) stack.push([inner, depth + 1]);
  }
  return Object.entries(fields)
    .map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join("\n");
}
