import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../platform/errors.js";
import { useTenantsCopy } from "../test/in-process-server.js";
import { parseEnv } from "./env.js";
import { loadTenants, SANDBOX_SECRETS } from "./tenants.js";

/** A copy of the shipped tenant files the test may break. */
const tenants = useTenantsCopy();

const load = (vars: Record<string, string> = {}) =>
  loadTenants(parseEnv({ TENANTS_DIR: tenants.dir, ...vars }));

async function edit(file: string, change: (text: string) => string): Promise<void> {
  const p = path.join(tenants.dir, file);
  const before = await readFile(p, "utf8");
  const after = change(before);
  expect(after, "the edit must change the file").not.toBe(before);
  await writeFile(p, after);
}

async function problemsOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return (error as ConfigError).message;
}

/** What loading says after `text` in `file` is replaced by `replacement`. */
async function problemsAfterEdit(file: string, text: string, replacement: string) {
  await edit(file, (t) => t.replace(text, replacement));
  return problemsOf(load());
}

describe("the shipped demo comuni", () => {
  it("load in sandbox mode with the facts of their regulations", async () => {
    const { tenants, mode } = await load();
    expect(mode).toBe("sandbox");
    const [casale, concorezzo] = tenants;
    expect(concorezzo).toMatchObject({
      slug: "concorezzo",
      serviceName: "WhatsConcorezzo",
      whatsapp: {
        displayNumber: "393665784663",
        phoneNumberId: "100000000000001",
        ratePerSecond: 80,
      },
      keywords: {
        form: "phrase",
        subscribe: ["ATTIVA ISCRIZIONE"],
        unsubscribe: ["DISATTIVA ISCRIZIONE"],
      },
      contacts: { email: "comunicazione@comune.concorezzo.mb.it" },
      subscription: { confirmationStep: false, minimumAge: 14 },
      secrets: SANDBOX_SECRETS,
    });
    expect(concorezzo?.serviceHours?.weekly).toEqual({
      mon: ["09:00-13:00"],
      tue: ["09:00-13:00"],
      wed: ["09:00-13:00"],
      thu: ["09:00-13:00"],
      fri: ["09:00-13:00"],
    });
    expect(concorezzo?.documents.regulation.text).toContain("ATTIVA ISCRIZIONE");

    expect(casale).toMatchObject({
      slug: "casale-marittimo",
      whatsapp: { displayNumber: "393760088777", phoneNumberId: "100000000000002" },
      keywords: { form: "name-and-keyword", subscribe: ["ATTIVA"], unsubscribe: ["DISATTIVA"] },
      subscription: { confirmationStep: true, minimumAge: 14, storeProfileName: true },
      dpo: { email: "igor.rossi@digitech-group.com" },
    });
    expect(casale?.serviceHours).toBeUndefined();
    expect(casale?.topics.map((t) => t.label.it)).toEqual([
      "News dal Comune",
      "Eventi culturali",
      "Manifestazioni sportive",
      "Trasporti e viabilità",
      "Attività istituzionali",
      "Servizi scolastici",
      "Protezione civile",
    ]);
  });

  it("use the secrets from the environment variables their files name", async () => {
    const { tenants, mode } = await load({
      WHATSAPP_MODE: "sandbox",
      CONCOREZZO_WA_APP_SECRET: "from-the-environment",
    });
    expect(mode).toBe("sandbox");
    const concorezzo = tenants.find((t) => t.slug === "concorezzo");
    expect(concorezzo?.secrets).toEqual({ ...SANDBOX_SECRETS, appSecret: "from-the-environment" });
  });
});

