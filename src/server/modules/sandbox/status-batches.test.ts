import { describe, expect, it } from "vitest";
import {
  MAX_STATUSES_PER_WEBHOOK,
  statusEnvelopes,
  type NumberMetadata,
  type StatusItem,
} from "./webhook-envelopes.js";
import {
  TEST_NUMBERS,
  templateTo,
  useTestSandbox,
  type ReceivedWebhook,
  type StatusLike,
} from "../../test/sandbox-kit.js";

/**
 * Status webhooks batched as Meta batches them (`statusBatchMs`): one number's statuses due in
 * one window share a POST, over real HTTP.
 */

const WINDOW_MS = 300;
const CONCOREZZO = TEST_NUMBERS[0]!;
const CASALE = TEST_NUMBERS[1]!;

const t = useTestSandbox({
  start: { settings: { statusBatchMs: WINDOW_MS } },
  resetAfterEach: async () => {
    await t.api("PUT", "/settings", {
      statusBatchMs: WINDOW_MS,
      faults: { duplicateWebhookRate: 0, reorderWebhooks: false },
    });
    t.receiver.received.length = 0;
  },
});

/** Template sends from one number to `count` recipients at once; their wamids. */
async function sendFrom(
  number: typeof CONCOREZZO,
  count: number,
  firstRecipient: number,
): Promise<string[]> {
  const answers = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      t.graph<{ messages: { id: string }[] }>("POST", `/${number.phoneNumberId}/messages`, {
        body: templateTo(String(firstRecipient + i), "notizia_comune", ["Notizia"]),
        token: number.accessToken,
      }),
    ),
  );
  return answers.map((a) => {
    expect(a.status).toBe(200);
    return a.body.messages[0]?.id ?? "";
  });
}

/** Waits until every wamid has `perMessage` statuses; the status webhooks that carried them. */
async function statusWebhooksFor(
  wamids: readonly string[],
  perMessage: number,
): Promise<ReceivedWebhook[]> {
  const mine = new Set(wamids);
  await t.receiver.waitFor(() => {
    const seen = t.receiver.statuses().filter((s) => mine.has(s.id));
    return seen.length >= wamids.length * perMessage ? true : undefined;
  });
  return t.receiver.received.filter((w) => statusesOf(w).some((s) => mine.has(s.id)));
}

/** Every status of a webhook, from every entry and change. */
function statusesOf(webhook: ReceivedWebhook): StatusLike[] {
  return webhook.body.entry.flatMap((e) => e.changes.flatMap((c) => c.value.statuses ?? []));
}

