import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
  type Route,
} from "playwright-core";
import { CASALE_NUMBER, CONCOREZZO_NUMBER } from "../src/server/test/sandbox-phones.js";
import { launchChromium } from "./browser.js";
import {
  PDF_BYTES,
  posterPng,
  recordPageTraffic,
  startRealSandbox,
  type PageTraffic,
  type RealSandbox,
} from "./real-sandbox.js";

/**
 * The simulated phones page in a real browser, played as a citizen would, against the real
 * sandbox (real-sandbox.ts): the test takes the comune's seat, writing through the Cloud API
 * client, and decides when the sandbox's webhooks are answered.
 */

const MARIO = "393331234567";
const GIULIA = "393401112233";
const SCREENSHOT = "/tmp/sandbox-page.png";
const SCREENSHOT_PHONE = "/tmp/sandbox-phone.png";

let api: RealSandbox;
let traffic: PageTraffic;
let browser: Browser;
let context: BrowserContext;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  api = await startRealSandbox();
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1440, height: 960 }, locale: "it-IT" });
  page = await context.newPage();
  traffic = recordPageTraffic(page);
  // Any script error or CSP violation fails the test at the end; the API's 400 (the server's
  // field check) and 403 (a blocked phone) are provoked on purpose.
  page.on("console", (message) => {
    const text = message.text();
    if (message.type() !== "error") return;
    if (/Failed to load resource: .* status of (400|403)\b/.test(text)) return;
    problems.push(`console: ${text}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
});

afterAll(async () => {
  await browser?.close();
  await api?.close();
});

const phonePanel = (waId: string): Locator => page.locator(`section.phone[data-wa-id="${waId}"]`);

/** The latest message the sandbox accepted from a phone, as the page posted it. */
const lastSent = () => traffic.sent[traffic.sent.length - 1];
/** A phone as the sandbox keeps it. */
const phone = (waId: string) => api.sandbox.state.phones.get(waId);
/** Status webhooks are retried 0.25, 1, 4, 16 s apart: a delivery may wait for the next one. */
const RETRIED = { timeout: 30_000 };

async function addPhone(number: string, name: string): Promise<void> {
  await page.getByLabel("Numero", { exact: true }).fill(number);
  await page.getByLabel("Nome del profilo").fill(name);
  await page.getByRole("button", { name: "Aggiungi e apri" }).click();
}

describe("the simulated phones page", () => {
  it("is served with a content security policy and no caching", async () => {
    for (const [path, type] of [
      ["/sandbox", "text/html; charset=utf-8"],
      ["/sandbox/assets/sandbox.css", "text/css; charset=utf-8"],
      ["/sandbox/assets/sandbox.js", "text/javascript; charset=utf-8"],
    ] as const) {
      const response = await fetch(api.url + path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type"), path).toBe(type);
      expect(response.headers.get("cache-control"), path).toBe("no-cache");
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("img-src 'self' https: data:");
      expect(csp, path).not.toContain("unsafe-inline");
      expect((await response.text()).length, path).toBeGreaterThan(100);
    }
  });

  it("formats numbers readably and checks them as the API does", async () => {
    const results = await page.goto(`${api.url}/sandbox`).then(() =>
      page.evaluate(`import("/sandbox/assets/sandbox.js").then((m) => [
        m.formatNumber("393331234567"),
        m.formatNumber("393665784663"),
        m.formatNumber("14155550123"),
        m.formatNumber("4930123456"),
        m.normalizeWaId("+39 333 123-4567"),
        m.waIdProblem("1234567"),
        m.waIdProblem("0393331234567"),
        m.waIdProblem("39333123456a"),
        m.waIdProblem("393331234567"),
        m.nameProblem(""),
        m.nameProblem("x".repeat(61)),
        m.nameProblem("Mario Rossi"),
      ])`),
    );
    expect(results).toEqual([
      "+39 333 123 4567",
      "+39 366 578 4663",
      "+1 415 555 0123",
      "+49 301 234 56",
      "393331234567",
      expect.stringContaining("da 8 a 15 cifre"),
      expect.stringContaining("prefisso del paese"),
      expect.stringContaining("solo cifre"),
      null,
      expect.stringContaining("nome"),
      expect.stringContaining("60 caratteri"),
      null,
    ]);
  });

  it("lets a citizen create a phone, write to a comune and tap a reply button", async () => {
    await page.goto(`${api.url}/sandbox`);
    await page.locator("body[data-ready]").waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("it");
    await page.getByRole("heading", { name: "Telefoni simulati" }).waitFor();
    expect(await page.locator(".intro").textContent()).toContain("non escono da questo server");

    // Client-side checks come first, with the problem next to each field.
    await addPhone("12ab", "");
    const number = page.getByLabel("Numero", { exact: true });
    expect(await number.getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator("#new-phone-number-error").textContent()).toContain("solo cifre");
    expect(await page.locator("#new-phone-name-error").textContent()).toContain("nome");
    expect(await page.locator(":focus").getAttribute("id")).toBe("new-phone-number");
    expect(phone(MARIO)).toBeUndefined();

    // A problem only the server knows is shown on its field too. The page checks what the API
    // checks, so no input gets past one and not the other: the API's answer is stood in for once.
    const create = "**/sandbox/api/phones";
    let refused = false;
    const refuseOnce = async (route: Route) => {
      if (refused || route.request().method() !== "POST") return route.fallback();
      refused = true;
      await route.fulfill({
        status: 400,
        contentType: "application/json",
        body: JSON.stringify({
          error: {
            code: "VALIDATION_FAILED",
            message: "Richiesta non valida",
            details: [{ field: "body.name", problem: "Nome non accettato dal server" }],
          },
        }),
      });
    };
    await page.route(create, refuseOnce);
    await addPhone("+39 333 123 4567", "Mario Rossi");
    await expect
      .poll(() => page.locator("#new-phone-name-error").textContent())
      .toBe("Nome non accettato dal server");
    expect(await number.getAttribute("aria-invalid")).toBeNull();

    await addPhone("+39 333 123 4567", "Mario Rossi");
    const mario = phonePanel(MARIO);
    await mario.waitFor();
    expect(phone(MARIO)?.name).toBe("Mario Rossi");
    expect(await mario.getByRole("heading", { name: "Mario Rossi" }).isVisible()).toBe(true);
    expect(await mario.locator(".phonebar__number").textContent()).toBe("+39 333 123 4567");
    // The new phone's message box has the focus, ready to write.
    await expect.poll(() => mario.locator(".composer__input:focus").count()).toBe(1);

    // Pick the comune, then write the subscription keyword.
    await mario.getByLabel("Scrivi a").selectOption(CASALE_NUMBER.display);
    await expect
      .poll(() => mario.locator(".chat-header__name").textContent())
      .toBe("WhatsApp del Comune di Casale Marittimo");
    await mario.getByLabel("Scrivi a").selectOption(CONCOREZZO_NUMBER.display);
    await expect
      .poll(() => mario.locator(".chat-header__name").textContent())
      .toBe("WhatsConcorezzo");
    expect(await mario.locator(".chat-header__number").textContent()).toContain("+39 366 578 4663");

    // The comune's webhook fails for now: the message stays sent, not delivered.
    api.receiver.answer = () => 503;
    await mario.getByLabel("Messaggio a WhatsConcorezzo").fill("ATTIVA ISCRIZIONE");
    await mario.getByRole("button", { name: "Invia", exact: true }).click();
    await expect.poll(() => traffic.sent.length).toBe(1);
    expect(lastSent()).toEqual({
      waId: MARIO,
      body: { to: CONCOREZZO_NUMBER.display, name: "Mario Rossi", text: "ATTIVA ISCRIZIONE" },
    });
    const bubble = mario.locator(".msg--out", { hasText: "ATTIVA ISCRIZIONE" });
    await bubble.waitFor();
    const ticks = bubble.locator(".ticks");
    expect(await ticks.getAttribute("aria-label")).toBe("Inviato");
    expect(await ticks.textContent()).toBe("✓");
    expect(await mario.getByLabel("Messaggio a WhatsConcorezzo").inputValue()).toBe("");
    expect(await mario.locator(".panel__notice").textContent()).toContain(
      "Il webhook del Comune ha risposto 503",
    );

    // The webhook is answered at the sandbox's next try.
    const keyword = phone(MARIO)?.messages[0];
    api.receiver.answer = () => 200;
    await expect.poll(() => ticks.getAttribute("aria-label"), RETRIED).toBe("Consegnato");
    expect(await ticks.textContent()).toBe("✓✓");

    // The comune answers with reply buttons; the open conversation marks it read.
    const question = await api.send("concorezzo", MARIO, {
      type: "buttons",
      body: "Ciao *Mario*, vuoi ricevere le notizie di *WhatsConcorezzo*?",
      header: "Conferma l'iscrizione",
      footer: "Puoi cancellarti quando vuoi",
      buttons: [
        { id: "subscribe.confirm", title: "Confermo" },
        { id: "subscribe.cancel", title: "Annulla" },
      ],
    });
    const confirm = mario.getByRole("button", { name: "Confermo" });
    await confirm.waitFor();
    expect(await mario.locator(".msg--in strong").first().textContent()).toBe("Mario");
    await expect
      .poll(() => traffic.reads.some((r) => r.waId === MARIO && r.to === CONCOREZZO_NUMBER.display))
      .toBe(true);
    await expect
      .poll(() => phone(MARIO)?.messages.find((m) => m.id === question)?.status)
      .toBe("read");
    await expect
      .poll(() => mario.locator("[aria-live]").textContent())
      .toContain("Nuovo messaggio da WhatsConcorezzo");

    await confirm.click();
    await expect.poll(() => traffic.sent.length).toBe(2);
    expect(lastSent()?.body).toEqual({
      to: CONCOREZZO_NUMBER.display,
      name: "Mario Rossi",
      tap: "subscribe.confirm",
    });
    await mario.locator(".msg--out", { hasText: "Confermo" }).waitFor();
    await api.markRead("concorezzo", keyword!.id);
    await expect.poll(() => ticks.getAttribute("aria-label")).toBe("Letto");

    // What a comune sends: text, an image, a document, a place, a list to choose from.
    const poster = await api.upload("concorezzo", {
      data: posterPng(),
      mimeType: "image/png",
      filename: "festa.png",
    });
    const ordinance = await api.upload("concorezzo", {
      data: PDF_BYTES,
      mimeType: "application/pdf",
      filename: "ordinanza.pdf",
    });
    await api.send("concorezzo", MARIO, {
      type: "text",
      body: "Iscrizione attiva. Per cancellarti scrivi _DISATTIVA ISCRIZIONE_.",
    });
    await api.send("concorezzo", MARIO, {
      type: "image",
      media: { id: poster },
      caption: "Sabato la festa del paese: vi aspettiamo!",
    });
    await api.send("concorezzo", MARIO, {
      type: "document",
      media: { id: ordinance },
      filename: "Ordinanza viabilità.pdf",
    });
    await api.send("concorezzo", MARIO, {
      type: "location",
      latitude: 45.5893,
      longitude: 9.3351,
      name: "Municipio",
      address: "Piazza della Pace 2, Concorezzo",
    });
    await api.send("concorezzo", MARIO, {
      type: "list",
      body: "Quali notizie vuoi ricevere?",
      buttonLabel: "Scegli gli argomenti",
      sections: [
        {
          title: "Argomenti",
          rows: [
            { id: "topic.events", title: "Eventi" },
            { id: "topic.roads", title: "Viabilità", description: "Strade chiuse e lavori" },
          ],
        },
      ],
    });
    await mario.locator(".doc", { hasText: "Ordinanza viabilità.pdf" }).waitFor();
    expect(await mario.locator(".doc").getAttribute("href")).toBe(
      `/sandbox/api/media/${ordinance}`,
    );
    await expect
      .poll(() =>
        mario
          .locator(".media img")
          .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBeGreaterThan(0);
    expect(await mario.locator(".location").textContent()).toContain("Piazza della Pace 2");
    // An older question can no longer be answered.
    expect(await confirm.getAttribute("aria-disabled")).toBe("true");

    const toggle = mario.getByRole("button", { name: "Scegli gli argomenti" });
    await toggle.click();
    expect(await toggle.getAttribute("aria-expanded")).toBe("true");
    await mario.getByRole("button", { name: /Viabilità/ }).click();
    await expect.poll(() => traffic.sent.length).toBe(3);
    expect(lastSent()?.body.tap).toBe("topic.roads");

    // A place from the phone.
    await mario.getByRole("button", { name: "Posizione" }).click();
    await expect.poll(() => traffic.sent.length).toBe(4);
    const sentLocation = lastSent()?.body.location as
      { latitude?: unknown; longitude?: unknown } | undefined;
    expect(sentLocation?.latitude).toBeTypeOf("number");
    expect(sentLocation?.longitude).toBeTypeOf("number");

    // A message the platform accepts and then fails to deliver (the sandbox's undeliverable
    // numbers: what Meta reports with 131026).
    await api.settings({ undeliverableNumbers: [MARIO] });
    await api.send("concorezzo", MARIO, { type: "text", body: "Domani il mercato è sospeso." });
    await api.settings({ undeliverableNumbers: [] });
    const failed = mario.locator(".msg--failed");
    await failed.waitFor();
    expect(await failed.locator(".ticks").getAttribute("aria-label")).toBe("Non inviato");
    expect(await failed.locator(".bubble__error").textContent()).toContain("Message undeliverable");

    // A second phone, side by side, writing to the other comune.
    await addPhone("393401112233", "Giulia Bianchi");
    const giulia = phonePanel(GIULIA);
    await giulia.waitFor();
    await giulia.getByLabel("Scrivi a").selectOption(CASALE_NUMBER.display);
    await giulia
      .getByLabel("Messaggio a WhatsApp del Comune di Casale Marittimo")
      .fill("Giulia Bianchi ATTIVA");
    await giulia.getByLabel("Messaggio a WhatsApp del Comune di Casale Marittimo").press("Enter");
    await expect.poll(() => traffic.sent.length).toBe(5);
    expect(lastSent()).toEqual({
      waId: GIULIA,
      body: { to: CASALE_NUMBER.display, name: "Giulia Bianchi", text: "Giulia Bianchi ATTIVA" },
    });
    await giulia.locator(".msg--out", { hasText: "Giulia Bianchi ATTIVA" }).waitFor();
    await api.send("casale-marittimo", GIULIA, {
      type: "text",
      body: "Ciao Giulia, la tua iscrizione al servizio *WhatsApp del Comune di Casale Marittimo* è attiva. Grazie!",
    });
    await giulia.locator(".msg--in").waitFor();

    const [boxMario, boxGiulia] = await Promise.all([mario.boundingBox(), giulia.boundingBox()]);
    expect(boxMario && boxGiulia).toBeTruthy();
    expect(Math.abs(boxMario!.y - boxGiulia!.y)).toBeLessThan(2);
    expect(boxGiulia!.x).toBeGreaterThanOrEqual(boxMario!.x + boxMario!.width);

    // A comune blocks a number: the phone says so.
    await api.block("casale-marittimo", GIULIA);
    await giulia
      .getByLabel("Messaggio a WhatsApp del Comune di Casale Marittimo")
      .fill("Ci sono ancora?");
    await giulia.getByRole("button", { name: "Invia", exact: true }).click();
    await expect
      .poll(() => giulia.getByRole("alert").textContent())
      .toBe("Il Comune ha bloccato questo numero.");

    // Both phones are listed, with their numbers written readably.
    const list = page.locator("#phone-list");
    expect(await list.textContent()).toContain("+39 333 123 4567");
    expect(await list.textContent()).toContain("+39 340 111 2233");

    await page.mouse.move(0, 0);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    // A close look at the first phone, scrolled to the comune's media messages.
    await mario.locator(".media img").scrollIntoViewIfNeeded();
    await mario.screenshot({ path: SCREENSHOT_PHONE });

    // Closing a panel hides it; focus goes back to where it can be opened again.
    await giulia.getByRole("button", { name: "Chiudi il telefono di Giulia Bianchi" }).click();
    await expect.poll(() => giulia.count()).toBe(0);
    const reopen = page.getByRole("button", { name: "Apri il telefono di Giulia Bianchi" });
    expect(await page.locator(":focus").getAttribute("aria-label")).toBe(
      "Apri il telefono di Giulia Bianchi",
    );
    await reopen.press("Enter");
    await giulia.waitFor();

    expect(problems).toEqual([]);
  });

  it("stops polling while the tab is hidden and catches up when it is shown", async () => {
    const setHidden = (hidden: boolean) =>
      page.evaluate(`Object.defineProperty(document, "hidden", {
        configurable: true,
        get: () => ${hidden},
      });
      document.dispatchEvent(new Event("visibilitychange"));`);
    await setHidden(true);
    await page.waitForTimeout(500); // a request already in flight may still land
    const before = traffic.conversationFetches;
    await page.waitForTimeout(2500);
    expect(traffic.conversationFetches).toBe(before);

    await api.send("concorezzo", MARIO, { type: "text", body: "Messaggio arrivato in background" });
    await setHidden(false);
    await phonePanel(MARIO).locator(".msg--in", { hasText: "in background" }).waitFor();
    expect(traffic.conversationFetches).toBeGreaterThan(before);
  });
});
