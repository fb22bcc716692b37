import type { PageContext } from "./layout.js";
import { posterLines } from "./pages/poster.js";
import { PACKAGE_ROOT } from "../../platform/package-info.js";
import { fileURLToPath } from "node:url";

/** Titillium Web, the font of the pages, from Bootstrap Italia's own files (SIL OFL). */
const FONTS = fileURLToPath(
  new URL("node_modules/bootstrap-italia/dist/fonts/Titillium_Web/", PACKAGE_ROOT),
);
const REGULAR = `${FONTS}titillium-web-v10-latin-ext_latin-regular.ttf`;
const BOLD = `${FONTS}titillium-web-v10-latin-ext_latin-700.ttf`;

const BLUE = "#0066CC";
const DARK = "#1a1a1a";

/**
 * The poster as one A4 page of PDF, for the notice boards: the comune, the QR code, the
 * number and the message to send, the hours, how to leave. Everything is placed at fixed
 * heights, so a long name wraps within its box and never pushes the sheet onto a second page.
 */
export async function posterPdf(ctx: PageContext, qrPng: Buffer): Promise<Buffer> {
  // Loaded on the first poster, not at start: pdfkit and its fonts cost every process ~28 MB.
  const { default: PDFDocument } = await import("pdfkit");
  const l = posterLines(ctx);
  const doc = new PDFDocument({
    size: "A4",
    margin: 0,
    info: { Title: `${l.headline} – ${l.comune}`, Author: l.comune, Subject: l.service },
    lang: ctx.locale === "en" ? "en-GB" : "it-IT",
    displayTitle: true,
  });
  doc.registerFont("regular", REGULAR);
  doc.registerFont("bold", BOLD);
  const width = doc.page.width; // 595.28 pt
  const margin = 56;
  const inner = width - 2 * margin;
  const chunks: Buffer[] = [];
  doc.on("data", (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on("end", () => resolve(Buffer.concat(chunks)));
    doc.on("error", reject);
  });

  const box = (
    text: string,
    y: number,
    height: number,
    font: string,
    size: number,
    color = DARK,
  ) => {
    doc.font(font).fontSize(size).fillColor(color);
    doc.text(text, margin, y, { width: inner, height, align: "center", ellipsis: true });
  };

  doc.rect(0, 0, width, 120).fill(BLUE);
  doc.font("bold").fontSize(30).fillColor("#ffffff");
  doc.text(l.comune, margin, 40, { width: inner, height: 60, align: "center", ellipsis: true });
  box(l.headline, 150, 70, "bold", 28, BLUE);
  box(l.service, 222, 30, "regular", 18);
  const qrSize = 250;
  doc.image(qrPng, (width - qrSize) / 2, 262, { width: qrSize, height: qrSize });
  box(l.how, 525, 40, "regular", 16);
  box(l.number, 565, 40, "bold", 30, BLUE);
  box(l.message, 610, 40, "bold", 26);
  const facts = [l.name, l.hours, l.free, l.leave].filter((x): x is string => Boolean(x));
  facts.forEach((fact, i) => box(fact, 665 + i * 26, 26, "regular", 14));
  box(l.url, 790, 24, "regular", 12, BLUE);
  doc.end();
  return done;
}
