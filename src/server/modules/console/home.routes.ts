import { readFileSync } from "node:fs";
// For `schema.hide`: the home page is not part of the API's description.
import type {} from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import type { Tenant, WhatsAppMode } from "../../config/tenants.js";
import { requestLocale, type Locale } from "../../platform/http/locale.js";
import { VERSION } from "../../platform/package-info.js";
import { CONSOLE_CSP, CONSOLE_DIR } from "./console.routes.js";

/** The home page's texts: what a visitor of the server's address reads, in both languages. */
const TEXTS = {
  it: {
    title: "Banditore",
    tagline: "Il canale WhatsApp di informazione dei Comuni",
    intro:
      "Questo server invia ai cittadini iscritti le comunicazioni dei Comuni elencati qui sotto, un messaggio privato per ciascuno. Chi vuole iscriversi scrive la parola chiave al numero WhatsApp del proprio Comune.",
    staffTitle: "Per il personale del Comune",
    staffText: "Scrivere, approvare e seguire le comunicazioni, con le statistiche del servizio.",
    staffLink: "Apri la console",
    sandboxTitle: "Modalità di prova",
    sandboxText:
      "Questo server non è collegato a WhatsApp: i messaggi arrivano a telefoni simulati, su cui si può provare il servizio come un cittadino.",
    sandboxLink: "Apri i telefoni simulati",
    comuniTitle: "I Comuni serviti",
    number: "Numero WhatsApp",
    keyword: "Per iscriversi scrivi",
    publicPage: "Pagina del servizio",
    noComuni: "Nessun Comune è configurato su questo server.",
    language: "English",
    languageHref: "?lang=en",
    footer: `Banditore ${VERSION}, software libero con licenza EUPL-1.2.`,
  },
  en: {
    title: "Banditore",
    tagline: "The WhatsApp information channel of Italian comuni",
    intro:
      "This server sends the comuni listed below's broadcasts to their subscribed citizens, one private message each. To subscribe, a citizen writes the keyword to their comune's WhatsApp number.",
    staffTitle: "For the comune's staff",
    staffText: "Write, approve and follow broadcasts, with the service's statistics.",
    staffLink: "Open the console",
    sandboxTitle: "Sandbox mode",
    sandboxText:
      "This server is not connected to WhatsApp: messages go to simulated phones, on which you can try the service as a citizen would.",
    sandboxLink: "Open the simulated phones",
    comuniTitle: "The comuni served",
    number: "WhatsApp number",
    keyword: "To subscribe, write",
    publicPage: "Service page",
    noComuni: "No comune is configured on this server.",
    language: "Italiano",
    languageHref: "?lang=it",
    footer: `Banditore ${VERSION}, free software under the EUPL-1.2 licence.`,
  },
} as const satisfies Record<Locale, Record<string, string>>;

const escape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** "393665784663" → "+39 366 578 4663": a comune's public number, as people dial it. */
export function displayNumber(digits: string): string {
  const match = /^39(\d{3})(\d{3})(\d+)$/.exec(digits);
  return match ? `+39 ${match[1]} ${match[2]} ${match[3]}` : `+${digits}`;
}

/** The console's stylesheet (Bootstrap Italia and Titillium Web), when the console is built. */
function consoleStylesheets(): string[] {
  try {
    const manifest = JSON.parse(
      readFileSync(`${CONSOLE_DIR}.vite/manifest.json`, "utf8"),
    ) as Record<string, { isEntry?: boolean; css?: string[] }>;
    const entry = Object.values(manifest).find((m) => m.isEntry);
    return (entry?.css ?? []).map((file) => `/console/${file}`);
  } catch {
    return [];
  }
}

