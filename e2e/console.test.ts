import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { AxeBuilder } from "@axe-core/playwright";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startInProcessServer,
  type InProcessServer,
} from "../src/server/test/in-process-server.js";
import { SHIPPED_TENANTS_DIR } from "../src/server/test/build-test-app.js";
import { totpCode } from "../src/server/test/staff-kit.js";
import { launchChromium } from "./browser.js";
import { adminApi, approveAndFollow, LUCIA_VERDI, showInSandboxChat } from "./console-kit.js";

/**
 * The staff console in a real browser against the real server (sandbox mode, SQLite): an editor
 * made with `banditore users add` sets up her account through the one-time link and logs in with
 * TOTP, writes a broadcast; an approver (a second account, with roles in two comuni) approves it,
 * its progress reaches 100% and a simulated phone on /sandbox shows the text; a viewer sees no
 * composer and the API refuses her. Every page passes axe-core with no serious or critical
 * violation, and is photographed at 1280 and 375 pixels (test-results/console/).
 */

const run = promisify(execFile);
const ROOT = new URL("../", import.meta.url).pathname;
const SHOTS = path.join(ROOT, "test-results/console");
const ADMIN_TOKEN = "console-test-break-glass-token-0123456789";
const TENANT = "casale-marittimo";
const CASALE_NUMBER = "393760088777";
const CITIZEN = LUCIA_VERDI.waId;
const PASSWORD = "un gatto nero sul tetto di casa";
const TEXT =
  "Domenica si vota per il referendum: i seggi sono aperti dalle 7 alle 23. Porta con te la tessera elettorale e un documento.";

let running: InProcessServer;
let dataDir: string;
let browser: Browser;
const problems: string[] = [];
const accessibility: string[] = [];

beforeAll(async () => {
  // The console as `npm start` builds it (a no-op when the build is current).
  await run("node", ["scripts/build-console.js"], { cwd: ROOT });
  await mkdir(SHOTS, { recursive: true });
  dataDir = await mkdtemp(path.join(tmpdir(), "banditore-console-"));
  running = await startInProcessServer({ env: { DATA_DIR: dataDir, ADMIN_TOKEN } });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await running?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function newPage(width = 1280): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    viewport: { width, height: 900 },
    locale: "it-IT",
  });
  const page = await context.newPage();
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    // Refusals the test provokes on purpose (a viewer's call, an empty field, a 401 probe).
    if (/status of (400|401|403)\b/.test(message.text())) return;
    problems.push(`console: ${message.text()}`);
  });
  return { context, page };
}

