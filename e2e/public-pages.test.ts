import { AxeBuilder } from "@axe-core/playwright";
import { parseFeed } from "@rowanmanning/feed-parser";
import jsQRModule from "jsqr";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PDFDocument } from "pdf-lib";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { PNG } from "pngjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { systemClock } from "../src/server/platform/clock.js";
import { SHIPPED_TENANTS_DIR } from "../src/server/test/build-test-app.js";
import { until } from "../src/server/test/dispatch-harness.js";
import { atomProblems, rss2Problems } from "../src/server/test/feed-rules.js";
import {
  startInProcessServer,
  type InProcessServer,
} from "../src/server/test/in-process-server.js";
import { seedSession } from "../src/server/test/staff-kit.js";
import { launchChromium } from "./browser.js";

/**
 * The public pages in a real browser, on the real server (sandbox mode, the demo comuni): every
 * page of both comuni at a desktop's and a phone's width, checked with axe-core and
 * photographed; the QR code decoded from the pixels; the poster printed to PDF; a broadcast
 * sent through the workflow found in the archive and the feeds; the links of a real reply
 * opened; a ledger entry's version still readable after the comune's file moves on.
 */

type Decode = (data: Uint8ClampedArray, width: number, height: number) => { data: string } | null;
const jsQR = ((jsQRModule as unknown as { default?: Decode }).default ??
  jsQRModule) as unknown as Decode;

const SHOTS = "/tmp/public-pages";
const COMUNI = [
  {
    slug: "concorezzo",
    number: "393665784663",
    waMe: "https://wa.me/393665784663?text=ATTIVA%20ISCRIZIONE",
  },
  {
    slug: "casale-marittimo",
    number: "393760088777",
    waMe: "https://wa.me/393760088777?text=Nome%2C%20Cognome%20%2B%20ATTIVA",
  },
] as const;
const PAGES = ["/", "/locandina", "/regolamento", "/privacy", "/archivio", "/widget"];
const WIDTHS = [1280, 375];

