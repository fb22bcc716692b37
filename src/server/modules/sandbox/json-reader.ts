import { metaErrors, type MetaError } from "./graph-errors.js";
import type { MediaSource } from "./parsed-send.js";

/**
 * Small readers for Meta-style validation of an untyped JSON body. They throw a `Refusal`
 * carrying the Meta error, whose details name the field the way Meta does:
 * `Param interactive['action']['buttons'][0]['reply']['title'] is required`.
 */

export type Json = Record<string, unknown>;

export class Refusal extends Error {
  constructor(readonly error: MetaError) {
    super(error.details);
    this.name = "Refusal";
  }
}

/** The path of a child: `text` + `body` → `text['body']`. */
export function at(path: string, key: string): string {
  return `${path}['${key}']`;
}

/** Meta counts characters, not UTF-16 units: an emoji is one. */
export function lengthOf(text: string): number {
  return [...text].length;
}

export function object(value: unknown, path: string): Json {
  if (value === undefined)
    throw new Refusal(metaErrors.invalidParameter(`Param ${path} is required`));
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Refusal(metaErrors.invalidParameter(`Param ${path} must be a JSON object`));
  }
  return value as Json;
}

interface StringRules {
  max?: number;
  /** An empty string counts as given (reaction emoji). */
  allowEmpty?: boolean;
}

export function optionalString(
  o: Json,
  key: string,
  path: string,
  rules: StringRules = {},
): string | undefined {
  const value = o[key];
  if (value === undefined) return undefined;
  if (typeof value !== "string") {
    throw new Refusal(metaErrors.invalidParameter(`Param ${path} must be a string`));
  }
  if (value.trim() === "" && !rules.allowEmpty) {
    throw new Refusal(metaErrors.invalidParameter(`Param ${path} must not be empty`));
  }
  if (rules.max !== undefined && lengthOf(value) > rules.max) {
    throw new Refusal(
      metaErrors.invalidParameter(`Param ${path} must be at most ${rules.max} characters long`),
    );
  }
  return value;
}

export function requiredString(
  o: Json,
  key: string,
  path: string,
  rules: StringRules = {},
): string {
  const value = optionalString(o, key, path, rules);
  if (value === undefined)
    throw new Refusal(metaErrors.invalidParameter(`Param ${path} is required`));
  return value;
}

export function list(
  o: Json,
  key: string,
  path: string,
  rules: { min?: number; max?: number } = {},
): unknown[] {
  const value = o[key];
  if (value === undefined)
    throw new Refusal(metaErrors.invalidParameter(`Param ${path} is required`));
  if (!Array.isArray(value)) {
    throw new Refusal(metaErrors.invalidParameter(`Param ${path} must be an array`));
  }
  if (rules.min !== undefined && value.length < rules.min) {
    throw new Refusal(
      metaErrors.invalidParameter(
        `Param ${path} must have at least ${rules.min} element${rules.min === 1 ? "" : "s"}`,
      ),
    );
  }
  if (rules.max !== undefined && value.length > rules.max) {
    throw new Refusal(
      metaErrors.invalidParameter(`Param ${path} must have at most ${rules.max} elements`),
    );
  }
  return value as unknown[];
}

/** Meta refuses keys it does not know inside a message object (a typo is not ignored). */
export function noUnknownKeys(o: Json, allowed: readonly string[], path: string): void {
  const unknown = Object.keys(o).find((k) => !allowed.includes(k));
  if (unknown !== undefined) {
    throw new Refusal(
      metaErrors.invalidParameter(`Unexpected key "${unknown}" on param "${path}".`),
    );
  }
}

/** Exactly one of `id` (uploaded media) or `link` (HTTPS), docs/whatsapp-cloud-api.md §1.3. */
export function mediaSource(media: Json, path: string): MediaSource {
  const id = optionalString(media, "id", at(path, "id"));
  const link = optionalString(media, "link", at(path, "link"));
  if ((id === undefined) === (link === undefined)) {
    throw new Refusal(
      metaErrors.invalidParameter(`Param ${path} must contain exactly one of 'id' or 'link'`),
    );
  }
  if (link !== undefined) {
    if (!/^https:\/\/[^\s/]+\.[^\s]+$/i.test(link)) {
      throw new Refusal(
        metaErrors.invalidParameter(`Param ${at(path, "link")} must be a valid HTTPS URL`),
      );
    }
    return { link };
  }
  return { id: id ?? "" };
}

/** Latitude and longitude as numbers (Meta accepts numeric strings too), name and address. */
export function readLocation(
  o: Json,
  path: string,
): { latitude: number; longitude: number; name?: string; address?: string } {
  const coordinate = (key: "latitude" | "longitude", limit: number): number => {
    const raw = o[key];
    const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
    if (raw === undefined) {
      throw new Refusal(metaErrors.invalidParameter(`Param ${at(path, key)} is required`));
    }
    if (typeof value !== "number" || !Number.isFinite(value) || Math.abs(value) > limit) {
      throw new Refusal(
        metaErrors.invalidParameter(
          `Param ${at(path, key)} must be a number between -${limit} and ${limit}`,
        ),
      );
    }
    return value;
  };
  const name = optionalString(o, "name", at(path, "name"), { max: 1000 });
  const address = optionalString(o, "address", at(path, "address"), { max: 1000 });
  return {
    latitude: coordinate("latitude", 90),
    longitude: coordinate("longitude", 180),
    ...(name === undefined ? {} : { name }),
    ...(address === undefined ? {} : { address }),
  };
}
