import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startInProcessServer,
  type InProcessServer,
} from "../src/server/test/in-process-server.js";
import { CASALE_NUMBER, CONCOREZZO_NUMBER } from "../src/server/test/sandbox-phones.js";
import { launchChromium } from "./browser.js";

/**
 * The promise of the quick start, played in a real browser against the real server in sandbox
 * mode: a person opens /sandbox, creates a phone, subscribes to WhatsConcorezzo with its keyword
 * and reads the comune's confirmation; then subscribes to Casale Marittimo with its own form and
 * confirms by tapping the "Confermo" reply button.
 */

const MARIO = "393331234567";

let running: InProcessServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  running = await startInProcessServer();
  browser = await launchChromium();
  page = await (
    await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "it-IT" })
  ).newPage();
});

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

describe("/sandbox on the real server", () => {
  it("lets a person subscribe to each demo comune and read its confirmation", async () => {
    await page.goto(`${running.baseUrl}/sandbox`);
    await page.locator("body[data-ready]").waitFor();
    await page.getByLabel("Numero", { exact: true }).fill("+39 333 123 4567");
    await page.getByLabel("Nome del profilo").fill("Mario Rossi");
    await page.getByRole("button", { name: "Aggiungi e apri" }).click();

    const mario = page.locator(`section.phone[data-wa-id="${MARIO}"]`);
    await mario.waitFor();
    await mario.getByLabel("Scrivi a").selectOption(CONCOREZZO_NUMBER.display);
    await mario.getByLabel("Messaggio a WhatsConcorezzo").fill("ATTIVA ISCRIZIONE");
    await mario.getByRole("button", { name: "Invia", exact: true }).click();

    // Delivered, handled, and answered with Concorezzo's own confirmation.
    const bubble = mario.locator(".msg--out", { hasText: "ATTIVA ISCRIZIONE" });
    await expect.poll(() => bubble.locator(".ticks").getAttribute("aria-label")).toBe("Consegnato");
    await mario.locator(".msg--in", { hasText: "La tua iscrizione a" }).waitFor();
    expect(running.log()).toContain('"event":"citizens.message_handled","tenant":"concorezzo"');
    expect(running.log()).not.toContain(MARIO);

    // Casale Marittimo: "Nome, Cognome + ATTIVA", then the "Confermo" step.
    await mario.getByLabel("Scrivi a").selectOption(CASALE_NUMBER.display);
    await mario
      .getByLabel("Messaggio a WhatsApp del Comune di Casale Marittimo")
      .fill("Mario, Rossi + ATTIVA");
    await mario.getByRole("button", { name: "Invia", exact: true }).click();
    const confirm = mario.getByRole("button", { name: "Confermo" });
    await confirm.waitFor();
    await confirm.click();
    await mario.locator(".msg--in", { hasText: "Ciao Mario, la tua iscrizione" }).waitFor();
    expect(running.log()).not.toContain(MARIO);
    await page.screenshot({ path: "/tmp/sandbox-real-server.png" });
  });
});
