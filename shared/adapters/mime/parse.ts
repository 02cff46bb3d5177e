import PostalMime, { addressParser } from "postal-mime";
import { ValidationError } from "../../domain/errors";
import type { AutomaticKind, DeliveryReport } from "../../domain/types";
import { automaticKind, deliveryReport } from "./automatic";
import { htmlToText } from "./html-text";

/** Hard caps for inbound mail: a hostile message is refused, never allowed to run long. */
export const MIME_LIMITS = {
  maxBytes: 10 * 1024 * 1024,
  maxNestingDepth: 20,
  maxHeadersSize: 256 * 1024,
  maxAttachments: 100,
  maxTextChars: 100_000,
} as const;

export interface ParsedEmail {
  messageId: string | null;
  inReplyTo: string[];
  references: string[];
  /** The first `From` mailbox; `alsoFrom` lists any others the header names (docs/routing.md §6). */
  from: { address: string; name?: string; alsoFrom?: string[] } | null;
  to: string[];
  subject: string;
  text: string;
  /** Every attachment, its bytes decoded (kept with the message, docs/routing.md §6.3). */
  attachments: Array<{ filename: string | null; mimeType: string; size: number; content: Uint8Array }>;
  /** Sent by a machine, as its headers tell (docs/routing.md §6.2); null = written by a person. */
  automatic: AutomaticKind | null;
  /** A delivery report's failed recipients and the ids of the message it returns. */
  report: DeliveryReport | null;
}

/**
 * Message-ids and addresses become parts of table keys (DynamoDB allows 2,048 bytes per partition key), so
 * longer ones than any real mail uses are ignored rather than allowed to fail the whole message.
 */
const MAX_MESSAGE_ID_BYTES = 500;
const MAX_ADDRESS_CHARS = 254;

/** Message-ids as they appear in headers: `<id@host>`, any number, separated by white space. */
function messageIds(header: string | undefined): string[] {
  if (!header) return [];
  const ids = [...header.matchAll(/<[^<>\s]+>/g)].map((m) => m[0]);
  return ids.filter((id) => Buffer.byteLength(id) <= MAX_MESSAGE_ID_BYTES);
}

const usable = (address: string | undefined): address is string => !!address && address.length <= MAX_ADDRESS_CHARS;

/** Parse raw MIME with postal-mime under hard caps (size, nesting, header bytes, attachment count). */
export async function parseEmail(raw: Buffer): Promise<ParsedEmail> {
  if (raw.length > MIME_LIMITS.maxBytes) {
    throw new ValidationError("message too large", [
      { field: "message", reason: `over ${MIME_LIMITS.maxBytes} bytes` },
    ]);
  }
  let email: Awaited<ReturnType<typeof PostalMime.parse>>;
  try {
    email = await PostalMime.parse(raw, {
      maxNestingDepth: MIME_LIMITS.maxNestingDepth,
      maxHeadersSize: MIME_LIMITS.maxHeadersSize,
      attachmentEncoding: "arraybuffer",
    });
  } catch (err) {
    throw new ValidationError("unreadable message", [{ field: "message", reason: (err as Error).message }]);
  }
  if (email.attachments.length > MIME_LIMITS.maxAttachments) {
    throw new ValidationError("too many parts", [
      { field: "message", reason: `${email.attachments.length} attachments, over ${MIME_LIMITS.maxAttachments}` },
    ]);
  }
  const header = (name: string) => email.headers.find((h) => h.key === name)?.value;
  const fromHtml = () => (email.html ? htmlToText(email.html, MIME_LIMITS.maxTextChars) : "");
  const text = (email.text?.trim() || fromHtml()).slice(0, MIME_LIMITS.maxTextChars);
  const sender = email.from?.address;
  const name = email.from?.name ? { name: email.from.name } : {};
  // postal-mime keeps the first mailbox of a `From` that names several; the others must not vanish.
  const alsoFrom = addressParser(header("from") ?? "")
    .flatMap((a) => ("address" in a && usable(a.address) ? [a.address.toLowerCase()] : []))
    .filter((a) => a !== sender?.toLowerCase());
  const others = alsoFrom.length > 0 ? { alsoFrom } : {};
  const from = usable(sender) ? { address: sender.toLowerCase(), ...name, ...others } : null;
  const parts = email.attachments.map((a) => ({ mimeType: a.mimeType, text: () => contentText(a.content) }));
  return {
    messageId: messageIds(email.messageId ?? header("message-id"))[0] ?? null,
    inReplyTo: messageIds(header("in-reply-to")),
    references: messageIds(header("references")),
    from,
    to: [...(email.to ?? []), ...(email.cc ?? [])].flatMap((a) => (usable(a.address) ? [a.address.toLowerCase()] : [])),
    subject: email.subject ?? "",
    text,
    attachments: email.attachments.map((a) => {
      const content = bytesOf(a.content);
      return { filename: a.filename, mimeType: a.mimeType, size: content.byteLength, content };
    }),
    automatic: automaticKind({ header, from: from?.address ?? null, parts }),
    report: deliveryReport(parts, messageIds),
  };
}

/** A part's bytes: postal-mime answers an ArrayBuffer (attachmentEncoding "arraybuffer"). */
function bytesOf(content: ArrayBuffer | Uint8Array | string): Uint8Array {
  if (typeof content === "string") return Buffer.from(content);
  return content instanceof Uint8Array ? content : new Uint8Array(content);
}

/** A report's machine-readable part as text: its fields are ASCII (RFC 3464 §2.1), at most 64 KiB. */
function contentText(content: ArrayBuffer | Uint8Array | string): string {
  return Buffer.from(bytesOf(content))
    .subarray(0, 64 * 1024)
    .toString("utf8");
}
