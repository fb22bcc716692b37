import { readFile } from "node:fs/promises";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../src/server/platform/clock.js";
import { editedTenants, type EditedTenants } from "../src/server/test/in-process-server.js";
import { seedUser } from "../src/server/test/staff-kit.js";
import { ConsoleBrowser } from "./console-kit.js";

/**
 * The console's admin pages in a real browser against the real server (sandbox mode, SQLite),
 * Casale Marittimo with its moderation inbox turned on (a copy of the demo files): the owner
 * invites a person and sees her setup link once, changes her roles, disables and enables her;
 * creates an API key, sees it once, a machine uses it, she revokes it and the machine is refused;
 * finds all of it in the audit log in Italian, filters it, sees the chain check hold (and name
 * the entry someone then rewrote in the database); reads a message a simulated phone sent. A
 * viewer sees none of these pages. Every page passes axe-core and is photographed at 1280 and
 * 375 pixels (test-results/console-admin/).
 */

const TENANT = "casale-marittimo";
const CASALE_NUMBER = "393760088777";
const CITIZEN = "393471234567";
const MESSAGE = "Buongiorno, il lampione di via Roma è spento da una settimana";

let c: ConsoleBrowser;
let tenants: EditedTenants | undefined;

beforeAll(async () => {
  tenants = await editedTenants({
    "casale-marittimo": (yaml) => `${yaml}\nmoderation:\n  inbox: true\n  retentionDays: 30\n`,
  });
  c = await ConsoleBrowser.start({ shots: "console-admin", env: { TENANTS_DIR: tenants.dir } });
}, 120_000);

afterAll(async () => {
  await c?.close();
  await tenants?.remove();
});

/** Bootstrap Italia draws the box over the input: a person clicks the label. */
async function tick(page: Page, scope: string, label: RegExp): Promise<void> {
  await page
    .getByRole("region", { name: scope, exact: true })
    .locator("label", { hasText: label })
    .click();
}

/** The dialog `name` once it has faded in (axe-core reads colours half-way through otherwise). */
async function dialogShown(page: Page, name: string): Promise<Locator> {
  const dialog = page.getByRole("dialog", { name });
  await dialog.waitFor();
  type Styled = { getComputedStyle: (element: unknown) => { opacity: string } };
  await expect
    .poll(() =>
      page
        .locator(".modal.show")
        .evaluate((m) => (globalThis as unknown as Styled).getComputedStyle(m).opacity),
    )
    .toBe("1");
  return dialog;
}

const page$ = (path: string) => `${c.baseUrl}/console/${TENANT}/${path}`;

/** Today in Rome, as a date field holds it. */
const today = () =>
  new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Rome" }).format(new Date());

