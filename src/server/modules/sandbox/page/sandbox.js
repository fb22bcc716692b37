/* global document, localStorage, fetch, setTimeout, clearTimeout, IntersectionObserver, CSS, HTMLElement */
/**
 * Simulated phones: a person plays one or more citizens and chats with a comune through the
 * sandbox's JSON API (/sandbox/api). Plain ES module, no framework, no build step.
 *
 * Every server value reaches the page through textContent or an attribute, never as HTML.
 */

const API = "/sandbox/api";
/** How often an open conversation is fetched again (paused while the tab is hidden). */
const POLL_MS = 1000;
/** How often the list of phones is fetched again. */
const PHONES_POLL_MS = 5000;
const STORAGE_KEY = "banditore.sandbox.v1";

/**
 * @typedef {{ tenant: string, name: string, serviceName: string, displayNumber: string, phoneNumberId: string }} ComuneNumber
 * @typedef {{ waId: string, name: string, lastMessageAt: number | null }} PhoneSummary
 * @typedef {{ id: string, title: string, description?: string, section?: string }} Option
 * @typedef {{ kind: "buttons" | "list", header?: string, footer?: string, buttonLabel?: string, options: Option[] }} Interactive
 * @typedef {{ kind: "image" | "video" | "document" | "audio" | "sticker", url?: string, filename?: string, mimeType?: string }} Media
 * @typedef {{ latitude: number, longitude: number, name?: string, address?: string }} Location
 * @typedef {"sent" | "delivered" | "read" | "failed"} Status
 * @typedef {{
 *   id: string, direction: "from_phone" | "to_phone", number: string, tenant: string, type: string,
 *   text?: string, media?: Media, location?: Location, interactive?: Interactive,
 *   template?: { name: string, language: string, category: string },
 *   status: Status, error?: { code: number | string, title: string }, at: number
 * }} PhoneMessage
 * @typedef {{ field: string, problem: string }} FieldProblem
 */

/* ------------------------------------------------------------------------------------------ */
/* Small helpers                                                                               */
/* ------------------------------------------------------------------------------------------ */

/**
 * Creates an element. `props`: "class", "text" (textContent), "on<event>" listeners, booleans
 * (true sets an empty attribute, false/null/undefined skip it), anything else as an attribute.
 * @param {string} tag
 * @param {Record<string, unknown>} [props]
 * @param {...(Node | string | null | undefined | false | Array<Node | string | null | undefined | false>)} children
 * @returns {HTMLElement}
 */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = String(value);
    else if (key === "text") el.textContent = String(value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    } else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) el.append(child);
  }
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";
/** Line icons on a 24×24 grid (drawn here; no icon font, no emoji font needed). */
const ICONS = {
  close: { d: "M6 6l12 12M18 6 6 18" },
  send: { d: "M3.4 20.4 21 12 3.4 3.6v6.4l12 2-12 2z", fill: true },
  pin: {
    d: "M12 21s-6.5-6.2-6.5-11.5a6.5 6.5 0 0 1 13 0C18.5 14.8 12 21 12 21zM12 12a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5z",
  },
  document: {
    d: "M14 3H7a1 1 0 0 0-1 1v16a1 1 0 0 0 1 1h10a1 1 0 0 0 1-1V7zM14 3v4h4M9 13h6M9 17h6",
  },
  reply: { d: "M9 14 4 9l5-5M4 9h10.5a5.5 5.5 0 0 1 0 11H11" },
  list: { d: "M8 6h13M8 12h13M8 18h13M3.5 6h.01M3.5 12h.01M3.5 18h.01" },
};

/** @param {keyof typeof ICONS} name */
function icon(name) {
  const { d, fill } = /** @type {{ d: string, fill?: boolean }} */ (ICONS[name]);
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", `icon icon--${name}`);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(SVG_NS, "path");
  path.setAttribute("d", d);
  if (fill) path.setAttribute("fill", "currentColor");
  else {
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "2");
    path.setAttribute("stroke-linecap", "round");
    path.setAttribute("stroke-linejoin", "round");
  }
  svg.append(path);
  return svg;
}

let idCounter = 0;
/** @param {string} prefix */
const uid = (prefix) => `${prefix}-${++idCounter}`;

/** Country calling codes of two digits; 1 and 7 have one; every other code has three. */
const TWO_DIGIT_CODES = new Set(
  (
    "20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 " +
    "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98"
  ).split(" "),
);

/**
 * "393331234567" → "+39 333 123 4567": the country code, then groups of three digits (the last
 * group takes a lone trailing digit).
 * @param {string} digits
 */
export function formatNumber(digits) {
  if (!/^\d{4,}$/.test(digits)) return digits;
  const ccLength = /^[17]/.test(digits) ? 1 : TWO_DIGIT_CODES.has(digits.slice(0, 2)) ? 2 : 3;
  const cc = digits.slice(0, ccLength);
  const rest = digits.slice(ccLength);
  /** @type {string[]} */
  const groups = [];
  for (let i = 0; i < rest.length; i += 3) groups.push(rest.slice(i, i + 3));
  const last = groups[groups.length - 1];
  if (groups.length > 1 && last !== undefined && last.length === 1) {
    groups.pop();
    groups[groups.length - 1] += last;
  }
  return `+${cc} ${groups.join(" ")}`;
}

/** The same rules as the API: digits only, 8 to 15 of them, the country code first. */
/** @param {string} raw */
export function normalizeWaId(raw) {
  return raw.replace(/[\s.\-()/]/g, "").replace(/^\+/, "");
}

/** @param {string} waId (already normalised) @returns {string | null} the problem, in Italian */
export function waIdProblem(waId) {
  if (waId === "") return "Scrivi il numero di telefono.";
  if (!/^\d+$/.test(waId))
    return "Il numero può contenere solo cifre (spazi e + iniziale vanno bene).";
  if (waId.length < 8 || waId.length > 15) {
    return `Il numero deve avere da 8 a 15 cifre, prefisso del paese compreso (ora ne ha ${waId.length}).`;
  }
  if (waId.startsWith("0")) {
    return "Il numero deve cominciare con il prefisso del paese (39 per l'Italia), non con 0.";
  }
  return null;
}

