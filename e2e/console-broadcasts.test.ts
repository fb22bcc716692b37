import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editedTenants, type EditedTenants } from "../src/server/test/in-process-server.js";
import {
  adminApi,
  approveAndFollow,
  ConsoleBrowser,
  LUCIA_VERDI,
  showInSandboxChat,
} from "./console-kit.js";
import { rgbPng } from "./png.js";

/**
 * The broadcasts pages of the console, end to end on the real server (sandbox mode, SQLite): an
 * editor writes a broadcast with a picture (checked before the upload, seen in the phone
 * preview), is told while typing that WhatsApp refuses a line break, and submits it; an approver
 * approves it, follows it to 100% and finds the failures by reason and the report to download;
 * the list filters by topic, author and dates; in Concorezzo, in an election period, approval
 * needs the declaration and says why without it. Every page passes axe-core and is photographed
 * (test-results/console-broadcasts/).
 */

const ADMIN_TOKEN = "console-broadcasts-break-glass-token-0123456789";
const CASALE = "casale-marittimo";
const CASALE_NUMBER = "393760088777";
const LUCIA = LUCIA_VERDI.waId;
/** Subscribed, then unreachable on WhatsApp: her message fails with 131026. */
const PIERO = "393479876543";
// Days of the comune's calendar: the server reads dates in Europe/Rome, where from 23:00 UTC
// (22:00 in summer) it is already the next day. "sv-SE" writes them as YYYY-MM-DD.
const day = (offset: number) =>
  new Date(Date.now() + offset * 86_400_000).toLocaleDateString("sv-SE", {
    timeZone: "Europe/Rome",
  });
const TODAY = day(0);

/** A 320×160 PNG with three bands of colour, so the preview's picture can be seen. */
function bandsPng(width = 320, height = 160): Buffer {
  const colours = [
    [0, 102, 204],
    [255, 255, 255],
    [0, 140, 69],
  ] as const;
  return rgbPng(
    width,
    height,
    (x) => colours[Math.min(2, Math.floor((x * 3) / width))] ?? [0, 0, 0],
  );
}

let c: ConsoleBrowser;
let tenants: EditedTenants | undefined;

beforeAll(async () => {
  // The demo comuni, Concorezzo in an election period that covers these days.
  tenants = await editedTenants({
    concorezzo: (yaml) => {
      expect(yaml).toMatch(/^broadcasts:\n/m);
      return yaml.replace(
        /^broadcasts:\n/m,
        `broadcasts:\n  electionPeriods: [{ name: "Referendum comunale", from: "${day(-3)}", to: "${day(20)}" }]\n`,
      );
    },
  });
  c = await ConsoleBrowser.start({
    shots: "console-broadcasts",
    env: { TENANTS_DIR: tenants.dir, ADMIN_TOKEN },
  });
}, 120_000);

afterAll(async () => {
  await c?.close();
  await tenants?.remove();
});

const api = (method: string, url: string, body?: unknown) =>
  adminApi(c.baseUrl, ADMIN_TOKEN, method, url, body);

/** A citizen subscribes to Casale Marittimo on a simulated phone, «Confermo» included. */
async function subscribe(waId: string, name: string): Promise<void> {
  await api("POST", "/sandbox/api/phones", { waId, name });
  await api("POST", `/sandbox/api/phones/${waId}/messages`, {
    to: CASALE_NUMBER,
    text: `${name.replace(" ", ", ")} + ATTIVA`,
  });
  await expect
    .poll(
      async () =>
        JSON.stringify(
          await api("GET", `/sandbox/api/phones/${waId}/messages?to=${CASALE_NUMBER}`),
        ).includes("Confermo"),
      { timeout: 15_000 },
    )
    .toBe(true);
  await api("POST", `/sandbox/api/phones/${waId}/messages`, { to: CASALE_NUMBER, tap: "Confermo" });
}

/** A staff member signed in, with the name colleagues know them by. */
async function person(
  email: string,
  name: string,
  roles: Parameters<ConsoleBrowser["signedIn"]>[1],
) {
  const signed = await c.signedIn(email, roles);
  await c.server.server.database.db
    .updateTable("users")
    .set({ display_name: name })
    .where("id", "=", signed.userId)
    .execute();
  return signed;
}

/** Bootstrap Italia draws the box over the input: a person clicks the label. */
async function tick(page: Page, label: string | RegExp): Promise<void> {
  await page.locator("label", { hasText: label }).first().click();
}

