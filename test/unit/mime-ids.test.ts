import { describe, expect, it } from "vitest";
import { parseEmail } from "#shared/adapters/mime/parse";

describe("hostile header values never reach a table key", () => {
  it(
    "a Message-ID, In-Reply-To or References id over 500 " + "bytes is ignored; over-long addresses count as none",
    async () => {
      const long = `<${"a".repeat(3000)}@x.example>`;
      const wide = `<${"é".repeat(300)}@x.example>`;
      const raw = Buffer.from(
        `From: ${"k".repeat(300)}@customer.example\r\nTo: ${"h".repeat(300)}@shop.example, help@shop.example\r\n` +
          `Subject: x\r\nMessage-ID: ${long}\r\nIn-Reply-To: ${wide}\r\n` +
          `References: <ok@x.example> ${long}\r\n\r\nhi\r\n`,
      );
      const parsed = await parseEmail(raw);
      expect(parsed.messageId).toBeNull();
      expect(parsed.inReplyTo).toEqual([]);
      expect(parsed.references).toEqual(["<ok@x.example>"]);
      expect(parsed.from).toBeNull();
      expect(parsed.to).toEqual(["help@shop.example"]);
    },
  );
});
