import type { Attachment } from "../types";

/** An upload as found: its ETag pins the object the size was checked on. */
export interface FoundUpload extends Attachment {
  etag?: string;
}

/** A file and its bytes, on its way into the store or out with an email. */
export interface AttachmentFile extends Attachment {
  content: Uint8Array;
}

/** A short-lived link: to download a file, or to upload one (PUT, with these headers). */
export interface SignedLink {
  url: string;
  expiresAt: string;
  headers?: Record<string, string>;
}

/**
 * The files of conversations (docs/routing.md §6.3), kept per conversation: deployed an S3 bucket,
 * locally the S3 emulator. Nothing here checks who asks: the attachment service does.
 */
export interface AttachmentStore {
  /** Keeps a file of the conversation; the same id again overwrites it (a redelivered email). */
  put(conversationId: string, file: AttachmentFile): Promise<void>;
  /** A link to one of the conversation's files, served inline or as a download; null if it has none by that id. */
  link(
    conversationId: string,
    attachmentId: string,
    inline: (contentType: string) => boolean,
  ): Promise<SignedLink | null>;
  /** Where the browser uploads a file for a reply (it joins the conversation only once claimed). */
  uploadLink(conversationId: string, upload: Attachment): Promise<SignedLink>;
  /** What was uploaded for the conversation under this id, or null if nothing was. */
  findUpload(conversationId: string, uploadId: string): Promise<FoundUpload | null>;
  /**
   * Copies an upload into the conversation's files (it is then linked and read like any other), if it is
   * still the object `findUpload` saw; false when it is gone or was replaced since.
   */
  keepUpload(conversationId: string, upload: FoundUpload): Promise<boolean>;
  /** Deletes an upload a reply has taken. */
  dropUpload(conversationId: string, upload: Attachment): Promise<void>;
  /** The bytes of one of the conversation's files, to send them with an email. */
  read(conversationId: string, attachment: Attachment): Promise<AttachmentFile>;
}
