import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { ATTACHMENT_LIMITS } from "../../domain/attachments";
import type { AttachmentFile, AttachmentStore, FoundUpload, SignedLink } from "../../domain/ports/attachments";
import type { Attachment } from "../../domain/types";

/**
 * Conversations' files in one S3 bucket (docs/routing.md §6.3): `files/<conversation>/<id>` with the
 * file name in the object's metadata, and uploads for replies under `uploads/<conversation>/<id>` (the name
 * in metadata too),
 * which a lifecycle rule deletes after a day unless a reply took them. Links are presigned (5 minutes
 * to download, 15 to upload); a download is served inline only for the types the domain allows, and as
 * `application/octet-stream` with `Content-Disposition: attachment` otherwise.
 */
export class S3AttachmentStore implements AttachmentStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(conversationId: string, file: AttachmentFile): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: fileKey(conversationId, file.id),
        Body: file.content,
        ContentType: file.contentType,
        Metadata: { filename: encodeURIComponent(file.filename) },
      }),
    );
  }

  async link(
    conversationId: string,
    attachmentId: string,
    inline: (contentType: string) => boolean,
  ): Promise<SignedLink | null> {
    const head = await this.head(fileKey(conversationId, attachmentId));
    if (!head) return null;
    const contentType = head.ContentType ?? "application/octet-stream";
    const shown = inline(contentType);
    const filename = decodeName(head.Metadata?.filename, attachmentId);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: fileKey(conversationId, attachmentId),
      ResponseContentType: shown ? contentType : "application/octet-stream",
      ResponseContentDisposition: contentDisposition(shown ? "inline" : "attachment", filename),
    });
    return this.signed(command, ATTACHMENT_LIMITS.linkSeconds);
  }

  async uploadLink(conversationId: string, upload: Attachment): Promise<SignedLink> {
    const filename = encodeURIComponent(upload.filename);
    // Content-Length is signed: the browser can put exactly the size it declared, nothing larger.
    // The name rides in the object's metadata, a signed header the browser must send as given.
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: uploadKey(conversationId, upload.id),
      ContentType: upload.contentType,
      ContentLength: upload.size,
      Metadata: { filename },
    });
    const link = await getSignedUrl(this.s3, command, {
      expiresIn: ATTACHMENT_LIMITS.uploadSeconds,
      signableHeaders: new Set(["content-type", "content-length"]),
      unhoistableHeaders: new Set(["x-amz-meta-filename"]),
    });
    return {
      url: link,
      expiresAt: new Date(Date.now() + ATTACHMENT_LIMITS.uploadSeconds * 1000).toISOString(),
      headers: { "content-type": upload.contentType, "x-amz-meta-filename": filename },
    };
  }

  async findUpload(conversationId: string, uploadId: string): Promise<FoundUpload | null> {
    const head = await this.head(uploadKey(conversationId, uploadId));
    if (!head) return null;
    return {
      id: uploadId,
      filename: decodeName(head.Metadata?.filename, uploadId),
      contentType: head.ContentType ?? "application/octet-stream",
      size: head.ContentLength ?? 0,
      ...(head.ETag ? { etag: head.ETag } : {}),
    };
  }

  async keepUpload(conversationId: string, upload: FoundUpload): Promise<boolean> {
    const from = uploadKey(conversationId, upload.id);
    try {
      await this.s3.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          CopySource: `${this.bucket}/${from}`,
          // The object whose size was checked, not one put over it since.
          ...(upload.etag ? { CopySourceIfMatch: upload.etag } : {}),
          Key: fileKey(conversationId, upload.id),
          MetadataDirective: "REPLACE",
          ContentType: upload.contentType,
          Metadata: { filename: encodeURIComponent(upload.filename) },
        }),
      );
      return true;
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || status === 412) return false;
      throw err;
    }
  }

  async dropUpload(conversationId: string, upload: Attachment): Promise<void> {
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: uploadKey(conversationId, upload.id) }));
  }

  async read(conversationId: string, attachment: Attachment): Promise<AttachmentFile> {
    const out = await this.s3.send(
      new GetObjectCommand({ Bucket: this.bucket, Key: fileKey(conversationId, attachment.id) }),
    );
    return { ...attachment, content: await out.Body!.transformToByteArray() };
  }

  private async head(key: string) {
    try {
      return await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (err as { name?: string }).name === "NotFound") return null;
      throw err;
    }
  }

  private async signed(command: GetObjectCommand | PutObjectCommand, seconds: number): Promise<SignedLink> {
    const url = await getSignedUrl(this.s3, command, { expiresIn: seconds });
    // The signature is made on the system clock, so the expiry is counted from it too.
    return { url, expiresAt: new Date(Date.now() + seconds * 1000).toISOString() };
  }
}

const fileKey = (conversationId: string, id: string) => `files/${conversationId}/${id}`;
const uploadKey = (conversationId: string, id: string) => `uploads/${conversationId}/${id}`;

/** A name kept percent-encoded in metadata; a malformed one (not ours) falls back to the id. */
function decodeName(stored: string | undefined, fallback: string): string {
  try {
    return stored ? decodeURIComponent(stored) : fallback;
  } catch {
    return fallback;
  }
}

/** RFC 5987 `attr-char`: percent-encodes what encodeURIComponent leaves but a `filename*` may not hold. */
const rfc5987 = (s: string) =>
  encodeURIComponent(s).replace(/['()*!]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** RFC 6266: an ASCII `filename` for old clients, the exact name in `filename*`. */
export function contentDisposition(type: "inline" | "attachment", filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `${type}; filename="${ascii}"; filename*=UTF-8''${rfc5987(filename)}`;
}
