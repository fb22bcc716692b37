import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startInProcessServer,
  type InProcessServer,
} from "../src/server/test/in-process-server.js";
import { launchChromium } from "./browser.js";

/**
 * The promise, played in a real browser against the real server in sandbox mode: a
 * person opens /sandbox, creates a phone, writes to the demo comune, and the service logs the
 * message as received; the comune's reply buttons show up on the phone and can be tapped.
 */

const CONCOREZZO = "393665784663";
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
  it("lets a person write to WhatsConcorezzo and the service receives it", async () => {
    await page.goto(`${running.baseUrl}/sandbox`);
    await page.locator("body[data-ready]").waitFor();
    await page.getByLabel("Numero", { exact: true }).fill("+39 333 123 4567");
    await page.getByLabel("Nome del profilo").fill("Mario Rossi");
    await page.getByRole("button", { name: "Aggiungi e apri" }).click();

    const mario = page.locator(`section.phone[data-wa-id="${MARIO}"]`);
    await mario.waitFor();
    await mario.getByLabel("Scrivi a").selectOption(CONCOREZZO);
    await mario.getByLabel("Messaggio a WhatsConcorezzo").fill("ATTIVA ISCRIZIONE");
    await mario.getByRole("button", { name: "Invia", exact: true }).click();

    // Delivered: the signed webhook reached the service and was stored.
    const bubble = mario.locator(".msg--out", { hasText: "ATTIVA ISCRIZIONE" });
    await expect.poll(() => bubble.locator(".ticks").getAttribute("aria-label")).toBe("Consegnato");
    await expect
      .poll(() => running.log())
      .toContain('"event":"whatsapp.message_received","tenant":"concorezzo"');
    expect(running.log()).not.toContain(MARIO);

    // The comune answers (here through its client directly; the citizens' part comes later).
    const sent = await running.server.whatsapp.forTenant("concorezzo").send({
      to: MARIO,
      message: {
        type: "buttons",
        body: "Vuoi ricevere le notizie di WhatsConcorezzo?",
        buttons: [
          { id: "confirm", title: "Confermo" },
          { id: "cancel", title: "Annulla" },
        ],
      },
    });
    expect(sent.ok).toBe(true);
    const confirm = mario.getByRole("button", { name: "Confermo" });
    await confirm.waitFor();
    const received = running.log().split("whatsapp.message_received").length;
    await confirm.click();
    await expect
      .poll(() => running.log().split("whatsapp.message_received").length)
      .toBe(received + 1);
    await page.screenshot({ path: "/tmp/sandbox-real-server.png" });
  });
});