let dataDir: string;
let s: InProcessServer;
let browser: Browser;
let context: BrowserContext;
const foreign: string[] = [];
/** Script errors and refused loads (a CSP violation is one): none is expected. */
const consoleErrors: string[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), "banditore-public-"));
  await mkdir(SHOTS, { recursive: true });
  s = await startInProcessServer({ env: { DATA_DIR: dataDir } });
  // The snippet test frames the server from another local origin, which chromium's
  // local-network checks would refuse without a permission prompt no test can answer.
  browser = await launchChromium(["--disable-features=LocalNetworkAccessChecks"]);
  context = await browser.newContext({ locale: "it-IT" });
  // Every request a page makes must stay on this server: no fonts, styles or trackers elsewhere.
  context.on("page", (page) =>
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(`${page.url()}: ${message.text()}`);
    }),
  );
  context.on("request", (request) => {
    if (!request.url().startsWith(s.baseUrl) && !request.url().startsWith("data:")) {
      foreign.push(request.url());
    }
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await s?.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function open(path: string, width = 1280): Promise<Page> {
  const page = await context.newPage();
  await page.setViewportSize({ width, height: 900 });
  const response = await page.goto(`${s.baseUrl}${path}`);
  expect(response?.status(), path).toBe(200);
  return page;
}

/** The serious and critical WCAG 2.1 A/AA violations axe finds on the page. */
async function accessibilityProblems(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"])
    .analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Decodes the QR code in an element's pixels, as a phone's camera would. */
async function decodeQr(page: Page, selector: string): Promise<string | undefined> {
  const png = PNG.sync.read(await page.locator(selector).screenshot());
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

const sandbox = (method: string, url: string, body?: object) =>
  fetch(`${s.baseUrl}/sandbox/api${url}`, {
    method,
    ...(body
      ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
      : {}),
  });

/** The messages the comune sent to a simulated phone, once there are `count`. */
async function replies(waId: string, count: number): Promise<string[]> {
  return until(
    `${count} replies to ${waId}`,
    async () => {
      const response = await sandbox("GET", `/phones/${waId}/messages`);
      if (response.status !== 200) return undefined;
      const { messages } = (await response.json()) as {
        messages: { direction: string; text?: string }[];
      };
      const got = messages.filter((m) => m.direction === "to_phone").map((m) => m.text ?? "");
      return got.length >= count ? got : undefined;
    },
    15_000,
  );
}

describe.each(COMUNI)("the public pages of $slug", (comune) => {
  it.each(PAGES)(
    "%s: accessible at both widths, photographed, nothing from elsewhere",
    async (p) => {
      for (const width of WIDTHS) {
        const page = await open(`/c/${comune.slug}${p}`, width);
        expect(await accessibilityProblems(page), `${p} at ${width}px`).toEqual([]);
        // Nothing wider than the screen: a phone scrolls down, never sideways.
        const overflow = await page.evaluate<number>(
          "document.documentElement.scrollWidth - document.documentElement.clientWidth",
        );
        expect(overflow, `${p} at ${width}px scrolls sideways`).toBeLessThanOrEqual(0);
        const name = `${comune.slug}${p.replace(/\//g, "_")}`.replace(/_$/, "");
        await page.screenshot({ path: `${SHOTS}/${name}-${width}.png`, fullPage: true });
        await page.close();
      }
      expect(foreign).toEqual([]);
    },
  );

  it("the service page's QR code and button open WhatsApp with the subscribe phrase", async () => {
    const page = await open(`/c/${comune.slug}/`);
    expect(await decodeQr(page, ".public-qr img")).toBe(comune.waMe);
    const button = page.getByRole("link", { name: "Iscriviti su WhatsApp" });
    expect(await button.getAttribute("href")).toBe(comune.waMe);
    await page.close();
  });

  it("the poster's QR code reads too, and the poster prints on one A4 page", async () => {
    const page = await open(`/c/${comune.slug}/locandina`);
    expect(await decodeQr(page, ".poster-qr")).toBe(comune.waMe);
    const printed = await PDFDocument.load(await page.pdf({ format: "A4" }));
    expect(printed.getPageCount()).toBe(1);
    const pdf = await fetch(`${s.baseUrl}/c/${comune.slug}/locandina.pdf`);
    const served = await PDFDocument.load(await pdf.arrayBuffer());
    expect(served.getPageCount()).toBe(1);
    await page.close();
  });

  it("works in English too (?lang=en), and the language link switches", async () => {
    const page = await open(`/c/${comune.slug}/?lang=en`);
    expect(await page.getAttribute("html", "lang")).toBe("en");
    await expect(page.getByRole("link", { name: "Subscribe on WhatsApp" }).count()).resolves.toBe(
      1,
    );
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole("link", { name: "Italiano" }).click();
    expect(await page.getAttribute("html", "lang")).toBe("it");
    await page.close();
  });
});

describe("a broadcast sent through the workflow", () => {
  const PHONE = "393471234001";
  let publicId: number;

  beforeAll(async () => {
    const db = s.server.database.db;
    const roles = (role: "editor" | "approver") => ({ "casale-marittimo": [role] });
    const office = await seedSession(db, systemClock, "ufficio@casale.example.it", roles("editor"));
    const mayor = await seedSession(
      db,
      systemClock,
      "sindaco@casale.example.it",
      roles("approver"),
    );
    // A subscriber, so that the broadcasts go out to someone and finish.
    await sandbox("POST", "/phones", { waId: PHONE, name: "Anna Bianchi" });
    await sandbox("POST", `/phones/${PHONE}/messages`, {
      to: "393760088777",
      text: "Anna, Bianchi + ATTIVA",
    });
    await replies(PHONE, 1);
    await sandbox("POST", `/phones/${PHONE}/messages`, { to: "393760088777", tap: "Confermo" });
    await replies(PHONE, 2);

    const call = async (headers: Record<string, string>, url: string, body: object = {}) => {
      const response = await fetch(`${s.baseUrl}/api/tenants/casale-marittimo/broadcasts${url}`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(response.status, `${url}: ${await response.clone().text()}`).toBeLessThan(300);
      return ((await response.json()) as { broadcast: { id: number } }).broadcast;
    };
    const send = async (fields: object) => {
      const draft = await call(office, "", fields);
      await call(office, `/${draft.id}/submit`);
      await call(mayor, `/${draft.id}/approve`);
      await until(
        `broadcast ${draft.id} sent`,
        async () => {
          const response = await fetch(
            `${s.baseUrl}/api/tenants/casale-marittimo/broadcasts/${draft.id}`,
            { headers: mayor },
          );
          const { broadcast } = (await response.json()) as { broadcast: { status: string } };
          return broadcast.status === "sent" ? true : undefined;
        },
        20_000,
      );
      return draft.id;
    };
    publicId = await send({
      title: "Biblioteca aperta il sabato",
      text: "Da lunedì la biblioteca comunale apre anche il sabato mattina, dalle 9 alle 12.",
      topics: ["eventi-culturali"],
      public: true,
    });
    await send({
      title: "Avviso riservato agli iscritti",
      text: "Questo messaggio resta tra il Comune e i suoi iscritti.",
      topics: "all",
      public: false,
    });
  }, 90_000);

  it("appears in the archive, found by search and topic without JavaScript; the other does not", async () => {
    const noScript = await browser.newContext({ javaScriptEnabled: false, locale: "it-IT" });
    const page = await noScript.newPage();
    await page.goto(`${s.baseUrl}/c/casale-marittimo/archivio`);
    await expect(
      page.getByRole("link", { name: "Biblioteca aperta il sabato" }).count(),
    ).resolves.toBe(1);
    const body = await page.locator("main").innerText();
    expect(body).not.toContain("Avviso riservato agli iscritti");
    // Nobody's name or address on a public page.
    expect(await page.content()).not.toMatch(/ufficio@|sindaco@|Anna|393471234001/);

    await page.getByLabel("Cerca nelle notizie").fill("biblioteca");
    await page.getByLabel("Argomento").selectOption({ label: "Eventi culturali" });
    await page.getByRole("button", { name: "Cerca" }).click();
    expect(page.url()).toContain("argomento=eventi-culturali");
    await expect(
      page.getByRole("link", { name: "Biblioteca aperta il sabato" }).count(),
    ).resolves.toBe(1);
    await page.getByLabel("Argomento").selectOption({ label: "Protezione civile" });
    await page.getByRole("button", { name: "Cerca" }).click();
    await expect(page.getByText("Nessuna notizia corrisponde alla ricerca.").count()).resolves.toBe(
      1,
    );

    await page.goto(`${s.baseUrl}/c/casale-marittimo/archivio/${publicId}`);
    expect(await page.getAttribute('meta[property="og:title"]', "content")).toBe(
      "Biblioteca aperta il sabato",
    );
    await page.setViewportSize({ width: 375, height: 900 });
    await page.screenshot({
      path: `${SHOTS}/casale-marittimo_archivio_news-375.png`,
      fullPage: true,
    });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({
      path: `${SHOTS}/casale-marittimo_archivio_news-1280.png`,
      fullPage: true,
    });
    await noScript.close();

    const withScript = await open(`/c/casale-marittimo/archivio/${publicId}`);
    expect(await accessibilityProblems(withScript)).toEqual([]);
    await withScript.close();
  });

  it("is in both feeds, which parse and keep the RSS 2.0 and Atom rules; the other is not", async () => {
    for (const file of ["feed.xml", "feed.atom"]) {
      const xml = await (await fetch(`${s.baseUrl}/c/casale-marittimo/${file}`)).text();
      expect(file === "feed.xml" ? rss2Problems(xml) : atomProblems(xml)).toEqual([]);
      const feed = parseFeed(xml);
      expect(feed.items.map((i) => i.title)).toEqual(["Biblioteca aperta il sabato"]);
      expect(feed.items[0]?.url).toMatch(new RegExp(`/c/casale-marittimo/archivio/${publicId}$`));
      expect(xml).not.toContain("Avviso riservato");
    }
  });

  it("shows on the comune's own site through the snippet", async () => {
    const page = await context.newPage();
    // The comune's website, served by the test: it pastes the snippet the archive offers.
    const archive = await (await fetch(`${s.baseUrl}/c/casale-marittimo/archivio`)).text();
    const snippet = /<pre class="public-snippet"><code>([^<]+)<\/code>/.exec(archive)?.[1] ?? "";
    const script = snippet
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"');
    expect(script).toContain("/c/casale-marittimo/widget.js");
    // Another origin than the server's (localhost, not 127.0.0.1), local so that chromium's
    // private-network rules let it load the server's script.
    const site = s.baseUrl.replace("127.0.0.1", "localhost") + "/sito-del-comune";
    await page.route(site, (route) =>
      route.fulfill({
        contentType: "text/html",
        body: `<!doctype html><html lang="it"><title>Comune</title><h1>Notizie</h1>${script.replace(/https?:\/\/[^/]+/, s.baseUrl)}</html>`,
      }),
    );
    try {
      await page.goto(site);
      const frame = page.frameLocator('iframe[title="WhatsApp del Comune di Casale Marittimo"]');
      // The frame loads after the page: wait for the link, as a reader would.
      await frame.getByRole("link", { name: "Biblioteca aperta il sabato" }).waitFor();
      await page.screenshot({ path: `${SHOTS}/widget-on-the-comune-site-1280.png` });
    } finally {
      await page.close();
    }
    foreign.length = 0; // the other origin was the point here
  });
});

describe("the links in a citizen's reply and the versions the ledger names", () => {
  const PHONE = "393471234002";

  it("open the regulation and the privacy notice, and the accepted version stays readable", async () => {
    await sandbox("POST", "/phones", { waId: PHONE, name: "Luca Neri" });
    await sandbox("POST", `/phones/${PHONE}/messages`, {
      to: "393665784663",
      text: "ATTIVA ISCRIZIONE",
    });
    const [confirmation = ""] = await replies(PHONE, 1);
    const links = [
      ...confirmation.matchAll(/https?:\/\/\S+\/c\/concorezzo\/(regolamento|privacy)/g),
    ];
    expect(links.map((m) => m[1])).toEqual(["regolamento", "privacy"]);
    for (const [url, title] of [
      [links[0]?.[0], "Regolamento del servizio WhatsConcorezzo"],
      [links[1]?.[0], "Informativa"],
    ] as const) {
      // The reply links PUBLIC_URL; the test's server listens on its own port.
      const page = await open(new URL(url ?? "").pathname);
      expect(await page.locator("h1").innerText()).toContain(title);
      await page.close();
    }
    const entry = await s.server.database.db
      .selectFrom("consent_events")
      .select(["regulation_version", "privacy_version"])
      .where("tenant_id", "=", "concorezzo")
      .where("action", "=", "subscribe")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(entry.regulation_version).toBe("1.0");

    // The comune adopts version 2.0 and keeps 1.0 under `earlier`; the server restarts on it.
    const tenantsDir = await mkdtemp(path.join(tmpdir(), "banditore-tenants-"));
    await cp(SHIPPED_TENANTS_DIR, tenantsDir, { recursive: true });
    const file = path.join(tenantsDir, "concorezzo.yaml");
    const doc = parseDocument(await readFile(file, "utf8"));
    const v1 = (
      doc.getIn(["documents", "regulation"], false) as { toJSON(): Record<string, string> }
    ).toJSON();
    doc.setIn(["documents", "regulation", "version"], "2.0");
    doc.setIn(["documents", "regulation", "date"], "2026-06-01");
    doc.setIn(["documents", "regulation", "text"], "Art. 1 – Oggetto\n\nIl testo nuovo.");
    doc.setIn(
      ["documents", "regulation", "earlier"],
      [{ version: v1.version, date: v1.date, text: v1.text }],
    );
    await writeFile(file, doc.toString());
    // The browser's kept-alive connections would hold the old server's shutdown open.
    await context.close();
    context = await browser.newContext({ locale: "it-IT" });
    await s.close();
    s = await startInProcessServer({ env: { DATA_DIR: dataDir, TENANTS_DIR: tenantsDir } });
    try {
      const page = await open(`/c/concorezzo/regolamento/versione/${entry.regulation_version}`);
      const text = await page.locator("main").innerText();
      expect(text).toContain("Versione 1.0 del 15 gennaio 2024");
      expect(text).toContain("Non è più in vigore");
      expect(text).toContain("ATTIVA ISCRIZIONE");
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.screenshot({
        path: `${SHOTS}/concorezzo_regolamento_1.0-1280.png`,
        fullPage: true,
      });
      await page.close();
      const current = await open("/c/concorezzo/regolamento");
      expect(await current.locator("main").innerText()).toContain("Versione 2.0 del 1 giugno 2026");
      await current.close();
    } finally {
      await rm(tenantsDir, { recursive: true, force: true });
    }
  }, 60_000);
});
