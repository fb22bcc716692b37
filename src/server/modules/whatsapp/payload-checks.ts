import type { MediaRef, WhatsAppError } from "./types.js";

/**
 * Our own checks of an outgoing request against the limits of docs/whatsapp-cloud-api.md (§1.11,
 * §1b, §1.8). Every problem is collected, so one refusal lists them all, each naming the field.
 */

/** Our own refusal of a request: class fatal_config with Meta's code for a bad parameter. */
export function invalidRequest(problems: string[]): WhatsAppError {
  return {
    code: 100,
    title: "Invalid request (refused before sending)",
    details: problems.join("; "),
    class: "fatal_config",
  };
}

export const LIMITS = {
  callbackData: 512,
  textBody: 4096,
  caption: 1024,
  buttonsBody: 1024,
  listBody: 4096,
  headerText: 60,
  footer: 60,
  buttons: 3,
  buttonTitle: 20,
  buttonId: 256,
  listButtonLabel: 20,
  sections: 10,
  rowsTotal: 10,
  sectionTitle: 24,
  rowTitle: 24,
  rowId: 200,
  rowDescription: 72,
  templateName: 512,
  blockUsers: 1000,
} as const;

/** Collects every problem of a request, so one refusal lists them all. */
export class Checks {
  readonly problems: string[] = [];

  that(ok: boolean, field: string, problem: string): void {
    if (!ok) this.problems.push(`${field}: ${problem}`);
  }

  /** A required text (or an optional one, when given): non-blank and at most `max` characters. */
  text(field: string, value: string | undefined, max: number, optional = false): void {
    if (value === undefined) return this.that(optional, field, "required");
    if (value.trim() === "") return this.that(false, field, "empty");
    this.that(charLength(value, max) <= max, field, `longer than ${max} characters`);
  }

  /** Exactly one of an uploaded id or an https link (§1.3); the types allow both at run time. */
  media(field: string, media: MediaRef): void {
    const id = "id" in media ? media.id : undefined;
    const link = "link" in media ? media.link : undefined;
    if ((id === undefined) === (link === undefined)) {
      return this.that(false, field, "exactly one of id or link");
    }
    if (id !== undefined) this.text(`${field}.id`, id, 512);
    else this.that(/^https:\/\/\S+$/.test(link ?? ""), `${field}.link`, "must be an https URL");
  }

  /** Meta rejects parameter values with a newline, a tab or more than 4 spaces in a row (132018). */
  parameter(field: string, value: string): void {
    this.text(field, value, LIMITS.textBody);
    this.that(!/[\n\t]| {5}/.test(value), field, "newline, tab or more than 4 spaces in a row");
  }

  coordinates(field: string, latitude: number, longitude: number): void {
    this.that(Math.abs(latitude) <= 90, `${field}.latitude`, "not between -90 and 90");
    this.that(Math.abs(longitude) <= 180, `${field}.longitude`, "not between -180 and 180");
  }
}

/**
 * Meta counts characters; for text of astral symbols (emoji) UTF-16 length over-counts, so count
 * code points, but only when the cheap length says the text might be too long.
 */
function charLength(value: string, max: number): number {
  if (value.length <= max) return value.length;
  let count = 0;
  for (const _ of value) count++;
  return count;
}