describe("a tenant file with a mistake", () => {
  it("names the file, the field path and the problem", async () => {
    const message = await problemsAfterEdit(
      "concorezzo.yaml",
      'displayNumber: "393665784663"',
      'displayNumber: "+39 366 5784663"',
    );
    expect(message).toContain(
      "concorezzo.yaml: whatsapp.displayNumber: must be the number citizens write to: digits only, country code first, no +",
    );
  });

  it("names a broadcasts setting at fault: an election period that ends before it starts, a bad day", async () => {
    const message = await problemsAfterEdit(
      "concorezzo.yaml",
      "  fourEyes: true\n",
      '  fourEyes: true\n  patronDay: "13-01"\n  electionPeriods: [{ name: Comunali, from: "2027-05-24", to: "2027-04-10" }]\n',
    );
    expect(message).toContain("concorezzo.yaml: broadcasts.patronDay: must be a day written MM-DD");
    expect(message).toContain(
      "concorezzo.yaml: broadcasts.electionPeriods: a period must not end before it starts",
    );
  });

  it("reports a misspelt field instead of ignoring it", async () => {
    await edit("casale-marittimo.yaml", (t) =>
      t.replace("minimumAge: 14", "minimumAge: 14\n  minimunAge: 16"),
    );
    expect(await problemsOf(load())).toContain(
      "casale-marittimo.yaml: subscription: unknown field minimunAge",
    );
  });

  it("lists every problem of every file at once", async () => {
    await edit("concorezzo.yaml", (t) =>
      t.replace("serviceName: WhatsConcorezzo", 'serviceName: ""'),
    );
    await edit("casale-marittimo.yaml", (t) =>
      t.replace(/ratePerSecond: \d+|phoneNumberId: "100000000000002"/, 'phoneNumberId: "12ab"'),
    );
    const message = await problemsOf(load());
    expect(message).toContain("concorezzo.yaml: serviceName: must not be empty");
    expect(message).toContain(
      "casale-marittimo.yaml: whatsapp.phoneNumberId: must be Meta's numeric phone-number id",
    );
  });

  it("says which required field is missing", async () => {
    await edit("concorezzo.yaml", (t) => t.replace(/^ {2}website: .*$/m, ""));
    expect(await problemsOf(load())).toContain("concorezzo.yaml: contacts.website: is required");
  });

  it("says a value of the wrong type must be of the right one (not that it is missing)", async () => {
    await edit("concorezzo.yaml", (t) =>
      t.replace(/^( {2}phoneNumberId: .*)$/m, "$1\n  ratePerSecond: fast"),
    );
    await edit("casale-marittimo.yaml", (t) =>
      t.replace("minimumAge: 14", "minimumAge: 14.5").replace(/^ {2}website: .*$/m, "  website:"),
    );
    const message = await problemsOf(load());
    expect(message).toContain(
      "concorezzo.yaml: whatsapp.ratePerSecond: must be a number, not text",
    );
    expect(message).toContain(
      "casale-marittimo.yaml: subscription.minimumAge: must be a whole number",
    );
    expect(message).toContain("casale-marittimo.yaml: contacts.website: is empty; it must be text");
    expect(message).not.toContain("ratePerSecond: is required");
  });

  it("refuses a YAML alias bomb, naming the file, before it expands", async () => {
    // "Billion laughs": nine levels of nine aliases each would expand to 9^9 strings.
    const levels = ["lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"];
    for (let i = 1; i < 9; i++)
      levels.push(
        `lol${i}: &l${i} [${Array(9)
          .fill(`*l${i - 1}`)
          .join(", ")}]`,
      );
    await edit("concorezzo.yaml", (t) => `${levels.join("\n")}\n${t}`);
    const started = Date.now();
    const message = await problemsOf(load());
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(message).toMatch(/concorezzo\.yaml: YAML: .*alias/i);
  });

  it("catches an unknown placeholder in a reply text", async () => {
    await edit("concorezzo.yaml", (t) => t.replace("{unsubscribeKeyword}", "{unsubscribeKeyWord}"));
    expect(await problemsOf(load())).toMatch(
      /concorezzo\.yaml: texts\.it\.\w+: uses the unknown placeholder \{unsubscribeKeyWord\}/,
    );
  });

  it("refuses a slug that does not match the file name", async () => {
    await edit("concorezzo.yaml", (t) => t.replace("slug: concorezzo", "slug: concorezzo-mb"));
    expect(await problemsOf(load())).toContain(
      'concorezzo.yaml: slug: is "concorezzo-mb" but the file is named concorezzo.yaml',
    );
  });

  it("refuses two comuni with the same number", async () => {
    await edit("casale-marittimo.yaml", (t) =>
      t.replace('phoneNumberId: "100000000000002"', 'phoneNumberId: "100000000000001"'),
    );
    expect(await problemsOf(load())).toMatch(
      /whatsapp\.phoneNumberId: is the same as in .*casale-marittimo\.yaml|concorezzo\.yaml/,
    );
  });

  it("reports a YAML syntax error with the file", async () => {
    await edit("concorezzo.yaml", (t) =>
      t.replace("name: Comune di Concorezzo", "name: [Comune di Concorezzo"),
    );
    expect(await problemsOf(load())).toMatch(/concorezzo\.yaml: YAML syntax: /);
  });

  it("stops when there is no tenant file at all", async () => {
    const empty = await mkdtemp(path.join(tmpdir(), "banditore-empty-"));
    try {
      const message = await problemsOf(loadTenants(parseEnv({ TENANTS_DIR: empty })));
      expect(message).toContain("No tenant files (*.yaml)");
    } finally {
      await rm(empty, { recursive: true });
    }
  });
});

