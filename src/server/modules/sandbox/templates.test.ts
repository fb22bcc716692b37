import { describe, expect, it } from "vitest";
import type { TemplateSendParams } from "./parsed-send.js";
import { seedTemplates } from "./template-seed.js";
import {
  TemplateRegistry,
  checkTemplateSend,
  renderTemplate,
  variablesOf,
  type Template,
} from "./templates.js";

const registry = new TemplateRegistry(() =>
  seedTemplates([
    { wabaId: "201", tenant: "concorezzo", name: "Comune di Concorezzo" },
    { wabaId: "201", tenant: "concorezzo", name: "Comune di Concorezzo (secondo numero)" },
    { wabaId: "202", tenant: "casale-marittimo", name: "Comune di Casale Marittimo" },
  ]),
);
const template = (name: string): Template => {
  const found = registry.find("201", name, "it");
  if (!found) throw new Error(`no ${name}`);
  return found;
};
const params = (over: Partial<TemplateSendParams>): TemplateSendParams => ({
  name: "x",
  language: "it",
  body: [],
  buttons: [],
  bodyGiven: true,
  ...over,
});
const texts = (...values: string[]) => values.map((text) => ({ text }));

describe("seed", () => {
  it("seeds each WABA once, with the demo templates approved in Italian", () => {
    expect(registry.list("201").map((t) => `${t.name}/${t.language}/${t.category}`)).toEqual([
      "avviso_protezione_civile/it/UTILITY",
      "notizia_comune/it/MARKETING",
      "evento_comune/it/MARKETING",
      "chiusura_strada/it/UTILITY",
      "conferma_iscrizione/it/UTILITY",
      "notizia_immagine/it/MARKETING",
      "notizia_documento/it/MARKETING",
      "avviso_comune/it/UTILITY",
      "avviso_immagine/it/UTILITY",
      "hello_world/en_US/UTILITY",
    ]);
    expect(registry.list("202")).toHaveLength(10);
    expect(new Set(registry.list().map((t) => t.id)).size).toBe(20);
  });

  it("writes texts Meta would approve: no variable at the start or end, limits respected", () => {
    for (const t of registry.list()) {
      for (const c of t.components) {
        if (c.type === "BODY" || (c.type === "HEADER" && c.format === "TEXT")) {
          expect(c.text.trim()).not.toMatch(/^\{\{|\}\}$/);
        }
        if (c.type === "BODY") expect(c.text.length).toBeLessThanOrEqual(1024);
        if (c.type === "FOOTER") expect(c.text.length).toBeLessThanOrEqual(60);
      }
    }
  });

  it("reset restores the seed after changes", () => {
    const local = new TemplateRegistry(() =>
      seedTemplates([{ wabaId: "9", tenant: "x", name: "X" }]),
    );
    const found = local.find("9", "notizia_comune", "it");
    if (found) found.status = "PAUSED";
    local.reset();
    expect(local.find("9", "notizia_comune", "it")?.status).toBe("APPROVED");
  });
});

describe("checkTemplateSend", () => {
  it("refuses missing, pending, paused and disabled templates with Meta's codes", () => {
    expect(checkTemplateSend(undefined, params({}))?.code).toBe(132001);
    const t = structuredClone(template("notizia_comune"));
    const p = params({ body: texts("x") });
    expect(checkTemplateSend(t, p)).toBeNull();
    for (const [status, code] of [
      ["PENDING", 132001],
      ["REJECTED", 132001],
      ["PAUSED", 132015],
      ["DISABLED", 132016],
    ] as const) {
      t.status = status;
      expect(checkTemplateSend(t, p)?.code).toBe(code);
    }
  });

  it("checks parameter counts per component", () => {
    const alert = template("avviso_protezione_civile");
    const header = { type: "text" as const, text: "allerta meteo" };
    expect(checkTemplateSend(alert, params({ header, body: texts("a", "b") }))).toBeNull();
    expect(checkTemplateSend(alert, params({ body: texts("a", "b") }))?.code).toBe(132000);
    expect(checkTemplateSend(alert, params({ header, body: texts("a") }))?.code).toBe(132000);
    expect(checkTemplateSend(alert, params({ header, body: texts("a", "b", "c") }))?.code).toBe(
      132000,
    );

    const event = template("evento_comune");
    const image = { type: "image" as const, media: { link: "https://example.org/a.jpg" } };
    const url = { subType: "url" as const, index: 0, text: "festa" };
    expect(
      checkTemplateSend(event, params({ header: image, body: texts("a", "b"), buttons: [url] })),
    ).toBeNull();
    expect(checkTemplateSend(event, params({ body: texts("a", "b"), buttons: [url] }))?.code).toBe(
      132000,
    );
    expect(checkTemplateSend(event, params({ header: image, body: texts("a", "b") }))?.code).toBe(
      132000,
    );
    expect(
      checkTemplateSend(event, params({ header, body: texts("a", "b"), buttons: [url] }))?.code,
    ).toBe(132012);
  });

  it("refuses newlines, tabs and more than 4 consecutive spaces in parameters (132018)", () => {
    const road = template("chiusura_strada");
    expect(
      checkTemplateSend(road, params({ body: texts("via Roma", "oggi", "lavori    urgenti") })),
    ).toBeNull();
    for (const bad of ["via\nRoma", "via\tRoma", "via     Roma"]) {
      expect(checkTemplateSend(road, params({ body: texts(bad, "oggi", "lavori") }))?.code).toBe(
        132018,
      );
    }
  });
});

describe("renderTemplate", () => {
  it("fills the variables and resolves buttons", () => {
    const rendered = renderTemplate(
      template("avviso_protezione_civile"),
      params({
        header: { type: "text", text: "allerta meteo" },
        body: texts("allerta arancione", "restare in casa"),
      }),
    );
    expect(rendered.text).toBe(
      "Protezione civile: allerta meteo in corso\n\nIl Comune informa: allerta arancione.\nIndicazioni per la popolazione: restare in casa.\nSegui gli aggiornamenti sui canali ufficiali del Comune.\n\nComune di Concorezzo",
    );
    const news = renderTemplate(template("notizia_comune"), params({ body: texts("x") }));
    expect(news.quickReplies).toEqual([
      { index: 0, title: "Annulla iscrizione", payload: "Annulla iscrizione" },
    ]);
    const event = renderTemplate(
      template("evento_comune"),
      params({
        body: texts("a", "b"),
        buttons: [{ subType: "url", index: 0, text: "festa-2026" }],
      }),
    );
    expect(event.urlButtons).toEqual([
      { title: "Dettagli", url: "https://concorezzo.example.it/eventi/festa-2026" },
    ]);
  });

  it("lists variables once, in order", () => {
    expect(variablesOf("{{2}} e {{1}} e {{2}} e {{ zona }}")).toEqual(["2", "1", "zona"]);
  });
});
