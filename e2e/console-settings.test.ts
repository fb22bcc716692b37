import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { ConsoleBrowser } from "./console-kit.js";

/**
 * The settings page in a real browser against the real server (sandbox mode, SQLite): a
 * technician of Casale Marittimo tries a message in the "Prova un messaggio" box, changes a text
 * and the service hours, is told of a wrong hour next to its field, saves with a note, sees the
 * version in the history, restores an earlier one behind a confirmation dialog, and checks the
 * WhatsApp templates; a viewer cannot open the page. Every state passes axe-core and is
 * photographed (test-results/console-settings/).
 */

const TENANT = "casale-marittimo";
const AUTO_REPLY = "Grazie del messaggio: questo canale serve solo a informare.";

const c = ConsoleBrowser.use({ shots: "console-settings" });

/** Opens a section of the form (its header is a button with the section's name). */
async function openSection(page: Page, name: string) {
  const header = page.getByRole("button", { name: new RegExp(`^${name}`) });
  if ((await header.getAttribute("aria-expanded")) !== "true") await header.click();
  await expect.poll(() => header.getAttribute("aria-expanded")).toBe("true");
}

async function closeSection(page: Page, name: string) {
  const header = page.getByRole("button", { name: new RegExp(`^${name}`) });
  if ((await header.getAttribute("aria-expanded")) === "true") await header.click();
  await expect.poll(() => header.getAttribute("aria-expanded")).toBe("false");
}

/** The problem shown under a field, read through the field's own aria-describedby. */
async function problemOf(page: Page, label: string): Promise<string> {
  const field = page.getByLabel(label, { exact: true });
  expect(await field.getAttribute("aria-invalid")).toBe("true");
  const ids = (await field.getAttribute("aria-describedby")) ?? "";
  const errorId = ids.split(" ").find((id) => id.endsWith("-error")) ?? "";
  return (await page.locator(`[id="${errorId}"]`).textContent()) ?? "";
}