/** @param {string} name (already trimmed) @returns {string | null} */
export function nameProblem(name) {
  if (name === "") return "Scrivi il nome del profilo.";
  if (name.length > 60)
    return `Il nome può avere al massimo 60 caratteri (ora ne ha ${name.length}).`;
  return null;
}

/**
 * WhatsApp's formatting as DOM nodes: *bold*, _italic_, ~strikethrough~, ```monospace``` and
 * links. Built from text nodes only, so nothing in a message can become markup.
 */
const FORMATTING = new RegExp(
  [
    /(https?:\/\/[^\s<>"]*[^\s<>".,;:!?)\]'»])/.source,
    /```([^]+?)```/.source,
    /(?<![\p{L}\p{N}*])\*(?=\S)([^*\n]*?\S)\*(?![\p{L}\p{N}*])/.source,
    /(?<![\p{L}\p{N}_])_(?=\S)([^_\n]*?\S)_(?![\p{L}\p{N}_])/.source,
    /(?<![\p{L}\p{N}~])~(?=\S)([^~\n]*?\S)~(?![\p{L}\p{N}~])/.source,
  ].join("|"),
  "gu",
);

/**
 * @param {string} text
 * @returns {(Node | string)[]}
 */
export function formatText(text) {
  /** @type {(Node | string)[]} */
  const out = [];
  let last = 0;
  for (const match of text.matchAll(FORMATTING)) {
    const index = match.index ?? 0;
    if (index > last) out.push(text.slice(last, index));
    const [whole, url, mono, bold, italic, strike] = match;
    if (url !== undefined) {
      out.push(h("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: url }));
    } else if (mono !== undefined) out.push(h("code", { text: mono }));
    else if (bold !== undefined) out.push(h("strong", {}, ...formatText(bold)));
    else if (italic !== undefined) out.push(h("em", {}, ...formatText(italic)));
    else if (strike !== undefined) out.push(h("s", {}, ...formatText(strike)));
    last = index + whole.length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Timestamps are milliseconds; a value in seconds is accepted too. @param {number} at */
const toDate = (at) => new Date(at < 1e12 ? at * 1000 : at);

const timeFormat = new Intl.DateTimeFormat("it-IT", { hour: "2-digit", minute: "2-digit" });
const dayFormat = new Intl.DateTimeFormat("it-IT", {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
});
const coordFormat = new Intl.NumberFormat("it-IT", { maximumFractionDigits: 5 });

/** @param {Date} date */
const dayKey = (date) => `${date.getFullYear()}-${date.getMonth()}-${date.getDate()}`;

/** "Oggi", "Ieri" or "lunedì 23 novembre 2026". @param {Date} date */
function dayLabel(date) {
  const today = new Date();
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (dayKey(date) === dayKey(today)) return "Oggi";
  if (dayKey(date) === dayKey(yesterday)) return "Ieri";
  const label = dayFormat.format(date);
  return label.charAt(0).toUpperCase() + label.slice(1);
}

/** "oggi alle 10:42", "ieri alle 18:03", "12/11/2026". @param {number} at */
function whenLabel(at) {
  const date = toDate(at);
  const day = dayLabel(date);
  if (day === "Oggi" || day === "Ieri")
    return `${day.toLowerCase()} alle ${timeFormat.format(date)}`;
  return date.toLocaleDateString("it-IT");
}

/** "Comune di Casale Marittimo" → "Casale Marittimo". @param {ComuneNumber} n */
const placeName = (n) => n.name.replace(/^Comune di\s+/i, "") || n.serviceName;

/**
 * A phone known only from sends has no profile name: show its number instead.
 * @param {{ waId: string, name: string }} phone
 */
const phoneLabel = (phone) => phone.name || formatNumber(phone.waId);

/** @param {string} name */
function initials(name) {
  const words = name
    .replace(/^Comune di\s+/i, "")
    .split(/\s+/)
    .filter(Boolean);
  return (
    words
      .slice(0, 2)
      .map((w) => w.charAt(0).toUpperCase())
      .join("") || "?"
  );
}

/* ------------------------------------------------------------------------------------------ */
/* The API                                                                                     */
/* ------------------------------------------------------------------------------------------ */

class ApiError extends Error {
  /**
   * @param {number} status 0 when the server could not be reached
   * @param {string} code
   * @param {string} message
   * @param {FieldProblem[]} [details]
   */
  constructor(status, code, message, details = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/**
 * @param {"GET" | "POST"} method
 * @param {string} path under /sandbox/api
 * @param {unknown} [body]
 * @returns {Promise<any>} the parsed JSON body, or null for 204
 */
async function api(method, path, body) {
  /** @type {Response} */
  let response;
  try {
    response = await fetch(API + path, {
      method,
      cache: "no-store",
      headers:
        body === undefined
          ? { accept: "application/json" }
          : { accept: "application/json", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "NETWORK", "Il servizio non risponde: è in esecuzione?");
  }
  if (response.status === 204) return null;
  /** @type {any} */
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data && typeof data === "object" ? data.error : undefined;
    throw new ApiError(
      response.status,
      typeof error?.code === "string" ? error.code : `HTTP_${response.status}`,
      typeof error?.message === "string" ? error.message : `Errore ${response.status}`,
      Array.isArray(error?.details) ? error.details : [],
    );
  }
  return data;
}

/** The text to show for a failed send. @param {unknown} error */
function sendErrorText(error) {
  if (!(error instanceof ApiError)) return "Qualcosa è andato storto. Riprova.";
  if (error.status === 403 && error.code === "PHONE_BLOCKED") {
    return "Il Comune ha bloccato questo numero.";
  }
  const details = error.details.map((d) => `${d.field}: ${d.problem}`).join("; ");
  return details ? `${error.message} (${details})` : error.message;
}

/* ------------------------------------------------------------------------------------------ */
/* State                                                                                       */
/* ------------------------------------------------------------------------------------------ */

/** @type {ComuneNumber[]} */
let numbers = [];
/** @type {PhoneSummary[]} */
let phones = [];
/** Open phone panels, in the order shown. @type {Map<string, PhonePanel>} */
const panels = new Map();

/** Sample places for the "Posizione" button: the centre of each demo comune. */
/** @type {Record<string, Location>} */
const SAMPLE_LOCATIONS = {
  concorezzo: {
    latitude: 45.5897,
    longitude: 9.3357,
    name: "Centro di Concorezzo",
    address: "Concorezzo (MB)",
  },
  "casale-marittimo": {
    latitude: 43.2969,
    longitude: 10.6172,
    name: "Centro di Casale Marittimo",
    address: "Casale Marittimo (PI)",
  },
};
/** @type {Location} */
const DEFAULT_LOCATION = {
  latitude: 41.8933,
  longitude: 12.4829,
  name: "Posizione di prova",
  address: "Roma",
};

function saveOpenPanels() {
  try {
    const open = [...panels.values()].map((p) => ({ waId: p.phone.waId, to: p.to }));
    localStorage.setItem(STORAGE_KEY, JSON.stringify({ panels: open }));
  } catch {
    // Storage may be disabled: the page works without remembering.
  }
}

/** @returns {{ waId: string, to: string }[]} */
function loadOpenPanels() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null");
    if (!saved || !Array.isArray(saved.panels)) return [];
    return saved.panels.filter(
      /** @param {any} p */ (p) => typeof p?.waId === "string" && typeof p?.to === "string",
    );
  } catch {
    return [];
  }
}

/** @param {string} number a display number (or, to be lenient, a phone-number id) */
const numberFor = (number) =>
  numbers.find((n) => n.displayNumber === number || n.phoneNumberId === number);

/* ------------------------------------------------------------------------------------------ */
/* Rendering one message                                                                       */
/* ------------------------------------------------------------------------------------------ */

const STATUS_LABELS = {
  sent: "Inviato",
  delivered: "Consegnato",
  read: "Letto",
  failed: "Non inviato",
};

/** @param {Status} status */
function ticks(status) {
  const label = STATUS_LABELS[status] ?? status;
  const symbol = status === "sent" ? "✓" : status === "failed" ? "!" : "✓✓";
  return h("span", {
    class: `ticks ticks--${status}`,
    role: "img",
    "aria-label": label,
    title: label,
    "data-status": status,
    text: symbol,
  });
}

const MEDIA_LABELS = {
  image: "Immagine",
  video: "Video",
  document: "Documento",
  audio: "Audio",
  sticker: "Sticker",
};

/** @param {PhoneMessage} m one line for announcements and the phone list */
function summary(m) {
  const parts = [];
  if (m.media) {
    parts.push(
      m.media.filename
        ? `${MEDIA_LABELS[m.media.kind] ?? "Allegato"} ${m.media.filename}`
        : (MEDIA_LABELS[m.media.kind] ?? "Allegato"),
    );
  }
  if (m.location) parts.push(`Posizione ${m.location.name ?? ""}`.trim());
  if (m.interactive?.header) parts.push(m.interactive.header);
  if (m.text) parts.push(m.text);
  if (m.interactive?.kind === "buttons" && m.interactive.options.length) {
    parts.push(`Pulsanti: ${m.interactive.options.map((o) => o.title).join(", ")}`);
  }
  if (m.interactive?.kind === "list") {
    parts.push(`Elenco di ${m.interactive.options.length} scelte`);
  }
  return parts.join(". ") || `Messaggio di tipo ${m.type}`;
}

/** @param {Media} media */
function renderMedia(media) {
  const label = MEDIA_LABELS[media.kind] ?? "Allegato";
  if (!media.url) {
    return h("p", { class: "media-missing", text: `${label} non disponibile` });
  }
  switch (media.kind) {
    case "image":
    case "sticker":
      return h(
        "a",
        { class: `media media--${media.kind}`, href: media.url, target: "_blank", rel: "noopener" },
        h("img", {
          src: media.url,
          alt: media.filename ? `${label}: ${media.filename}` : label,
          loading: "lazy",
        }),
      );
    case "video":
      return h(
        "video",
        { class: "media media--video", src: media.url, controls: true, preload: "metadata" },
        h("a", { href: media.url, text: "Apri il video" }),
      );
    case "audio":
      return h("audio", {
        class: "media media--audio",
        src: media.url,
        controls: true,
        preload: "metadata",
        "aria-label": "Messaggio audio",
      });
    case "document":
    default: {
      const name = media.filename || "Documento";
      const kind = (media.mimeType?.split("/")[1] ?? "").split(/[.+-]/).pop()?.toUpperCase();
      return h(
        "a",
        { class: "doc", href: media.url, download: media.filename || true },
        icon("document"),
        h(
          "span",
          { class: "doc__text" },
          h("span", { class: "doc__name", text: name }),
          h("span", {
            class: "doc__meta",
            text: kind ? `${kind} · Scarica` : "Scarica",
          }),
        ),
      );
    }
  }
}

/** @param {Location} loc */
function renderLocation(loc) {
  const lat = coordFormat.format(loc.latitude);
  const lon = coordFormat.format(loc.longitude);
  const osm =
    `https://www.openstreetmap.org/?mlat=${loc.latitude}&mlon=${loc.longitude}` +
    `#map=17/${loc.latitude}/${loc.longitude}`;
  return h(
    "div",
    { class: "location" },
    icon("pin"),
    h(
      "span",
      { class: "location__text" },
      h("strong", { text: loc.name || "Posizione" }),
      loc.address ? h("span", { text: loc.address }) : null,
      h("span", { class: "location__coords", text: `${lat}, ${lon}` }),
      h("a", {
        href: osm,
        target: "_blank",
        rel: "noopener noreferrer",
        text: "Apri la mappa (sito esterno)",
      }),
    ),
  );
}

/**
 * One message as a list item. Status marks live in `.bubble__status` and are updated in place
 * (see PhonePanel.applyStatus), so a keyboard user's focus on a button is never lost.
 * @param {PhoneMessage} m
 * @param {PhonePanel} panel
 */
function renderMessage(m, panel) {
  const out = m.direction === "from_phone";
  const service = (numberFor(m.number) ?? numberFor(panel.to))?.serviceName ?? "Comune";
  const li = h("li", { class: `msg ${out ? "msg--out" : "msg--in"}`, "data-id": m.id });
  const bubble = h("div", { class: "bubble" });
  bubble.append(
    h("span", {
      class: "visually-hidden",
      text: out ? "Hai scritto: " : `${service} ha scritto: `,
    }),
  );

  if (m.template) {
    bubble.append(h("p", { class: "bubble__label", text: `Modello «${m.template.name}»` }));
  }
  const interactive = m.interactive;
  if (!out && interactive?.header) {
    bubble.append(h("p", { class: "bubble__header", text: interactive.header }));
  }
  if (m.media) bubble.append(renderMedia(m.media));
  if (m.location) bubble.append(renderLocation(m.location));

  let text = m.text;
  // A tapped button or list row comes back as the option the phone chose.
  if (out && !text && interactive?.options[0]) text = interactive.options[0].title;
  if (text) bubble.append(h("p", { class: "bubble__text" }, ...formatText(text)));
  if (!text && !m.media && !m.location && !interactive) {
    bubble.append(h("p", { class: "bubble__text muted", text: `Messaggio di tipo ${m.type}` }));
  }
  if (!out && interactive?.footer) {
    bubble.append(h("p", { class: "bubble__footer", text: interactive.footer }));
  }

  const date = toDate(m.at);
  bubble.append(
    h(
      "span",
      { class: "bubble__meta" },
      h("time", { datetime: date.toISOString(), text: timeFormat.format(date) }),
      h("span", { class: "bubble__status" }),
    ),
  );
  li.append(bubble, h("p", { class: "bubble__error", role: "note", hidden: true }));

  if (!out && interactive && interactive.options.length) {
    li.append(renderOptions(m, interactive, panel));
  }
  return li;
}

/**
 * Reply buttons or list rows under an interactive message; tapping one sends `tap`.
 * @param {PhoneMessage} m
 * @param {Interactive} interactive
 * @param {PhonePanel} panel
 */
function renderOptions(m, interactive, panel) {
  /** @param {Option} option @param {string} cls @param {...Node} content */
  const optionButton = (option, cls, ...content) =>
    h(
      "button",
      {
        type: "button",
        class: cls,
        "data-option": option.id,
        onclick: () => void panel.tap(m.id, option),
      },
      ...content,
    );

  if (interactive.kind === "buttons") {
    return h(
      "div",
      { class: "options options--buttons", role: "group", "aria-label": "Risposte rapide" },
      interactive.options.map((o) =>
        optionButton(o, "option-button", icon("reply"), h("span", { text: o.title })),
      ),
    );
  }

  const listId = uid(`list-${m.id}`);
  const rows = h("div", { class: "list-rows", id: listId, hidden: true });
  /** @type {Map<string, Option[]>} */
  const sections = new Map();
  for (const option of interactive.options) {
    const key = option.section ?? "";
    sections.set(key, [...(sections.get(key) ?? []), option]);
  }
  for (const [title, options] of sections) {
    const headingId = title ? uid("section") : undefined;
    if (title) rows.append(h("p", { class: "list-rows__section", id: headingId, text: title }));
    rows.append(
      h(
        "ul",
        { class: "list-rows__items", "aria-labelledby": headingId },
        options.map((o) =>
          h(
            "li",
            {},
            optionButton(
              o,
              "list-row",
              h("span", { class: "list-row__title", text: o.title }),
              o.description
                ? h("span", { class: "list-row__description", text: o.description })
                : null,
            ),
          ),
        ),
      ),
    );
  }
  const label = interactive.buttonLabel || "Vedi le scelte";
  const toggle = h(
    "button",
    {
      type: "button",
      class: "option-button list-toggle",
      "aria-expanded": "false",
      "aria-controls": listId,
      onclick: () => {
        const open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", String(open));
        rows.hidden = !open;
      },
    },
    icon("list"),
    h("span", { text: label }),
  );
  return h("div", { class: "options options--list" }, toggle, rows);
}

/* ------------------------------------------------------------------------------------------ */
/* A phone panel                                                                               */
/* ------------------------------------------------------------------------------------------ */

class PhonePanel {
  /**
   * @param {{ waId: string, name: string }} phone
   * @param {string} to the comune's display number
   */
  constructor(phone, to) {
    this.phone = { waId: phone.waId, name: phone.name };
    this.to = to;
    this.closed = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.inFlight = false;
    this.pollAgain = false;
    /** Bumped when the conversation changes under a request in flight: its answer is stale. */
    this.generation = 0;
    this.loaded = false;
    this.sending = false;
    this.inView = true;
    /** The id of the interactive message whose options can be tapped. */
    this.latestInteractive = "";
    this.pollError = false;
    /** @type {Map<string, { li: HTMLElement, signature: string, message: PhoneMessage }>} */
    this.items = new Map();
    /** @type {string[]} ids in the order shown */
    this.order = [];
    /** Incoming messages already reported as read. @type {Set<string>} */
    this.readSent = new Set();
    this.build();
    this.observer = new IntersectionObserver(
      (entries) => {
        this.inView = entries.some((e) => e.isIntersecting);
        this.markRead();
      },
      { threshold: 0.2 },
    );
    this.observer.observe(this.list);
  }

  build() {
    const titleId = uid("phone-title");
    this.title = h("h3", { class: "phonebar__name", id: titleId, text: phoneLabel(this.phone) });
    this.closeButton = h(
      "button",
      {
        type: "button",
        class: "icon-button",
        "aria-label": `Chiudi il telefono di ${phoneLabel(this.phone)}`,
        title: "Chiudi (la conversazione resta salvata)",
        onclick: () => closePanel(this.phone.waId),
      },
      icon("close"),
    );
    const selectId = uid("to");
    this.select = /** @type {HTMLSelectElement} */ (
      h(
        "select",
        { id: selectId, class: "phonebar__select", onchange: () => this.changeComune() },
        numbers.map((n) =>
          h("option", {
            value: n.displayNumber,
            text: `${placeName(n)} · ${formatNumber(n.displayNumber)}`,
          }),
        ),
      )
    );
    this.select.value = this.to;

    this.avatar = h("span", { class: "chat-header__avatar", "aria-hidden": "true" });
    this.serviceName = h("span", { class: "chat-header__name" });
    this.serviceNumber = h("span", { class: "chat-header__number" });
    this.list = h("ol", { class: "messages", tabindex: "0" });
    this.empty = h("p", { class: "messages__empty", text: "Caricamento della conversazione…" });
    this.notice = h("p", { class: "panel__notice", role: "status", hidden: true });
    this.alert = h("p", { class: "panel__alert", role: "alert", hidden: true });
    this.announcer = h("div", { class: "visually-hidden", "aria-live": "polite" });

    const inputId = uid("text");
    this.input = /** @type {HTMLInputElement} */ (
      h("input", {
        id: inputId,
        type: "text",
        class: "composer__input",
        placeholder: "Scrivi un messaggio",
        autocomplete: "off",
        enterkeyhint: "send",
        maxlength: "4096",
      })
    );
    this.inputLabel = h("label", { for: inputId, class: "visually-hidden" });
    this.sendButton = h(
      "button",
      { type: "submit", class: "btn btn--send", "aria-label": "Invia", title: "Invia" },
      icon("send"),
    );
    this.locationButton = h(
      "button",
      {
        type: "button",
        class: "btn btn--ghost",
        title: "Invia una posizione di prova",
        onclick: () => void this.sendLocation(),
      },
      icon("pin"),
      h("span", { text: "Posizione" }),
    );

    this.root = h(
      "section",
      { class: "phone", "aria-labelledby": titleId, "data-wa-id": this.phone.waId },
      h(
        "div",
        { class: "phonebar" },
        h(
          "div",
          { class: "phonebar__top" },
          h(
            "div",
            { class: "phonebar__who" },
            this.title,
            h("span", { class: "phonebar__number", text: formatNumber(this.phone.waId) }),
          ),
          this.closeButton,
        ),
        h(
          "div",
          { class: "phonebar__to" },
          h("label", { for: selectId, text: "Scrivi a" }),
          this.select,
        ),
      ),
      h(
        "div",
        { class: "chat-header" },
        this.avatar,
        h("span", { class: "chat-header__text" }, this.serviceName, this.serviceNumber),
      ),
      h("div", { class: "chat" }, this.list, this.empty),
      this.notice,
      this.alert,
      h(
        "form",
        {
          class: "composer",
          novalidate: true,
          onsubmit: (/** @type {Event} */ event) => {
            event.preventDefault();
            void this.sendText();
          },
        },
        this.inputLabel,
        this.input,
        this.locationButton,
        this.sendButton,
      ),
      this.announcer,
    );
    this.updateHeader();
  }

  updateHeader() {
    const n = numberFor(this.to);
    const service = n?.serviceName ?? "Comune";
    this.avatar.textContent = initials(n?.name ?? service);
    this.serviceName.textContent = service;
    this.serviceNumber.textContent = formatNumber(n?.displayNumber ?? this.to);
    this.inputLabel.textContent = `Messaggio a ${service}`;
    this.list.setAttribute(
      "aria-label",
      `Conversazione di ${phoneLabel(this.phone)} con ${service}`,
    );
  }

  /** @param {string} name */
  rename(name) {
    if (name === this.phone.name) return;
    this.phone.name = name;
    this.title.textContent = phoneLabel(this.phone);
    this.closeButton.setAttribute("aria-label", `Chiudi il telefono di ${phoneLabel(this.phone)}`);
    this.updateHeader();
  }

  changeComune() {
    this.to = this.select.value;
    this.generation++;
    this.items.clear();
    this.order = [];
    this.readSent.clear();
    this.loaded = false;
    this.list.replaceChildren();
    this.empty.textContent = "Caricamento della conversazione…";
    this.empty.hidden = false;
    this.setNotice("");
    this.setAlert("");
    this.updateHeader();
    saveOpenPanels();
    this.requestPoll();
  }

  start() {
    this.requestPoll();
  }

  stop() {
    this.closed = true;
    clearTimeout(this.timer);
    this.observer.disconnect();
  }

  /** Fetch now, or right after the request in flight. */
  requestPoll() {
    if (this.closed) return;
    clearTimeout(this.timer);
    if (this.inFlight) this.pollAgain = true;
    else void this.poll();
  }

  schedule() {
    clearTimeout(this.timer);
    if (this.closed || document.hidden) return; // visibilitychange starts it again
    this.timer = setTimeout(() => void this.poll(), POLL_MS);
  }

  async poll() {
    if (this.closed || this.inFlight || document.hidden) return;
    this.inFlight = true;
    const generation = this.generation;
    const to = this.to;
    try {
      const data = await api(
        "GET",
        `/phones/${encodeURIComponent(this.phone.waId)}/messages?to=${encodeURIComponent(to)}`,
      );
      if (this.closed || generation !== this.generation) return;
      if (typeof data?.phone?.name === "string") this.rename(data.phone.name);
      this.update(Array.isArray(data?.messages) ? data.messages : []);
      if (this.pollError) {
        this.pollError = false;
        this.setNotice("");
      }
    } catch (error) {
      if (this.closed || generation !== this.generation) return;
      this.pollError = true;
      this.setNotice(
        `Conversazione non aggiornata: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      this.inFlight = false;
      if (this.pollAgain || generation !== this.generation) {
        this.pollAgain = false;
        void this.poll();
      } else {
        this.schedule();
      }
    }
  }

  /** @param {PhoneMessage[]} messages oldest first */
  update(messages) {
    const nearBottom =
      this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 80 || !this.loaded;
    const ids = messages.map((m) => m.id);
    // Messages only get appended; anything else (a reset database, say) redraws everything.
    const appendOnly = this.order.every((id, i) => ids[i] === id);
    if (!appendOnly) {
      this.items.clear();
      this.order = [];
      this.list.replaceChildren();
    }
    /** @type {PhoneMessage[]} */
    const added = [];
    let previous = this.order.length
      ? this.items.get(/** @type {string} */ (this.order[this.order.length - 1]))?.message
      : undefined;
    for (const m of messages) {
      const { status: _status, error: _error, ...rest } = m;
      const signature = JSON.stringify(rest);
      const existing = this.items.get(m.id);
      if (existing) {
        if (existing.signature !== signature) {
          const li = renderMessage(m, this);
          existing.li.replaceWith(li);
          existing.li = li;
          existing.signature = signature;
        }
        existing.message = m;
        this.applyStatus(existing.li, m);
        continue;
      }
      if (!previous || dayKey(toDate(previous.at)) !== dayKey(toDate(m.at))) {
        this.list.append(h("li", { class: "day" }, h("span", { text: dayLabel(toDate(m.at)) })));
      }
      const li = renderMessage(m, this);
      this.applyStatus(li, m);
      this.list.append(li);
      this.items.set(m.id, { li, signature, message: m });
      this.order.push(m.id);
      added.push(m);
      previous = m;
    }

    this.empty.hidden = messages.length > 0;
    if (!messages.length) {
      const service = numberFor(this.to)?.serviceName ?? "il Comune";
      this.empty.textContent = `Nessun messaggio con ${service}. Scrivi qualcosa per cominciare.`;
    }
    this.refreshOptions();
    if (this.loaded) {
      const incoming = added.filter((m) => m.direction === "to_phone");
      if (incoming.length) {
        const service = numberFor(this.to)?.serviceName ?? "Comune";
        this.announce(
          incoming.map((m) => `Nuovo messaggio da ${service}: ${summary(m)}`).join(". "),
        );
      }
    }
    if (added.length && nearBottom) this.list.scrollTop = this.list.scrollHeight;
    this.loaded = true;
    this.markRead();
  }

  /**
   * @param {HTMLElement} li
   * @param {PhoneMessage} m
   */
  applyStatus(li, m) {
    const holder = li.querySelector(".bubble__status");
    const errorLine = /** @type {HTMLElement | null} */ (li.querySelector(".bubble__error"));
    if (!holder || !errorLine) return;
    const out = m.direction === "from_phone";
    const current = holder.firstElementChild?.getAttribute("data-status") ?? "";
    // Only the phone's own messages carry ticks; an incoming one is marked only when it failed.
    const wanted = out || m.status === "failed" ? m.status : "";
    if (current !== wanted) holder.replaceChildren(...(wanted ? [ticks(m.status)] : []));
    li.classList.toggle("msg--failed", m.status === "failed");
    const errorText =
      m.status === "failed"
        ? `${out ? "Non inviato" : "Non consegnato"}${m.error ? `: ${m.error.title} (${m.error.code})` : ""}`
        : "";
    if (errorLine.textContent !== errorText) errorLine.textContent = errorText;
    errorLine.hidden = !errorText;
  }

  /**
   * Only the latest interactive message can be answered (the API taps that one). Older options
   * stay focusable but are marked aria-disabled, so focus is never pulled away from under a
   * keyboard user.
   */
  refreshOptions() {
    this.latestInteractive = "";
    for (const id of this.order) {
      const m = this.items.get(id)?.message;
      if (m?.direction === "to_phone" && m.interactive?.options.length) this.latestInteractive = id;
    }
    for (const id of this.order) {
      const entry = this.items.get(id);
      if (!entry || !entry.message.interactive || entry.message.direction !== "to_phone") continue;
      const stale = id !== this.latestInteractive;
      if (entry.li.classList.contains("msg--stale") === stale) continue;
      entry.li.classList.toggle("msg--stale", stale);
      for (const button of entry.li.querySelectorAll("button[data-option]")) {
        if (stale) {
          button.setAttribute("aria-disabled", "true");
          button.setAttribute("title", "È arrivato un messaggio più recente: rispondi a quello");
        } else {
          button.removeAttribute("aria-disabled");
          button.removeAttribute("title");
        }
      }
    }
  }

  /** Tell the comune its messages were read, when this conversation is on screen. */
  markRead() {
    if (this.closed || !this.loaded || document.hidden || !this.inView) return;
    const unread = [];
    for (const id of this.order) {
      const m = this.items.get(id)?.message;
      if (!m || m.direction !== "to_phone" || this.readSent.has(id)) continue;
      if (m.status === "sent" || m.status === "delivered") unread.push(id);
    }
    if (!unread.length) return;
    for (const id of unread) this.readSent.add(id);
    const to = this.to;
    api("POST", `/phones/${encodeURIComponent(this.phone.waId)}/read`, { to }).catch(() => {
      // Try again on the next poll.
      for (const id of unread) this.readSent.delete(id);
    });
  }

  /** @param {string} text */
  setNotice(text) {
    if (this.notice.textContent !== text) this.notice.textContent = text;
    this.notice.hidden = !text;
  }

  /** @param {string} text */
  setAlert(text) {
    this.alert.textContent = text;
    this.alert.hidden = !text;
  }

  /** @param {string} text */
  announce(text) {
    this.announcer.textContent = "";
    // A fresh text node after a tick makes screen readers read it even if it repeats.
    setTimeout(() => {
      this.announcer.textContent = text;
    }, 50);
  }

  /**
   * @param {Record<string, unknown>} content one of text, tap, location
   * @returns {Promise<boolean>} whether the API accepted it
   */
  async send(content) {
    if (this.sending) return false;
    this.sending = true;
    this.sendButton.setAttribute("aria-disabled", "true");
    try {
      const result = await api("POST", `/phones/${encodeURIComponent(this.phone.waId)}/messages`, {
        to: this.to,
        name: this.phone.name,
        ...content,
      });
      this.setAlert("");
      const webhook = result?.webhook;
      if (webhook && webhook.status === null) {
        this.setNotice(
          `Il servizio del Comune non ha ricevuto il messaggio${webhook.error ? `: ${webhook.error}` : "."}`,
        );
      } else if (webhook && typeof webhook.status === "number" && webhook.status >= 300) {
        this.setNotice(
          `Il webhook del Comune ha risposto ${webhook.status}${webhook.error ? `: ${webhook.error}` : ""}.`,
        );
      } else {
        this.setNotice("");
      }
      this.requestPoll();
      void refreshPhones();
      return true;
    } catch (error) {
      this.setAlert(sendErrorText(error));
      return false;
    } finally {
      this.sending = false;
      this.sendButton.removeAttribute("aria-disabled");
    }
  }

  async sendText() {
    const text = this.input.value.trim();
    if (!text) {
      this.input.focus();
      return;
    }
    if (await this.send({ text })) {
      if (this.input.value.trim() === text) this.input.value = "";
    }
    // Back to the message box, as in a chat app, unless focus has moved elsewhere meanwhile.
    const active = document.activeElement;
    if (!active || active === document.body || this.root.contains(active)) this.input.focus();
  }

  async sendLocation() {
    const tenant = numberFor(this.to)?.tenant ?? "";
    await this.send({ location: SAMPLE_LOCATIONS[tenant] ?? DEFAULT_LOCATION });
  }

  /**
   * @param {string} messageId the interactive message the option belongs to
   * @param {Option} option
   */
  async tap(messageId, option) {
    if (messageId !== this.latestInteractive) {
      this.setAlert("Puoi rispondere solo all'ultimo messaggio con pulsanti o scelte.");
      return;
    }
    await this.send({ tap: option.id });
  }

  focus() {
    this.root.scrollIntoView({ block: "nearest", inline: "nearest" });
    this.input.focus({ preventScroll: true });
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Panels, the phone list and the new-phone form                                               */
/* ------------------------------------------------------------------------------------------ */

const panelsEl = /** @type {HTMLElement} */ (document.getElementById("panels"));
const noPanelsEl = /** @type {HTMLElement} */ (document.getElementById("no-panels"));
const appErrorEl = /** @type {HTMLElement} */ (document.getElementById("app-error"));
const phoneListEl = /** @type {HTMLElement} */ (document.getElementById("phone-list"));
const phoneListStatusEl = /** @type {HTMLElement} */ (document.getElementById("phone-list-status"));

/**
 * @param {{ waId: string, name: string }} phone
 * @param {{ to?: string, focus?: boolean }} [options]
 */
function openPanel(phone, options = {}) {
  const existing = panels.get(phone.waId);
  if (existing) {
    if (options.to && options.to !== existing.to && numberFor(options.to)) {
      existing.select.value = options.to;
      existing.changeComune();
    }
    if (options.focus) existing.focus();
    return existing;
  }
  const to = options.to && numberFor(options.to) ? options.to : (numbers[0]?.displayNumber ?? "");
  const panel = new PhonePanel(phone, to);
  panels.set(phone.waId, panel);
  panelsEl.append(panel.root);
  noPanelsEl.hidden = true;
  panel.start();
  saveOpenPanels();
  renderPhoneList();
  if (options.focus) panel.focus();
  return panel;
}

/** @param {string} waId */
function closePanel(waId) {
  const panel = panels.get(waId);
  if (!panel) return;
  panel.stop();
  panel.root.remove();
  panels.delete(waId);
  noPanelsEl.hidden = panels.size > 0;
  saveOpenPanels();
  renderPhoneList();
  // Focus goes back to where this phone can be opened again.
  const button = phoneListEl.querySelector(`button[data-wa-id="${CSS.escape(waId)}"]`);
  if (button instanceof HTMLElement) button.focus();
  else document.getElementById("new-phone-number")?.focus();
}

let phoneListSignature = "";
function renderPhoneList() {
  const signature = JSON.stringify([phones, [...panels.keys()]]);
  if (signature === phoneListSignature) return;
  phoneListSignature = signature;
  const focusedWaId =
    document.activeElement instanceof HTMLElement && phoneListEl.contains(document.activeElement)
      ? document.activeElement.getAttribute("data-wa-id")
      : null;
  phoneListStatusEl.textContent = phones.length
    ? `${phones.length} ${phones.length === 1 ? "telefono" : "telefoni"}`
    : "Nessun telefono: aggiungine uno.";
  const sorted = [...phones].sort(
    (a, b) => (b.lastMessageAt ?? 0) - (a.lastMessageAt ?? 0) || a.name.localeCompare(b.name, "it"),
  );
  phoneListEl.replaceChildren(
    ...sorted.map((p) => {
      const open = panels.has(p.waId);
      return h(
        "li",
        { class: "phone-list__item" },
        h("span", {
          class: "phone-list__avatar",
          "aria-hidden": "true",
          text: p.name ? initials(p.name) : "#",
        }),
        h(
          "span",
          { class: "phone-list__text" },
          h("span", { class: "phone-list__name", text: p.name || "Senza nome" }),
          h("span", { class: "phone-list__number", text: formatNumber(p.waId) }),
          h("span", {
            class: "phone-list__when",
            text: p.lastMessageAt
              ? `Ultimo messaggio ${whenLabel(p.lastMessageAt)}`
              : "Nessun messaggio",
          }),
        ),
        h("button", {
          type: "button",
          class: `btn btn--small ${open ? "btn--ghost" : "btn--secondary"}`,
          "data-wa-id": p.waId,
          "aria-label": `${open ? "Vai al telefono di" : "Apri il telefono di"} ${phoneLabel(p)}`,
          text: open ? "Vai" : "Apri",
          onclick: () => openPanel(p, { focus: true }),
        }),
      );
    }),
  );
  if (focusedWaId) {
    const again = phoneListEl.querySelector(`button[data-wa-id="${CSS.escape(focusedWaId)}"]`);
    if (again instanceof HTMLElement) again.focus();
  }
}

async function refreshPhones() {
  try {
    const data = await api("GET", "/phones");
    phones = Array.isArray(data?.phones) ? data.phones : [];
    for (const p of phones) panels.get(p.waId)?.rename(p.name);
    renderPhoneList();
    return true;
  } catch (error) {
    phoneListStatusEl.textContent = `Elenco non aggiornato: ${error instanceof Error ? error.message : String(error)}`;
    return false;
  }
}

/* The new-phone form ----------------------------------------------------------------------- */

const form = /** @type {HTMLFormElement} */ (document.getElementById("new-phone"));
const formError = /** @type {HTMLElement} */ (document.getElementById("new-phone-error"));
const fields = {
  waId: /** @type {HTMLInputElement} */ (document.getElementById("new-phone-number")),
  name: /** @type {HTMLInputElement} */ (document.getElementById("new-phone-name")),
};
const fieldErrors = {
  waId: /** @type {HTMLElement} */ (document.getElementById("new-phone-number-error")),
  name: /** @type {HTMLElement} */ (document.getElementById("new-phone-name-error")),
};

/**
 * @param {"waId" | "name"} field
 * @param {string | null} problem
 */
function setFieldError(field, problem) {
  fieldErrors[field].textContent = problem ?? "";
  fieldErrors[field].hidden = !problem;
  if (problem) fields[field].setAttribute("aria-invalid", "true");
  else fields[field].removeAttribute("aria-invalid");
}

/** @param {string} text */
function setFormError(text) {
  formError.textContent = text;
  formError.hidden = !text;
}

for (const field of /** @type {const} */ (["waId", "name"])) {
  // Once a field was marked wrong, re-check it as the person types.
  fields[field].addEventListener("input", () => {
    if (!fields[field].hasAttribute("aria-invalid")) return;
    const value = field === "waId" ? normalizeWaId(fields.waId.value) : fields.name.value.trim();
    setFieldError(field, field === "waId" ? waIdProblem(value) : nameProblem(value));
  });
}

let creating = false;
form.addEventListener("submit", (event) => {
  event.preventDefault();
  void createPhone();
});

async function createPhone() {
  if (creating) return;
  const waId = normalizeWaId(fields.waId.value);
  const name = fields.name.value.trim();
  const problems = { waId: waIdProblem(waId), name: nameProblem(name) };
  setFieldError("waId", problems.waId);
  setFieldError("name", problems.name);
  setFormError("");
  if (problems.waId || problems.name) {
    (problems.waId ? fields.waId : fields.name).focus();
    return;
  }
  creating = true;
  try {
    const data = await api("POST", "/phones", { waId, name });
    const phone = data?.phone ?? { waId, name };
    form.reset();
    await refreshPhones();
    openPanel(phone, { focus: true });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    /** @type {string[]} */
    const other = [];
    /** @type {("waId" | "name")[]} */
    const marked = [];
    for (const d of error.details) {
      const last = String(d.field).split(".").pop();
      if (last === "waId" || last === "name") {
        setFieldError(last, d.problem);
        marked.push(last);
      } else other.push(`${d.field}: ${d.problem}`);
    }
    if (!marked.length || other.length) {
      setFormError(
        `Il telefono non è stato creato: ${error.message}${other.length ? ` (${other.join("; ")})` : ""}`,
      );
    }
    (marked[0] ? fields[marked[0]] : fields.waId).focus();
  } finally {
    creating = false;
  }
}

/* Start ------------------------------------------------------------------------------------ */

/** @param {string} text */
function setAppError(text) {
  appErrorEl.textContent = text;
  appErrorEl.hidden = !text;
}

async function loadNumbers() {
  for (let attempt = 0; ; attempt++) {
    try {
      const data = await api("GET", "/numbers");
      numbers = Array.isArray(data?.numbers) ? data.numbers : [];
      setAppError(
        numbers.length ? "" : "Nessun Comune è configurato: non c'è nessuno a cui scrivere.",
      );
      return;
    } catch (error) {
      setAppError(
        `Non riesco a leggere i numeri dei Comuni: ${error instanceof Error ? error.message : String(error)} Riprovo tra poco.`,
      );
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 1000 * 2 ** attempt)));
    }
  }
}

let phonesTimer = /** @type {ReturnType<typeof setTimeout> | undefined} */ (undefined);
function schedulePhones() {
  clearTimeout(phonesTimer);
  if (document.hidden) return;
  phonesTimer = setTimeout(() => {
    void refreshPhones().finally(schedulePhones);
  }, PHONES_POLL_MS);
}

document.addEventListener("visibilitychange", () => {
  if (document.hidden) {
    // Nobody is looking: no requests until the tab is shown again.
    for (const panel of panels.values()) clearTimeout(panel.timer);
    clearTimeout(phonesTimer);
    return;
  }
  for (const panel of panels.values()) panel.requestPoll();
  void refreshPhones().finally(schedulePhones);
});

async function start() {
  await loadNumbers();
  await refreshPhones();
  for (const saved of loadOpenPanels()) {
    const phone = phones.find((p) => p.waId === saved.waId);
    if (phone) openPanel(phone, { to: saved.to });
  }
  noPanelsEl.hidden = panels.size > 0;
  document.body.setAttribute("data-ready", "true");
  schedulePhones();
}

void start();
