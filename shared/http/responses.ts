import * as z from "zod";
import { hours, rule } from "./schemas";

/**
 * What the API answers, as zod schemas: the source of the OpenAPI document's response schemas
 * (shared/http/openapi.ts). Objects are open (`looseObject`): a field added on the server is not a
 * breaking change, while every documented field must be present with its type. Shapes: docs/api.md.
 */

const isoTime = z.iso.datetime({ offset: true });
const nullableTime = isoTime.nullable();

export const errorResponse = z.object({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    details: z.array(z.looseObject({ field: z.string(), reason: z.string() })),
  }),
});

export const user = z.looseObject({
  id: z.string(),
  name: z.string(),
  email: z.string(),
  seat: z.enum(["sales", "service", "none"]),
  role: z.enum(["agent", "admin"]),
  primaryTeamId: z.string().nullable(),
  additionalTeamIds: z.array(z.string()),
  capacity: z.number().int().nullable(),
  availability: z.enum(["available", "away"]),
  lastInboxActivityAt: nullableTime,
  lastAssignedAt: nullableTime,
  openCount: z.number().int().min(0),
});

export const userPage = z.looseObject({
  items: z.array(user),
  nextCursor: z.string().nullable().optional(),
});

export const team = z.looseObject({ id: z.string(), name: z.string() });

export const inbox = z.looseObject({
  id: z.string(),
  name: z.string(),
  access: z.discriminatedUnion("type", [
    z.looseObject({ type: z.literal("everyone") }),
    z.looseObject({ type: z.literal("restricted"), teamIds: z.array(z.string()), userIds: z.array(z.string()) }),
  ]),
});

export const channel = z.looseObject({
  id: z.string(),
  inboxId: z.string(),
  type: z.enum(["chat", "bot", "email", "form"]),
  name: z.string(),
  address: z.string().optional(),
  routing: rule,
  hours: hours.nullable().optional().describe("chat and bot channels: office hours (docs/routing.md §5.7)"),
  signingSecret: z.string().optional().describe("form channels: returned once, when the channel is created"),
  identitySecret: z.string().optional().describe("chat and bot channels: returned once, when the channel is created"),
});

/** docs/routing.md §5.7: what the widget shows before a visitor writes. */
export const chatStatus = z.object({
  open: z.boolean(),
  opensAt: z.string().nullable().describe("when a closed channel opens next (ISO 8601), null when open or never"),
  awayMessage: z.string().nullable().describe("the channel's away message, while closed"),
});

export const contact = z.looseObject({
  id: z.string(),
  email: z.string(),
  name: z.string().optional(),
  ownerId: z.string().nullable(),
  visitorTokens: z.array(z.string()),
});

const candidate = z.looseObject({
  userId: z.string(),
  source: z.string(),
  kept: z.boolean(),
  reason: z.enum(["no_seat", "no_access", "not_assignable", "away", "at_capacity", "unknown_user", "eligible"]),
  load: z.number().int(),
  activeRecently: z.boolean(),
  lastAssignedAt: nullableTime,
  rank: z.number().int().optional(),
});

/** The rule as the decision record keeps it: very long user lists are cut, and say by how many. */
const decidedRule = z.looseObject({
  autoAssign: z.boolean(),
  target: z.discriminatedUnion("type", [
    z.looseObject({
      type: z.literal("users_and_teams"),
      userIds: z.array(z.string()),
      teamIds: z.array(z.string()),
      userIdsOmitted: z.number().int().optional(),
    }),
    z.looseObject({ type: z.literal("contact_owner"), fallbackUserId: z.string().optional() }),
  ]),
});

/** The decision record (docs/routing.md §7). */
export const decisionRecord = z.looseObject({
  decidedAt: isoTime,
  rule: decidedRule.nullable(),
  strategy: z.enum(["least_busy", "random", "contact_owner", "manual"]),
  candidates: z.array(candidate),
  omitted: z.record(z.string(), z.number().int()).optional(),
  outcome: z.looseObject({ type: z.enum(["assigned", "unassigned"]), userId: z.string().optional(), why: z.string() }),
  ownerNotified: z.boolean().optional(),
  retries: z.number().int().optional(),
  lapses: z
    .array(z.looseObject({ userId: z.string(), at: isoTime, seconds: z.number().int() }))
    .optional()
    .describe("re-routes so far: who did not answer, and within how long (docs/routing.md §5.6)"),
});

/** docs/routing.md §6.2: what kind of machine sent a mail. */
const automaticKind = z.enum(["auto_reply", "report", "bulk", "loop"]);

/** docs/routing.md §6.3: a file kept with a message; download it from `GET .../attachments/{id}`. */
const attachment = z.looseObject({
  id: z.string(),
  filename: z.string(),
  contentType: z.string(),
  size: z.number().int().min(0),
});

export const message = z.looseObject({
  id: z.string(),
  conversationId: z.string(),
  author: z.looseObject({
    kind: z.enum(["customer", "agent", "system"]),
    userId: z.string().optional(),
    name: z.string().optional(),
    email: z.string().optional().describe("customer messages: the sender's address"),
  }),
  text: z.string(),
  createdAt: isoTime,
  emailMessageId: z.string().optional(),
  delivery: z
    .looseObject({ state: z.enum(["sent", "failed"]), error: z.string().optional() })
    .optional()
    .describe("agent replies sent by email"),
  automatic: automaticKind.optional().describe("customer messages a machine sent (docs/routing.md §6.2)"),
  attachments: z
    .array(attachment)
    .optional()
    .describe("files that came with the email or went with the reply (docs/routing.md §6.3)"),
});