describe("the settings page", () => {
  it("lets a technician try a message, save, see the history, restore, and sync templates", async () => {
    const { page, context } = await c.signedIn("tecnico@casale.example.it", {
      [TENANT]: ["technician"],
    });
    await page.goto(`${c.baseUrl}/console/${TENANT}/settings`);
    await page.getByRole("heading", { level: 1, name: "Impostazioni" }).waitFor();
    await page.getByRole("heading", { name: "Cronologia delle versioni" }).waitFor();
    expect(await page.getByText("Nessuna versione salvata").isVisible()).toBe(true);
    await c.inspect(page, "settings");

    // "Prova un messaggio": Casale's form, the name read with the keyword.
    await page.getByLabel("Messaggio di prova").fill("Anna, Bianchi + ATTIVA");
    await page.getByRole("button", { name: "Prova", exact: true }).click();
    const result = page.getByTestId("try-result");
    await expect
      .poll(() => result.textContent())
      .toContain("Iscrizione, nome: Anna, cognome: Bianchi");
    expect(await result.textContent()).toContain("Parola chiave riconosciuta: ATTIVA");
    await c.inspect(page, "settings-try");

    // A text and the service hours; an hour that does not exist first.
    await openSection(page, "Testi per i cittadini");
    await page.getByLabel("Risposta automatica – In italiano", { exact: true }).fill(AUTO_REPLY);
    await openSection(page, "Orari del servizio");
    // Bootstrap Italia draws the box on the label, over the input.
    await page.getByText("Il servizio ha orari dichiarati").click();
    expect(await page.getByLabel("Il servizio ha orari dichiarati").isChecked()).toBe(true);
    await page.getByLabel("Lunedì", { exact: true }).fill("09:00-13:00");
    await page.getByLabel("Martedì", { exact: true }).fill("09:00-25:00");
    await page
      .getByLabel("Come si leggono gli orari, in italiano", { exact: true })
      .fill("il lunedì e il martedì, dalle 9 alle 13");
    expect(await page.getByTestId("pending").textContent()).toBe(
      "Modifiche da salvare: Testi per i cittadini, Orari del servizio.",
    );
    await page.getByLabel("Nota sul salvataggio").fill("Orari dell'ufficio e nuova risposta");
    await page.getByRole("button", { name: "Salva le modifiche" }).click();
    await expect
      .poll(() => problemOf(page, "Martedì"))
      .toBe("Fascia 1: deve essere un orario come 09:00-13:00 (ore da 00 a 23, minuti da 00 a 59)");
    // The focus went to the field at fault.
    const tuesday = await page.getByLabel("Martedì", { exact: true }).getAttribute("id");
    expect(await page.evaluate<string>("document.activeElement.id")).toBe(tuesday);
    await c.inspect(page, "settings-invalid");

    await page.getByLabel("Martedì", { exact: true }).fill("09:00-13:00");
    await page.getByRole("button", { name: "Salva le modifiche" }).click();
    await page.getByText("Salvata la versione 1: vale da subito.").waitFor();
    const first = page.getByTestId("version-1");
    expect(await first.textContent()).toContain("Orari dell'ufficio e nuova risposta");
    expect(await first.textContent()).toContain("Testi per i cittadini, Orari del servizio");
    expect(await first.textContent()).toContain("tecnico@casale.example.it");
    // The form starts again from what is in force: the saved values, marked as changed here.
    await openSection(page, "Orari del servizio");
    expect(await page.getByLabel("Lunedì", { exact: true }).inputValue()).toBe("09:00-13:00");
    expect(await page.getByRole("button", { name: /^Orari del servizio/ }).textContent()).toContain(
      "cambiato dalla console",
    );
    await c.inspect(page, "settings-saved");

    // A second save, then the first one back.
    await openSection(page, "Giorni di chiusura");
    await page.getByLabel("Giorno del santo patrono").fill("06-24");
    await page.getByLabel("Nota sul salvataggio").fill("San Giovanni");
    await page.getByRole("button", { name: "Salva le modifiche" }).click();
    await page.getByText("Salvata la versione 2: vale da subito.").waitFor();
    await page.getByRole("button", { name: "Ripristina la versione 1" }).click();
    const dialog = page.getByRole("dialog", { name: "Ripristinare la versione 1?" });
    await dialog.waitFor();
    await c.inspect(page, "settings-restore-dialog");
    await dialog.getByRole("button", { name: "Sì, ripristina" }).click();
    await page.getByText("Ripristino fatto: ora è in vigore la versione 3.").waitFor();
    expect(await page.getByTestId("version-3").textContent()).toContain(
      "Ripristino della versione 1",
    );
    await openSection(page, "Giorni di chiusura");
    expect(await page.getByLabel("Giorno del santo patrono").inputValue()).toBe("");

    // The templates: their status on WhatsApp, checked again on demand.
    await page.getByRole("button", { name: "Verifica ora con WhatsApp" }).click();
    await page.getByText("Modelli verificati con WhatsApp.").waitFor();
    expect(await page.getByTestId("template-text").textContent()).toContain("Approvato");
    expect(await page.getByTestId("templates-synced").textContent()).toContain(
      "Ultima verifica con WhatsApp",
    );
    await c.inspect(page, "settings-templates");

    // The other sections, open, for axe-core and the screenshots (texts and hours closed).
    await closeSection(page, "Testi per i cittadini");
    await closeSection(page, "Orari del servizio");
    for (const name of [
      "Parole chiave",
      "Periodi elettorali",
      "Argomenti",
      "Parole controllate nelle comunicazioni",
      "Prezzi dei messaggi",
    ]) {
      await openSection(page, name);
    }
    // The price list's date, which the estimates quote, kept by a save.
    await page.getByLabel("Listino in vigore dal").fill("2026-10-01");
    await page.getByLabel("Nota sul salvataggio").fill("Listino di ottobre");
    await page.getByRole("button", { name: "Salva le modifiche" }).click();
    await page.getByText("Salvata la versione 4: vale da subito.").waitFor();
    expect(await page.getByTestId("version-4").textContent()).toContain("Prezzi dei messaggi");
    for (const name of ["Parole chiave", "Periodi elettorali", "Prezzi dei messaggi"]) {
      await openSection(page, name);
    }
    expect(await page.getByLabel("Listino in vigore dal").inputValue()).toBe("2026-10-01");
    await page.getByRole("button", { name: "Aggiungi un periodo" }).click();
    await page.getByLabel("Nome", { exact: true }).fill("Elezioni comunali 2027");
    expect(await page.getByLabel("Parole per iscriversi").inputValue()).toBe("ATTIVA");
    await c.inspect(page, "settings-sections");

    // English, for the record.
    await page.getByRole("button", { name: "English" }).click();
    await page.getByRole("heading", { level: 1, name: "Settings" }).waitFor();
    await c.inspect(page, "settings-en");
    await context.close();
  }, 240_000);

  it("is not open to a viewer", async () => {
    const { page, context } = await c.signedIn("consultazione@casale.example.it", {
      [TENANT]: ["viewer"],
    });
    await page.goto(`${c.baseUrl}/console/${TENANT}/settings`);
    await page.getByText("Il tuo ruolo in questo Comune non comprende questa pagina.").waitFor();
    expect(await page.getByLabel("Messaggio di prova").count()).toBe(0);
    expect(await page.getByRole("link", { name: "Impostazioni" }).count()).toBe(0);
    await c.inspect(page, "settings-viewer");
    await context.close();
  });

  it("left no script error and no accessibility violation", () => {
    expect(c.problems).toEqual([]);
    expect(c.accessibility).toEqual([]);
  });
});
