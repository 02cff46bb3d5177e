import * as z from "zod";
import { ATTACHMENT_LIMITS, MEDIA_TYPE } from "../domain/attachments";
import { ValidationError } from "../domain/errors";
import { isTimeZone, minutesOf } from "../domain/office-hours";

/** Caller-chosen ids: they become parts of table keys, so `#` and spaces are refused. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
export const id = z.string().regex(ID_PATTERN, "use 1-128 letters, digits and _ . : @ -");
const email = z.string().trim().email().max(254);
/**
 * A visitor token (docs/api.md, "Visitor chat"): 22-128 base64url characters. It becomes part of a table key
 * and of a Set-Cookie header, so anything else is refused before any write.
 */
export const VISITOR_TOKEN = /^[A-Za-z0-9_-]{22,128}$/;
export const visitorToken = z.string().regex(VISITOR_TOKEN, "use 22-128 base64url characters (A-Z a-z 0-9 _ -)");
const text = z.string().trim().min(1, "must not be empty").max(20_000);

export const rule = z
  .object({
    autoAssign: z.boolean(),
    target: z.discriminatedUnion("type", [
      z
        .object({
          type: z.literal("users_and_teams"),
          userIds: z.array(id).max(1000).default([]),
          teamIds: z.array(id).max(100).default([]),
        })
        .strict(),
      z.object({ type: z.literal("contact_owner"), fallbackUserId: id.optional() }).strict(),
    ]),
    /** docs/routing.md §5.5: return a user's open conversations to the line when they turn away. */
    returnWhenAway: z.boolean().optional(),
    /** docs/routing.md §5.6: re-route a chat its assignee does not answer (chat and bot channels). */
    rerouteAfter: z
      .object({
        seconds: z.number().int().min(15).max(900),
        maxTimes: z.number().int().min(1).max(5),
        awayOnLapse: z.boolean().optional(),
      })
      .strict()
      .nullable()
      .optional(),
  })
  .strict();

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const isDate = (d: string) => /^\d{4}-\d{2}-\d{2}$/.test(d) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);

/** docs/routing.md §5.7: a chat or bot channel's office hours, in its own time zone. */
export const hours = z
  .object({
    timeZone: z.string().max(64).refine(isTimeZone, "use an IANA time zone name, such as Europe/Paris"),
    weekly: z
      .array(
        z
          .object({
            day: z.enum(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
            from: z.string().regex(HHMM, "use HH:MM, 00:00 to 23:59"),
            to: z.string().regex(HHMM, "use HH:MM, 00:01 to 24:00"),
          })
          .strict()
          .refine((i) => !HHMM.test(i.from) || !HHMM.test(i.to) || minutesOf(i.from) < minutesOf(i.to), {
            message: "from must be before to",
            path: ["to"],
          }),
      )
      .max(70),
    closedDates: z.array(z.string().refine(isDate, "use a date, YYYY-MM-DD")).max(366).optional(),
    awayMessage: z.string().trim().max(500).optional(),
  })
  .strict();

/** docs/routing.md §8: a rule to replay on the channel's recent conversations, and how far back. */
export const previewBody = z
  .object({
    rule,
    days: z.number().int().min(1).max(30).optional(),
    limit: z.number().int().min(1).max(5000).optional(),
  })
  .strict();

export const userBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    email,
    seat: z.enum(["sales", "service", "none"]),
    role: z.enum(["agent", "admin"]).default("agent"),
    primaryTeamId: id.nullable().default(null),
    additionalTeamIds: z.array(id).max(100).default([]),
    capacity: z.number().int().min(0).max(10_000).nullable().default(null),
  })
  .strict();

export const teamBody = z.object({ name: z.string().trim().min(1).max(200) }).strict();

export const inboxBody = z
  .object({
    name: z.string().trim().min(1).max(200),
    access: z.discriminatedUnion("type", [
      z.object({ type: z.literal("everyone") }).strict(),
      z
        .object({
          type: z.literal("restricted"),
          teamIds: z.array(id).max(100).default([]),
          userIds: z.array(id).max(1000).default([]),
        })
        .strict(),
    ]),
  })
  .strict();

