/**
 * The keys that make a redelivered inbound event harmless (docs/routing.md §5.4.6), and how long each is
 * remembered. Keys are per channel; the store keeps one record per key with a TTL.
 */

/** A double click or a retried request comes within seconds; a day covers any client retry policy. */
export const CHAT_DEDUPE_TTL_SECONDS = 24 * 3600;
/** Form providers retry webhooks for days (hours of backoff); a month covers them. */
export const FORM_DEDUPE_TTL_SECONDS = 30 * 24 * 3600;

export const dedupeKeys = {
  /**
   * A chat's idempotency key is scoped to its visitor, so knowing a key never finds someone else's chat
   * (docs/routing.md §6.1.4). Without a token (an old client) the key alone dedupes, and a replay is
   * refused rather than answered.
   */
  chat: (visitorToken: string | undefined, idempotencyKey: string) =>
    visitorToken ? `chat:v:${visitorToken}:${idempotencyKey}` : `chat:k:${idempotencyKey}`,
  form: (submissionId: string) => `form:${submissionId}`,
  /** An email by its Message-ID: redeliveries and the customer's replies (threading) find it. */
  email: (messageId: string) => `email:${messageId}`,
  /** An email without a Message-ID, by the id SES gave the delivery. */
  ses: (sesMessageId: string) => `ses:${sesMessageId}`,
};