/** A presigned link to a file: follow it within 5 minutes. */
export const attachmentLink = z.looseObject({ url: z.string(), expiresAt: isoTime });

/** Where to upload a reply's file: PUT the bytes to `url` with `headers`, then name `uploadId` in the reply. */
export const upload = z.looseObject({
  uploadId: z.string(),
  url: z.string(),
  expiresAt: isoTime,
  headers: z.record(z.string(), z.string()),
});

/** docs/routing.md §5.5: present while the conversation waits in its channel's line. */
export const waiting = z.looseObject({ position: z.number().int().min(1), since: isoTime });

export const conversation = z.looseObject({
  id: z.string(),
  inboxId: z.string(),
  channelId: z.string(),
  channelType: z.enum(["chat", "bot", "email", "form"]),
  status: z.enum(["open", "closed"]),
  assigneeId: z.string().nullable(),
  teamId: z.string().nullable(),
  contactId: z.string().nullable(),
  subject: z.string().optional(),
  preview: z.string().optional().describe("the start of the last message, for lists"),
  customerEmail: z.string().optional().describe("email and form conversations: where replies go"),
  createdAt: isoTime,
  updatedAt: isoTime,
  awaitingHandoff: z.boolean().optional().describe("bot conversations before the hand-off"),
  routing: decisionRecord.optional(),
  waitingSince: isoTime.optional().describe("while it waits in its channel's line: since when"),
  automatic: automaticKind
    .nullable()
    .optional()
    .describe("opened by mail a machine sent: never routed or assigned, listed in All only (docs/routing.md §6.2)"),
});

export const conversationWithMessages = conversation.extend({ messages: z.array(message) });

export const conversationPage = z.looseObject({ items: z.array(conversation), nextCursor: z.string().nullable() });

export const replyResult = z.looseObject({
  conversation,
  message,
  emailed: z.boolean().optional().describe("email and form conversations: whether the reply was sent"),
});

export const heartbeat = z.looseObject({ lastInboxActivityAt: nullableTime });

/** What a visitor sees of a message: the author's display name, nothing internal. */
export const visitorMessage = z.object({
  id: z.string(),
  text: z.string(),
  createdAt: isoTime,
  author: z.object({ kind: z.enum(["customer", "agent", "system"]), name: z.string() }),
});

/**
 * What a visitor sees of their conversation (docs/api.md "Visitor chat"): whether a person has it, that
 * person's display name and the place in line. Never the routing record, ids of users, inboxes or contacts.
 */
export const visitorConversation = z.object({
  id: z.string(),
  status: z.enum(["open", "closed"]),
  assigned: z.boolean(),
  agent: z.object({ name: z.string() }).nullable(),
  waiting: waiting.optional(),
});

export const chatStarted = z.object({ conversation: visitorConversation, visitorToken: z.string() });
export const visitorMessageResult = z.looseObject({ message: visitorMessage });
export const visitorThread = z.object({
  conversationId: z.string(),
  status: z.enum(["open", "closed"]),
  conversation: visitorConversation,
  messages: z.array(visitorMessage),
});
export const identified = z.object({
  verified: z.boolean().describe("true when the identityHash vouched for the email and the visitor is linked"),
  visitorToken: z.string(),
});

export const formAccepted = z.looseObject({
  conversationId: z.string(),
  duplicate: z.boolean().describe("true when this submissionId was already received"),
});

/** A channel's waiting line, for a support lead (docs/routing.md §5.5). */
export const channelStats = z.object({
  channelId: z.string(),
  waiting: z.number().int().describe("conversations waiting now"),
  oldestWaitingSince: isoTime.nullable(),
  oldestWaitMs: z.number().nullable(),
  lastHour: z
    .object({ assigned: z.number().int(), p50Ms: z.number().nullable(), p95Ms: z.number().nullable() })
    .describe("conversations assigned from the line in the last hour, and how long they waited"),
});

/** What a proposed rule would have done to a channel's recent conversations (docs/routing.md §8). */
export const rulePreview = z.object({
  conversations: z.number().int().describe("conversations replayed (those with a recorded decision)"),
  from: isoTime,
  to: isoTime,
  users: z.array(
    z.object({
      userId: z.string(),
      name: z.string().nullable(),
      actual: z.number().int().describe("conversations the recorded decisions gave the user"),
      preview: z.number().int().describe("conversations the proposed rule would have given them"),
      estimated: z.boolean().describe("the recorded decision did not see this user: taken as they are now"),
    }),
  ),
  waiting: z
    .object({ actual: z.number().int(), preview: z.number().int() })
    .describe("conversations left unassigned with nobody eligible"),
  changedOwner: z.number().int(),
  examples: z.array(
    z.object({
      conversationId: z.string(),
      actualAssigneeId: z.string().nullable(),
      previewAssigneeId: z.string().nullable(),
      explanation: z.string(),
    }),
  ),
});

export const health = z.looseObject({ status: z.literal("ok") });

/** The OpenAPI document itself (validated as OpenAPI 3.1 by the tests, not by this schema). */
export const openApiDocument = z.looseObject({
  openapi: z.string(),
  info: z.looseObject({}),
  paths: z.looseObject({}),
});
