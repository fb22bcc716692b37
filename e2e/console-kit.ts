import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { AxeBuilder } from "@axe-core/playwright";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { systemClock } from "../src/server/platform/clock.js";
import type { Role } from "../src/server/platform/http/access.js";
import {
  startInProcessServer,
  type InProcessServer,
} from "../src/server/test/in-process-server.js";
import { CASALE_NUMBER } from "../src/server/test/sandbox-phones.js";
import { seedUser } from "../src/server/test/staff-kit.js";
import { launchChromium } from "./browser.js";

const run = promisify(execFile);
const ROOT = new URL("../", import.meta.url).pathname;

/**
 * What the console's browser tests share: the console built as `npm start` builds it, the real
 * server (sandbox mode, SQLite in a fresh directory), Debian's chromium, and the checks every page
 * passes: no script error, axe-core with no serious or critical violation, screenshots at 1280
 * and 375 pixels under test-results/{shots}/, and no sideways scroll on the phone.
 */
/** The screenshots' folder under test-results/, and more environment for the server. */
export interface ConsoleOptions {
  shots: string;
  env?: Record<string, string>;
}

export class ConsoleBrowser {
  readonly problems: string[] = [];
  readonly accessibility: string[] = [];
  // Set by `open`, before any test uses them.
  server!: InProcessServer;
  browser!: Browser;
  private shots = "";
  private dataDir = "";

  private constructor() {}

  static async start(options: ConsoleOptions): Promise<ConsoleBrowser> {
    const c = new ConsoleBrowser();
    await c.open(options);
    return c;
  }

  /**
   * The console for the tests of the file (or describe block) that calls it: started before
   * them, closed after. Its server and browser are there once the hook has run.
   */
  static use(options: ConsoleOptions): ConsoleBrowser {
    const c = new ConsoleBrowser();
    beforeAll(() => c.open(options), 180_000);
    afterAll(() => c.close());
    return c;
  }

  private async open(options: ConsoleOptions): Promise<void> {
    await run("node", ["scripts/build-console.js"], { cwd: ROOT });
    this.shots = path.join(ROOT, "test-results", options.shots);
    await mkdir(this.shots, { recursive: true });
    this.dataDir = await mkdtemp(path.join(tmpdir(), "banditore-console-"));
    this.server = await startInProcessServer({ env: { DATA_DIR: this.dataDir, ...options.env } });
    this.browser = await launchChromium();
  }

  get baseUrl(): string {
    return this.server.baseUrl;
  }

  async close(): Promise<void> {
    // Whatever `open` got to before it failed, if it did.
    if (this.browser as Browser | undefined) await this.browser.close();
    if (this.server as InProcessServer | undefined) await this.server.close();
    if (this.dataDir) await rm(this.dataDir, { recursive: true, force: true });
  }

