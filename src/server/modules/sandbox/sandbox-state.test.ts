import { describe, expect, it } from "vitest";
import { MAX_SEND_ONLY_PHONES, SandboxState, type MessageRecord } from "./sandbox-state.js";

const T0 = Date.UTC(2026, 11, 4, 9, 0, 0);
const NUMBER_ID = "100000000000001";

function sendTo(state: SandboxState, waId: string, at: number): MessageRecord {
  const record: MessageRecord = {
    message: {
      id: `wamid.${waId}.${at}`,
      direction: "to_phone",
      number: "393665784663",
      tenant: "concorezzo",
      type: "text",
      text: "Avviso",
      status: "sent",
      at,
    },
    waId,
    phoneNumberId: NUMBER_ID,
  };
  state.addMessage(state.upsertPhone(waId).phone, record);
  return record;
}

describe("SandboxState", () => {
  it("forgets the least recently sent-to phones nobody named or wrote from, beyond the limit", () => {
    const state = new SandboxState();
    const named = state.upsertPhone("393330000001", "Maria").phone;
    const wrote = state.upsertPhone("393330000002").phone;
    wrote.lastInboundAt.set(NUMBER_ID, T0);
    sendTo(state, named.waId, T0);
    sendTo(state, wrote.waId, T0);
    const first = sendTo(state, "393390000000", T0);
    const recipients = MAX_SEND_ONLY_PHONES + 1000;
    for (let i = 1; i <= recipients; i += 1) {
      sendTo(state, `39339${String(i).padStart(7, "0")}`, T0 + i);
    }
    // The oldest recipients only are gone (a batch of them), with their messages; the people's
    // phones stay, with theirs.
    expect(state.phones.has("393390000000")).toBe(false);
    expect(state.messages.has(first.message.id)).toBe(false);
    expect(state.phones.has("393390001000")).toBe(false);
    expect(state.phones.has("393390001001")).toBe(true);
    expect(state.phones.has(`39339${String(recipients).padStart(7, "0")}`)).toBe(true);
    expect(state.phones.get(named.waId)?.messages).toHaveLength(1);
    expect(state.phones.get(wrote.waId)?.messages).toHaveLength(1);
    expect(state.phones.size).toBe(MAX_SEND_ONLY_PHONES + 2);
    expect(state.messages.size).toBe(MAX_SEND_ONLY_PHONES + 2);
  });

  it("keeps a recipient that was sent to again among the latest", () => {
    const state = new SandboxState();
    sendTo(state, "393390000000", T0);
    for (let i = 1; i < MAX_SEND_ONLY_PHONES; i += 1) {
      sendTo(state, `39339${String(i).padStart(7, "0")}`, T0 + i);
    }
    sendTo(state, "393390000000", T0 + MAX_SEND_ONLY_PHONES);
    for (let i = 0; i <= 1000; i += 1) sendTo(state, `39338${String(i).padStart(7, "0")}`, T0);
    expect(state.phones.get("393390000000")?.messages).toHaveLength(2);
    expect(state.phones.has("393390000001")).toBe(false);
  });
});
