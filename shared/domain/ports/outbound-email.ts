import type { Conversation, User } from "../types";
import type { AttachmentFile } from "./attachments";

/** Emails an offline owner (docs/routing.md §5.2). */
export interface OwnerNotifier {
  notifyOfflineOwner(input: { owner: User; conversation: Conversation; customerMessage: string }): Promise<void>;
}

/** Sends an agent's reply to the customer of an email or form conversation (docs/api.md "Outbound email"). */
export interface CustomerEmailSender {
  sendReply(input: {
    /** For the adapter's failure log line. */
    conversationId: string;
    from: string;
    to: string;
    subject: string;
    text: string;
    /** The customer's last Message-ID, for In-Reply-To and References: their answer threads back by it. */
    inReplyTo: string | null;
    /** Files sent with the reply (docs/routing.md §6.3), 10 MB at most in all. */
    attachments?: AttachmentFile[];
  }): Promise<void>;
}
