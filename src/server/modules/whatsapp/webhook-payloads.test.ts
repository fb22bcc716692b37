import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { WebhookEvent } from "./webhook-events.js";
import { parseNotification } from "./webhook-payloads.js";

const FIXTURES = new URL("../../test/fixtures/whatsapp/", import.meta.url);
const FIXTURE_NAMES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith(".json"))
  .map((f) => f.replace(/\.json$/, ""));

const WABA = "200000000000001";
const NUMBER = {
  wabaId: WABA,
  phoneNumberId: "100000000000001",
  displayPhoneNumber: "393665784663",
};
const GIULIA = "393331234567";
const MARCO = "393471234568";
/** The utility template of status-sent/delivered/read.json. */
const BROADCAST_WAMID = "wamid.HBgMMzkzMzMxMjM0NTY3FQIAERgUNEU4QTJDNkYxQjNEOUU3QTVDODAA";

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), "utf8")) as unknown;
}

function eventsOf(body: unknown): WebhookEvent[] {
  const result = parseNotification(body);
  if (!result.ok) throw new Error(`not parsed:\n${result.problems.join("\n")}`);
  return result.events;
}

function problemsOf(body: unknown): string[] {
  const result = parseNotification(body);
  if (result.ok) throw new Error("parsed, but should not have");
  return result.problems;
}

/** The single event a one-item fixture yields, narrowed to its kind. */
function single<K extends WebhookEvent["kind"]>(
  name: string,
  kind: K,
): Extract<WebhookEvent, { kind: K }> {
  const events = eventsOf(fixture(name));
  expect(events).toHaveLength(1);
  const [event] = events;
  if (event?.kind !== kind) throw new Error(`expected a ${kind} event, got ${event?.kind}`);
  return event as Extract<WebhookEvent, { kind: K }>;
}

const message = (name: string) => single(name, "message").message;
const status = (name: string) => single(name, "status").status;

/** The object at a path inside a JSON value, for tests that break a fixture on purpose. */
function at(value: unknown, ...path: (string | number)[]): Record<string, unknown> {
  let here = value;
  for (const step of path) here = (here as Record<string | number, unknown>)[step];
  if (typeof here !== "object" || here === null) throw new Error(`no object at ${path.join(".")}`);
  return here as Record<string, unknown>;
}
const VALUE = ["entry", 0, "changes", 0, "value"] as const;

/** Meta adds fields between versions: put one into every object of a payload. */
function withUnknownFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withUnknownFields);
  if (typeof value !== "object" || value === null) return value;
  const copy = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withUnknownFields(v)]));
  return { ...copy, added_in_v99: { anything: [1, "two"] } };
}

/** The same JSON with every object's keys in reverse order, as a redelivery might serialize it. */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reordered(v)]),
  );
}