describe("secrets", () => {
  it.each([
    [
      "refuses a secret written into the file, without repeating it",
      "  secretsFromEnv:",
      "  appSecret: 9f8e7d6c5b4a39281706f5e4d3c2b1a0\n  secretsFromEnv:",
      "9f8e7d6c5b4a39281706f5e4d3c2b1a0",
      "concorezzo.yaml: whatsapp.appSecret: a secret must not be written in a tenant file; put it in an environment variable",
    ],
    [
      "refuses a secret written where a variable's name belongs",
      "accessToken: CONCOREZZO_WA_ACCESS_TOKEN",
      "accessToken: EAAGm0PX4ZCpsBA1ZBqZCZAZAZBZBZA",
      "EAAGm0PX4ZCpsBA1ZBqZCZAZAZBZBZA",
      "concorezzo.yaml: whatsapp.secretsFromEnv.accessToken: a secret must not be written",
    ],
  ])("%s", async (_, written, instead, secret, problem) => {
    const message = await problemsAfterEdit("concorezzo.yaml", written, instead);
    expect(message).toContain(problem);
    expect(message).not.toContain(secret);
  });

  it("outside sandbox mode, stops on every unset secret naming its variable", async () => {
    const message = await problemsOf(load({ CONCOREZZO_WA_ACCESS_TOKEN: "token-for-meta" }));
    expect(message).toContain(
      "concorezzo.yaml: whatsapp.secretsFromEnv.appSecret: the environment variable CONCOREZZO_WA_APP_SECRET is not set (required outside sandbox mode)",
    );
    expect(message).toContain("CASALE_MARITTIMO_WA_ACCESS_TOKEN is not set");
    expect(message).not.toContain("token-for-meta");
  });

  it("in cloud mode with every secret set, uses them and no development value", async () => {
    const vars: Record<string, string> = {};
    for (const prefix of ["CONCOREZZO", "CASALE_MARITTIMO"]) {
      for (const name of ["ACCESS_TOKEN", "APP_SECRET", "VERIFY_TOKEN"])
        vars[`${prefix}_WA_${name}`] = `${prefix}-${name}`;
    }
    const { tenants, mode } = await load(vars);
    expect(mode).toBe("cloud");
    expect(tenants.find((t) => t.slug === "concorezzo")?.secrets).toEqual({
      accessToken: "CONCOREZZO-ACCESS_TOKEN",
      appSecret: "CONCOREZZO-APP_SECRET",
      verifyToken: "CONCOREZZO-VERIFY_TOKEN",
    });
  });

  it("WHATSAPP_MODE=cloud demands the secrets even when none is set", async () => {
    expect(await problemsOf(load({ WHATSAPP_MODE: "cloud" }))).toContain(
      "CONCOREZZO_WA_ACCESS_TOKEN is not set",
    );
  });
});

describe("keywords", () => {
  it("give every comune the Italian command words by default", async () => {
    const { tenants } = await load();
    for (const tenant of tenants) {
      expect(tenant.keywords.commands).toEqual({
        help: ["AIUTO", "INFO"],
        topics: ["ARGOMENTI"],
        data: ["DATI"],
        erase: ["CANCELLA DATI"],
      });
    }
  });

  it("take a comune's own command words, keeping the defaults of the others", async () => {
    await edit("concorezzo.yaml", (t) =>
      t.replace(
        "  commonSynonyms: false",
        '  commonSynonyms: false\n  commands:\n    help: ["AIUTAMI"]',
      ),
    );
    const concorezzo = (await load()).tenants.find((t) => t.slug === "concorezzo");
    expect(concorezzo?.keywords.commands).toMatchObject({ help: ["AIUTAMI"], data: ["DATI"] });
  });

  it("refuse a command that is also a subscribe keyword, naming both fields", async () => {
    await edit("casale-marittimo.yaml", (t) =>
      t.replace(
        "  commonSynonyms: false",
        '  commonSynonyms: false\n  commands:\n    help: ["Attivà!"]',
      ),
    );
    expect(await problemsOf(load())).toContain(
      'casale-marittimo.yaml: keywords.commands.help.0: "Attivà!" (the help command) is the same word as keywords.subscribe.0 "ATTIVA" (subscribe); a word can do only one thing',
    );
  });

  it("refuse STOP or a synonym used for the opposite action", async () => {
    await edit("concorezzo.yaml", (t) =>
      t
        .replace('subscribe: ["ATTIVA ISCRIZIONE"]', 'subscribe: ["ATTIVA ISCRIZIONE", "stop"]')
        .replace("commonSynonyms: false", 'commonSynonyms: true\n  extraOptOut: ["Mi iscrivo"]'),
    );
    const message = await problemsOf(load());
    expect(message).toContain(
      'concorezzo.yaml: keywords.subscribe.1: "stop" (subscribe) is the same word as STOP, which always unsubscribes',
    );
    expect(message).toContain(
      'concorezzo.yaml: keywords.extraOptOut.0: "Mi iscrivo" (unsubscribe) is the same word as the common synonym "MI ISCRIVO" (subscribe; commonSynonyms is on)',
    );
  });

  it("refuse an empty command list and a word with no letter", async () => {
    const message = await problemsAfterEdit(
      "casale-marittimo.yaml",
      "  commonSynonyms: false",
      '  commonSynonyms: false\n  extraOptOut: ["🛑"]\n  commands:\n    data: []',
    );
    expect(message).toContain(
      "casale-marittimo.yaml: keywords.commands.data: needs at least one word",
    );
    expect(message).toContain(
      "casale-marittimo.yaml: keywords.extraOptOut.0: must contain a letter or a digit",
    );
  });
});
