import { GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { ValidationError } from "../../domain/errors";

/** One factory for S3 clients; `endpoint` points it at s3rver locally and in tests. */
export function createS3Client(opts: { region: string; endpoint?: string | undefined }): S3Client {
  return new S3Client({
    region: opts.region,
    ...(opts.endpoint
      ? { endpoint: opts.endpoint, forcePathStyle: true, credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" } }
      : {}),
  });
}

/** Reads the raw MIME message SES stored, refusing anything over `maxBytes` before downloading it. */
export async function readRawMail(s3: S3Client, bucket: string, key: string, maxBytes: number): Promise<Buffer> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  if ((head.ContentLength ?? 0) > maxBytes) {
    throw new ValidationError("message too large", [{ field: "message", reason: `${head.ContentLength} bytes, over the ${maxBytes}-byte cap` }]);
  }
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}
