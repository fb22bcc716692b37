import { readFileSync } from "node:fs";
import { describe, it, expect } from "vitest";
import { parse } from "yaml";
import { Ajv, type AnySchemaObject, type ErrorObject } from "ajv";
// ajv-formats is CommonJS: under NodeNext its default import is `module.exports`, whose
// `.default` is the plugin (both at type level and at run time).
import ajvFormats from "ajv-formats";

const addFormats = ajvFormats.default;

type Mapping = Record<string, unknown>;

const root = new URL("../../", import.meta.url);
const doc = parse(readFileSync(new URL("publiccode.yml", root), "utf8")) as unknown;
const pkg = JSON.parse(readFileSync(new URL("package.json", root), "utf8")) as { version: string };
// SchemaStore's publiccode schema; see test/fixtures/README.md for where it came from.
const schemaStore = JSON.parse(
  readFileSync(new URL("test/fixtures/publiccode.schema.json", import.meta.url), "utf8"),
) as AnySchemaObject;

const DEVELOPMENT_STATUSES = ["concept", "development", "beta", "stable", "obsolete"];
const MAINTENANCE_TYPES = ["internal", "contract", "community", "none"];
// publiccode.yml 0.7 docs/standard/aliases-list.rst
const SUPPORT_ALIASES = [
  "alias:gdpr",
  "alias:eidas",
  "alias:nis2",
  "alias:cra",
  "alias:spid",
  "alias:cie",
  "alias:anpr",
  "alias:pagopa",
  "alias:io",
];

/**
 * The vendored SchemaStore schema predates publiccode.yml 0.7: its root `additionalProperties`
 * treats every unknown top-level key as a country section (an object with
 * `countryExtensionVersion`), so it rejects the 0.7 key `supports` (a list of `{ id }`).
 * We tolerate exactly that documented 0.7 addition by describing `supports` as the 0.7 standard
 * does (docs/standard/schema.core.rst, aliases-list.rst); everything else is the schema as
 * published. Drop this patch once SchemaStore learns `supports`.
 */
function withPubliccode07Additions(schema: AnySchemaObject): AnySchemaObject {
  const patched = structuredClone(schema);
  const properties = patched.properties as Record<string, unknown>;
  properties.supports = {
    description: "publiccode.yml 0.7: standards, regulations or systems the software supports.",
    type: "array",
    minItems: 1,
    items: {
      type: "object",
      additionalProperties: false,
      required: ["id"],
      properties: {
        id: {
          type: "string",
          anyOf: [{ enum: SUPPORT_ALIASES }, { format: "uri", not: { pattern: "^alias:" } }],
        },
      },
    },
  };
  return patched;
}

function validateWith(schema: AnySchemaObject, data: unknown): ErrorObject[] {
  const ajv = new Ajv({ allErrors: true });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  return validate(data) ? [] : (validate.errors ?? []);
}

function describeErrors(errors: ErrorObject[]): string {
  return errors
    .map((e) => `${e.instancePath || "/"} ${e.message ?? ""} ${JSON.stringify(e.params)}`)
    .join("\n");
}

