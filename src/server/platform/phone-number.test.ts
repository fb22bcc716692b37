import { describe, expect, it } from "vitest";
import { isWaId, normaliseNumber, stripNumberPunctuation, waIdString } from "./phone-number.js";

describe("phone numbers (wa_id)", () => {
  it("accepts 8 to 15 digits with the country code first, never 0, never a +", () => {
    expect(isWaId("393665784663")).toBe(true);
    expect(isWaId("12345678")).toBe(true);
    expect(isWaId("123456789012345")).toBe(true);
    expect(isWaId("1234567")).toBe(false);
    expect(isWaId("1234567890123456")).toBe(false);
    expect(isWaId("0393665784663")).toBe(false);
    expect(isWaId("+393665784663")).toBe(false);
    expect(isWaId("39 366 578 4663")).toBe(false);
  });

  it("drops the punctuation Meta tolerates, and only that", () => {
    expect(stripNumberPunctuation("+39 (366) 578-46.63")).toBe("393665784663");
    expect(stripNumberPunctuation("39/366")).toBe("39/366");
  });

  it("refuses a non-wa_id with the caller's own message", () => {
    const schema = waIdString("must be digits");
    expect(schema.safeParse("393665784663").success).toBe(true);
    const refused = schema.safeParse("+39");
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe("must be digits");
  });

  it("normalises a number as staff type it", () => {
    expect(normaliseNumber(" 0039 366/578 4663 ")).toBe("393665784663");
    expect(normaliseNumber("+0039")).toBeUndefined();
  });
});
