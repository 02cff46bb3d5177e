/**
 * The shapes the web inbox and the chat widget read, as zod schemas: the clients import their types
 * with `z.infer` (never retyped by hand), and the tests parse real answers with them, so a change of
 * the API that breaks a screen fails a test. Request bodies are the schemas of ./schemas.ts.
 */
import * as z from "zod";
import * as r from "./responses";

export const listPageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(2000).optional(),
});

export const countsQuery = z.object({ status: z.enum(["open", "closed"]).default("open") });

/** `since` is the cursor the previous answer gave: an ISO-8601 instant. */
export const changesQuery = z.object({ since: z.string().datetime().optional() });

const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

// The shapes every client shares come from ./responses.ts, the source of the OpenAPI document: one
// description of each answer, so the inbox, the widget and /openapi.json cannot drift apart.
export const userSchema = r.user;
export const teamSchema = r.team;
export const inboxSchema = r.inbox;
export const channelSchema = r.channel.omit({ signingSecret: true, identitySecret: true });
/** A channel as created: a form's signing secret or a chat's identity secret, shown once. */
export const createdChannelSchema = r.channel;
/** The stored routing decision (docs/routing.md §7). */
export const decisionRecordSchema = r.decisionRecord;
export const messageSchema = r.message;
export const conversationSchema = r.conversation;
export const conversationDetailSchema = r.conversationWithMessages;
export const conversationPageSchema = r.conversationPage;
export const replyResultSchema = r.replyResult;
export const attachmentLinkSchema = r.attachmentLink;
export const uploadSchema = r.upload;

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

export type UserOut = z.infer<typeof userSchema>;
export type TeamOut = z.infer<typeof teamSchema>;
export type InboxOut = z.infer<typeof inboxSchema>;
export type ChannelOut = z.infer<typeof channelSchema>;
export type CreatedChannel = z.infer<typeof createdChannelSchema>;
export type DecisionRecordOut = z.infer<typeof decisionRecordSchema>;
export type MessageOut = z.infer<typeof messageSchema>;
export type ConversationOut = z.infer<typeof conversationSchema>;
export type ConversationDetail = z.infer<typeof conversationDetailSchema>;
export type Page<T> = { items: T[]; nextCursor: string | null };
export type Me = z.infer<typeof meSchema>;
export type Assignee = z.infer<typeof assigneeSchema>;
export type Counts = z.infer<typeof countsSchema>;
export type Changes = z.infer<typeof changesSchema>;
export type AttachmentLinkOut = z.infer<typeof attachmentLinkSchema>;
export type UploadOut = z.infer<typeof uploadSchema>;
// The visitor answers the widget reads, as the contract publishes them (responses.ts, /openapi.json).
export type VisitorConversation = z.infer<typeof r.visitorConversation>;
export type RulePreviewOut = z.infer<typeof r.rulePreview>;
export type VisitorMessage = z.infer<typeof r.visitorMessage>;
export type ChatStarted = z.infer<typeof r.chatStarted>;
export type VisitorThread = z.infer<typeof r.visitorThread>;
/** docs/routing.md §5.7: whether a chat channel is open now, for the widget. */
export type ChatStatus = z.infer<typeof r.chatStatus>;
