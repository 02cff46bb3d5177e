import { errorText } from "./errors";
import type { ArrivalStore } from "./ports/arrival";
import type { AttachmentStore } from "./ports/attachments";
import type { CustomerEmailSender } from "./ports/outbound-email";
import type { ConversationReads } from "./ports/reads";
import type { Conversation, Message, MessageDelivery } from "./types";
import { replySubject } from "./wording";

export interface ReplyEmailDeps {
  store: Pick<ArrivalStore, "getChannel"> & Pick<ConversationReads, "listMessages">;
  emailSender?: CustomerEmailSender;
  /** Sender of replies on form conversations (email conversations answer from their channel's address). */
  replyFrom?: string;
  /** Where a reply's files are read from, to go with its email. */
  files?: AttachmentStore;
}

/** Whether an agent's reply on this conversation is also emailed to its customer. */
export function sendsEmail(deps: ReplyEmailDeps, c: Conversation): boolean {
  return deps.emailSender !== undefined && (c.channelType === "email" || c.channelType === "form") && !!c.customerEmail;
}

/**
 * After the commit: the reply is kept in the inbox even if the email cannot be sent. The email sender
 * adapter logs and counts its own failures; here the outcome becomes the message's delivery state. The
 * email threads under the customer's last message (In-Reply-To).
 */
export async function emailReply(
  deps: ReplyEmailDeps,
  conversation: Conversation,
  message: Message,
): Promise<MessageDelivery> {
  const { store, emailSender, replyFrom } = deps;
  try {
    const channel = await store.getChannel(conversation.channelId);
    const from = conversation.channelType === "email" ? channel?.address : replyFrom;
    if (!from) return { state: "failed", error: "the channel has no sender address" };
    const lastCustomer = (await store.listMessages(conversation.id))
      .filter((m) => m.author.kind === "customer" && m.emailMessageId)
      .pop();
    const files = deps.files;
    const attachments =
      files && message.attachments?.length
        ? await Promise.all(message.attachments.map((a) => files.read(conversation.id, a)))
        : [];
    await emailSender!.sendReply({
      conversationId: conversation.id,
      from,
      to: conversation.customerEmail!,
      subject: replySubject(conversation.subject),
      text: message.text,
      inReplyTo: lastCustomer?.emailMessageId ?? null,
      ...(attachments.length > 0 ? { attachments } : {}),
    });
    return { state: "sent" };
  } catch (err) {
    return { state: "failed", error: errorText(err) };
  }
}
