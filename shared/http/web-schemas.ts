/**
 * The shapes the web inbox and the chat widget read, as zod schemas: the clients import their types
 * with `z.infer` (never retyped by hand), and the tests parse real answers with them, so a change of
 * the API that breaks a screen fails a test. Request bodies are the schemas of ./schemas.ts.
 */
import * as z from "zod";
import { id, inboxBody, rule, userBody } from "./schemas";

export const listPageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(2000).optional(),
});

export const countsQuery = z.object({ status: z.enum(["open", "closed"]).default("open") });

/** `since` is the cursor the previous answer gave: an ISO-8601 instant. */
export const changesQuery = z.object({ since: z.string().datetime().optional() });

const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

export const userSchema = z.object({
  id,
  name: z.string(),
  email: z.string(),
  seat: userBody.shape.seat,
  role: z.enum(["agent", "admin"]),
  primaryTeamId: z.string().nullable(),
  additionalTeamIds: z.array(z.string()),
  capacity: z.number().nullable(),
  availability: z.enum(["available", "away"]),
  lastInboxActivityAt: z.string().nullable(),
  lastAssignedAt: z.string().nullable(),
  openCount: z.number(),
});

export const teamSchema = z.object({ id, name: z.string() });
export const inboxSchema = z.object({ id, name: z.string(), access: inboxBody.shape.access });
export const channelSchema = z.object({
  id,
  inboxId: z.string(),
  type: z.enum(["chat", "bot", "email", "form"]),
  name: z.string(),
  address: z.string().optional(),
  routing: rule,
});
/** A channel as created: a form's signing secret or a chat's identity secret, shown once. */
export const createdChannelSchema = channelSchema.extend({
  signingSecret: z.string().optional(),
  identitySecret: z.string().optional(),
});

const candidateSchema = z.object({
  userId: z.string(),
  source: z.string(),
  kept: z.boolean(),
  reason: z.string(),
  load: z.number(),
  activeRecently: z.boolean(),
  lastAssignedAt: z.string().nullable(),
  rank: z.number().optional(),
});

/** The stored routing decision (docs/routing.md §7). */
export const decisionSchema = z.object({
  decidedAt: z.string(),
  rule: rule.nullable(),
  strategy: z.string(),
  candidates: z.array(candidateSchema),
  omitted: z.record(z.string(), z.number()).optional(),
  outcome: z.object({ type: z.enum(["assigned", "unassigned"]), userId: z.string().optional(), why: z.string() }),
  ownerNotified: z.boolean().optional(),
  retries: z.number().optional(),
});

export const messageSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  author: z.object({
    kind: z.enum(["customer", "agent", "system"]),
    userId: z.string().optional(),
    name: z.string().optional(),
    email: z.string().optional(),
  }),
  text: z.string(),
  createdAt: z.string(),
  delivery: z.object({ state: z.enum(["sent", "failed"]), error: z.string().optional() }).optional(),
});

export const conversationSchema = z.object({
  id: z.string(),
  inboxId: z.string(),
  channelId: z.string(),
  channelType: z.enum(["chat", "bot", "email", "form"]),
  status: z.enum(["open", "closed"]),
  assigneeId: z.string().nullable(),
  teamId: z.string().nullable(),
  contactId: z.string().nullable(),
  subject: z.string().optional(),
  preview: z.string().optional(),
  customerEmail: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  awaitingHandoff: z.boolean().optional(),
  waiting: z.object({ position: z.number(), since: z.string() }).optional(),
  routing: decisionSchema.optional(),
});

export const conversationDetailSchema = conversationSchema.extend({ messages: z.array(messageSchema) });
export const conversationPageSchema = page(conversationSchema);
export const replyResultSchema = z.object({
  conversation: conversationSchema,
  message: messageSchema,
  emailed: z.boolean().optional(),
});

export const meSchema = z.object({ user: userSchema, admin: z.boolean() });
export const inboxPageSchema = page(inboxSchema);
export const teamPageSchema = page(teamSchema);
export const userPageSchema = page(userSchema);
export const channelPageSchema = page(channelSchema);
/** Users an Owner select offers: assignable in the inbox (docs/routing.md §2, §3.5). */
export const assigneeSchema = userSchema.pick({ id: true, name: true, seat: true, availability: true });
export const assigneePageSchema = page(assigneeSchema);
/** View sizes, each counted up to `cap` ("100+" beyond). */
export const countsSchema = z.object({ unassigned: z.number(), mine: z.number(), all: z.number(), cap: z.number() });
/** The live feed: conversations changed since the last cursor, and the cursor to send next time. */
export const changesSchema = z.object({
  items: z.array(conversationSchema),
  cursor: z.string(),
  truncated: z.boolean(),
});

/** What a visitor sees of a conversation (never the internal one). */
export const visitorConversationSchema = z.object({
  id: z.string(),
  status: z.enum(["open", "closed"]),
  assigned: z.boolean().optional(),
  agent: z.object({ name: z.string() }).nullable().optional(),
  waiting: z.object({ position: z.number(), since: z.string() }).optional(),
  awaitingHandoff: z.boolean().optional(),
  assigneeId: z.string().nullable().optional(),
});
export const visitorMessageSchema = z.object({
  id: z.string(),
  text: z.string(),
  createdAt: z.string(),
  author: z.object({ kind: z.string(), name: z.string() }),
});
export const chatStartedSchema = z.object({ conversation: visitorConversationSchema, visitorToken: z.string() });
export const visitorThreadSchema = z.object({
  conversation: visitorConversationSchema.optional(),
  conversationId: z.string().optional(),
  status: z.enum(["open", "closed"]).optional(),
  waiting: z.object({ position: z.number(), since: z.string() }).optional(),
  messages: z.array(visitorMessageSchema),
});

export type UserOut = z.infer<typeof userSchema>;
export type TeamOut = z.infer<typeof teamSchema>;
export type InboxOut = z.infer<typeof inboxSchema>;
export type ChannelOut = z.infer<typeof channelSchema>;
export type CreatedChannel = z.infer<typeof createdChannelSchema>;
export type DecisionOut = z.infer<typeof decisionSchema>;
export type MessageOut = z.infer<typeof messageSchema>;
export type ConversationOut = z.infer<typeof conversationSchema>;
export type ConversationDetail = z.infer<typeof conversationDetailSchema>;
export type Page<T> = { items: T[]; nextCursor: string | null };
export type Me = z.infer<typeof meSchema>;
export type Assignee = z.infer<typeof assigneeSchema>;
export type Counts = z.infer<typeof countsSchema>;
export type Changes = z.infer<typeof changesSchema>;
export type VisitorConversation = z.infer<typeof visitorConversationSchema>;
export type VisitorMessage = z.infer<typeof visitorMessageSchema>;
export type ChatStarted = z.infer<typeof chatStartedSchema>;
export type VisitorThread = z.infer<typeof visitorThreadSchema>;
