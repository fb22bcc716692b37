import { parseFeed } from "@rowanmanning/feed-parser";
import Fastify from "fastify";
import jsQRModule from "jsqr";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PDFDocument } from "pdf-lib";
import { PNG } from "pngjs";
import { parseDocument } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, SHIPPED_TENANTS_DIR, type TestApp } from "../../test/build-test-app.js";
import { testEngines } from "../../test/engines.js";
import { buildBroadcast } from "../../test/factories.js";
import { storeMediaFile } from "../media/media.service.js";
import { atomProblems, rss2Problems } from "../../test/feed-rules.js";
import { placeholders } from "../citizens/texts.js";
import { formatIssue } from "../../config/tenants.js";
import { tenantFileSchema } from "../../config/tenant-schema.js";
import { publicRoutes } from "./public.routes.js";

/**
 * The public pages through the real app (inject): what a citizen, a feed reader or a search
 * engine gets at /c/{slug}/…. The browser tests (e2e/public-pages.test.ts) look at them in
 * chromium.
 */

const CONCOREZZO = "concorezzo";
const CASALE = "casale-marittimo";
const DAY = 86_400_000;
// jsqr is CommonJS with a default export: under nodenext the function is its `default`.
type Decode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR = ((jsQRModule as unknown as { default?: Decode }).default ??
  jsQRModule) as unknown as Decode;
const flat = (text: string) => text.replace(/\s+/g, " ").replace(/> </g, "><");