describe("parseNotification: Meta's documented payloads", () => {
  it.each(FIXTURE_NAMES)("%s.json parses", (name) => {
    expect(parseNotification(fixture(name))).toMatchObject({ ok: true });
  });

  it("text: sender, profile name from contacts[], text, time in ms, dedup key by wamid", () => {
    const id = "wamid.HBgMMzkzMzMxMjM0NTY3FQIAEhgUM0EwQkFBQjQ3RjA5QzJEMUU2RjEA";
    expect(single("text", "message")).toEqual({
      kind: "message",
      dedupKey: `message:${id}`,
      ...NUMBER,
      message: {
        id,
        from: GIULIA,
        profileName: "Giulia Bianchi",
        timestamp: 1789380000_000,
        type: "text",
        text: "ATTIVA ISCRIZIONE",
      },
    });
  });

  it("interactive button_reply: the button id and title, and the message it answers", () => {
    const m = message("interactive-button-reply");
    expect(m.type).toBe("interactive");
    expect(m.interactive).toEqual({
      kind: "button_reply",
      id: "conferma-iscrizione",
      title: "Confermo",
    });
    expect(m.context?.from).toBe("393665784663");
    expect(m.context?.id).toMatch(/^wamid\./);
  });

  it("interactive list_reply: row id, title and description", () => {
    expect(message("interactive-list-reply").interactive).toEqual({
      kind: "list_reply",
      id: "argomento-rifiuti",
      title: "Rifiuti",
      description: "Raccolta differenziata e calendario",
    });
  });

  it("button: a template quick reply keeps payload and label, and the template's wamid", () => {
    const m = message("button-quick-reply");
    expect(m).toMatchObject({ from: MARCO, profileName: "Marco Rossi", type: "button" });
    expect(m.button).toEqual({ payload: "DISATTIVA ISCRIZIONE", text: "Non ricevere più" });
    expect(m.context?.id).toMatch(/^wamid\./);
  });

  it("image: media id, type, hash, url and caption", () => {
    const m = message("image");
    expect(m).toMatchObject({
      type: "image",
      media: {
        id: "1479537139650973",
        mimeType: "image/jpeg",
        sha256: "V8cGg8rE3cqkdQx8Rc5y3mwBULHvO4MYn4bD5U6mT3I=",
        caption: "Buca in via Dante, davanti al civico 12",
      },
    });
    expect(m.media?.url).toMatch(/^https:\/\/lookaside\.fbsbx\.com\//);
  });

  it("document: filename and caption", () => {
    expect(message("document").media).toMatchObject({
      id: "1003383421387256",
      mimeType: "application/pdf",
      filename: "modulo-iscrizione.pdf",
      caption: "Modulo firmato",
    });
  });

  it("location: numbers and labels", () => {
    expect(message("location").location).toEqual({
      latitude: 45.5893,
      longitude: 9.3362,
      name: "Municipio di Concorezzo",
      address: "Piazza della Pace 2, 20863 Concorezzo MB",
      url: "https://www.comune.concorezzo.mb.it",
    });
  });

  it("reaction: the wamid reacted to and the emoji", () => {
    const { reaction } = message("reaction");
    expect(reaction?.emoji).toBe("👍");
    expect(reaction?.messageId).toMatch(/^wamid\./);
  });

  it("sticker: media with animated", () => {
    expect(message("sticker")).toMatchObject({
      type: "sticker",
      media: { id: "1228207118923094", mimeType: "image/webp", animated: false },
    });
  });

  it("system user_changed_number: the new wa_id", () => {
    expect(message("system-user-changed-number")).toMatchObject({
      from: MARCO,
      type: "system",
      system: { type: "user_changed_number", newWaId: "393489876543" },
    });
  });

  it("unsupported: kept as a message with what the citizen sent and the classified error", () => {
    const m = message("unsupported");
    expect(m).toMatchObject({ type: "unsupported", originalType: "poll_creation" });
    expect(m.errors).toEqual([
      expect.objectContaining({
        code: 131051,
        title: "Message type unknown",
        details: "Message type is currently not supported.",
      }),
    ]);
  });

  it("an unknown message type is unsupported with originalType, not an error", () => {
    expect(message("unknown-message-type")).toMatchObject({
      type: "unsupported",
      originalType: "future_type",
      from: GIULIA,
    });
  });

  it("BSUID: from is empty, the user id identifies the sender and finds the profile", () => {
    expect(message("bsuid-message")).toMatchObject({
      from: "",
      fromUserId: "IT.13491208655302741918",
      profileName: "Luca Verdi",
      text: "ATTIVA ISCRIZIONE",
    });
  });

  it("status sent: callback data, pricing and conversation, no errors", () => {
    expect(single("status-sent", "status")).toEqual({
      kind: "status",
      dedupKey: `status:${BROADCAST_WAMID}:sent`,
      ...NUMBER,
      status: {
        messageId: BROADCAST_WAMID,
        status: "sent",
        timestamp: 1789383600_000,
        recipientId: GIULIA,
        callbackData: "outbound:1024",
        pricing: { billable: true, pricingModel: "PMP", type: "regular", category: "utility" },
        conversation: {
          id: "6a1f3c9e2b7d4f8a0c5e1b3d7f9a2c4e",
          originType: "utility",
          expiresAt: 1789470000_000,
        },
        errors: [],
      },
    });
  });

  it("status delivered: without conversation (v24+), a key of its own", () => {
    const event = single("status-delivered", "status");
    expect(event.dedupKey).toBe(`status:${BROADCAST_WAMID}:delivered`);
    expect(event.status).toMatchObject({ status: "delivered", callbackData: "outbound:1024" });
    expect(event.status.pricing).toMatchObject({ category: "utility" });
    expect(event.status.conversation).toBeUndefined();
  });

  it("status read", () => {
    const event = single("status-read", "status");
    expect(event.dedupKey).toBe(`status:${BROADCAST_WAMID}:read`);
    expect(event.status).toMatchObject({ status: "read", timestamp: 1789383710_000, errors: [] });
  });

  it("status failed: 131026 classified as permanent", () => {
    expect(status("status-failed")).toMatchObject({
      status: "failed",
      recipientId: MARCO,
      callbackData: "outbound:1025",
      errors: [
        {
          code: 131026,
          class: "permanent",
          title: "Message undeliverable",
          details: "Message Undeliverable.",
        },
      ],
    });
  });

  it("status played: a status value we do not model is kept as it came", () => {
    expect(status("status-played")).toMatchObject({ status: "played", errors: [] });
  });

  it("value.errors: an error event with the classified errors", () => {
    const event = single("value-errors", "error");
    expect(event).toMatchObject({ wabaId: WABA, phoneNumberId: "100000000000001" });
    expect(event.dedupKey).toMatch(/^error:[0-9a-f]{64}$/);
    expect(event.errors).toEqual([
      expect.objectContaining({ code: 130429, class: "retry_later", title: "Rate limit hit" }),
    ]);
  });

  it("batched: every entry, change, message and status, each with its comune's number", () => {
    const events = eventsOf(fixture("batched"));
    expect(
      events.map((e) => [
        e.kind,
        e.wabaId,
        e.kind === "message" || e.kind === "status" ? e.phoneNumberId : undefined,
      ]),
    ).toEqual([
      ["message", WABA, "100000000000001"],
      ["message", WABA, "100000000000001"],
      ["status", WABA, "100000000000001"],
      ["status", WABA, "100000000000001"],
      ["message", "200000000000002", "100000000000002"],
      ["status", "200000000000002", "100000000000002"],
    ]);
    const messages = events.flatMap((e) => (e.kind === "message" ? [e.message] : []));
    expect(messages.map((m) => [m.from, m.profileName, m.type])).toEqual([
      [GIULIA, "Giulia Bianchi", "text"],
      [MARCO, "Marco Rossi", "audio"],
      ["393281234569", "Anna Neri", "text"],
    ]);
    expect(messages[1]?.media).toMatchObject({ mimeType: "audio/ogg; codecs=opus", voice: true });
    const statuses = events.flatMap((e) => (e.kind === "status" ? [e.status] : []));
    expect(statuses.map((s) => [s.status, s.callbackData])).toEqual([
      ["delivered", "outbound:2001"],
      ["read", "outbound:2002"],
      ["sent", undefined],
    ]);
    expect(new Set(events.map((e) => e.dedupKey)).size).toBe(events.length);
  });

  it("user_preferences stop: an account event with the value as sent", () => {
    const event = single("user-preferences-stop", "account");
    expect(event).toMatchObject({
      field: "user_preferences",
      wabaId: WABA,
      phoneNumberId: "100000000000001",
      value: {
        user_preferences: [
          {
            wa_id: GIULIA,
            category: "marketing_messages",
            value: "stop",
            timestamp: 1789385000,
          },
        ],
      },
    });
    expect(event.dedupKey).toMatch(/^account:user_preferences:[0-9a-f]{64}$/);
  });

  it("message_template_status_update PAUSED: template and event as sent", () => {
    const event = single("template-status-paused", "account");
    expect(event.field).toBe("message_template_status_update");
    expect(event.phoneNumberId).toBeUndefined();
    expect(event.value).toMatchObject({
      event: "PAUSED",
      message_template_id: 1263478091527364,
      message_template_name: "avviso_allerta_meteo",
      message_template_language: "it",
      other_info: { title: "FIRST_PAUSE" },
    });
  });

  it("template_category_update: previous and new category", () => {
    expect(single("template-category-update", "account")).toMatchObject({
      field: "template_category_update",
      value: { previous_category: "UTILITY", new_category: "MARKETING" },
    });
  });

  it("phone_number_quality_update THROUGHPUT_UPGRADE", () => {
    expect(single("phone-number-quality-update", "account")).toMatchObject({
      field: "phone_number_quality_update",
      value: { display_phone_number: "393665784663", event: "THROUGHPUT_UPGRADE" },
    });
  });

  it("business_capability_update: limits as sent", () => {
    expect(single("business-capability-update", "account")).toMatchObject({
      field: "business_capability_update",
      value: { max_daily_conversations_per_business: 2000, max_phone_numbers_per_business: 2 },
    });
  });

  it("every fixture is covered by the list above", () => {
    // A new fixture without its own assertions would only prove that it parses.
    const tested = [
      ...["text", "interactive-button-reply", "interactive-list-reply", "button-quick-reply"],
      ...["image", "document", "location", "reaction", "sticker", "system-user-changed-number"],
      ...["unsupported", "unknown-message-type", "bsuid-message", "status-sent"],
      ...["status-delivered", "status-read", "status-failed", "status-played", "value-errors"],
      ...["batched", "user-preferences-stop", "template-status-paused"],
      ...["template-category-update", "phone-number-quality-update", "business-capability-update"],
    ];
    expect([...FIXTURE_NAMES].sort()).toEqual([...tested].sort());
  });
});

describe("parseNotification: redeliveries", () => {
  it.each(FIXTURE_NAMES)(
    "%s.json redelivered, keys reordered, yields the same dedup keys",
    (name) => {
      const keys = (body: unknown) => eventsOf(body).map((e) => e.dedupKey);
      expect(keys(reordered(fixture(name)))).toEqual(keys(fixture(name)));
    },
  );

  it("the same account change for two comuni gets two keys", () => {
    const other = fixture("business-capability-update");
    at(other, "entry", 0).id = "200000000000002";
    expect(single("business-capability-update", "account").dedupKey).not.toBe(
      (eventsOf(other)[0] as WebhookEvent).dedupKey,
    );
  });

  it("the same account change sent again later gets a new key", () => {
    const later = fixture("template-status-paused");
    at(later, "entry", 0).time = 1789999999;
    expect(single("template-status-paused", "account").dedupKey).not.toBe(
      (eventsOf(later)[0] as WebhookEvent).dedupKey,
    );
  });
});

describe("parseNotification: leniency", () => {
  it.each(FIXTURE_NAMES.filter((n) => !isAccountFixture(n)))(
    "%s.json with unknown fields everywhere yields the same events",
    (name) => {
      expect(eventsOf(withUnknownFields(fixture(name)))).toEqual(eventsOf(fixture(name)));
    },
  );

  it("account events keep unknown fields, since the value is Meta's object as sent", () => {
    const body = withUnknownFields(fixture("phone-number-quality-update"));
    const [event] = eventsOf(body);
    expect(event).toMatchObject({
      kind: "account",
      value: { added_in_v99: { anything: [1, "two"] } },
    });
  });

  it("a field we do not know becomes an account event", () => {
    const body = fixture("business-capability-update");
    const change = at(body, "entry", 0, "changes", 0);
    change.field = "some_field_from_2027";
    change.value = { whatever: ["it", "is"] };
    const events = eventsOf(body);
    expect(events).toMatchObject([
      { kind: "account", field: "some_field_from_2027", value: { whatever: ["it", "is"] } },
    ]);
    expect(events[0]?.dedupKey).toMatch(/^account:some_field_from_2027:[0-9a-f]{64}$/);
  });

  it("statuses Meta dropped or has yet to invent are kept", () => {
    for (const value of ["deleted", "warning", "held_for_review"]) {
      const body = fixture("status-read");
      at(body, ...VALUE, "statuses", 0).status = value;
      expect(eventsOf(body)[0]).toMatchObject({ kind: "status", status: { status: value } });
    }
  });

  it("timestamps as numbers, coordinates as strings, `from` absent with from_user_id", () => {
    const body = fixture("location");
    const m = at(body, ...VALUE, "messages", 0);
    m.timestamp = 1789380360;
    at(m, "location").latitude = "45.5893";
    delete m.from;
    m.from_user_id = "IT.1";
    expect(eventsOf(body)[0]).toMatchObject({
      message: {
        timestamp: 1789380360_000,
        from: "",
        fromUserId: "IT.1",
        location: { latitude: 45.5893 },
      },
    });
  });

  it("pricing and conversation in an unexpected shape are left out, the status is kept", () => {
    const body = fixture("status-sent");
    const s = at(body, ...VALUE, "statuses", 0);
    at(s, "pricing").billable = "yes";
    s.conversation = "gone";
    expect(eventsOf(body)[0]).toMatchObject({
      kind: "status",
      status: {
        status: "sent",
        pricing: { billable: undefined, pricingModel: "PMP", category: "utility" },
        conversation: undefined,
      },
    });
  });

  it("a nfm_reply (Flows) is an interactive message of kind other", () => {
    const body = fixture("interactive-button-reply");
    at(body, ...VALUE, "messages", 0).interactive = {
      type: "nfm_reply",
      nfm_reply: { name: "flow", body: "Sent", response_json: "{}" },
    };
    expect(eventsOf(body)[0]).toMatchObject({ message: { interactive: { kind: "other" } } });
  });

  it("a profile name is taken only from the sender's own contact", () => {
    const body = fixture("text");
    at(body, ...VALUE, "contacts", 0).wa_id = MARCO;
    expect(eventsOf(body)[0]).toMatchObject({ message: { from: GIULIA, profileName: undefined } });
  });
});

describe("parseNotification: payloads we cannot use", () => {
  it("a body that is not an object", () => {
    for (const body of ["hello", null, [], 42]) {
      expect(problemsOf(body)).toEqual([expect.stringMatching(/^\(top level\): expected object/)]);
    }
  });

  it("another kind of object", () => {
    const body = fixture("text");
    at(body).object = "page";
    expect(problemsOf(body)).toEqual(['object: expected "whatsapp_business_account"']);
  });

  it("no entry", () => {
    expect(problemsOf({ object: "whatsapp_business_account" })).toEqual([
      "entry: expected array, got nothing",
    ]);
    expect(problemsOf({ object: "whatsapp_business_account", entry: [] })).toEqual([
      "entry: is empty",
    ]);
  });

  it("a message without id or type", () => {
    const body = fixture("text");
    const m = at(body, ...VALUE, "messages", 0);
    delete m.id;
    delete m.type;
    expect(problemsOf(body)).toEqual([
      "entry.0.changes.0.value.messages.0.id: expected string, got nothing",
      "entry.0.changes.0.value.messages.0.type: expected string, got nothing",
    ]);
  });

  it("a message with neither from nor from_user_id", () => {
    const body = fixture("text");
    at(body, ...VALUE, "messages", 0).from = "";
    expect(problemsOf(body)).toEqual([
      "entry.0.changes.0.value.messages.0.from: is empty and there is no from_user_id",
    ]);
  });

  it("a status without id", () => {
    const body = fixture("status-failed");
    delete at(body, ...VALUE, "statuses", 0).id;
    expect(problemsOf(body)).toEqual([
      "entry.0.changes.0.value.statuses.0.id: expected string, got nothing",
    ]);
  });

  it("messages without metadata: no comune to route them to", () => {
    const body = fixture("text");
    delete at(body, ...VALUE).metadata;
    expect(problemsOf(body)).toEqual([
      "entry.0.changes.0.value.metadata: is required with messages or statuses",
    ]);
  });

  it("one bad item refuses the whole batch, so nothing is half stored", () => {
    const body = fixture("batched");
    at(body, "entry", 1, "changes", 0, "value", "messages", 0).timestamp = "ieri";
    expect(problemsOf(body)).toEqual([
      "entry.1.changes.0.value.messages.0.timestamp: expected unix seconds",
    ]);
  });

  it("the parts of an account field we act on are checked", () => {
    const prefs = fixture("user-preferences-stop");
    at(prefs, ...VALUE, "user_preferences", 0).value = "maybe";
    expect(problemsOf(prefs)).toEqual([
      'entry.0.changes.0.value.user_preferences.0.value: expected "stop" or "resume"',
    ]);

    const template = fixture("template-status-paused");
    delete at(template, ...VALUE).message_template_name;
    expect(problemsOf(template)).toEqual([
      "entry.0.changes.0.value.message_template_name: expected string, got nothing",
    ]);

    const quality = fixture("phone-number-quality-update");
    delete at(quality, ...VALUE).event;
    expect(problemsOf(quality)).toEqual([
      "entry.0.changes.0.value.event: expected string, got nothing",
    ]);
  });

  it("a change whose value is not an object", () => {
    const body = fixture("template-category-update");
    at(body, "entry", 0, "changes", 0).value = "PAUSED";
    expect(problemsOf(body)).toEqual(["entry.0.changes.0.value: expected object, got string"]);
  });

  it("an account value nested deeper than any notification, refused without overflowing the stack", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const body = fixture("template-status-paused");
    at(body, ...VALUE)["other_info"] = deep;
    expect(problemsOf(body)).toEqual(["(top level): nested more than 32 levels"]);
  });
});

