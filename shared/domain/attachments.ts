import { hasAccess } from "./access";
import { ForbiddenError, NotFoundError, ValidationError } from "./errors";
import type { AttachmentStore, SignedLink } from "./ports/attachments";
import type { DirectoryStore } from "./ports/directory";
import type { TransitionStore } from "./ports/transitions";
import type { Attachment, Conversation, User } from "./types";

/** docs/routing.md §6.3: what a reply may carry, and how long links live. */
export const ATTACHMENT_LIMITS = {
  /** All files of one reply together. */
  replyMaxBytes: 10 * 1024 * 1024,
  replyMaxFiles: 10,
  filenameChars: 200,
  /** A download link (docs/api.md: at most 5 minutes). */
  linkSeconds: 300,
  /** An upload link; an upload not sent within a day is deleted (the bucket's lifecycle rule). */
  uploadSeconds: 900,
} as const;

/**
 * Types a browser shows without running anything: raster images and PDF. Everything else (HTML, SVG,
 * scripts, unknown types) is served as a download, whatever its declared type.
 */
const INLINE_TYPES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "application/pdf"]);

const bareType = (contentType: string) => contentType.split(";")[0]!.trim().toLowerCase();

export const servesInline = (contentType: string): boolean => INLINE_TYPES.has(bareType(contentType));

/** Whether the inbox shows the file as a picture beside its name. */
export const isPreviewable = (contentType: string): boolean =>
  servesInline(contentType) && bareType(contentType).startsWith("image/");

/**
 * A file name safe for a header and a file system: no directory part, no control or quoting characters,
 * at most 200 characters with the extension kept.
 */
export function safeFilename(name: string | null | undefined, fallback: string): string {
  const base = (name ?? "").split(/[/\\]/).pop() ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
  const clean = base.replace(/[\u0000-\u001f\u007f"<>|*?:]/g, "").trim();
  if (clean === "" || clean === "." || clean === "..") return fallback;
  if (clean.length <= ATTACHMENT_LIMITS.filenameChars) return clean;
  const dot = clean.lastIndexOf(".");
  const ext = dot > 0 && clean.length - dot <= 10 ? clean.slice(dot) : "";
  return clean.slice(0, ATTACHMENT_LIMITS.filenameChars - ext.length) + ext;
}

type Reads = Pick<TransitionStore, "getConversation"> & Pick<DirectoryStore, "getInbox">;

/**
 * Who may touch a conversation's files (docs/routing.md §6.3): whoever can read the conversation, by a
 * short-lived link from the attachment store. Uploads for a reply are claimed when the reply is sent.
 */
export class AttachmentService {
  constructor(private readonly deps: { store: Reads; files: AttachmentStore; newId: () => string }) {}

  /** A download link to one file of a conversation the actor can read; 404 for a file it does not have. */
  async link(actor: User, conversationId: string, attachmentId: string): Promise<SignedLink> {
    await this.readable(actor, conversationId);
    const link = await this.deps.files.link(conversationId, attachmentId, servesInline);
    if (!link) throw new NotFoundError(`conversation ${conversationId} has no attachment ${attachmentId}`);
    return link;
  }

  /** Where to upload a file for a reply on this conversation (sent with `POST .../messages`). */
  async upload(
    actor: User,
    conversationId: string,
    file: { filename: string; contentType: string; size: number },
  ): Promise<SignedLink & { uploadId: string }> {
    emailOnly(await this.readable(actor, conversationId), "body");
    const uploadId = this.deps.newId();
    const upload: Attachment = {
      id: uploadId,
      filename: safeFilename(file.filename, "attachment"),
      contentType: file.contentType,
      size: file.size,
    };
    return { uploadId, ...(await this.deps.files.uploadLink(conversationId, upload)) };
  }

  /**
   * The uploads a reply names, taken into the conversation: each must have been uploaded for this
   * conversation, and all of them together within 10 MB. A 400 naming the field otherwise.
   */
  async claim(actor: User, conversationId: string, uploadIds: readonly string[]): Promise<Attachment[]> {
    emailOnly(await this.readable(actor, conversationId), "body.attachments");
    const claimed: Attachment[] = [];
    for (const [i, id] of [...new Set(uploadIds)].entries()) {
      const file = await this.deps.files.findUpload(conversationId, id);
      if (!file)
        throw new ValidationError("unknown upload", [
          {
            field: `body.attachments.${i}`,
            reason: `nothing was uploaded as ${id} for conversation ${conversationId}`,
          },
        ]);
      claimed.push(file);
    }
    const total = claimed.reduce((n, f) => n + f.size, 0);
    if (total > ATTACHMENT_LIMITS.replyMaxBytes)
      throw new ValidationError("attachments too large", [
        { field: "body.attachments", reason: `${total} bytes in all, over ${ATTACHMENT_LIMITS.replyMaxBytes}` },
      ]);
    // Only once all of them are known to fit: nothing is half-taken.
    await Promise.all(claimed.map((f) => this.deps.files.keepUpload(conversationId, f)));
    return claimed;
  }

  private async readable(actor: User, conversationId: string): Promise<Conversation> {
    const { store } = this.deps;
    const conv = await store.getConversation(conversationId);
    if (!conv) throw new NotFoundError(`conversation ${conversationId} does not exist`);
    const inbox = await store.getInbox(conv.inboxId);
    if (!inbox || !hasAccess(actor, inbox)) throw new ForbiddenError(`no access to inbox ${conv.inboxId}`);
    return conv;
  }
}

/** Files go out with email replies only: a chat visitor's widget has nowhere to show them. */
function emailOnly(conv: Conversation, field: string): void {
  if (conv.channelType === "email" || conv.channelType === "form") return;
  throw new ValidationError("attachments go with email replies only", [
    { field, reason: `conversation ${conv.id} is a ${conv.channelType} conversation` },
  ]);
}
