/** docs/routing.md §6.3: file names and types as they reach headers and S3 keys. */
import { describe, expect, it } from "vitest";
import { contentDisposition } from "#shared/adapters/s3/attachment-store";
import { ATTACHMENT_LIMITS, safeContentType, safeFilename, servesInline } from "#shared/domain/attachments";

describe("file names and types", () => {
  it("a name loses directories, control and quoting characters and lone surrogates, keeps its extension", () => {
    expect(safeFilename("../../etc/passwd", "x")).toBe("passwd");
    expect(safeFilename('C:\\Users\\kim\\a"b<c>.pdf', "x")).toBe("abc.pdf");
    expect(safeFilename("line\r\nbreak.txt", "x")).toBe("linebreak.txt");
    expect(safeFilename("bad\ud800name.pdf", "x")).toBe("badname.pdf");
    expect(safeFilename("..", "fallback")).toBe("fallback");
    expect(safeFilename(null, "fallback")).toBe("fallback");
  });

  it("a long name is cut by characters, never inside one, within 200 characters and 600 encoded bytes", () => {
    for (const unit of ["a", "\u00e9", "\u6f22", "\u{1F600}"]) {
      const name = safeFilename(`${unit.repeat(400)}.pdf`, "x");
      expect(name.endsWith(".pdf")).toBe(true);
      expect([...name].length).toBeLessThanOrEqual(ATTACHMENT_LIMITS.filenameChars);
      expect(encodeURIComponent(name).length).toBeLessThanOrEqual(ATTACHMENT_LIMITS.filenameBytes);
    }
  });

  it("a declared type that is no media type is a download of bytes", () => {
    expect(safeContentType("Image/PNG")).toBe("image/png");
    expect(safeContentType("image/\u4e2d")).toBe("application/octet-stream");
    expect(safeContentType("text/html\r\nX-Evil: 1")).toBe("application/octet-stream");
    expect(safeContentType(undefined)).toBe("application/octet-stream");
    expect(servesInline("image/svg+xml")).toBe(false);
    expect(servesInline("text/html")).toBe(false);
    expect(servesInline("image/png; name=a")).toBe(true);
  });

  it("Content-Disposition carries an ASCII name and the exact one in RFC 5987 form", () => {
    expect(contentDisposition("attachment", "O'Brien (1).pdf")).toBe(
      "attachment; filename=\"O'Brien (1).pdf\"; filename*=UTF-8''O%27Brien%20%281%29.pdf",
    );
    expect(contentDisposition("inline", 'M\u00e4rz "x".png')).toBe(
      "inline; filename=\"M_rz _x_.png\"; filename*=UTF-8''M%C3%A4rz%20%22x%22.png",
    );
  });
});
