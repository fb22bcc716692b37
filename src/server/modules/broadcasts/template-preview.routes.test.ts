import { beforeAll, describe, expect, it } from "vitest";
import { until } from "../../test/dispatch-harness.js";
import { useOfficeServer } from "../../test/office-broadcasts.js";

/**
 * The console's phone preview asks which template a broadcast of some shape goes out through:
 * the one approval would choose (a file's kind, a service notice's alert template first), as
 * WhatsApp (the sandbox) holds it and the server last synced it.
 */

interface Preview {
  kind: string;
  name: string;
  category: string;
  status: string;
  header: { format: string; text?: string } | null;
  body: string;
  footer: string | null;
  buttons: string[];
}

describe("the template preview of a broadcast", () => {
  const s = useOfficeServer("casale-marittimo");

  beforeAll(async () => {
    // The templates are synced at start, once the server listens.
    await until(
      "the templates synced at start",
      async () => {
        const response = await fetch(`${s.baseUrl}/api/tenants/casale-marittimo/templates`, {
          headers: s.office,
        });
        const got = (await response.json()) as { syncedAt: string | null };
        return got.syncedAt ?? undefined;
      },
      10_000,
    );
  }, 60_000);

  const preview = async (query: string, lang = "it") =>
    fetch(`${s.baseUrl}/api/tenants/casale-marittimo/broadcast-template?${query}`, {
      headers: { ...s.office, "accept-language": lang },
    });
  const shown = async (query: string) => {
    const response = await preview(query);
    expect(response.status, await response.clone().text()).toBe(200);
    return (await response.json()) as Preview;
  };

  it("shows the news template for a text, with its footer and button, {{1}} for the text", async () => {
    const text = await shown("");
    expect(text).toMatchObject({
      kind: "text",
      name: "notizia_comune",
      category: "MARKETING",
      status: "APPROVED",
      header: null,
      footer: "Comune di Casale Marittimo",
      buttons: ["Annulla iscrizione"],
    });
    expect(text.body).toMatch(/^Notizie dal Comune:\n\{\{1\}\}\n/);
  });

  it("shows the picture's or the document's template, its header where the file goes", async () => {
    expect(await shown("media=image")).toMatchObject({
      kind: "image",
      name: "notizia_immagine",
      header: { format: "IMAGE" },
      buttons: ["Annulla iscrizione"],
    });
    expect(await shown("media=document")).toMatchObject({
      kind: "document",
      name: "notizia_documento",
      header: { format: "DOCUMENT" },
    });
  });

  it("shows a service notice's template: urgent, or only service topics", async () => {
    const urgent = await shown("urgent=true");
    expect(urgent).toMatchObject({
      kind: "alert",
      name: "avviso_comune",
      category: "UTILITY",
      header: null,
      buttons: [],
    });
    expect(urgent.body).toMatch(/^Avviso del Comune:\n\{\{1\}\}\n/);
    expect((await shown("topics=protezione-civile,trasporti-viabilita")).name).toBe(
      "avviso_comune",
    );
    // One news topic among them: news, not a notice.
    expect((await shown("topics=protezione-civile,news")).name).toBe("notizia_comune");
    expect(await shown("urgent=true&media=image")).toMatchObject({
      kind: "alertImage",
      name: "avviso_immagine",
      header: { format: "IMAGE" },
    });
    // Casale names no alert template with a document: the plain one, as approval would.
    expect((await shown("urgent=true&media=document")).name).toBe("notizia_documento");
  });

  it("says so when the comune has no template for the broadcast's kind, in the staff's language", async () => {
    const video = await preview("media=video");
    expect(video.status).toBe(404);
    expect(((await video.json()) as { error: { code: string; message: string } }).error).toEqual({
      code: "TEMPLATE_NOT_CONFIGURED",
      message:
        "Il Comune non ha un modello WhatsApp per questo tipo di comunicazione: non si potrà approvarla così",
    });
    const english = await preview("media=video", "en");
    expect(((await english.json()) as { error: { message: string } }).error.message).toBe(
      "The comune has no WhatsApp template for this kind of broadcast: it cannot be approved like this",
    );
    const bad = await preview("media=audio");
    expect(bad.status).toBe(400);
  });
});
