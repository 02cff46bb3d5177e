import { describe, expect, it } from "vitest";
import { automaticKind, deliveryReport } from "#shared/adapters/mime/automatic";

const kind = (headers: Record<string, string>, from: string | null = "kim@customer.example", parts: string[] = []) =>
  automaticKind({
    header: (name) => headers[name],
    from,
    parts: parts.map((mimeType) => ({ mimeType })),
  });
const ids = (h: string | undefined) => [...(h ?? "").matchAll(/<[^<>\s]+>/g)].map((m) => m[0]);

describe("what makes mail automatic (docs/routing.md §6.2)", () => {
  it("RFC 3834 Auto-Submitted: anything but `no`", () => {
    expect(kind({ "auto-submitted": "auto-replied" })).toBe("auto_reply");
    expect(kind({ "auto-submitted": "auto-generated; owner-email=x@y" })).toBe("auto_reply");
    expect(kind({ "auto-submitted": "No" })).toBeNull();
  });

  it("Precedence and List-Id: auto_reply for auto_reply, bulk for bulk, junk, list or a list's id", () => {
    expect(kind({ precedence: "auto_reply" })).toBe("auto_reply");
    for (const p of ["bulk", "junk", "list", " Bulk "]) expect(kind({ precedence: p })).toBe("bulk");
    expect(kind({ precedence: "first-class" })).toBeNull();
    expect(kind({ "list-id": "<dev.lists.example>" })).toBe("bulk");
  });

  it("reports by their type or their parts, and the mail system's own senders", () => {
    expect(kind({ "content-type": "multipart/report; report-type=delivery-status" })).toBe("report");
    expect(kind({}, "kim@customer.example", ["message/disposition-notification"])).toBe("report");
    expect(kind({}, "MAILER-DAEMON@mx.example")).toBe("report");
    expect(kind({}, "postmaster@mx.example")).toBe("report");
    expect(kind({}, "postmasters@mx.example")).toBeNull();
    expect(kind({ "x-autorespond": "" })).toBe("auto_reply");
  });

  it("a delivery report: failed recipients only, their diagnostic, and the returned message's ids", () => {
    const status = [
      "Reporting-MTA: dns; mx.example",
      "",
      "Final-Recipient: rfc822; ok@x.example",
      "Action: delivered",
      "Status: 2.0.0",
      "",
      "Original-Recipient: rfc822;<Lee@X.example>",
      "Final-Recipient: rfc822; lee@x.example",
      "Action: failed",
      "Status: 5.2.2",
      "Diagnostic-Code: smtp; 552 mailbox",
      "  full",
      "",
      "Final-Recipient: rfc822; sam@x.example",
      "Action: failed",
      "Status: 4.4.7",
    ].join("\r\n");
    const headers = "Message-ID: <ours@ses>\r\nIn-Reply-To: <theirs@x>\r\nReferences: <a@x>\r\n <theirs@x>\r\n\r\nbody";
    const report = deliveryReport(
      [
        { mimeType: "message/delivery-status", text: () => status },
        { mimeType: "message/rfc822", text: () => headers },
      ],
      ids,
    );
    expect(report).toEqual({
      failures: [
        { recipient: "lee@x.example", diagnostic: "552 mailbox full" },
        { recipient: "sam@x.example", diagnostic: "4.4.7" },
      ],
      returnedIds: ["<ours@ses>", "<theirs@x>", "<a@x>", "<theirs@x>"],
    });
    expect(deliveryReport([{ mimeType: "text/plain", text: () => "" }], ids)).toBeNull();
  });
});
