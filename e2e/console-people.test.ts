import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { ConsoleBrowser } from "./console-kit.js";

/**
 * The dashboard and the subscribers pages in a real browser against the real server (sandbox
 * mode, SQLite): two simulated phones subscribe to Casale Marittimo as citizens do (the keyword,
 * the name, "Confermo"); the owner sees them on the dashboard, finds one by full number, reveals
 * it (the audit log shows the reveal), blocks and unblocks, downloads the person's data and
 * erases them (gone from the list, the counts drop); an editor sees the figures and none of the
 * personal data or its buttons. Every page passes axe-core, screenshots in
 * test-results/console-people/.
 */
const TENANT = "casale-marittimo";
const CASALE = "393760088777";
const ANNA = "393471230001";
const BRUNO = "393471230002";

interface PhoneMessage {
  direction: "from_phone" | "to_phone";
  text?: string;
}

const c = ConsoleBrowser.use({ shots: "console-people" });

async function sandbox<T>(method: string, path: string, body?: object): Promise<T> {
  const response = await fetch(`${c.baseUrl}/sandbox/api${path}`, {
    method,
    ...(body
      ? { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }
      : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** What the comune wrote to the phone, once it has written `n` messages. */
async function replies(waId: string, n: number): Promise<PhoneMessage[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { messages } = await sandbox<{ messages: PhoneMessage[] }>(
      "GET",
      `/phones/${waId}/messages?to=${CASALE}`,
    );
    const got = messages.filter((m) => m.direction === "to_phone");
    if (got.length >= n) return got;
    if (Date.now() > deadline) throw new Error(`${waId}: ${got.length} of ${n} replies`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A citizen subscribes from a simulated phone: the keyword, then what the replies ask for (Casale
 * wants "Nome, Cognome + ATTIVA", then the "Confermo" button).
 */
async function subscribe(waId: string, first: string, last: string): Promise<void> {
  await sandbox("POST", "/phones", { waId, name: `${first} ${last}` });
  const write = (body: object) =>
    sandbox("POST", `/phones/${waId}/messages`, { to: CASALE, ...body });
  await write({ text: "ATTIVA ISCRIZIONE" });
  // Casale's form wants the name: the automatic reply says how to write it.
  let got = await replies(waId, 1);
  expect(got[0]?.text).toContain("Nome, Cognome + ATTIVA");
  await write({ text: `${first}, ${last} + ATTIVA` });
  got = await replies(waId, 2);
  expect(got[1]?.text).toContain("Tocca *Confermo*");
  await write({ tap: "Confermo" });
  got = await replies(waId, 3);
  expect(got[2]?.text).toContain("la tua iscrizione");
}

/** A call to the API as the person signed in on the page (their cookie and CSRF token). */
async function asStaff<T>(page: Page, method: "GET" | "POST", path: string, body?: object) {
  const me = (await (await page.request.get(`${c.baseUrl}/api/auth/me`)).json()) as {
    csrfToken: string;
  };
  const response = await page.request.fetch(`${c.baseUrl}/api/tenants/${TENANT}${path}`, {
    method,
    headers: { "x-csrf-token": me.csrfToken },
    ...(body ? { data: body } : {}),
  });
  expect(response.status(), `${method} ${path}: ${await response.text()}`).toBeLessThan(300);
  return (await response.json()) as T;
}

/** A dialog open and done fading in (axe-core would judge its colours half-faded). */
async function dialogShown(page: Page, name: string) {
  const dialog = page.getByRole("dialog", { name });
  await dialog.waitFor();
  await page.locator(".modal.show").waitFor();
  // Bootstrap's fade is a CSS transition: while it runs, it is among the document's animations.
  const fading =
    "document.getAnimations().filter((a) => a instanceof CSSTransition && a.playState === 'running').length";
  await expect.poll(() => page.evaluate<number>(fading), { timeout: 5_000 }).toBe(0);
  return dialog;
}

async function waitForText(page: Page, testId: string, text: string): Promise<void> {
  await page.getByTestId(testId).filter({ hasText: text }).waitFor();
}

describe("the dashboard and the subscribers on the real server", () => {
  let annaId = 0;

  it("shows the owner two active subscribers, their trend and the channel's figures", async () => {
    await subscribe(ANNA, "Anna", "Bianchi");
    await subscribe(BRUNO, "Bruno", "Verdi");
    const { context, page } = await c.signedIn("sindaco@casale.example.it", {
      [TENANT]: ["owner"],
    });
    // The office writes a broadcast and the owner approves it: it reaches both phones.
    const office = await c.signedIn("redazione@casale.example.it", { [TENANT]: ["editor"] });
    const { broadcast } = await asStaff<{ broadcast: { id: number } }>(
      office.page,
      "POST",
      "/broadcasts",
      {
        title: "Biblioteca",
        text: "Da lunedì la biblioteca comunale apre anche il sabato mattina.",
        topics: "all",
      },
    );
    await asStaff(office.page, "POST", `/broadcasts/${broadcast.id}/submit`);
    await office.context.close();
    await asStaff(page, "POST", `/broadcasts/${broadcast.id}/approve`, { acknowledged: [] });
    for (const waId of [ANNA, BRUNO]) await replies(waId, 4);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { broadcast: now } = await asStaff<{ broadcast: { status: string } }>(
        page,
        "GET",
        `/broadcasts/${broadcast.id}`,
      );
      if (now.status === "sent") break;
      if (Date.now() > deadline) throw new Error(`broadcast still ${now.status}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    // Who reads the figures starts from the dashboard.
    await page.goto(`${c.baseUrl}/console/`);
    await page.getByRole("heading", { level: 1, name: "Riepilogo" }).waitFor();
    expect(page.url()).toBe(`${c.baseUrl}/console/${TENANT}/dashboard`);
    await waitForText(page, "active-subscribers", "2");
    await page.getByText("+2 negli ultimi 30 giorni").waitFor();
    // The chart is an image with a name and a summary; its figures are in a table too.
    const chart = page.getByRole("img", {
      name: "Iscritti attivi giorno per giorno, ultimi 30 giorni",
    });
    await chart.waitFor();
    expect(await chart.getAttribute("aria-describedby")).toBeTruthy();
    await page.getByText("Vedi i dati in tabella").click();
    const trend = page.getByRole("table", {
      name: "Iscritti attivi giorno per giorno, ultimi 30 giorni",
    });
    expect(await trend.getByRole("row").count()).toBe(31);
    // Today first: two active at the end of it, two new, none left.
    expect(await trend.getByRole("row").nth(1).getByRole("cell").allTextContents()).toEqual([
      "2",
      "2",
      "0",
    ]);
    // Per topic: both chose nothing, so both receive every topic.
    const topics = page.getByRole("table", { name: "Iscritti attivi per argomento" });
    const culture = topics.getByRole("row", { name: /Eventi culturali/ });
    expect(await culture.getByRole("cell").allTextContents()).toEqual(["0", "2"]);
    // The broadcast, delivered to both phones.
    const recent = page.getByRole("table", { name: /Le ultime comunicazioni partite/ });
    const row = recent.getByRole("row", { name: /Biblioteca/ });
    await row.waitFor();
    const cells = await row.getByRole("cell").allTextContents();
    expect(cells[0]).toBe("inviata");
    expect(cells).toContain("2");
    expect(cells).toContain("100%");
    // This month's messages: what the two phones received (replies and the broadcast).
    const sent = (await replies(ANNA, 0)).length + (await replies(BRUNO, 0)).length;
    expect(sent).toBe(8);
    await waitForText(page, "messages-month", String(sent));
    await waitForText(page, "budget-today", "");
    await c.inspect(page, "dashboard-owner");
    await context.close();
  });

  it("lets the owner find a person by number, reveal, block, unblock, export and erase", async () => {
    const { context, page } = await c.signedIn("titolare@casale.example.it", {
      [TENANT]: ["owner"],
    });
    await page.goto(`${c.baseUrl}/console/${TENANT}/dashboard`);
    await page.getByRole("link", { name: "Iscritti" }).click();
    await page.getByRole("heading", { level: 1, name: "Iscritti" }).waitFor();
    await waitForText(page, "count-active", "2");
    // The list: two people, numbers masked.
    const list = page.getByTestId("people-list");
    await list.waitFor();
    expect(await list.locator("tbody tr").count()).toBe(2);
    const listed = (await list.textContent()) ?? "";
    expect(listed).toContain("+39 34•••••001");
    expect(listed).not.toContain("1230001");
    expect(listed).not.toContain("Anna");
    await c.inspect(page, "subscribers-owner");

    // A number that is not subscribed is said next to the field.
    await page.getByLabel("Numero di telefono").fill("+39 347 999 0000");
    await page.getByRole("button", { name: "Cerca", exact: true }).click();
    await page.getByText("Nessun iscritto con questo numero.").waitFor();

    // Found by the full number, as a person would type it: masked still.
    await page.getByLabel("Numero di telefono").fill("+39 347 123 0001");
    expect(await page.getByText("Nessun iscritto con questo numero.").count()).toBe(0);
    await page.getByRole("button", { name: "Cerca", exact: true }).click();
    const person = page.getByTestId("person");
    await person.waitFor();
    expect(await page.getByTestId("person-number").textContent()).toBe("+39 34•••••001");
    expect(await person.textContent()).not.toContain("Anna");
    await c.inspect(page, "person-masked");

    await page.getByRole("button", { name: "Mostra numero" }).click();
    await waitForText(page, "person-number", "+39 347 123 0001");
    await person.getByText("Anna Bianchi").first().waitFor();
    await c.inspect(page, "person-revealed");
    // The reveal is in the audit log, naming the person by id and masked number only.
    const audit = await page.request.get(`${c.baseUrl}/api/tenants/${TENANT}/audit`);
    const { entries } = (await audit.json()) as {
      entries: { action: string; target: { id: string } | null; summary: unknown }[];
    };
    const reveal = entries.find((e) => e.action === "subscriber.reveal");
    expect(reveal).toBeDefined();
    annaId = Number(reveal?.target?.id);
    expect(annaId).toBeGreaterThan(0);
    expect(JSON.stringify(reveal?.summary)).not.toContain("1230001");
    expect(entries.some((e) => e.action === "subscriber.lookup")).toBe(true);

    // Block: the dialog says what happens, wants a reason, and says what happened.
    await page.getByRole("button", { name: "Blocca", exact: true }).click();
    const blockDialog = await dialogShown(page, "Bloccare questa persona?");
    await blockDialog.getByText("non riceverà più comunicazioni").waitFor();
    await blockDialog.getByRole("button", { name: "Blocca la persona" }).click();
    await blockDialog.getByText("deve indicare il motivo del blocco").waitFor();
    await c.inspect(page, "block-dialog");
    await blockDialog.getByLabel("Motivo del blocco").fill("Messaggi offensivi ripetuti");
    await blockDialog.getByRole("button", { name: "Blocca la persona" }).click();
    await waitForText(page, "person-result", "Persona bloccata");
    await person.getByText("Bloccato", { exact: true }).waitFor();
    // Masked again after a change; the counts follow.
    expect(await page.getByTestId("person-number").textContent()).toBe("+39 34•••••001");
    await waitForText(page, "count-active", "1");
    await waitForText(page, "count-blocked", "1");
    // The list filtered to the blocked people shows her alone.
    await page.getByLabel("Stato").selectOption({ label: "Persone bloccate" });
    await list.locator("tbody tr").nth(1).waitFor({ state: "detached" });
    expect(await list.textContent()).toContain("+39 34•••••001");
    await page.getByLabel("Stato").selectOption({ label: "Tutte le persone" });
    await list.locator("tbody tr").nth(1).waitFor();

    await page.getByRole("button", { name: "Sblocca", exact: true }).click();
    const unblockDialog = await dialogShown(page, "Sbloccare questa persona?");
    await unblockDialog.getByRole("button", { name: "Sblocca la persona" }).click();
    await waitForText(page, "person-result", "Persona sbloccata.");
    await waitForText(page, "count-active", "2");
    await waitForText(page, "count-blocked", "0");

    // Export: the file the browser downloads is the person's data.
    await page.getByRole("button", { name: "Scarica i suoi dati" }).click();
    const exportDialog = await dialogShown(page, "Scaricare i dati di questa persona?");
    await exportDialog.getByText("consegnalo solo alla persona interessata").waitFor();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      exportDialog.getByRole("button", { name: "Scarica il file" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`dati-${TENANT}-iscritto-${annaId}.json`);
    const file = await readFile((await download.path()) ?? "", "utf8");
    expect(file).toContain(ANNA);
    await waitForText(page, "person-result", "File scaricato");

    // Erase: the dialog says it cannot be undone; the person leaves the list, the counts drop.
    await page.getByRole("button", { name: "Cancella i suoi dati" }).click();
    const eraseDialog = await dialogShown(page, "Cancellare i dati di questa persona?");
    await eraseDialog.getByText("Non si può annullare.").waitFor();
    await c.inspect(page, "erase-dialog");
    await eraseDialog.getByRole("button", { name: "Sì, cancella i dati" }).click();
    await waitForText(page, "people-notice", "Dati della persona cancellati");
    expect(await page.getByTestId("person").count()).toBe(0);
    await waitForText(page, "count-active", "1");
    // The list follows: only Bruno is left.
    await list.locator("tbody tr").nth(1).waitFor({ state: "detached" });
    expect(await list.locator("tbody tr").count()).toBe(1);
    expect(await list.textContent()).toContain("+39 34•••••002");
    await c.inspect(page, "subscribers-after-erase");

    await page.getByRole("link", { name: "Riepilogo" }).click();
    await waitForText(page, "active-subscribers", "1");
    await context.close();
  });

  it("shows an editor the figures, and no personal data nor its buttons", async () => {
    const { context, page } = await c.signedIn("ufficio@casale.example.it", {
      [TENANT]: ["editor"],
    });
    await page.goto(`${c.baseUrl}/console/`);
    await page.getByRole("heading", { level: 1, name: "Riepilogo" }).waitFor();
    await waitForText(page, "active-subscribers", "1");
    await c.inspect(page, "dashboard-editor");
    await page.getByRole("link", { name: "Iscritti" }).click();
    await page.getByRole("heading", { level: 1, name: "Iscritti" }).waitFor();
    await waitForText(page, "count-active", "1");
    await c.inspect(page, "subscribers-editor");
    expect(await page.getByRole("heading", { name: "Cerca per numero" }).count()).toBe(0);
    expect(await page.getByTestId("people-list").count()).toBe(0);
    for (const name of ["Mostra numero", "Cancella i suoi dati", "Blocca", "Apri"]) {
      expect(await page.getByRole("button", { name, exact: true }).count(), name).toBe(0);
    }
    // In English too.
    await page.getByRole("button", { name: "English" }).click();
    await page.getByRole("heading", { level: 1, name: "Subscribers" }).waitFor();
    await page.getByRole("heading", { name: "How many" }).waitFor();
    await page.getByRole("link", { name: "Overview" }).click();
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    await page.getByText("+1 in the last 30 days").waitFor();
    await c.inspect(page, "dashboard-editor-en");
    // The API refuses it anyway.
    const refused = await page.request.get(`${c.baseUrl}/api/tenants/${TENANT}/subscribers`);
    expect(refused.status()).toBe(403);
    await context.close();
  });

  it("passes every check on every page", () => {
    expect(c.problems).toEqual([]);
    expect(c.accessibility).toEqual([]);
  });
});