export function homePage(
  locale: Locale,
  tenants: readonly Tenant[],
  mode: WhatsAppMode,
  stylesheets: readonly string[],
): string {
  const t = TEXTS[locale];
  const comuni = tenants.length
    ? tenants
        .map(
          (tenant) => `
        <div class="col-12 col-lg-6">
          <div class="card card-bg shadow-sm rounded h-100"><div class="card-body">
            <h3 class="card-title h5">${escape(tenant.name)}</h3>
            <p class="card-text mb-1">${escape(tenant.serviceName)}</p>
            <dl class="mb-3">
              <dt>${t.number}</dt><dd>${escape(displayNumber(tenant.whatsapp.displayNumber))}</dd>
              <dt>${t.keyword}</dt><dd><strong>${escape(tenant.keywords.subscribe[0] ?? "")}</strong></dd>
            </dl>
            <a class="read-more" href="/c/${encodeURIComponent(tenant.slug)}/">${t.publicPage}<span class="visually-hidden"> – ${escape(tenant.name)}</span></a>
          </div></div>
        </div>`,
        )
        .join("")
    : `<p>${t.noComuni}</p>`;
  const sandbox =
    mode === "sandbox"
      ? `
        <div class="col-12 col-lg-6">
          <div class="callout warning"><div class="callout-title">${t.sandboxTitle}</div>
            <p>${t.sandboxText}</p>
            <div><a class="btn btn-outline-primary" href="/sandbox">${t.sandboxLink}</a></div>
          </div>
        </div>`
      : "";
  return `<!doctype html>
<html lang="${locale}">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${t.title}: ${t.tagline}</title>
  <link rel="icon" href="data:,">
  ${stylesheets.map((href) => `<link rel="stylesheet" href="${escape(href)}">`).join("\n  ")}
</head>
<body>
  <header class="it-header-wrapper">
    <div class="it-header-center-wrapper"><div class="container"><div class="row"><div class="col-12">
      <div class="it-header-center-content-wrapper">
        <div class="it-brand-wrapper"><a href="/"><div class="it-brand-text">
          <div class="it-brand-title">${t.title}</div>
          <div class="it-brand-tagline d-none d-md-block">${t.tagline}</div>
        </div></a></div>
        <div class="it-right-zone"><a class="text-white" href="${t.languageHref}" lang="${locale === "it" ? "en" : "it"}">${t.language}</a></div>
      </div>
    </div></div></div></div>
  </header>
  <main class="container my-5" id="main">
    <h1 class="visually-hidden">${t.title}</h1>
    <p class="lead">${t.intro}</p>
    <div class="row g-4 my-3">
      <div class="col-12 col-lg-6">
        <div class="callout"><div class="callout-title">${t.staffTitle}</div>
          <p>${t.staffText}</p>
          <div><a class="btn btn-primary" href="/console/">${t.staffLink}</a></div>
        </div>
      </div>${sandbox}
    </div>
    <h2 class="h3 mt-5 mb-3">${t.comuniTitle}</h2>
    <div class="row g-4">${comuni}
    </div>
  </main>
  <footer class="it-footer"><div class="it-footer-small-prints clearfix"><div class="container">
    <p class="text-white py-3 mb-0">${t.footer}</p>
  </div></div></footer>
</body>
</html>
`;
}

/** `/`: what this deployment is, with the way to the console, the sandbox and each comune's page. */
export function homeRoutes(deps: { tenants: readonly Tenant[]; mode: WhatsAppMode }) {
  return (app: FastifyInstance) => {
    app.get<{ Querystring: { lang?: string } }>(
      "/",
      { schema: { hide: true }, logLevel: "warn" },
      (request, reply) => {
        const asked = request.query.lang;
        const locale =
          asked === "en" || asked === "it"
            ? asked
            : requestLocale(request.headers["accept-language"]);
        return reply
          .type("text/html; charset=utf-8")
          .header("content-security-policy", CONSOLE_CSP)
          .header("x-content-type-options", "nosniff")
          .header("cache-control", "no-cache")
          .header("vary", "accept-language")
          .send(homePage(locale, deps.tenants, deps.mode, consoleStylesheets()));
      },
    );
  };
}
