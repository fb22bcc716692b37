/**
 * The one CSV cell and row writer of every export (the audit log, the moderation report).
 * RFC 4180, with two additions for the spreadsheets staff open the files in:
 * - a cell holding a semicolon is quoted too: Excel with Italian settings separates on ";", and
 *   an unquoted one would split the cell there;
 * - a cell a spreadsheet would evaluate as a formula (starting with = + - @, a tab or a CR) is
 *   prefixed with an apostrophe (OWASP's "CSV injection"), so a citizen's message or a staff
 *   member's name cannot run as one.
 */

/** What a cell may hold; null is an empty cell. */
export type CsvValue = string | number | boolean | null;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",;\r\n]/;

/** One cell, escaped: neutralised if a formula, quoted (quotes doubled) if it must be. */
export function csvCell(value: CsvValue): string {
  let text = value === null ? "" : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One record: the cells joined by commas, ended by CRLF as RFC 4180 asks. */
export function csvRow(values: readonly CsvValue[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}