describe("parseNotification: text a column cannot keep", () => {
  it("U+0000 and lone UTF-16 halves become U+FFFD everywhere, keys and dedup keys included", () => {
    const body = fixture("text");
    const message = at(body, ...VALUE, "messages", 0);
    message["id"] = "wamid.A\u0000B\ud800";
    at(message, "text")["body"] = "Lu\u0000ca, Neri + ATTIVA \udc36 👍";
    at(body, ...VALUE, "contacts", 0, "profile")["name"] = "Giu\u0000lia";
    const [event] = eventsOf(body);
    if (event?.kind !== "message") throw new Error("expected a message");
    expect(event.dedupKey).toBe("message:wamid.A\ufffdB\ufffd");
    expect(event.message.text).toBe("Lu\ufffdca, Neri + ATTIVA \ufffd 👍");
    expect(event.message.profileName).toBe("Giu\ufffdlia");

    const account = fixture("template-status-paused");
    // As JSON.parse makes it: an own key "__proto__", not a prototype.
    at(account, ...VALUE)["x\u0000"] = JSON.parse('{"__proto__": "\\ud800"}') as unknown;
    const [update] = eventsOf(account);
    if (update?.kind !== "account") throw new Error("expected an account event");
    expect(Object.keys(update.value)).toContain("x\ufffd");
    expect(Object.getOwnPropertyDescriptor(update.value["x\ufffd"], "__proto__")?.value).toBe(
      "\ufffd",
    );
  });

  it("leaves well-formed text alone, emoji written as escapes included", () => {
    const body = fixture("text");
    at(body, ...VALUE, "messages", 0, "text")["body"] = JSON.parse('"\\ud83d\\ude00 ok"') as string;
    const [event] = eventsOf(body);
    expect(event?.kind === "message" && event.message.text).toBe("😀 ok");
  });
});

function isAccountFixture(name: string): boolean {
  return eventsOf(fixture(name)).some((e) => e.kind === "account");
}
