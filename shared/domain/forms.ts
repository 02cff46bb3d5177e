import { dedupeKeys, FORM_DEDUPE_TTL_SECONDS } from "./dedupe";
import type { InboundService } from "./inbound";

/** A connected form's submission, once its signature has been checked (docs/api.md, Form webhook). */
export class FormService {
  constructor(private readonly deps: { inbound: InboundService }) {}

  /** Creates and routes one conversation per `submissionId`; a redelivery answers the first one. */
  async submit(input: {
    channelId: string;
    submissionId: string;
    email: string;
    name?: string | undefined;
    text: string;
  }): Promise<{ conversationId: string; duplicate: boolean }> {
    const r = await this.deps.inbound.receive({
      channelId: input.channelId,
      accepts: ["form"],
      text: input.text,
      customer: { ...(input.name ? { name: input.name } : {}) },
      contactKey: { by: "email", value: input.email },
      dedupeKey: dedupeKeys.form(input.submissionId),
      dedupeTtlSeconds: FORM_DEDUPE_TTL_SECONDS,
      senderEmail: input.email,
    });
    return r.type === "created"
      ? { conversationId: r.conversation.id, duplicate: false }
      : { conversationId: r.conversationId, duplicate: true };
  }
}