describe("the console's admin pages on the real server", () => {
  let owner: { page: Page; userId: number; close: () => Promise<void> };

  beforeAll(async () => {
    const signed = await c.signedIn("sindaco@comune.casale-marittimo.pi.it", {
      [TENANT]: ["owner"],
    });
    await signed.context.grantPermissions(["clipboard-read", "clipboard-write"], {
      origin: c.baseUrl,
    });
    owner = { page: signed.page, userId: signed.userId, close: () => signed.context.close() };
    // Someone who also works for Concorezzo: only the instance administrator manages her account.
    await seedUser(c.server.server.database.db, systemClock, {
      email: "bruna@unione.it",
      roles: { [TENANT]: ["editor"], concorezzo: ["viewer"] },
    });
  });
  afterAll(async () => {
    await owner?.close();
  });

  it("lets the owner invite a person, see her link once, change her roles, disable and enable her", async () => {
    const { page } = owner;
    await page.goto(page$("users"));
    await page.getByRole("heading", { name: "Persone e ruoli", level: 1 }).waitFor();
    await page.getByRole("row", { name: /bruna@unione\.it/ }).waitFor();
    await c.inspect(page, "users");

    // An empty form is refused next to its fields, in Italian.
    await page.getByRole("button", { name: "Invita", exact: true }).click();
    await page.locator("#main .invalid-feedback").first().waitFor();

    await page.getByLabel("Indirizzo e-mail").fill("elena.galli@comune.casale-marittimo.pi.it");
    await page.getByLabel("Nome e cognome").fill("Elena Galli");
    await tick(page, "Invita una persona", /^Redazione/);
    await page.getByRole("button", { name: "Invita", exact: true }).click();

    const linkPanel = page.getByRole("region", { name: "Link di attivazione per Elena Galli" });
    await linkPanel.waitFor();
    const link = await linkPanel.getByLabel("Link di attivazione").inputValue();
    expect(link).toMatch(/\/console\/setup#token=.+/);
    await linkPanel.getByText(/^Vale fino al .+ \(72 ore\)/).waitFor();
    await linkPanel.getByRole("button", { name: "Copia", exact: true }).click();
    await linkPanel.getByText("Copiato negli appunti.").waitFor();
    expect(await page.evaluate<string>("navigator.clipboard.readText()")).toBe(link);
    await c.inspect(page, "users-invited");
    await linkPanel.getByRole("button", { name: "Ho copiato il link, chiudi" }).click();
    // Shown once: gone from the page, and nowhere to be found again.
    expect(await page.getByLabel("Link di attivazione").count()).toBe(0);
    expect(await page.content()).not.toContain(link.split("#token=")[1]);

    const row = page.getByRole("row", { name: /Elena Galli/ });
    await row.getByText("redazione").waitFor();
    await row.getByText("Deve ancora scegliere la password").waitFor();

    // Her roles: she approves too.
    await page.getByRole("button", { name: "Gestisci Elena Galli" }).click();
    const panel = page.getByRole("region", { name: "Elena Galli", exact: true });
    await tick(page, "Elena Galli", /^Approvazione/);
    await panel.getByRole("button", { name: "Salva i ruoli" }).click();
    await panel.getByText("Ruoli salvati.").waitFor();
    await row.getByText("redazione, approvazione").waitFor();
    await c.inspect(page, "users-manage");

    // Disabling asks first, in a dialog.
    await panel.getByRole("button", { name: "Disattiva l'account" }).click();
    const dialog = await dialogShown(page, "Disattivare l'account di Elena Galli?");
    await c.inspect(page, "users-confirm-disable");
    await dialog.getByRole("button", { name: "Disattiva l'account" }).click();
    await panel.getByText("Account disattivato: non può più entrare.").waitFor();
    await row.getByText("Disattivato").waitFor();
    await panel.getByRole("button", { name: "Riattiva l'account" }).click();
    await panel.getByText("Account riattivato.").waitFor();
    await row.getByText("Attivo").waitFor();

    // Meanwhile another comune gives her a role: the server refuses her account to this owner,
    // and the page says so next to her.
    const db = c.server.server.database.db;
    const elena = await db
      .selectFrom("users")
      .select("id")
      .where("email", "=", "elena.galli@comune.casale-marittimo.pi.it")
      .executeTakeFirstOrThrow();
    await db
      .insertInto("user_roles")
      .values({
        tenant_id: "concorezzo",
        user_id: elena.id,
        role: "viewer",
        created_at: Date.now(),
      })
      .execute();
    await panel.getByRole("button", { name: "Crea un nuovo link di attivazione" }).click();
    await panel
      .getByRole("alert")
      .getByText(/lavora anche per un altro Comune, e il suo account lo gestisce solo/)
      .waitFor();
    await panel.getByTestId("managed-elsewhere").waitFor();
    await row.getByText("Lavora anche per un altro Comune").waitFor();
    await c.inspect(page, "users-refused");

    // Someone who works for another comune too: her roles here only, her account is not ours.
    await page.getByRole("button", { name: "Gestisci bruna@unione.it" }).click();
    const bruna = page.getByRole("region", { name: "bruna@unione.it", exact: true });
    await bruna.getByTestId("managed-elsewhere").waitFor();
    expect(await bruna.getByText(/amministratore del servizio/).count()).toBe(1);
    expect(await bruna.getByRole("button", { name: "Disattiva l'account" }).count()).toBe(0);
    await c.inspect(page, "users-elsewhere");
  });

  it("lets the owner create an API key, seen once, that works until she revokes it", async () => {
    const { page } = owner;
    await page
      .getByRole("navigation", { name: "Menu principale" })
      .getByRole("link", { name: "Chiavi API" })
      .click();
    await page.getByRole("heading", { name: "Chiavi API", level: 1 }).waitFor();
    await page.getByText("Nessuna chiave.").waitFor();
    await c.inspect(page, "api-keys");

    await page.getByLabel("Nome della chiave").fill("Protezione civile");
    await tick(page, "Crea una chiave", /^Leggere le comunicazioni$/);
    await page.getByRole("button", { name: "Crea la chiave" }).click();
    const shown = page.getByRole("region", { name: "La chiave «Protezione civile»" });
    await shown.waitFor();
    await shown.getByText(/non sarà più mostrata/).waitFor();
    const key = await shown.getByLabel("Chiave API").inputValue();
    expect(key).toMatch(/^bnd_/);
    await c.inspect(page, "api-keys-created");

    // A machine uses it.
    const asMachine = () =>
      fetch(`${c.baseUrl}/api/tenants/${TENANT}/broadcasts`, {
        headers: { authorization: `Bearer ${key}` },
      });
    expect((await asMachine()).status).toBe(200);

    await shown.getByRole("button", { name: "Ho copiato la chiave, chiudi" }).click();
    expect(await page.getByLabel("Chiave API").count()).toBe(0);
    const row = page.getByRole("row", { name: /Protezione civile/ });
    await row.getByText("Leggere le comunicazioni").waitFor();
    await row.getByText("Attiva").waitFor();

    await page.getByRole("button", { name: "Revoca la chiave Protezione civile" }).click();
    const dialog = await dialogShown(page, "Revocare la chiave «Protezione civile»?");
    await c.inspect(page, "api-keys-confirm-revoke");
    await dialog.getByRole("button", { name: "Revoca" }).click();
    await page.getByText("Chiave revocata: da ora non funziona più.").waitFor();
    await row.getByText(/^Revocata il /).waitFor();
    expect((await asMachine()).status).toBe(401);
  });

  it("shows those actions in the audit log in Italian, filtered, with the chain check holding", async () => {
    const { page } = owner;
    await page.goto(page$("audit"));
    await page.getByRole("heading", { name: "Registro delle attività", level: 1 }).waitFor();
    await page
      .getByTestId("chain-check")
      .getByText(/^Registro integro: verificate \d+ voci\.$/)
      .waitFor();
    const rows = page.getByTestId("audit-row");
    for (const action of [
      "Persona invitata",
      "Ruoli cambiati",
      "Account disattivato",
      "Account riattivato",
      "Chiave API creata",
      "Chiave API revocata",
    ]) {
      await rows.filter({ hasText: action }).first().waitFor();
    }
    // Who did it and to whom, by name.
    const invited = rows.filter({ hasText: "Persona invitata" });
    await invited.getByText("Persona: Elena Galli").waitFor();
    await invited.getByText(/\(tu\)/).waitFor();
    await rows
      .filter({ hasText: "Ruoli cambiati" })
      .getByText("Ruoli: redazione → redazione, approvazione")
      .waitFor();
    await c.inspect(page, "audit");

    await page.getByLabel("Attività", { exact: true }).selectOption("kind:apikey");
    await expect.poll(() => rows.count()).toBe(2);
    const shown = [
      await rows.nth(0).getAttribute("data-action"),
      await rows.nth(1).getAttribute("data-action"),
    ];
    expect(shown).toEqual(["apikey.revoked", "apikey.created"]);
    await rows.filter({ hasText: "Chiave: «Protezione civile»" }).first().waitFor();

    await page.getByLabel("Attività", { exact: true }).selectOption("action:user.disabled");
    await page.getByLabel("Chi", { exact: true }).selectOption(`user:${owner.userId}`);
    await page.getByLabel("Dal giorno", { exact: true }).fill(today());
    await page.getByLabel("Al giorno", { exact: true }).fill(today());
    await expect.poll(() => rows.count()).toBe(1);
    expect(page.url()).toContain("what=action%3Auser.disabled");
    await c.inspect(page, "audit-filtered");
    // Nothing yet tomorrow.
    const tomorrow = new Date(Date.now() + 86_400_000);
    await page
      .getByLabel("Dal giorno")
      .fill(new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/Rome" }).format(tomorrow));
    await page.getByLabel("Al giorno", { exact: true }).fill("");
    await page.getByText("Nessuna voce con questi filtri.").waitFor();
    await page.getByRole("button", { name: "Togli i filtri" }).click();
    await rows.filter({ hasText: "Persona invitata" }).waitFor();

    // The CSV export, for audit.export.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Scarica il registro (CSV)" }).click(),
    ]);
    const csv = await readFile((await download.path()) ?? "", "utf8");
    expect(csv).toContain("apikey.revoked");
    await rows.filter({ hasText: "Registro scaricato" }).waitFor();

    // Someone with the database rewrites an entry: the check names it, in plain words.
    await c.server.server.database.db
      .updateTable("audit_log")
      .set({ summary: '{"from":["editor"],"to":["owner"]}' })
      .where("action", "=", "user.roles_changed")
      .execute();
    await page.getByRole("button", { name: "Verifica di nuovo" }).click();
    const check = page.getByTestId("chain-check");
    await check.getByText("Il registro non è integro.").waitFor();
    await page
      .getByText(/^La voce del .+ \(Ruoli cambiati\) non corrisponde a quella registrata\./)
      .waitFor();
    await c.inspect(page, "audit-broken");
  });

  it("shows a message a simulated phone sent to the comune's inbox, masked, and its report", async () => {
    const sandbox = (url: string, body: unknown) =>
      fetch(`${c.baseUrl}/sandbox/api${url}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await sandbox("/phones", { waId: CITIZEN, name: "Lucia Verdi" })).ok).toBe(true);
    expect(
      (await sandbox(`/phones/${CITIZEN}/messages`, { to: CASALE_NUMBER, text: MESSAGE })).status,
    ).toBe(202);

    const { page } = owner;
    await page.goto(page$("moderation"));
    await page.getByRole("heading", { name: "Messaggi ricevuti", level: 1 }).waitFor();
    await page.getByText(/resta qui per 30 giorni/).waitFor();
    await expect
      .poll(
        async () => {
          await page.reload();
          await page.getByRole("heading", { name: "Messaggi ricevuti", level: 2 }).waitFor();
          return page.getByTestId("inbox-row").filter({ hasText: MESSAGE }).count();
        },
        { timeout: 15_000 },
      )
      .toBe(1);
    const row = page.getByTestId("inbox-row").filter({ hasText: MESSAGE });
    await row.getByText("3934•••••567").waitFor();
    expect(await page.content()).not.toContain(CITIZEN);
    await page.getByText("Nessuna persona da controllare.").waitFor();
    await c.inspect(page, "moderation");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Scarica la segnalazione (CSV)" }).click(),
    ]);
    expect(await readFile((await download.path()) ?? "", "utf8")).toContain("ricevuto_il_utc");
  });

  it("tells a comune without the inbox that it is off, and how the IT office turns it on", async () => {
    const { context, page } = await c.signedIn("sindaco@comune.concorezzo.mb.it", {
      concorezzo: ["owner"],
    });
    await page.goto(`${c.baseUrl}/console/concorezzo/moderation`);
    const off = page.getByTestId("inbox-off");
    await off.getByRole("heading", { name: "La casella dei messaggi ricevuti è spenta" }).waitFor();
    await off.getByText("config/tenants/concorezzo.yaml", { exact: false }).waitFor();
    expect(await off.locator("pre").textContent()).toBe(
      "moderation:\n  inbox: true\n  retentionDays: 30",
    );
    await c.inspect(page, "moderation-off");
    // The same in English, on request.
    await page.getByRole("button", { name: "English" }).click();
    await off.getByRole("heading", { name: "The inbox of messages received is off" }).waitFor();
    await page.getByRole("button", { name: "Italiano" }).click();
    await context.close();
  });

  it("hides these pages from a viewer, who is told so at their address", async () => {
    const { context, page } = await c.signedIn("consultazione@comune.casale-marittimo.pi.it", {
      [TENANT]: ["viewer"],
    });
    await page.goto(page$("broadcasts"));
    const menu = page.getByRole("navigation", { name: "Menu principale" });
    await menu.getByRole("link", { name: "Comunicazioni" }).waitFor();
    for (const entry of [
      "Persone e ruoli",
      "Chiavi API",
      "Registro delle attività",
      "Messaggi ricevuti",
    ]) {
      expect(await menu.getByRole("link", { name: entry }).count(), entry).toBe(0);
    }
    for (const [path, title] of [
      ["users", "Persone e ruoli"],
      ["api-keys", "Chiavi API"],
      ["audit", "Registro delle attività"],
      ["moderation", "Messaggi ricevuti"],
    ] as const) {
      await page.goto(page$(path));
      await page.getByRole("heading", { name: title, level: 1 }).waitFor();
      await page.getByText("Il tuo ruolo in questo Comune non comprende questa pagina.").waitFor();
    }
    await c.inspect(page, "viewer-not-allowed");
    await context.close();
  });

  it("had no script error and no serious or critical accessibility violation on any page", () => {
    expect(c.problems).toEqual([]);
    expect(c.accessibility).toEqual([]);
  });
});
