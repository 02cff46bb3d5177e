import type { Readable } from "node:stream";
import { GetObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";

/** One factory for S3 clients; `endpoint` points it at s3rver locally and in tests. */
export function createS3Client(opts: { region: string; endpoint?: string | undefined }): S3Client {
  return new S3Client({
    region: opts.region,
    ...(opts.endpoint
      ? {
          endpoint: opts.endpoint,
          forcePathStyle: true,
          credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
        }
      : {}),
  });
}

/** A leaf part of a message as its headers describe it; `bytes` is its encoded size in the message. */
export interface PartSummary {
  mimeType: string;
  filename: string | null;
  bytes: number;
  /** Where the part starts in the message: parts past the head were not read. */
  offset: number;
}

export type RawEmail =
  | { kind: "whole"; raw: Buffer }
  /** Over the cap: its first `head.length` bytes, and every part it has, found in one streaming pass. */
  | { kind: "oversized"; size: number; head: Buffer; parts: PartSummary[] };

/** How much of an oversized message is kept for parsing: the headers and, usually, the text. */
export const OVERSIZED_HEAD_BYTES = 1024 * 1024;

/**
 * Reads the raw MIME message SES stored. Up to `maxBytes` it is read whole; a bigger one (SES accepts
 * up to 40 MB) is streamed once, keeping only its head and a summary of its parts, so memory stays flat.
 */
export async function readRawEmail(s3: S3Client, bucket: string, key: string, maxBytes: number): Promise<RawEmail> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const size = head.ContentLength ?? 0;
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (size <= maxBytes) return { kind: "whole", raw: Buffer.from(await out.Body!.transformToByteArray()) };
  const scanner = new PartScanner(OVERSIZED_HEAD_BYTES);
  for await (const chunk of out.Body as Readable) scanner.push(chunk as Buffer);
  return { kind: "oversized", size, ...scanner.end() };
}

const HEADER_LINE = /^([A-Za-z0-9-]+):\s*(.*)$/;
const param = (value: string, name: string) =>
  new RegExp(`(?:^|;)\\s*${name}\\*?=\\s*(?:"([^"]*)"|([^;\\s]*))`, "i").exec(value);

/**
 * Finds each part of a MIME message by its boundaries, learnt from the `boundary=` parameters as they
 * appear (top level and nested multiparts), reading only header lines and lines that start with `--`.
 */
class PartScanner {
  private readonly headChunks: Buffer[] = [];
  private headLength = 0;
  private rest = Buffer.alloc(0);
  private offset = 0;
  private readonly boundaries = new Set<string>();
  private readonly parts: PartSummary[] = [];
  /** Header lines of the part being read (unfolded), or null while in a body. */
  private headers: string[] | null = [];
  private current: PartSummary | null = null;

  constructor(private readonly headBytes: number) {}

  push(chunk: Buffer): void {
    if (this.headLength < this.headBytes) {
      const keep = chunk.subarray(0, this.headBytes - this.headLength);
      this.headChunks.push(keep);
      this.headLength += keep.length;
    }
    let data = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a)) {
      this.line(data.subarray(0, nl + 1));
      data = data.subarray(nl + 1);
    }
    this.rest = Buffer.from(data);
  }

  end(): { head: Buffer; parts: PartSummary[] } {
    if (this.rest.length > 0) this.line(this.rest);
    this.close();
    return { head: Buffer.concat(this.headChunks), parts: this.parts };
  }

  private line(raw: Buffer): void {
    const start = this.offset;
    this.offset += raw.length;
    if (this.headers === null) {
      // In a body: only a known boundary line matters (base64 never starts with "--").
      if (raw[0] !== 0x2d || raw[1] !== 0x2d) return;
      const text = raw.toString("latin1").trimEnd();
      const b = text.endsWith("--") && this.boundaries.has(text.slice(2, -2)) ? text.slice(2, -2) : text.slice(2);
      if (!this.boundaries.has(b)) return;
      this.close(start);
      if (!text.endsWith(`${b}--`)) this.headers = [];
      return;
    }
    const text = raw.toString("latin1").replace(/\r?\n$/, "");
    if (text !== "") {
      if (/^[ \t]/.test(text) && this.headers.length > 0) this.headers[this.headers.length - 1] += ` ${text.trim()}`;
      else this.headers.push(text);
      return;
    }
    this.startBody(this.offset);
  }

  private startBody(offset: number): void {
    const fields = new Map<string, string>();
    for (const h of this.headers ?? []) {
      const m = HEADER_LINE.exec(h);
      if (m) fields.set(m[1]!.toLowerCase(), m[2]!);
    }
    this.headers = null;
    const type = fields.get("content-type") ?? "text/plain";
    const mimeType = type.split(";")[0]!.trim().toLowerCase();
    if (mimeType.startsWith("multipart/")) {
      const b = param(type, "boundary");
      if (b) this.boundaries.add(b[1] ?? b[2]!);
      return;
    }
    const name = param(fields.get("content-disposition") ?? "", "filename") ?? param(type, "name");
    this.current = { mimeType, filename: name ? (name[1] ?? name[2] ?? null) : null, bytes: 0, offset };
  }

  private close(at = this.offset): void {
    if (!this.current) return;
    this.parts.push({ ...this.current, bytes: at - this.current.offset });
    this.current = null;
  }
}
