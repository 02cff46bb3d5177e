import * as z from "zod";
import { liveTicket } from "./live-schemas";
import * as r from "./responses";
import type { OperationName } from "./route-table";
import * as s from "./schemas";
import * as w from "./web-schemas";

/**
 * The request and response schemas of every operation in the route table: with the table, the one
 * source of the OpenAPI document (shared/http/openapi.ts). Keyed by operation name and checked with
 * `satisfies`, so a route without its schemas, or schemas for no route, fails `tsc`.
 */

/** Request bodies, by the component name they get in the OpenAPI document. */
export const REQUEST_BODIES = {
  UserInput: s.userBody,
  TeamInput: s.teamBody,
  InboxInput: s.inboxBody,
  ChannelInput: s.channelBody,
  RuleInput: s.rule,
  PreviewInput: s.previewBody,
  ContactInput: s.contactBody,
  AvailabilityInput: s.availabilityBody,
  AssigneeInput: s.assigneeBody,
  ReplyInput: s.replyBody,
  UploadInput: s.uploadBody,
  ChatStartInput: s.chatStart,
  ChatMessageInput: s.chatMessage,
  HandoffInput: s.handoffBody,
  IdentifyInput: s.identifyBody,
  FormSubmission: s.formSubmission,
} satisfies Record<string, z.ZodType>;

/** Response bodies, by component name. Every error answers `Error`. */
export const RESPONSE_BODIES = {
  Error: r.errorResponse,
  User: r.user,
  UserPage: r.userPage,
  Team: r.team,
  Inbox: r.inbox,
  Channel: r.channel,
  Rule: s.rule,
  Contact: r.contact,
  Heartbeat: r.heartbeat,
  Conversation: r.conversation,
  ConversationWithMessages: r.conversationWithMessages,
  ConversationPage: r.conversationPage,
  DecisionRecord: r.decisionRecord,
  Message: r.message,
  Waiting: r.waiting,
  ReplyResult: r.replyResult,
  AttachmentLink: r.attachmentLink,
  Upload: r.upload,
  VisitorConversation: r.visitorConversation,
  ChatStatus: r.chatStatus,
  ChatStarted: r.chatStarted,
  VisitorMessage: r.visitorMessage,
  VisitorMessageResult: r.visitorMessageResult,
  VisitorThread: r.visitorThread,
  Identified: r.identified,
  FormAccepted: r.formAccepted,
  ChannelStats: r.channelStats,
  RulePreview: r.rulePreview,
  Health: r.health,
  OpenApiDocument: r.openApiDocument,
  AsyncApiDocument: z.looseObject({ asyncapi: z.literal("3.0.0") }),
  LiveTicket: liveTicket,
  Me: w.meSchema,
  InboxPage: w.inboxPageSchema,
  TeamPage: w.teamPageSchema,
  ChannelPage: w.channelPageSchema,
  AssigneePage: w.assigneePageSchema,
  ViewCounts: w.countsSchema,
  InboxChanges: w.changesSchema,
} satisfies Record<string, z.ZodType>;

export type RequestBodyName = keyof typeof REQUEST_BODIES;
export type ResponseBodyName = keyof typeof RESPONSE_BODIES;
export type SuccessStatus = 200 | 201 | 202 | 204;

export interface OperationContract {
  summary: string;
  /** Query parameters (path parameters are the ids named in the path, all `s.id`). */
  query?: z.ZodObject;
  body?: RequestBodyName;
  /** Headers the operation reads (besides Authorization). */
  headers?: Record<string, { description: string; required: boolean }>;
  /** Success statuses and their bodies; any other status answers `Error`. */
  responses: Partial<Record<SuccessStatus, ResponseBodyName>>;
  /** Answers 302 with a `Location` header that says this. */
  redirect?: string;
}

const visitorQuery = { visitorToken: s.visitorToken.optional() };

