import { hasAccess } from "./access";
import { ForbiddenError, NotFoundError, ValidationError } from "./errors";
import type { AttachmentStore, FoundUpload, SignedLink } from "./ports/attachments";
import type { DirectoryStore } from "./ports/directory";
import type { TransitionStore } from "./ports/transitions";
import type { Attachment, Conversation, User } from "./types";

/** docs/routing.md §6.3: what a reply may carry, and how long links live. */
export const ATTACHMENT_LIMITS = {
  /** All files of one reply together. */
  replyMaxBytes: 10 * 1024 * 1024,
  replyMaxFiles: 10,
  filenameChars: 200,
  filenameBytes: 600,
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
 * A file name safe for a header, an S3 key and a file system: no directory part, no control or quoting
 * characters, no lone surrogates, at most 200 characters (code points) and 600 bytes once percent-encoded
 * (S3 keys hold 1,024), the extension kept.
 */
export function safeFilename(name: string | null | undefined, fallback: string): string {
  const base = (name ?? "").replace(LONE_SURROGATE, "").split(/[/\\]/).pop() ?? "";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
  const clean = base.replace(/[\u0000-\u001f\u007f"<>|*?:\ufffd]/g, "").trim();
  if (clean === "" || clean === "." || clean === "..") return fallback;
  const fits = (s: string) =>
    [...s].length <= ATTACHMENT_LIMITS.filenameChars && encodeURIComponent(s).length <= ATTACHMENT_LIMITS.filenameBytes;
  if (fits(clean)) return clean;
  const dot = clean.lastIndexOf(".");
  const ext = dot > 0 && clean.length - dot <= 10 ? clean.slice(dot) : "";
  const chars = [...clean.slice(0, clean.length - ext.length)];
  while (chars.length > 0 && !fits(chars.join("") + ext)) chars.pop();
  return chars.length > 0 ? chars.join("") + ext : fallback;
}

/** Half of a UTF-16 pair without its other half: no valid character, and encodeURIComponent throws on it. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The media type of a file as its sender declared it, if it is one; a download of bytes otherwise. */
export function safeContentType(declared: string | null | undefined): string {
  const type = (declared ?? "").trim().toLowerCase();
  return MEDIA_TYPE.test(type) ? type : "application/octet-stream";
}

/** `type/subtype` in the characters RFC 6838 allows (no parameters). */
export const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

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
    const conv = await this.readable(actor, conversationId);
    emailOnly(conv, "body.attachments");
    const claimed: FoundUpload[] = [];
    const seen = new Set<string>();
    for (const [i, id] of uploadIds.entries()) {
      if (seen.has(id)) continue;
      seen.add(id);
      const file = await this.deps.files.findUpload(conversationId, id);
      if (!file) throw unknownUpload(i, id, conversationId);
      claimed.push(file);
    }
    const total = claimed.reduce((n, f) => n + f.size, 0);
    if (total > ATTACHMENT_LIMITS.replyMaxBytes)
      throw new ValidationError("attachments too large", [
        { field: "body.attachments", reason: `${total} bytes in all, over ${ATTACHMENT_LIMITS.replyMaxBytes}` },
      ]);
    // Copied, not moved: the uploads stay until the reply is stored (release), so a reply that fails
    // after this can be sent again with the same ids.
    await Promise.all(
      claimed.map(async (f) => {
        if (!(await this.deps.files.keepUpload(conversationId, f)))
          throw unknownUpload(uploadIds.indexOf(f.id), f.id, conversationId);
      }),
    );
    return claimed.map(({ etag: _etag, ...file }) => file);
  }

  /** After the reply that took them is stored: the uploads are no longer needed (best effort). */
  async release(conversationId: string, files: readonly Attachment[]): Promise<void> {
    await Promise.all(files.map((f) => this.deps.files.dropUpload(conversationId, f).catch(() => undefined)));
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

/**
 * Files go out with email replies only: a chat visitor's widget has nowhere to show them, and a form
 * conversation without the customer's address sends no email.
 */
function emailOnly(conv: Conversation, field: string): void {
  if ((conv.channelType === "email" || conv.channelType === "form") && conv.customerEmail) return;
  const reason =
    conv.channelType === "email" || conv.channelType === "form"
      ? `conversation ${conv.id} has no customer address to email the files to`
      : `conversation ${conv.id} is a ${conv.channelType} conversation`;
  throw new ValidationError("attachments go with email replies only", [{ field, reason }]);
}

function unknownUpload(index: number, id: string, conversationId: string): ValidationError {
  return new ValidationError("unknown upload", [
    { field: `body.attachments.${index}`, reason: `nothing was uploaded as ${id} for conversation ${conversationId}` },
  ]);
}