/** axe-core on the page as it is now, then a screenshot at 1280 px and one at 375 px. */
async function inspect(page: Page, name: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  for (const v of result.violations) {
    if (v.impact === "serious" || v.impact === "critical") {
      accessibility.push(
        `${name}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
      );
    }
  }
  const size = page.viewportSize() ?? { width: 1280, height: 900 };
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.screenshot({ path: path.join(SHOTS, `${name}-1280.png`), fullPage: true });
  await page.setViewportSize({ width: 375, height: 800 });
  await page.screenshot({ path: path.join(SHOTS, `${name}-375.png`), fullPage: true });
  // The phone width must not scroll sideways.
  const overflow = await page.evaluate<number>(
    "document.documentElement.scrollWidth - document.documentElement.clientWidth",
  );
  if (overflow > 0) accessibility.push(`${name}: ${overflow} px of horizontal scroll at 375 px`);
  await page.setViewportSize(size);
}

const api = (method: string, url: string, body?: unknown) =>
  adminApi(running.baseUrl, ADMIN_TOKEN, method, url, body);

/** The link as the server prints it, pointed at this test's server. */
const local = (link: string) => link.replace(/^https?:\/\/[^/]+/, running.baseUrl);

/** The recovery codes each person saved at setup, by TOTP secret. */
const recoveryCodes = new Map<string, string[]>();

/** Password, then (unless skipped) TOTP with the QR code's key; answers the TOTP secret. */
async function setUp(
  page: Page,
  link: string | undefined,
  name: string,
  totp = true,
): Promise<string> {
  // No link: the page is open on it already (a first attempt was refused).
  if (link) await page.goto(local(link));
  await page.getByLabel("Nuova password").fill(PASSWORD);
  await page.getByLabel("Ripeti la password").fill(PASSWORD);
  if (name) await inspect(page, `${name}-password`);
  await page.getByRole("button", { name: "Salva la password" }).click();
  await page.getByRole("img", { name: "Codice QR per l'app di autenticazione" }).waitFor();
  // The token left the address bar once read.
  expect(page.url()).not.toContain("token");
  const secret = (await page.getByTestId("totp-secret").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
  if (name) await inspect(page, `${name}-totp`);
  if (!totp) {
    await page.getByRole("button", { name: "Lo farò più tardi" }).click();
    return "";
  }
  await page.getByLabel("Codice mostrato dall'app").fill(await totpCode(secret, Date.now()));
  await page.getByRole("button", { name: "Attiva la verifica in due passaggi" }).click();
  const codes = page.getByRole("list", { name: "Codici di recupero" });
  await codes.waitFor();
  const saved = await codes.getByRole("listitem").allTextContents();
  expect(saved).toHaveLength(10);
  recoveryCodes.set(
    secret,
    saved.map((c) => c.trim()),
  );
  const done = page.getByRole("button", { name: "Vai alla console" });
  expect(await done.isDisabled()).toBe(true);
  if (name) await inspect(page, `${name}-codes`);
  await tick(page, "Ho salvato i codici di recupero in un posto sicuro");
  await done.click();
  return secret;
}

/** Bootstrap Italia draws the box over the input: a person clicks the label. */
async function tick(page: Page, label: string): Promise<void> {
  await page.locator("label", { hasText: label }).click();
  expect(await page.getByLabel(label).isChecked()).toBe(true);
}

async function logIn(
  page: Page,
  email: string,
  secret?: string,
  with_: "totp" | "recovery" = "totp",
): Promise<void> {
  // As a person does: the console's address, which asks for the login first and then shows
  // the page (a login opened straight at /console/login hid a bounce back to it).
  await page.goto(`${running.baseUrl}/console/`);
  await page.waitForURL(/\/console\/login\?next=/);
  await page.getByLabel("Indirizzo e-mail").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
  await page.getByRole("button", { name: "Entra" }).click();
  if (secret && with_ === "recovery") {
    await page
      .getByRole("button", { name: "Non ho l'app con me: uso un codice di recupero" })
      .click();
    await page.getByLabel("Codice di recupero").fill(recoveryCodes.get(secret)?.[0] ?? "");
    await page.getByRole("button", { name: "Verifica" }).click();
  } else if (secret) {
    await page.getByLabel("Codice di verifica").waitFor();
    // The next 30-second step: the one used at enrolment may not be used again.
    await page.getByLabel("Codice di verifica").fill(await totpCode(secret, Date.now() + 30_000));
    await page.getByRole("button", { name: "Verifica" }).click();
  }
  await toBroadcasts(page);
}

/** A login lands on the comune's overview; the broadcasts are one menu entry away. */
async function toBroadcasts(page: Page): Promise<void> {
  await page.getByRole("heading", { name: "Riepilogo", level: 1 }).waitFor();
  await page
    .getByRole("navigation", { name: "Menu principale" })
    .getByRole("link", { name: "Comunicazioni" })
    .click();
  await page.getByRole("heading", { name: "Comunicazioni", level: 1 }).waitFor();
}

async function logOut(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Esci" }).click();
  await page.getByText("Sei uscito dalla console.").waitFor();
}

describe("the staff console on the real server", () => {
  let annaSecret = "";
  let brunoSecret = "";
  let broadcastUrl = "";

  it("serves a home page that leads to the console, the sandbox and each comune's page", async () => {
    const { context, page } = await newPage();
    await page.goto(`${running.baseUrl}/`);
    expect(await page.getByRole("link", { name: "Apri la console" }).getAttribute("href")).toBe(
      "/console/",
    );
    expect(
      await page.getByRole("link", { name: "Apri i telefoni simulati" }).getAttribute("href"),
    ).toBe("/sandbox");
    expect(
      await page
        .getByRole("link", { name: /^Pagina del servizio\W+Comune di Casale Marittimo$/ })
        .getAttribute("href"),
    ).toBe("/c/casale-marittimo/");
    await page.getByText("+39 376 008 8777").waitFor();
    await inspect(page, "home");
    await context.close();
  });

  it("lets an editor made by `banditore users add` set up her account with TOTP and log in", async () => {
    const { stdout } = await run(
      "npx",
      [
        "tsx",
        "src/server/cli.ts",
        "users",
        "add",
        "--email",
        "anna@comune.casale-marittimo.pi.it",
        "--tenant",
        TENANT,
        "--role",
        "editor",
        "--name",
        "Anna Rossi",
      ],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          DATA_DIR: dataDir,
          TENANTS_DIR: SHIPPED_TENANTS_DIR,
          LOG_LEVEL: "silent",
        },
      },
    );
    const link = /https?:\/\/\S+\/console\/setup#token=\S+/.exec(stdout)?.[0];
    expect(link, stdout).toBeDefined();

    const { context, page } = await newPage();
    // A wrong password is refused next to its field, in Italian.
    await page.goto(local(link ?? ""));
    await page.getByLabel("Nuova password").fill("troppo corta");
    await page.getByLabel("Ripeti la password").fill("troppo corta");
    await page.getByRole("button", { name: "Salva la password" }).click();
    await page.locator("#main .invalid-feedback").first().waitFor();
    expect(await page.locator("#main .invalid-feedback").first().textContent()).toMatch(
      /caratteri/,
    );

    annaSecret = await setUp(page, undefined, "setup");
    await page.getByRole("heading", { name: "Riepilogo", level: 1 }).waitFor();
    expect(page.url()).toBe(`${running.baseUrl}/console/${TENANT}/dashboard`);
    await logOut(page);
    await inspect(page, "login");
    await logIn(page, "anna@comune.casale-marittimo.pi.it", annaSecret);
    await context.close();
  });

  it("lets the editor write a broadcast, seen as the phone will show it, and submit it", async () => {
    // A citizen subscribes to Casale Marittimo on a simulated phone.
    await api("POST", "/sandbox/api/phones", { waId: CITIZEN, name: "Lucia Verdi" });
    await api("POST", `/sandbox/api/phones/${CITIZEN}/messages`, {
      to: CASALE_NUMBER,
      text: "Lucia, Verdi + ATTIVA",
    });
    await expect
      .poll(
        async () => {
          const sent = (await api(
            "GET",
            `/sandbox/api/phones/${CITIZEN}/messages?to=${CASALE_NUMBER}`,
          )) as {
            messages?: { text?: string; buttons?: unknown }[];
          };
          return JSON.stringify(sent).includes("Confermo");
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await api("POST", `/sandbox/api/phones/${CITIZEN}/messages`, {
      to: CASALE_NUMBER,
      tap: "Confermo",
    });

    const { context, page } = await newPage();
    // Her TOTP steps are spent for this minute: she uses a recovery code.
    await logIn(page, "anna@comune.casale-marittimo.pi.it", annaSecret, "recovery");
    await inspect(page, "list-empty");
    await page.getByRole("link", { name: "Nuova comunicazione" }).click();

    // An empty title is refused next to the field, in the user's language.
    await page.getByLabel("Testo del messaggio").fill(TEXT);
    await page.getByRole("button", { name: "Salva la bozza" }).click();
    const titleError = page.locator(".invalid-feedback", { hasText: "non deve essere vuoto" });
    await titleError.waitFor();
    await page.getByRole("button", { name: "English" }).click();
    await page.getByRole("button", { name: "Save the draft" }).click();
    await page.locator(".invalid-feedback", { hasText: "must not be empty" }).waitFor();
    await page.getByRole("button", { name: "Italiano" }).click();

    await page.getByLabel("Titolo (lo vede solo il personale)").fill("Referendum: orari dei seggi");
    expect(await page.getByText(`${[...TEXT].length} di 1024 caratteri`).count()).toBe(1);
    // The preview is the comune's template with the text in it, as the phone shows it.
    const bubble = page.getByTestId("wa-bubble");
    await bubble.getByText("Notizie dal Comune:").waitFor();
    expect(await bubble.textContent()).toContain(TEXT);
    await bubble.locator(".wa-bubble__button", { hasText: "Annulla iscrizione" }).waitFor();

    await page.getByRole("button", { name: "Salva la bozza" }).click();
    await page.getByText("Bozza salvata.").waitFor();
    await expect.poll(() => page.getByTestId("recipients").textContent()).toBe("1 persona");
    await page
      .getByText("«Vota» è un termine di propaganda elettorale", { exact: false })
      .waitFor();
    await page
      .getByText(/su 100/)
      .first()
      .waitFor();
    await inspect(page, "composer");

    await page.getByRole("button", { name: "Invia all'approvazione" }).click();
    await page.getByText("Comunicazione inviata all'approvazione.").waitFor();
    expect(await page.locator("[data-status]").first().getAttribute("data-status")).toBe(
      "submitted",
    );
    // The author may not approve: the button is not there for an editor.
    expect(await page.getByRole("button", { name: "Approva e invia" }).count()).toBe(0);
    broadcastUrl = page.url().replace(/\?.*$/, "");
    await context.close();
  });

  it("lets an approver with two comuni switch, acknowledge the warning, approve and follow it to 100%", async () => {
    const added = await api("POST", `/api/tenants/${TENANT}/users`, {
      email: "bruno@comune.casale-marittimo.pi.it",
      displayName: "Bruno Neri",
      roles: ["approver"],
    });
    await api("POST", "/api/tenants/concorezzo/users", {
      email: "bruno@comune.casale-marittimo.pi.it",
      displayName: "Bruno Neri",
      roles: ["viewer"],
    });
    const { context, page } = await newPage();
    brunoSecret = await setUp(page, String(added.setupLink), "");
    await toBroadcasts(page);
    await logOut(page);
    await logIn(page, "bruno@comune.casale-marittimo.pi.it", brunoSecret);

    // The comune switcher lists both comuni.
    const switcher = page.getByLabel("Cambia Comune");
    await switcher.selectOption("concorezzo");
    await page.waitForURL(/\/console\/concorezzo\/broadcasts$/);
    await page
      .getByRole("heading", { name: "Comune di Concorezzo" })
      .or(page.getByText("Comune di Concorezzo").first())
      .waitFor();
    await switcher.selectOption(TENANT);
    await page.waitForURL(new RegExp(`/console/${TENANT}/broadcasts$`));
    await page.getByRole("link", { name: "Referendum: orari dei seggi" }).waitFor();
    await inspect(page, "list");

    await page.goto(broadcastUrl);
    const approve = page.getByRole("button", { name: "Approva e invia" });
    await approve.waitFor();
    expect(await approve.isDisabled()).toBe(true);
    // Each warning is acknowledged on its own; approval waits for the last one.
    const acks = page.locator("label", { hasText: "Ho letto l'avviso e confermo" });
    const warnings = await acks.count();
    expect(warnings).toBeGreaterThan(0);
    await page.getByText(`0 di ${warnings} avvisi confermati`).waitFor();
    await inspect(page, "detail-submitted");
    for (let i = 0; i < warnings; i += 1) {
      expect(await approve.isDisabled()).toBe(true);
      await acks.nth(i).click();
    }
    await page.getByText(`${warnings} di ${warnings} avvisi confermati`).waitFor();
    expect(await approve.isDisabled()).toBe(false);
    await approveAndFollow(page, approve);
    await inspect(page, "detail-sent");
    await context.close();

    // The citizen's simulated phone shows it.
    const phone = await newPage();
    await showInSandboxChat(
      phone.page,
      running.baseUrl,
      LUCIA_VERDI,
      "Domenica si vota per il referendum",
    );
    await phone.page.screenshot({ path: path.join(SHOTS, "sandbox-phone-1280.png") });
    await phone.context.close();
  });

  it("shows a viewer no composer, and the API refuses her a broadcast", async () => {
    const added = await api("POST", `/api/tenants/${TENANT}/users`, {
      email: "carla@comune.casale-marittimo.pi.it",
      displayName: "Carla Bassi",
      roles: ["viewer"],
    });
    const { context, page } = await newPage(375);
    await setUp(page, String(added.setupLink), "", false);
    // A viewer reads the broadcasts and changes nothing: no composer, no action.
    await page.getByRole("link", { name: "Referendum: orari dei seggi" }).waitFor();
    expect(await page.getByRole("link", { name: "Nuova comunicazione" }).count()).toBe(0);
    // Not even by its address.
    await page.goto(`${running.baseUrl}/console/${TENANT}/broadcasts/new`);
    await page.waitForURL(new RegExp(`/console/${TENANT}/broadcasts$`));
    expect(await page.getByLabel("Testo del messaggio").count()).toBe(0);

    await page.goto(broadcastUrl);
    await page.getByRole("heading", { name: "Referendum: orari dei seggi" }).waitFor();
    expect(await page.getByRole("button", { name: "Annulla la comunicazione" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Approva e invia" }).count()).toBe(0);
    await inspect(page, "detail-viewer");

    // A direct call with her own session and CSRF token is refused.
    const status = await page.evaluate(async (tenant) => {
      const me = (await (await fetch("/api/auth/me")).json()) as { csrfToken: string };
      const response = await fetch(`/api/tenants/${tenant}/broadcasts`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": me.csrfToken },
        body: JSON.stringify({ title: "Prova", text: "Prova di invio" }),
      });
      return response.status;
    }, TENANT);
    expect(status).toBe(403);
    await context.close();
  });

  it("had no script error and no serious or critical accessibility violation on any page", () => {
    expect(problems).toEqual([]);
    expect(accessibility).toEqual([]);
  });
});
