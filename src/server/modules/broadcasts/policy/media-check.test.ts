import { describe, expect, it } from "vitest";
import { checkUpload } from "../../sandbox/media-rules.js";
import { checkMedia, MEDIA_RULES, mediaKindOf, type BroadcastMediaKind } from "./media-check.js";

const MB = 1024 * 1024;

describe("media check", () => {
  it("accepts a JPEG image of 5 MB and refuses one byte more, naming the limit", () => {
    expect(checkMedia({ kind: "image", mimeType: "image/jpeg", sizeBytes: 5 * MB })).toEqual([]);
    const [note] = checkMedia({ kind: "image", mimeType: "image/jpeg", sizeBytes: 6.2 * MB });
    expect(note?.rule).toBe("media.size");
    expect(note?.why.it).toBe(
      "L'immagine pesa 6,2 MB: WhatsApp accetta al massimo 5 MB per un'immagine.",
    );
    expect(note?.why.en).toBe("The image is 6.2 MB: WhatsApp takes at most 5 MB for an image.");
  });

  it("names the type and what the kind accepts", () => {
    const [note] = checkMedia({ kind: "image", mimeType: "image/gif", sizeBytes: 1000 });
    expect(note?.why.it).toBe(
      "Il tipo di file «image/gif» non è ammesso per un'immagine: WhatsApp accetta JPEG e PNG.",
    );
    expect(note?.todo.it).toBe("Converti il file in JPEG o PNG.");
    expect(
      checkMedia({ kind: "video", mimeType: "video/quicktime", sizeBytes: 1 })[0]?.why.it,
    ).toBe(
      "Il tipo di file «video/quicktime» non è ammesso per un video: WhatsApp accetta MP4 e 3GPP (video H.264, audio AAC).",
    );
  });

  it("takes the kind from the MIME type when staff did not choose one", () => {
    expect(mediaKindOf("application/pdf; name=avviso.pdf")).toBe("document");
    expect(checkMedia({ mimeType: "application/pdf", sizeBytes: 2 * MB })).toEqual([]);
    expect(checkMedia({ mimeType: "video/mp4", sizeBytes: 17 * MB })[0]?.why.it).toBe(
      "Il video pesa 17 MB: WhatsApp accetta al massimo 16 MB per un video.",
    );
    expect(checkMedia({ mimeType: "audio/ogg", sizeBytes: 10 })[0]?.why.it).toContain(
      "«audio/ogg» non si può inviare",
    );
  });

  it("allows documents up to 100 MB and refuses empty files", () => {
    expect(checkMedia({ kind: "document", mimeType: "text/plain", sizeBytes: 100 * MB })).toEqual(
      [],
    );
    expect(checkMedia({ kind: "document", mimeType: "text/plain", sizeBytes: 0 })[0]?.rule).toBe(
      "media.empty",
    );
  });

  it("agrees with the sandbox's copy of Meta's table, type by type", () => {
    for (const kind of Object.keys(MEDIA_RULES) as BroadcastMediaKind[]) {
      const rule = MEDIA_RULES[kind];
      for (const mime of rule.mimeTypes) {
        expect(checkUpload(mime, rule.maxBytes)).toEqual({ ok: true, kind });
        expect(checkUpload(mime, rule.maxBytes + 1).ok).toBe(false);
      }
    }
  });
});