async function titlesShown(page: Page): Promise<string[]> {
  await page.locator("[data-testid=broadcasts], #main p[role=status]").first().waitFor();
  return (
    await page.locator("[data-testid=broadcasts] tbody tr td:first-child a").allTextContents()
  ).map((x) => x.trim());
}

describe("the console's broadcasts pages", () => {
  const editorRoles = { [CASALE]: ["editor" as const], concorezzo: ["editor" as const] };
  const approverRoles = { [CASALE]: ["approver" as const], concorezzo: ["approver" as const] };
  let anna: Awaited<ReturnType<typeof person>>;
  let bruno: Awaited<ReturnType<typeof person>>;
  let sagraUrl = "";

  it("lets an editor compose a broadcast with a picture, seen in the preview, and submit it", async () => {
    await subscribe(LUCIA, "Lucia Verdi");
    await subscribe(PIERO, "Piero Gialli");
    await api("PUT", "/sandbox/api/settings", { undeliverableNumbers: [PIERO] });

    anna = await person("anna@comune.casale-marittimo.pi.it", "Anna Rossi", editorRoles);
    const { page } = anna;
    await page.goto(`${c.baseUrl}/console/${CASALE}/broadcasts/new`);
    await page.getByRole("heading", { name: "Nuova comunicazione" }).waitFor();
    await page.getByLabel("Titolo (lo vede solo il personale)").fill("Sagra del pesce");
    await page.getByText("15 di 120 caratteri").waitFor();

    // A line break: WhatsApp refuses it in a template's parameter (132018); said at once.
    const text = page.getByLabel("Testo del messaggio");
    await text.fill(
      "Sabato 12 in piazza Garibaldi c'è la sagra del pesce.\nDalle 19 musica dal vivo.",
    );
    const refusal = page.getByText("Il testo contiene un a capo", { exact: false });
    await refusal.waitFor();
    await inspectHere(page, "composer-line-break");
    await page.getByRole("button", { name: "Unisci in un solo paragrafo" }).click();
    await refusal.waitFor({ state: "detached" });
    expect(await text.inputValue()).toBe(
      "Sabato 12 in piazza Garibaldi c'è la sagra del pesce. Dalle 19 musica dal vivo.",
    );
    await page.getByTestId("text-counter").getByText("79 di 1024 caratteri").waitFor();

    // A file WhatsApp does not take is refused before it is sent, next to the field.
    const file = page.getByLabel("Immagine o documento (facoltativo)");
    await file.setInputFiles({
      name: "locandina.gif",
      mimeType: "image/gif",
      buffer: Buffer.from("GIF89a"),
    });
    await page
      .locator(".invalid-feedback", {
        hasText: "Questo tipo di file non si può inviare su WhatsApp",
      })
      .waitFor();
    expect(await file.getAttribute("aria-invalid")).toBe("true");

    // The picture: uploaded, and shown in the phone as the header of the image template.
    await file.setInputFiles({ name: "sagra.png", mimeType: "image/png", buffer: bandsPng() });
    await page
      .getByTestId("media-file")
      .getByText("File caricato: sagra.png", { exact: false })
      .waitFor();
    const image = page.getByTestId("wa-image");
    await image.waitFor();
    await expect
      .poll(() =>
        page.evaluate<number>(
          "(() => { const i = document.querySelector('[data-testid=wa-image]'); return i && i.complete ? i.naturalWidth : 0; })()",
        ),
      )
      .toBe(320);
    await page
      .getByTestId("wa-template")
      .getByText("«notizia_immagine»", { exact: false })
      .waitFor();
    expect(await page.getByTestId("wa-bubble").textContent()).toContain("sagra del pesce");

    await tick(page, "Solo gli iscritti a questi argomenti");
    await tick(page, "Eventi culturali");
    await page.getByRole("button", { name: "Salva la bozza" }).click();
    await page.getByText("Bozza salvata.").waitFor();
    await expect.poll(() => page.getByTestId("recipients").textContent()).toBe("2 persone");
    await page.getByText("Leggibilità (indice Gulpease)").waitFor();
    await page.getByTestId("cost").waitFor();
    await page
      .getByTestId("messaging-limit")
      .getByText(/Partono tutti oggi|Nessun limite/)
      .waitFor();
    await inspectHere(page, "composer-image");

    await page.getByRole("button", { name: "Invia all'approvazione" }).click();
    await page.getByText("Comunicazione inviata all'approvazione.").waitFor();
    sagraUrl = page.url().replace(/\?.*$/, "");
    // The detail's preview shows the same picture.
    await page.getByTestId("wa-image").waitFor();
    expect(await page.getByRole("button", { name: "Approva e invia" }).count()).toBe(0);
  });

  it("lets an approver approve it, follow it to 100% and find the failures and the report", async () => {
    bruno = await person("bruno@comune.casale-marittimo.pi.it", "Bruno Neri", approverRoles);
    const { page } = bruno;
    await page.goto(sagraUrl);
    const approve = page.getByRole("button", { name: "Approva e invia" });
    await approve.waitFor();
    await page.getByTestId("wa-image").waitFor();
    const acks = page.locator("label", { hasText: "Ho letto l'avviso e confermo" });
    for (let i = 0; i < (await acks.count()); i += 1) await acks.nth(i).click();
    await inspectHere(page, "detail-submitted");
    expect(await approve.isDisabled()).toBe(false);
    await approveAndFollow(page, approve);
    // Piero's number is not on WhatsApp: one message undelivered, with WhatsApp's reason.
    const failures = page.getByTestId("failures");
    await failures.waitFor({ timeout: 20_000 });
    expect(await failures.locator("tbody tr").count()).toBe(1);
    expect(await failures.locator("tbody tr td").last().textContent()).toBe("1");
    const csv = page.getByRole("link", {
      name: "Scarica il resoconto (CSV, per i fogli di calcolo)",
    });
    expect(await csv.getAttribute("href")).toMatch(/\/broadcasts\/\d+\/report\.csv\?lang=it$/);
    const json = page.getByRole("link", {
      name: "Scarica il resoconto (JSON, per altri programmi)",
    });
    expect(await json.getAttribute("href")).toMatch(/\/broadcasts\/\d+\/report\?lang=it$/);
    // The links work with the session: the CSV in Italian, the JSON with the failure's code.
    const downloaded = await page.evaluate(
      async ([a, b]) => [await (await fetch(a ?? "")).text(), await (await fetch(b ?? "")).text()],
      [await csv.getAttribute("href"), await json.getAttribute("href")],
    );
    expect(downloaded[0]).toMatch(/^sezione,voce,valore,descrizione/);
    expect(JSON.parse(downloaded[1] ?? "{}")).toMatchObject({
      failures: [{ code: 131026, count: 1 }],
    });
    await inspectHere(page, "detail-sent");

    // Lucia's phone shows the picture and the text.
    const phone = await c.newPage();
    await showInSandboxChat(phone.page, c.baseUrl, LUCIA_VERDI, "sagra del pesce");
    await phone.page.screenshot({
      path: path.join("test-results", "console-broadcasts", "sandbox-phone-1280.png"),
    });
    await phone.context.close();
  });

  it("filters the list by topic, by author and by dates, and says why a range is wrong", async () => {
    // Another editor's broadcast, on the news.
    const marco = await person("marco@comune.casale-marittimo.pi.it", "Marco Bianchi", editorRoles);
    await marco.page.goto(`${c.baseUrl}/console/${CASALE}/broadcasts/new`);
    await marco.page
      .getByLabel("Titolo (lo vede solo il personale)")
      .fill("Biblioteca: nuovi orari");
    await marco.page
      .getByLabel("Testo del messaggio")
      .fill("Da lunedì la biblioteca è aperta anche il sabato mattina.");
    // A document: the preview shows its card at the top, through the document template.
    await marco.page.getByLabel("Immagine o documento (facoltativo)").setInputFiles({
      name: "orari-biblioteca.pdf",
      mimeType: "application/pdf",
      buffer: Buffer.from("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
    });
    await marco.page.getByTestId("wa-document").getByText("orari-biblioteca.pdf").waitFor();
    await marco.page
      .getByTestId("wa-template")
      .getByText("«notizia_documento»", { exact: false })
      .waitFor();
    await c.inspect(marco.page, "composer-document");
    await tick(marco.page, "Solo gli iscritti a questi argomenti");
    await tick(marco.page, "News dal Comune");
    await marco.page.getByRole("button", { name: "Salva la bozza" }).click();
    await marco.page.getByText("Bozza salvata.").waitFor();
    await marco.context.close();

    const { page } = anna;
    await page.goto(`${c.baseUrl}/console/${CASALE}/broadcasts`);
    expect(await titlesShown(page)).toEqual(["Biblioteca: nuovi orari", "Sagra del pesce"]);
    await page.getByLabel("Argomento").selectOption({ label: "Eventi culturali" });
    await expect.poll(() => titlesShown(page)).toEqual(["Sagra del pesce"]);
    expect(page.url()).toContain("topic=eventi-culturali");
    await page.getByLabel("Argomento").selectOption("");
    await page.getByLabel("Scritta da", { exact: true }).selectOption({ label: "Marco Bianchi" });
    await expect.poll(() => titlesShown(page)).toEqual(["Biblioteca: nuovi orari"]);
    await inspectHere(page, "list-by-author");
    await page.getByRole("button", { name: "Togli i filtri" }).click();
    await expect
      .poll(() => titlesShown(page))
      .toEqual(["Biblioteca: nuovi orari", "Sagra del pesce"]);

    await page.getByLabel("Creata dal").fill(TODAY);
    await page.getByLabel("Creata fino al").fill(TODAY);
    await expect
      .poll(() => titlesShown(page))
      .toEqual(["Biblioteca: nuovi orari", "Sagra del pesce"]);
    await page.getByLabel("Creata fino al").fill("");
    await page.getByLabel("Creata dal").fill(day(1));
    await page.getByText("Nessuna comunicazione con questi filtri.").waitFor();
    // A range ending before it starts: the server's reason, next to the last day.
    await page.getByLabel("Creata fino al").fill(TODAY);
    await page
      .locator(".invalid-feedback", { hasText: "non può venire prima del primo giorno" })
      .waitFor();
    expect(await page.getByLabel("Creata fino al").getAttribute("aria-invalid")).toBe("true");
    await inspectHere(page, "list-bad-range");
  });

  it("in an election period asks the approver for the declaration, and says why without it", async () => {
    const { page } = anna;
    await page.goto(`${c.baseUrl}/console/concorezzo/broadcasts/new`);
    await page.getByLabel("Titolo (lo vede solo il personale)").fill("Chiusura di via Roma");
    await page
      .getByLabel("Testo del messaggio")
      .fill(
        "Da lunedì via Roma è chiusa al traffico per i lavori alla rete idrica, fino a venerdì.",
      );
    await page.getByRole("button", { name: "Salva la bozza" }).click();
    await page.getByText("Bozza salvata.").waitFor();
    await page
      .getByText("è in corso il periodo elettorale «Referendum comunale»", { exact: false })
      .first()
      .waitFor();
    await page.getByRole("button", { name: "Invia all'approvazione" }).click();
    await page.getByText("Comunicazione inviata all'approvazione.").waitFor();
    const url = page.url().replace(/\?.*$/, "");

    const approver = bruno.page;
    await approver.goto(url);
    const declaration = approver.getByTestId("election-declaration");
    await declaration.waitFor();
    const approve = approver.getByRole("button", { name: "Approva e invia" });
    const acks = approver.locator("label", { hasText: "Ho letto l'avviso e confermo" });
    for (let i = 0; i < (await acks.count()); i += 1) await acks.nth(i).click();
    // Without the declaration the server refuses, and the reason is next to it.
    await approve.click();
    await declaration
      .locator(".invalid-feedback", {
        hasText: "vieta alle amministrazioni pubbliche ogni attività di comunicazione",
      })
      .waitFor();
    await inspectHere(approver, "detail-election-refused");

    await tick(approver, "Dichiaro che la comunicazione è impersonale e indispensabile");
    await approver
      .getByLabel("Motivazione (resta nel registro delle attività)")
      .fill(
        "La chiusura della strada riguarda la sicurezza di chi la percorre e non può attendere.",
      );
    await approve.click();
    await approver.getByText("Comunicazione approvata.").waitFor();
    await approver
      .getByText("La verifica qui sotto è quella accettata al momento dell'approvazione.")
      .waitFor();
    await inspectHere(approver, "detail-election-approved");
  });

  it("had no script error and no serious or critical accessibility violation on any page", async () => {
    await anna?.context.close();
    await bruno?.context.close();
    expect(c.problems).toEqual([]);
    expect(c.accessibility).toEqual([]);
  });
});

function inspectHere(page: Page, name: string): Promise<void> {
  return c.inspect(page, name);
}
