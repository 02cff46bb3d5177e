import type { AutomaticKind, DeliveryReport } from "../../domain/types";

/**
 * Mail sent by machines (docs/routing.md §6.2), told from its headers: RFC 3834's `Auto-Submitted`, the
 * de facto `X-Autoreply`/`X-Autorespond` and `Precedence`, a mailing list's `List-Id`, an RFC 3464
 * delivery report or RFC 8098 read receipt (`multipart/report`), a `MAILER-DAEMON` or `postmaster` sender.
 */
export function automaticKind(mail: {
  header: (name: string) => string | undefined;
  from: string | null;
  parts: ReadonlyArray<{ mimeType: string }>;
}): AutomaticKind | null {
  const { header } = mail;
  const reportType = /^\s*multipart\/report\b/i.test(header("content-type") ?? "");
  const reportPart = mail.parts.some((p) => REPORT_PARTS.has(p.mimeType.toLowerCase()));
  if (reportType || reportPart || isMailSystem(mail.from)) return "report";
  const submitted = header("auto-submitted")?.trim().toLowerCase();
  if (submitted && !submitted.startsWith("no")) return "auto_reply";
  if (header("x-autoreply") !== undefined || header("x-autorespond") !== undefined) return "auto_reply";
  const precedence = header("precedence")?.trim().toLowerCase();
  if (precedence === "auto_reply") return "auto_reply";
  if (precedence === "bulk" || precedence === "junk" || precedence === "list") return "bulk";
  if (header("list-id") !== undefined) return "bulk";
  return null;
}

/** Parts that make a message a report whatever its top-level type says. */
const REPORT_PARTS = new Set(["message/delivery-status", "message/disposition-notification"]);

/** `MAILER-DAEMON@…` and `postmaster@…`: the mail system's own addresses (RFC 5321 §4.5.1). */
function isMailSystem(address: string | null): boolean {
  const local = address?.split("@")[0]?.toLowerCase();
  return local === "mailer-daemon" || local === "postmaster";
}

const MAX_FAILURES = 20;
const MAX_DIAGNOSTIC_CHARS = 300;

/**
 * Reads the machine-readable parts of a delivery report: the `message/delivery-status` fields of each
 * recipient whose `Action` is `failed`, and the ids in the returned message's headers
 * (`message/rfc822` or `text/rfc822-headers`). Null when the message carries no delivery status.
 */
export function deliveryReport(
  parts: ReadonlyArray<{ mimeType: string; text: () => string }>,
  messageIds: (header: string | undefined) => string[],
): DeliveryReport | null {
  const status = parts.find((p) => p.mimeType.toLowerCase() === "message/delivery-status");
  if (!status) return null;
  // The per-message block comes first, then one block per recipient, separated by blank lines.
  const blocks = status
    .text()
    .split(/\r?\n\s*\r?\n/)
    .map(headerFields);
  const failures = blocks
    .filter((f) => f.get("action")?.toLowerCase() === "failed")
    .flatMap((f) => {
      const recipient = addressOf(f.get("original-recipient") ?? f.get("final-recipient"));
      if (!recipient) return [];
      const diagnostic = typeless(f.get("diagnostic-code")) || f.get("status") || "delivery failed";
      return [{ recipient, diagnostic: diagnostic.slice(0, MAX_DIAGNOSTIC_CHARS) }];
    })
    .slice(0, MAX_FAILURES);
  const returned = parts.find((p) => RETURNED_PARTS.has(p.mimeType.toLowerCase()));
  const head = returned ? headerFields(returned.text().split(/\r?\n\r?\n/)[0] ?? "") : new Map<string, string>();
  const returnedIds = [
    ...messageIds(head.get("message-id")),
    ...messageIds(head.get("in-reply-to")),
    ...messageIds(head.get("references")),
  ];
  return { failures, returnedIds };
}

const RETURNED_PARTS = new Set(["message/rfc822", "text/rfc822-headers"]);

/** A block of `Name: value` lines, folded lines joined, names lowercased; the first of a name wins. */
function headerFields(block: string): Map<string, string> {
  const fields = new Map<string, string>();
  let last: string | null = null;
  for (const line of block.split(/\r?\n/)) {
    if (/^[ \t]/.test(line) && last) {
      fields.set(last, `${fields.get(last)} ${line.trim()}`);
      continue;
    }
    const m = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    last = m[1]!.toLowerCase();
    if (!fields.has(last)) fields.set(last, m[2]!.trim());
    else last = null;
  }
  return fields;
}

/** `rfc822; lee@x.example` → `lee@x.example` (the address type comes first, RFC 3464 §2.3.2). */
function addressOf(field: string | undefined): string | null {
  const address = typeless(field).replace(/^<|>$/g, "").toLowerCase();
  return /^[^@\s]+@[^@\s]+$/.test(address) && address.length <= 254 ? address : null;
}

/** `smtp; 550 5.1.1 user unknown` → `550 5.1.1 user unknown`. */
function typeless(field: string | undefined): string {
  if (!field) return "";
  const semi = field.indexOf(";");
  return (semi === -1 ? field : field.slice(semi + 1)).trim();
}