export const channelBody = z
  .object({
    inboxId: id,
    type: z.enum(["chat", "bot", "email", "form"]),
    name: z.string().trim().min(1).max(200),
    address: email.optional(),
    routing: rule,
    hours: hours.nullable().optional(),
  })
  .strict()
  .refine((c) => c.hours == null || c.type === "chat" || c.type === "bot", {
    message: "office hours apply to chat and bot channels only",
    path: ["hours"],
  })
  .refine((c) => c.type !== "email" || c.address !== undefined, {
    message: "an email channel needs its address",
    path: ["address"],
  });

export const contactBody = z
  .object({
    email,
    name: z.string().trim().max(200).optional(),
    ownerId: id.nullable().default(null),
    visitorTokens: z.array(visitorToken).max(50).default([]),
  })
  .strict();

export const availabilityBody = z.object({ availability: z.enum(["available", "away"]) }).strict();
export const assigneeBody = z.union([z.object({ userId: id.nullable() }).strict(), z.object({ teamId: id }).strict()]);
export const replyBody = z
  .object({
    text,
    /** Upload ids from `POST /conversations/{id}/uploads` (docs/routing.md §6.3). */
    attachments: z.array(id).max(ATTACHMENT_LIMITS.replyMaxFiles).optional(),
  })
  .strict();

/** docs/routing.md §6.3: a file an agent is about to upload for a reply. */
export const uploadBody = z
  .object({
    filename: z.string().trim().min(1).max(255),
    contentType: z.string().trim().toLowerCase().regex(MEDIA_TYPE, "use a MIME type such as image/png"),
    size: z.number().int().min(1).max(ATTACHMENT_LIMITS.replyMaxBytes),
  })
  .strict();

export const listQuery = z.object({
  view: z.enum(["unassigned", "mine", "all"]).default("all"),
  status: z.enum(["open", "closed"]).default("open"),
  limit: z.coerce.number().int().min(1).max(100).default(25),
  cursor: z.string().max(2000).optional(),
});

/** `GET /users?limit=&cursor=` (docs/api.md): one page of users by id. */
export const usersQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(2000).optional(),
});
export const chatStart = z
  .object({ text, visitorToken: visitorToken.optional(), idempotencyKey: z.string().min(1).max(200).optional() })
  .strict();
export const chatMessage = z.object({ text, visitorToken: visitorToken.optional() }).strict();
export const handoffBody = z.object({ visitorToken: visitorToken.optional() }).strict();
export const identifyBody = z
  .object({
    channelId: id,
    visitorToken: visitorToken.optional(),
    email,
    name: z.string().trim().max(200).optional(),
    identityHash: z.string().max(128).optional(),
  })
  .strict();

export const formSubmission = z
  .object({
    submissionId: z.string().min(1).max(200),
    email,
    name: z.string().trim().max(200).optional(),
    message: text,
    fields: z.record(z.string().max(200), z.unknown()).optional(),
  })
  .strict();

/** Validate, or throw a ValidationError naming each field and why. */
export function parse<T extends z.ZodType>(schema: T, input: unknown, where = "body"): z.output<T> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    const details = result.error.issues.map((i) => ({
      field: [where, ...i.path.map(String)].join("."),
      reason: i.message,
    }));
    throw new ValidationError(`invalid ${where}`, details);
  }
  const illFormed = illFormedString(result.data, where);
  if (illFormed) {
    // JSON may escape a lone UTF-16 surrogate ("\ud800"); no store or mail header can hold it.
    throw new ValidationError(`invalid ${where}`, [
      { field: illFormed, reason: "is not valid Unicode (a lone surrogate)" },
    ]);
  }
  return result.data;
}

const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The path of the first string (value or key) holding a lone surrogate, or null. Iterative: validated
 * input is bounded by the body cap, and a deep value must not overflow the stack.
 */
function illFormedString(value: unknown, where: string): string | null {
  const stack: Array<[unknown, string]> = [[value, where]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [v, path] = next;
    if (typeof v === "string") {
      if (LONE_SURROGATE.test(v)) return path;
    } else if (v !== null && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        if (LONE_SURROGATE.test(k)) return path;
        stack.push([child, `${path}.${k}`]);
      }
    }
  }
  return null;
}