describe.each(testEngines())("the public pages on %s", (engine) => {
  let t: TestApp;
  /** The answer, its body with runs of white space as one space (the markup is formatted). */
  const get = async (url: string, headers: Record<string, string> = {}) => {
    const res = await t.app.inject({ method: "GET", url, headers });
    return Object.assign(res, { body: flat(res.body) });
  };

  /** A broadcast row as the workflow leaves it; public and sent unless told otherwise. */
  const broadcast = (over: {
    tenant?: string;
    title: string;
    text: string;
    status?: string;
    public?: boolean;
    topics?: string[];
    startedAt?: number;
    createdBy?: number | null;
  }) =>
    buildBroadcast(t.database.db, {
      tenant_id: over.tenant ?? CONCOREZZO,
      title: over.title,
      content: JSON.stringify({ type: "text", body: over.text }),
      status: over.status ?? "sent",
      public: over.public === false ? 0 : 1,
      topics: JSON.stringify(over.topics ?? []),
      started_at: over.startedAt ?? Date.UTC(2026, 10, 20, 10),
      finished_at: over.startedAt ?? Date.UTC(2026, 10, 20, 10),
      created_by: over.createdBy ?? null,
    });

  beforeAll(async () => {
    t = await buildTestApp({ engine });
  });
  afterAll(async () => {
    await t.close();
  });

  describe("the service page", () => {
    it.each([
      [CONCOREZZO, "WhatsConcorezzo", "https://wa.me/393665784663?text=ATTIVA%20ISCRIZIONE"],
      [
        CASALE,
        "WhatsApp del Comune di Casale Marittimo",
        "https://wa.me/393760088777?text=Nome%2C%20Cognome%20%2B%20ATTIVA",
      ],
    ])(
      "%s: says what the service is and links to WhatsApp with the phrase",
      async (slug, name, waMe) => {
        const res = await get(`/c/${slug}/`);
        expect(res.statusCode).toBe(200);
        expect(res.headers["content-type"]).toBe("text/html; charset=utf-8");
        expect(res.body).toContain('<html lang="it">');
        expect(res.body).toContain(`<h1 class="mb-3">${name}</h1>`);
        expect(res.body).toContain(`href="${waMe}"`);
        expect(res.body).toContain("Iscriviti su WhatsApp");
        // Free and private: in the service's own words (Casale's `publicIntro`), or in ours.
        if (slug === CASALE) {
          expect(res.body).toContain(
            '<p class="lead">Il servizio WhatsApp del Comune di Casale Marittimo informa i cittadini',
          );
          expect(res.body).toContain("Il servizio è gratuito e non sostituisce i canali di sempre");
          expect(res.body).toContain("nessuno vede gli altri contatti");
          expect(res.body).toContain(
            'il sito <a href="https://www.comune.casale-marittimo.pi.it">https://www.comune.casale-marittimo.pi.it</a>',
          );
        } else {
          expect(res.body).toContain("Il servizio è gratuito.");
          expect(res.body).toContain("nessuno vede il tuo numero");
        }
        expect(res.body).toContain(`src="/c/${slug}/qr.svg"`);
        // No script at all, and the styles from this server only.
        expect(res.body).not.toMatch(/<script/i);
        expect(res.body).not.toMatch(/(href|src)="https?:\/\/(?!wa\.me|www\.comune)/);
        expect(res.headers["content-security-policy"]).toContain("script-src 'none'");
        expect(res.headers["content-security-policy"]).toContain("frame-ancestors 'none'");
      },
    );

    it("gives Concorezzo's hours and no topics, Casale's topics and its confirmation step", async () => {
      const concorezzo = (await get(`/c/${CONCOREZZO}/`)).body;
      expect(concorezzo).toContain("dal lunedì al venerdì, dalle 9 alle 13");
      expect(concorezzo).not.toContain("Gli argomenti");
      expect(concorezzo).toContain("«DISATTIVA ISCRIZIONE»");
      const casale = (await get(`/c/${CASALE}/`)).body;
      expect(casale).toContain("<li>Protezione civile</li>");
      expect(casale).toContain("scrivi «ARGOMENTI»");
      expect(casale).toContain("tocca «Confermo»");
      expect(casale).toContain("«Nome, Cognome + DISATTIVA»");
    });

    it("speaks English with ?lang=en or Accept-Language, and keeps ?lang in its links", async () => {
      const byQuery = await get(`/c/${CONCOREZZO}/?lang=en`);
      expect(byQuery.body).toContain('<html lang="en">');
      expect(byQuery.body).toContain("Subscribe on WhatsApp");
      expect(byQuery.body).toContain("Monday to Friday, 9 am to 1 pm");
      expect(byQuery.body).toContain(`href="/c/${CONCOREZZO}/archivio?lang=en"`);
      const byHeader = await get(`/c/${CONCOREZZO}/`, { "accept-language": "en-GB,en;q=0.9" });
      expect(byHeader.body).toContain("Subscribe on WhatsApp");
      expect(byHeader.body).toContain(`href="/c/${CONCOREZZO}/archivio"`);
      expect(byHeader.headers.vary).toBe("Accept-Language");
    });

    it("answers a conditional GET with 304 and the same ETag", async () => {
      const first = await get(`/c/${CONCOREZZO}/regolamento`);
      const etag = first.headers.etag as string;
      expect(etag).toMatch(/^"[\w-]+"$/);
      expect(first.headers["cache-control"]).toBe("public, max-age=60");
      const again = await get(`/c/${CONCOREZZO}/regolamento`, { "if-none-match": etag });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe("");
      const other = await get(`/c/${CONCOREZZO}/regolamento`, { "if-none-match": '"other"' });
      expect(other.statusCode).toBe(200);
    });

    it("redirects /c/{slug} to /c/{slug}/, and an unknown comune is an HTML 404", async () => {
      const bare = await get(`/c/${CONCOREZZO}?lang=en`);
      expect(bare.statusCode).toBe(301);
      expect(bare.headers.location).toBe(`/c/${CONCOREZZO}/?lang=en`);
      const unknown = await get("/c/atlantide/");
      expect(unknown.statusCode).toBe(404);
      expect(unknown.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(unknown.body).toContain("Pagina non trovata");
    });
  });

  describe("the QR code", () => {
    it.each([
      [CONCOREZZO, "https://wa.me/393665784663?text=ATTIVA%20ISCRIZIONE"],
      [CASALE, "https://wa.me/393760088777?text=Nome%2C%20Cognome%20%2B%20ATTIVA"],
    ])("%s: the PNG decodes to the wa.me link, and the SVG is served", async (slug, waMe) => {
      const png = await get(`/c/${slug}/qr.png`);
      expect(png.headers["content-type"]).toBe("image/png");
      const image = PNG.sync.read(png.rawPayload);
      const code = jsQR(new Uint8ClampedArray(image.data), image.width, image.height);
      expect(code?.data).toBe(waMe);
      const svg = await get(`/c/${slug}/qr.svg`);
      expect(svg.headers["content-type"]).toBe("image/svg+xml");
      expect(svg.body).toMatch(/^<svg[^>]*viewBox/);
    });
  });

  describe("the poster", () => {
    it.each([CONCOREZZO, CASALE])(
      "%s: the PDF is one A4 page with the number and the phrase",
      async (slug) => {
        const res = await get(`/c/${slug}/locandina.pdf`);
        expect(res.statusCode).toBe(200);
        expect(res.headers["content-type"]).toBe("application/pdf");
        const pdf = await PDFDocument.load(res.rawPayload);
        expect(pdf.getPageCount()).toBe(1);
        const { width, height } = pdf.getPage(0).getSize();
        expect([Math.round(width), Math.round(height)]).toEqual([595, 842]);
        expect(pdf.getTitle()).toContain("Le notizie del Comune su WhatsApp");
      },
    );

    it("prints the number, the phrase and the hours on the page", async () => {
      const res = await get(`/c/${CONCOREZZO}/locandina`);
      expect(res.body).toContain('<p class="poster-number">+39 366 578 4663</p>');
      expect(res.body).toContain('<p class="poster-message">ATTIVA ISCRIZIONE</p>');
      expect(res.body).toContain("Attivo dal lunedì al venerdì, dalle 9 alle 13.");
      expect(res.body).toContain(`href="/c/${CONCOREZZO}/locandina.pdf"`);
    });
  });

  describe("the regulation and the privacy notice", () => {
    it.each([CONCOREZZO, CASALE])("%s: each with its title, version and date", async (slug) => {
      const tenant = t.tenants.find((x) => x.slug === slug);
      for (const [url, doc] of [
        [`/c/${slug}/regolamento`, tenant?.documents.regulation],
        [`/c/${slug}/privacy`, tenant?.documents.privacyNotice],
      ] as const) {
        const res = await get(url);
        expect(res.statusCode).toBe(200);
        expect(res.body).toContain(`<h1>${doc?.title}</h1>`);
        expect(res.body).toContain("Versione 1.0 del 15 gennaio 2024");
        expect(res.body).toContain("in vigore");
        // The version in force also has its stable address.
        expect((await get(`${url}/versione/1.0`)).statusCode).toBe(200);
      }
      expect((await get(`/c/${slug}/regolamento/versione/9.9`)).statusCode).toBe(404);
    });

    it("the links in the citizens' replies open these pages", async () => {
      for (const tenant of t.tenants) {
        const vars = placeholders(tenant, {
          locale: "it",
          publicBaseUrl: "https://banditore.example",
        });
        for (const [url, doc] of [
          [vars.regulationUrl, tenant.documents.regulation],
          [vars.privacyUrl, tenant.documents.privacyNotice],
        ] as const) {
          expect(url?.startsWith("https://banditore.example/c/")).toBe(true);
          const res = await get(url?.replace("https://banditore.example", "") ?? "");
          expect(res.statusCode).toBe(200);
          expect(res.body).toContain(`<h1>${doc.title}</h1>`);
          // The comune's own full text (Casale's full privacy notice), linked from the page.
          if (doc.url) expect(res.body).toContain(`href="${doc.url}"`);
        }
      }
    });
  });

  describe("the archive", () => {
    let shown: { id: number };
    let hidden: { id: number };
    let draft: { id: number };

    beforeAll(async () => {
      shown = await broadcast({
        title: "Chiusura di via Dante",
        text: "Da lunedì via Dante è chiusa per lavori.\nDettagli: https://www.comune.concorezzo.mb.it/viabilita",
        startedAt: Date.UTC(2026, 10, 21, 9),
        createdBy: null,
      });
      hidden = await broadcast({
        title: "Solo per gli iscritti",
        text: "Non pubblica.",
        public: false,
      });
      draft = await broadcast({
        title: "Bozza pubblica",
        text: "Non ancora inviata.",
        status: "approved",
      });
      await broadcast({
        title: "Scuolabus in ritardo",
        text: "Oggi lo scuolabus passa alle 8.",
        status: "sending",
        startedAt: Date.UTC(2026, 10, 22, 7),
      });
      await broadcast({
        tenant: CASALE,
        title: "Sagra",
        text: "In piazza sabato.",
        topics: ["eventi-culturali"],
      });
      await broadcast({
        tenant: CASALE,
        title: "Allerta meteo",
        text: "Vento forte.",
        topics: ["protezione-civile"],
      });
      await broadcast({ tenant: CASALE, title: "Comunicato", text: "A tutti." });
    });

    it("lists the public broadcasts that went out, newest first; not the others", async () => {
      const res = await get(`/c/${CONCOREZZO}/archivio`);
      expect(res.statusCode).toBe(200);
      const titles = [
        ...res.body.matchAll(/<h2 class="card-title h5" lang="it"><a [^>]*>\s*([^<]+?)\s*<\/a>/g),
      ].map((m) => m[1]);
      expect(titles).toEqual(["Scuolabus in ritardo", "Chiusura di via Dante"]);
      expect(res.body).not.toContain("Solo per gli iscritti");
      expect(res.body).not.toContain("Bozza pubblica");
      expect(res.body).toContain("2 notizie");
      // And the latest on the service page.
      expect((await get(`/c/${CONCOREZZO}/`)).body).toContain("Chiusura di via Dante");
    });

    it("searches the title and the text, and filters by topic", async () => {
      const search = await get(`/c/${CONCOREZZO}/archivio?q=${encodeURIComponent("VIA dante")}`);
      expect(search.body).toContain("Chiusura di via Dante");
      expect(search.body).not.toContain("Scuolabus in ritardo");
      expect(search.body).toContain('value="VIA dante"');
      const inText = await get(`/c/${CONCOREZZO}/archivio?q=scuolabus`);
      expect(inText.body).toContain("1 notizia");
      const wildcard = await get(`/c/${CONCOREZZO}/archivio?q=%25`);
      expect(wildcard.body).toContain("Nessuna notizia corrisponde alla ricerca.");
      const topic = await get(`/c/${CASALE}/archivio?argomento=protezione-civile`);
      expect(topic.body).toContain("Allerta meteo");
      expect(topic.body).not.toContain("Sagra");
      expect(topic.body).toContain('<option value="protezione-civile" selected>');
    });

    it("pages by ten, with links to the next and previous pages", async () => {
      for (let i = 0; i < 11; i++) {
        await broadcast({
          tenant: CASALE,
          title: `Avviso numero ${i}`,
          text: "Testo.",
          startedAt: Date.UTC(2026, 10, 1) + i * DAY,
        });
      }
      const first = await get(`/c/${CASALE}/archivio`);
      expect(first.body).toContain("Pagina 1 di 2");
      expect(first.body).toContain(`href="/c/${CASALE}/archivio?pagina=2" rel="next"`);
      expect(first.body).toContain("Avviso numero 10");
      const second = await get(`/c/${CASALE}/archivio?pagina=2`);
      expect(second.body).toContain("Pagina 2 di 2");
      expect(second.body).toContain(`href="/c/${CASALE}/archivio" rel="prev"`);
      const nonsense = await get(`/c/${CASALE}/archivio?pagina=abc`);
      expect(nonsense.body).toContain("Pagina 1 di 2");
    });

    it("gives each broadcast its page with Open Graph tags; a non-public one is not found", async () => {
      const res = await get(`/c/${CONCOREZZO}/archivio/${shown.id}`);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain("<h1>Chiusura di via Dante</h1>");
      expect(res.body).toContain('<meta property="og:title" content="Chiusura di via Dante" />');
      expect(res.body).toContain('<meta property="og:type" content="article" />');
      expect(res.body).toMatch(
        new RegExp(
          `<meta property="og:url" content="http://localhost:\\d+/c/${CONCOREZZO}/archivio/${shown.id}" />`,
        ),
      );
      expect(res.body).toContain('<a href="https://www.comune.concorezzo.mb.it/viabilita">');
      expect(res.body).toContain("Inviata il 21 novembre 2026");
      for (const id of [hidden.id, draft.id, 999_999]) {
        expect((await get(`/c/${CONCOREZZO}/archivio/${id}`)).statusCode).toBe(404);
      }
      // Another comune's broadcast is not found here either.
      expect((await get(`/c/${CASALE}/archivio/${shown.id}`)).statusCode).toBe(404);
    });

    it("serves RSS 2.0 and Atom feeds that parse and keep the specifications' rules", async () => {
      const rss = await get(`/c/${CONCOREZZO}/feed.xml`);
      expect(rss.headers["content-type"]).toBe("application/rss+xml; charset=utf-8");
      expect(rss2Problems(rss.body)).toEqual([]);
      const atom = await get(`/c/${CONCOREZZO}/feed.atom`);
      expect(atom.headers["content-type"]).toBe("application/atom+xml; charset=utf-8");
      expect(atomProblems(atom.body)).toEqual([]);
      for (const body of [rss.body, atom.body]) {
        const feed = parseFeed(body);
        expect(feed.items.map((i) => i.title)).toEqual([
          "Scuolabus in ritardo",
          "Chiusura di via Dante",
        ]);
        expect(feed.items[1]?.url).toMatch(new RegExp(`/c/${CONCOREZZO}/archivio/${shown.id}$`));
        expect(body).not.toContain("Solo per gli iscritti");
      }
      expect(parseFeed(rss.body).meta.type).toBe("rss");
      expect(parseFeed(atom.body).meta.type).toBe("atom");
    });

    it("offers a widget page that may be framed, and the script that frames it", async () => {
      const widget = await get(`/c/${CONCOREZZO}/widget`);
      expect(widget.headers["content-security-policy"]).toContain("frame-ancestors *");
      expect(widget.body).toContain("Chiusura di via Dante");
      expect(widget.body).toContain('target="_blank" rel="noopener"');
      const script = await get(`/c/${CONCOREZZO}/widget.js`);
      expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
      expect(script.body).toContain('new URL("/c/concorezzo/widget", script.src)');
      expect((await get(`/c/${CONCOREZZO}/archivio`)).body).toContain(
        `&lt;script src=&quot;http://localhost:`,
      );
    });
  });

  it("serves Bootstrap Italia's stylesheet, fonts and icons, and nothing else of it", async () => {
    const css = await get("/c/_assets/bootstrap-italia/css/bootstrap-italia.min.css");
    expect(css.statusCode).toBe(200);
    expect(css.headers["cache-control"]).toBe("public, max-age=86400");
    const font = await get(
      "/c/_assets/bootstrap-italia/fonts/Titillium_Web/titillium-web-v10-latin-ext_latin-regular.woff2",
    );
    expect(font.statusCode).toBe(200);
    expect((await get("/c/_assets/bootstrap-italia/svg/sprites.svg")).statusCode).toBe(200);
    expect((await get("/c/_assets/public.css")).statusCode).toBe(200);
    expect((await get("/c/_assets/bootstrap-italia/js/bootstrap-italia.min.js")).statusCode).toBe(
      404,
    );
    const escape = await get("/c/_assets/../package.json");
    expect(escape.statusCode).not.toBe(200);
    expect(escape.body).not.toContain('"name": "banditore"');
  });
});

describe("earlier versions of the documents", () => {
  let dir: string;
  let t: TestApp;

  beforeAll(async () => {
    // Concorezzo's file moves to version 2.0 of the regulation and keeps 1.0 under `earlier`.
    dir = await mkdtemp(path.join(tmpdir(), "banditore-tenants-"));
    await cp(SHIPPED_TENANTS_DIR, dir, { recursive: true });
    const file = path.join(dir, "concorezzo.yaml");
    const doc = parseDocument(await readFile(file, "utf8"));
    const old = doc.getIn(["documents", "regulation"], false) as {
      toJSON(): Record<string, string>;
    };
    const v1 = old.toJSON();
    doc.setIn(["documents", "regulation", "version"], "2.0");
    doc.setIn(["documents", "regulation", "date"], "2026-06-01");
    doc.setIn(
      ["documents", "regulation", "text"],
      "Art. 1 – Oggetto\n\nIl nuovo testo del regolamento.",
    );
    doc.setIn(
      ["documents", "regulation", "earlier"],
      [{ version: v1.version, date: v1.date, text: v1.text }],
    );
    await writeFile(file, doc.toString());
    t = await buildTestApp({ env: { TENANTS_DIR: dir } });
  });
  afterAll(async () => {
    await t?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("shows the version in force and lists the earlier one, readable at its own address", async () => {
    const current = await t.app.inject(`/c/${CONCOREZZO}/regolamento`);
    expect(current.body).toContain("Versione 2.0 del 1 giugno 2026");
    expect(current.body).toContain("Il nuovo testo del regolamento.");
    expect(current.body).toContain(`href="/c/${CONCOREZZO}/regolamento/versione/1.0"`);
    const earlier = await t.app.inject(`/c/${CONCOREZZO}/regolamento/versione/1.0`);
    expect(earlier.statusCode).toBe(200);
    expect(earlier.body).toContain("Versione 1.0 del 15 gennaio 2024");
    expect(earlier.body).toContain("Non è più in vigore: la versione attuale è la 2.0.");
    expect(earlier.body).toContain("Art. 3 – Modalità di iscrizione e cancellazione al servizio");
    expect(earlier.body).not.toContain("Il nuovo testo del regolamento.");
  });
});

describe("the earlier versions in a tenant file", () => {
  it("refuses a version listed twice, one dated after the version in force, one unfit for a URL", async () => {
    const source = await readFile(path.join(SHIPPED_TENANTS_DIR, "concorezzo.yaml"), "utf8");
    const raw = parseDocument(source).toJS() as {
      documents: { regulation: Record<string, unknown> };
    };
    raw.documents.regulation.earlier = [
      { version: "1.0", date: "2023-01-01", text: "Uguale alla versione in vigore." },
      { version: "0.9", date: "2025-01-01", text: "Datata dopo." },
      { version: "0.8 bis/2", date: "2022-01-01", text: "Con spazi e barre." },
    ];
    const result = tenantFileSchema.safeParse(raw);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map(formatIssue)).toEqual([
      "documents.regulation.earlier.2.version: must be letters, digits, dots and dashes, like 1.0",
      "documents.regulation.earlier.0.version: version 1.0 is listed twice",
      "documents.regulation.earlier.1.date: an earlier version must not be dated after the version in force",
    ]);
  });
});

describe("the rate limit", () => {
  it("answers 429 past the limit per address, in the request's language", async () => {
    const t = await buildTestApp();
    const app = Fastify();
    await app.register(
      publicRoutes({
        db: t.database.db,
        tenants: t.tenants,
        publicUrl: "http://localhost",
        rateLimit: { max: 3, timeWindow: 60_000 },
      }),
    );
    try {
      for (let i = 0; i < 3; i++)
        expect((await app.inject(`/c/${CONCOREZZO}/privacy`)).statusCode).toBe(200);
      const refused = await app.inject({
        url: `/c/${CONCOREZZO}/privacy`,
        headers: { "accept-language": "en" },
      });
      expect(refused.statusCode).toBe(429);
      expect(refused.headers["retry-after"]).toBeDefined();
      expect(refused.body).toContain("Too many requests from this address");
    } finally {
      await app.close();
      await t.close();
    }
  });
});

describe.each(testEngines())("a public broadcast's file on %s", (engine) => {
  let t: TestApp;
  const PICTURE = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP8z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==",
    "base64",
  );
  beforeAll(async () => {
    t = await buildTestApp({ engine });
  });
  afterAll(() => t.close());

  async function withPicture(isPublic: boolean): Promise<number> {
    const file = await storeMediaFile(t.database.db, {
      tenantId: CONCOREZZO,
      kind: "image",
      mimeType: "image/png",
      filename: "festa.png",
      bytes: PICTURE,
      createdBy: null,
      now: Date.UTC(2026, 10, 20, 9),
    });
    const row = await buildBroadcast(t.database.db, {
      tenant_id: CONCOREZZO,
      title: isPublic ? "Festa in piazza" : "Solo agli iscritti",
      content: JSON.stringify({ type: "text", body: "Sabato la festa in piazza." }),
      status: "sent",
      public: isPublic ? 1 : 0,
      started_at: Date.UTC(2026, 10, 20, 10),
      finished_at: Date.UTC(2026, 10, 20, 10),
      media_id: file.id,
    });
    return Number(row.id);
  }

  it("shows the picture on its page, serves it, and carries it in both feeds; never a private one's", async () => {
    const shown = await withPicture(true);
    const hidden = await withPicture(false);
    const page = await t.app.inject({ method: "GET", url: `/c/concorezzo/archivio/${shown}` });
    expect(page.statusCode, page.body).toBe(200);
    expect(page.body).toContain(`src="/c/concorezzo/archivio/${shown}/file"`);
    expect(page.body).toContain('alt="Immagine della notizia: Festa in piazza"');
    const file = await t.app.inject({ method: "GET", url: `/c/concorezzo/archivio/${shown}/file` });
    expect(file.statusCode, file.body).toBe(200);
    expect(file.headers["content-type"]).toBe("image/png");
    expect(file.rawPayload.equals(PICTURE)).toBe(true);
    const rss = await t.app.inject({ method: "GET", url: "/c/concorezzo/feed.xml" });
    const enclosure = /<enclosure [^>]*>/.exec(rss.body)?.[0] ?? "";
    expect(enclosure).toContain(`url="http://localhost:8080/c/concorezzo/archivio/${shown}/file"`);
    expect(enclosure).toContain(`length="${PICTURE.length}"`);
    expect(enclosure).toContain('type="image/png"');
    const atom = await t.app.inject({ method: "GET", url: "/c/concorezzo/feed.atom" });
    expect(atom.body).toContain(`/c/concorezzo/archivio/${shown}/file`);
    const secret = await t.app.inject({
      method: "GET",
      url: `/c/concorezzo/archivio/${hidden}/file`,
    });
    expect(secret.statusCode).toBe(404);
    const elsewhere = await t.app.inject({
      method: "GET",
      url: `/c/casale-marittimo/archivio/${shown}/file`,
    });
    expect(elsewhere.statusCode).toBe(404);
  });
});
