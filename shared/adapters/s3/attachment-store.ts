import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { ATTACHMENT_LIMITS } from "../../domain/attachments";
import type { AttachmentFile, AttachmentStore, SignedLink } from "../../domain/ports/attachments";
import type { Attachment } from "../../domain/types";

/**
 * Conversations' files in one S3 bucket (docs/routing.md §6.3): `files/<conversation>/<id>` with the
 * file name in the object's metadata, and uploads for replies under `uploads/<conversation>/<id>/<name>`,
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
    const filename = decodeURIComponent(head.Metadata?.filename ?? attachmentId);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: fileKey(conversationId, attachmentId),
      ResponseContentType: shown ? contentType : "application/octet-stream",
      ResponseContentDisposition: contentDisposition(shown ? "inline" : "attachment", filename),
    });
    return this.signed(command, ATTACHMENT_LIMITS.linkSeconds);
  }

  async uploadLink(conversationId: string, upload: Attachment): Promise<SignedLink> {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: uploadKey(conversationId, upload.id, upload.filename),
      ContentType: upload.contentType,
    });
    return {
      ...(await this.signed(command, ATTACHMENT_LIMITS.uploadSeconds)),
      headers: { "content-type": upload.contentType },
    };
  }

  async findUpload(conversationId: string, uploadId: string): Promise<Attachment | null> {
    const prefix = `uploads/${conversationId}/${uploadId}/`;
    const listed = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: 1 }));
    const object = listed.Contents?.[0];
    if (!object?.Key) return null;
    const head = await this.head(object.Key);
    if (!head) return null;
    return {
      id: uploadId,
      filename: decodeURIComponent(object.Key.slice(prefix.length)),
      contentType: head.ContentType ?? "application/octet-stream",
      size: head.ContentLength ?? object.Size ?? 0,
    };
  }

  async keepUpload(conversationId: string, upload: Attachment): Promise<void> {
    const from = uploadKey(conversationId, upload.id, upload.filename);
    await this.s3.send(
      new CopyObjectCommand({
        Bucket: this.bucket,
        CopySource: `${this.bucket}/${from.split("/").map(encodeURIComponent).join("/")}`,
        Key: fileKey(conversationId, upload.id),
        MetadataDirective: "REPLACE",
        ContentType: upload.contentType,
        Metadata: { filename: encodeURIComponent(upload.filename) },
      }),
    );
    // The lifecycle rule deletes it anyway; deleting now keeps the bucket tidy.
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: from })).catch(() => undefined);
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
const uploadKey = (conversationId: string, id: string, filename: string) =>
  `uploads/${conversationId}/${id}/${encodeURIComponent(filename)}`;

/** RFC 6266: an ASCII `filename` for old clients, the exact name in `filename*`. */
export function contentDisposition(type: "inline" | "attachment", filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`;
}