function isMapping(value: unknown): value is Mapping {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function mapping(value: unknown, where: string): Mapping {
  expect(isMapping(value), `${where} must be a mapping`).toBe(true);
  return value as Mapping;
}

function list(value: unknown, where: string): unknown[] {
  expect(Array.isArray(value), `${where} must be a list`).toBe(true);
  return value as unknown[];
}

function text(value: unknown, where: string): string {
  expect(typeof value, `${where} must be a string`).toBe("string");
  return value as string;
}

/** Length in characters (code points), as the standard's parser and ajv count them. */
function chars(s: string): number {
  return [...s].length;
}

const top = mapping(doc, "publiccode.yml");

describe("publiccode.yml against the published JSON schema", () => {
  it("validates against SchemaStore's publiccode schema (plus the 0.7 `supports` key)", () => {
    const errors = validateWith(withPubliccode07Additions(schemaStore), doc);
    expect(errors, describeErrors(errors)).toEqual([]);
  });

  it("only the documented 0.7 additions need the patch", () => {
    // Against the schema exactly as vendored, the only complaints may be about `supports`.
    const errors = validateWith(schemaStore, doc).filter(
      (e) => e.instancePath !== "/supports" && !e.instancePath.startsWith("/supports/"),
    );
    expect(errors, describeErrors(errors)).toEqual([]);
  });
});

describe("publiccode.yml mandatory keys (standard 0.7)", () => {
  it('publiccodeYmlVersion is "0"', () => {
    expect(top.publiccodeYmlVersion).toBe("0");
  });

  it("name is Banditore", () => {
    expect(top.name).toBe("Banditore");
  });

  it("url is an https URL of the repository", () => {
    const url = new URL(text(top.url, "url"));
    expect(url.protocol).toBe("https:");
    expect(url.pathname.length).toBeGreaterThan(1);
  });

  it("platforms is a non-empty list of strings", () => {
    const platforms = list(top.platforms, "platforms");
    expect(platforms.length).toBeGreaterThan(0);
    for (const p of platforms) expect(typeof p).toBe("string");
    expect(platforms).toContain("web");
  });

  it("developmentStatus is one of the allowed values", () => {
    expect(DEVELOPMENT_STATUSES).toContain(top.developmentStatus);
  });

  it('softwareType is "standalone/web"', () => {
    expect(top.softwareType).toBe("standalone/web");
  });

  it.each(["it", "en"])(
    "description.%s has shortDescription ≤150, longDescription 150–10,000 chars and features",
    (lang) => {
      const description = mapping(top.description, "description");
      const d = mapping(description[lang], `description.${lang}`);
      const short = text(d.shortDescription, `description.${lang}.shortDescription`);
      expect(chars(short.trim())).toBeGreaterThan(0);
      expect(chars(short), "shortDescription is at most 150 characters").toBeLessThanOrEqual(150);
      const long = text(d.longDescription, `description.${lang}.longDescription`);
      expect(chars(long), "longDescription is at least 150 characters").toBeGreaterThanOrEqual(150);
      expect(chars(long), "longDescription is at most 10,000 characters").toBeLessThanOrEqual(
        10_000,
      );
      const features = list(d.features, `description.${lang}.features`);
      expect(features.length).toBeGreaterThan(0);
      for (const f of features) expect(text(f, "feature").trim()).not.toBe("");
    },
  );

  it('legal.license is "EUPL-1.2"', () => {
    expect(mapping(top.legal, "legal").license).toBe("EUPL-1.2");
  });

  it("maintenance.type is allowed, with contacts for internal/community and contractors for contract", () => {
    const maintenance = mapping(top.maintenance, "maintenance");
    expect(MAINTENANCE_TYPES).toContain(maintenance.type);
    if (maintenance.type === "internal" || maintenance.type === "community") {
      const contacts = list(maintenance.contacts, "maintenance.contacts");
      expect(contacts.length).toBeGreaterThan(0);
      for (const c of contacts) {
        expect(text(mapping(c, "contact").name, "contact name").trim()).not.toBe("");
      }
    }
    if (maintenance.type === "contract") {
      const contractors = list(maintenance.contractors, "maintenance.contractors");
      expect(contractors.length).toBeGreaterThan(0);
      for (const c of contractors) {
        const contractor = mapping(c, "contractor");
        expect(text(contractor.name, "contractor name").trim()).not.toBe("");
        expect(text(contractor.until, "contractor until")).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
    } else {
      expect(maintenance.contractors, "contractors only with type contract").toBeUndefined();
    }
  });

  it("localisation.localisationReady is a boolean and availableLanguages includes it", () => {
    const localisation = mapping(top.localisation, "localisation");
    expect(typeof localisation.localisationReady).toBe("boolean");
    const languages = list(localisation.availableLanguages, "localisation.availableLanguages");
    expect(languages).toContain("it");
    for (const l of languages) expect(text(l, "language")).toMatch(/^[a-z]{2,3}(-[A-Za-z0-9]+)*$/);
  });

  it("has no country section (the `IT:` section is deprecated in 0.7)", () => {
    const countrySections = Object.keys(top).filter((k) => /^[A-Za-z]{2}$/.test(k));
    expect(countrySections).toEqual([]);
  });

  it("supports includes alias:gdpr", () => {
    const ids = list(top.supports, "supports").map((s) => mapping(s, "supports item").id);
    expect(ids).toContain("alias:gdpr");
  });

  it("softwareVersion equals package.json's version", () => {
    expect(top.softwareVersion).toBe(pkg.version);
  });
});