  /** A fresh browser (own cookies), Italian unless told, its script errors collected. */
  async newPage(width = 1280, locale = "it-IT"): Promise<{ context: BrowserContext; page: Page }> {
    const context = await this.browser.newContext({ viewport: { width, height: 900 }, locale });
    const page = await context.newPage();
    page.on("pageerror", (error) => this.problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      // Refusals the tests provoke on purpose (a role's missing permission, an empty field).
      if (/status of (400|401|403|404|409)\b/.test(message.text())) return;
      this.problems.push(`console: ${message.text()}`);
    });
    return { context, page };
  }

  /**
   * A browser already logged in as a new staff member with these roles (written straight into
   * the database, as `banditore users add` and the setup would leave them): for the pages
   * behind the login, whose setup and login console.test.ts goes through.
   */
  async signedIn(
    email: string,
    roles: Record<string, Role[]>,
    width = 1280,
  ): Promise<{ context: BrowserContext; page: Page; userId: number }> {
    const user = await seedUser(this.server.server.database.db, systemClock, {
      email,
      roles,
      totp: true,
    });
    const cookie = (await user.session()).cookie ?? "";
    const at = cookie.indexOf("=");
    const [name, value] = [cookie.slice(0, at), cookie.slice(at + 1)];
    const opened = await this.newPage(width);
    await opened.context.addCookies([{ name, value, url: this.baseUrl }]);
    return { ...opened, userId: user.id };
  }

  /** axe-core on the page as it is now, then a screenshot at 1280 px and one at 375 px. */
  async inspect(page: Page, name: string): Promise<void> {
    // A button just clicked may still be fading to its focused colours: axe measures the page
    // as it ends up, not halfway through a CSS transition (a second at most: never a spinner's
    // endless animation). A dialog just opened may not have started its fade yet: it is drawn
    // but still transparent until Bootstrap adds `show`, so that is waited for first.
    const fadingIn = `[...document.querySelectorAll(".modal")].filter((m) => !m.classList.contains("show") && getComputedStyle(m).display !== "none").length`;
    await expect.poll(() => page.evaluate<number>(fadingIn), { timeout: 5_000 }).toBe(0);
    await page.evaluate(`Promise.race([
      Promise.all(document.getAnimations().filter((a) => a instanceof CSSTransition).map((a) => a.finished.catch(() => undefined))),
      new Promise((resolve) => setTimeout(resolve, 1000)),
    ])`);
    const result = await new AxeBuilder({ page }).analyze();
    for (const v of result.violations) {
      if (v.impact === "serious" || v.impact === "critical") {
        this.accessibility.push(
          `${name}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
        );
      }
    }
    const size = page.viewportSize() ?? { width: 1280, height: 900 };
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: path.join(this.shots, `${name}-1280.png`), fullPage: true });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.screenshot({ path: path.join(this.shots, `${name}-375.png`), fullPage: true });
    const overflow = await page.evaluate<number>(
      "document.documentElement.scrollWidth - document.documentElement.clientWidth",
    );
    if (overflow > 0) {
      this.accessibility.push(`${name}: ${overflow} px of horizontal scroll at 375 px`);
    }
    await page.setViewportSize(size);
  }
}

/**
 * A JSON call to the server with the break-glass token (the hosting provider's): how the browser
 * tests set up what a page then shows. Throws with the answer on anything but a 2xx.
 */
export async function adminApi(
  baseUrl: string,
  token: string,
  method: string,
  url: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : {}) as Record<string, unknown>;
}

/**
 * The approver presses the broadcast's `approve` button on `page` (enabled: every warning
 * acknowledged) and follows the broadcast until the page shows it all sent.
 */
export async function approveAndFollow(page: Page, approve: Locator): Promise<void> {
  await approve.click();
  await page.getByText("Comunicazione approvata.").waitFor();
  await expect
    .poll(() => page.getByTestId("progress-percent").textContent(), { timeout: 30_000 })
    .toBe("100% completato");
  await expect
    .poll(() => page.locator("[data-status]").first().getAttribute("data-status"), {
      timeout: 15_000,
    })
    .toBe("sent");
}

/** The citizen of the console's journeys: Lucia Verdi's sandbox phone, which writes to Casale. */
export const LUCIA_VERDI = {
  name: "Lucia Verdi",
  waId: "393471234567",
  writesTo: CASALE_NUMBER.display,
};

/**
 * A citizen's simulated phone on the sandbox page at `baseUrl`: opens it on `page`, picks its
 * chat with the comune it writes to and waits for a message there that contains `text` (what a
 * broadcast brought).
 */
export async function showInSandboxChat(
  page: Page,
  baseUrl: string,
  citizen: { name: string; waId: string; writesTo: string },
  text: string,
): Promise<void> {
  await page.goto(`${baseUrl}/sandbox`);
  await page.locator("body[data-ready]").waitFor();
  await page.getByRole("button", { name: `Apri il telefono di ${citizen.name}` }).click();
  const panel = page.locator(`section.phone[data-wa-id="${citizen.waId}"]`);
  await panel.getByLabel("Scrivi a").selectOption(citizen.writesTo);
  await panel.locator(".msg--in", { hasText: text }).waitFor();
}