describe("status webhooks in batches", () => {
  it("posts one number's statuses due in one window together, signed once over the batched body", async () => {
    const [concorezzo, casale] = await Promise.all([
      sendFrom(CONCOREZZO, 6, 393330000100),
      sendFrom(CASALE, 3, 393330000200),
    ]);
    const webhooks = await statusWebhooksFor([...concorezzo, ...casale], 2);

    // Fewer POSTs than statuses, and at least one of them carries several.
    expect(webhooks.length).toBeLessThan(2 * (concorezzo.length + casale.length));
    expect(Math.max(...webhooks.map((w) => statusesOf(w).length))).toBeGreaterThan(1);
    for (const webhook of webhooks) {
      expect(webhook.signatureValid).toBe(true);
      // One number per POST: one entry, one change, that number's metadata on all its statuses.
      expect(webhook.body.entry).toHaveLength(1);
      expect(webhook.body.entry[0]?.changes).toHaveLength(1);
      const ids = new Set(statusesOf(webhook).map((s) => s.id));
      const number = concorezzo.some((id) => ids.has(id)) ? CONCOREZZO : CASALE;
      const own = number === CONCOREZZO ? concorezzo : casale;
      expect([...ids].every((id) => own.includes(id))).toBe(true);
      expect(webhook.body.entry[0]?.id).toBe(number.wabaId);
      expect(webhook.body.entry[0]?.changes[0]?.value.metadata).toEqual({
        display_phone_number: number.displayNumber,
        phone_number_id: number.phoneNumberId,
      });
    }
    // Each status once, `sent` before `delivered` for every message.
    const statuses = webhooks.flatMap(statusesOf);
    expect(statuses).toHaveLength(2 * (concorezzo.length + casale.length));
    for (const id of [...concorezzo, ...casale]) {
      expect(statuses.filter((s) => s.id === id).map((s) => s.status)).toEqual([
        "sent",
        "delivered",
      ]);
    }
  });

  it("posts each status alone with statusBatchMs 0, as before batching", async () => {
    await t.api("PUT", "/settings", { statusBatchMs: 0 });
    const wamids = await sendFrom(CONCOREZZO, 4, 393330000300);
    const webhooks = await statusWebhooksFor(wamids, 2);
    expect(webhooks).toHaveLength(8);
    expect(webhooks.every((w) => statusesOf(w).length === 1)).toBe(true);
  });

  it("duplicateWebhookRate 1: posts every batch twice, byte for byte, with all its statuses", async () => {
    await t.api("PUT", "/settings", { faults: { duplicateWebhookRate: 1 } });
    const wamids = await sendFrom(CONCOREZZO, 5, 393330000400);
    const webhooks = await statusWebhooksFor(wamids, 4);
    const copies = new Map<string, number>();
    for (const w of webhooks) copies.set(w.raw, (copies.get(w.raw) ?? 0) + 1);
    expect([...copies.values()].every((n) => n === 2)).toBe(true);
    expect(Math.max(...webhooks.map((w) => statusesOf(w).length))).toBeGreaterThan(1);
    const statuses = webhooks.flatMap(statusesOf);
    for (const id of wamids) expect(statuses.filter((s) => s.id === id)).toHaveLength(4);
  });

  it("reorderWebhooks: delivered comes before sent, inside a batch too", async () => {
    await t.api("PUT", "/settings", { statusBatchMs: 1_000, faults: { reorderWebhooks: true } });
    const wamids = await sendFrom(CONCOREZZO, 4, 393330000500);
    const webhooks = await statusWebhooksFor(wamids, 2);
    const statuses = webhooks.flatMap(statusesOf);
    for (const id of wamids) {
      expect(statuses.filter((s) => s.id === id).map((s) => s.status)).toEqual([
        "delivered",
        "sent",
      ]);
    }
  });
});

describe("statusEnvelopes", () => {
  const number: NumberMetadata = {
    wabaId: CONCOREZZO.wabaId,
    displayNumber: CONCOREZZO.displayNumber,
    phoneNumberId: CONCOREZZO.phoneNumberId,
  };
  const item = (i: number): StatusItem => ({
    id: `wamid.${i}`,
    status: "sent",
    timestamp: "1790000000",
    recipient_id: "393331234567",
  });

  it("puts at most 1,000 statuses in a POST, in order, each under the number's metadata", () => {
    const items = Array.from({ length: 2_345 }, (_, i) => item(i));
    const envelopes = statusEnvelopes(number, items);
    const chunks = envelopes.map(
      (e) => (e.entry[0]?.changes[0]?.value.statuses ?? []) as unknown[],
    );
    expect(MAX_STATUSES_PER_WEBHOOK).toBe(1_000);
    expect(chunks.map((c) => c.length)).toEqual([1_000, 1_000, 345]);
    expect(chunks.flat()).toEqual(items);
    for (const envelope of envelopes) {
      expect(envelope.entry).toHaveLength(1);
      expect(envelope.entry[0]?.id).toBe(number.wabaId);
      expect(envelope.entry[0]?.changes[0]?.value.metadata).toEqual({
        display_phone_number: number.displayNumber,
        phone_number_id: number.phoneNumberId,
      });
    }
  });

  it("puts one status in each POST when asked for one", () => {
    const envelopes = statusEnvelopes(number, [item(1), item(2)], 1);
    expect(envelopes.map((e) => e.entry[0]?.changes[0]?.value.statuses)).toEqual([
      [item(1)],
      [item(2)],
    ]);
    expect(statusEnvelopes(number, [])).toEqual([]);
  });
});