export const CONTRACT = {
  me: { summary: "The caller: their user and whether they are an admin", responses: { 200: "Me" } },
  listInboxes: {
    summary: "The inboxes the caller can read (admins: all), one page",
    query: w.listPageQuery,
    responses: { 200: "InboxPage" },
  },
  viewCounts: {
    summary: "Sizes of the Unassigned, Mine and All views, each counted up to a cap (polling: not inbox activity)",
    query: w.countsQuery,
    responses: { 200: "ViewCounts" },
  },
  inboxChanges: {
    summary: "Conversations of an inbox changed since a cursor: the live feed (polling: not inbox activity)",
    query: w.changesQuery,
    responses: { 200: "InboxChanges" },
  },
  listAssignees: {
    summary: "Users assignable in the inbox (the Owner select's choices), one page",
    query: w.listPageQuery,
    responses: { 200: "AssigneePage" },
  },
  listTeams: { summary: "Teams, one page", query: w.listPageQuery, responses: { 200: "TeamPage" } },
  listChannels: {
    summary: "Channels with their rules, one page",
    query: w.listPageQuery,
    responses: { 200: "ChannelPage" },
  },
  putUser: {
    summary: "Create or replace a user (keeps availability and counters)",
    body: "UserInput",
    responses: { 200: "User" },
  },
  listUsers: { summary: "List users, one page by id", query: s.usersQuery, responses: { 200: "UserPage" } },
  channelStats: {
    summary: "A channel's waiting line: waiting now, the oldest wait, time to assignment over the last hour",
    responses: { 200: "ChannelStats" },
  },
  previewRule: {
    summary: "What a rule would have done to the channel's recent conversations; writes nothing (docs/routing.md §8)",
    body: "PreviewInput",
    responses: { 200: "RulePreview" },
  },
  getUser: { summary: "Read a user with availability, load and activity", responses: { 200: "User" } },
  putTeam: { summary: "Create or replace a team", body: "TeamInput", responses: { 200: "Team" } },
  putInbox: { summary: "Create or replace an inbox and its access", body: "InboxInput", responses: { 200: "Inbox" } },
  putChannel: {
    summary: "Create or replace a channel; the creating answer carries its secret, once",
    body: "ChannelInput",
    responses: { 200: "Channel", 201: "Channel" },
  },
  putRule: {
    summary: "Replace a channel's routing rule (docs/routing.md §4)",
    body: "RuleInput",
    responses: { 200: "Channel" },
  },
  putContact: { summary: "Create or replace a contact", body: "ContactInput", responses: { 200: "Contact" } },
  setAvailability: {
    summary: "Turn the caller available or away",
    body: "AvailabilityInput",
    responses: { 200: "User" },
  },
  heartbeat: { summary: "Record the caller's inbox activity", responses: { 200: "Heartbeat" } },
  listConversations: {
    summary: "An inbox view: unassigned (oldest first), mine or all",
    query: s.listQuery,
    responses: { 200: "ConversationPage" },
  },
  getConversation: {
    summary: "A conversation with its messages and routing decision",
    responses: { 200: "ConversationWithMessages" },
  },
  assign: {
    summary: "Assign, reassign, give to a team or unassign",
    body: "AssigneeInput",
    responses: { 200: "Conversation" },
  },
  reply: {
    summary: "Reply; an unassigned conversation becomes the replier's",
    body: "ReplyInput",
    responses: { 201: "ReplyResult" },
  },
  uploadAttachment: {
    summary: "Where to upload a file for an email reply: PUT it there, then name its uploadId in the reply",
    body: "UploadInput",
    responses: { 201: "Upload" },
  },
  attachment: {
    summary: "A file of the conversation: a 302 to a link of at most 5 minutes (JSON with Accept: application/json)",
    headers: {
      accept: { description: "application/json: answer the link as JSON instead of redirecting", required: false },
    },
    responses: { 200: "AttachmentLink" },
    redirect: "the file, by a presigned link that expires within 5 minutes",
  },
  close: { summary: "Close (keeps the assignee, frees the load)", responses: { 200: "Conversation" } },
  reopen: { summary: "Reopen (the assignee takes the load back)", responses: { 200: "Conversation" } },
  startChat: {
    summary: "A visitor starts a chat (routed at once on chat channels, at hand-off on bot channels)",
    body: "ChatStartInput",
    responses: { 200: "ChatStarted", 201: "ChatStarted" },
  },
  visitorMessage: {
    summary: "A visitor writes in their chat",
    body: "ChatMessageInput",
    responses: { 201: "VisitorMessageResult" },
  },
  visitorThread: {
    summary: "A visitor reads their chat",
    query: z.object(visitorQuery),
    responses: { 200: "VisitorThread" },
  },
  handoff: {
    summary: "The bot hands the chat to a person: routed by the channel's rule",
    body: "HandoffInput",
    responses: { 200: "VisitorConversation" },
  },
  chatStatus: {
    summary: "Whether a chat or bot channel is open now (office hours), and when it opens next",
    responses: { 200: "ChatStatus" },
  },
  identify: {
    summary: "Link a visitor to a contact the site's backend vouches for",
    body: "IdentifyInput",
    responses: { 200: "Identified" },
  },
  formSubmission: {
    summary: "A signed form submission",
    body: "FormSubmission",
    headers: {
      "X-Routing-Signature": {
        description: 't=<unix seconds>,v1=<hex HMAC-SHA256(signingSecret, "<t>.<raw body>")>',
        required: true,
      },
    },
    responses: { 200: "FormAccepted", 201: "FormAccepted" },
  },
  health: { summary: "The API and its table can be used", responses: { 200: "Health" } },
  openapi: { summary: "This document", responses: { 200: "OpenApiDocument" } },
  asyncapi: {
    summary: "The live-update protocol over the WebSocket, as an AsyncAPI 3 document",
    responses: { 200: "AsyncApiDocument" },
  },
  liveTicket: {
    summary: "A one-use ticket that opens the live-update socket within a minute (not inbox activity)",
    responses: { 201: "LiveTicket" },
  },
  visitorLiveTicket: {
    summary: "A visitor's one-use ticket for the live-update socket of their chat",
    body: "HandoffInput",
    responses: { 201: "LiveTicket" },
  },
} as const satisfies Record<OperationName, OperationContract>;
