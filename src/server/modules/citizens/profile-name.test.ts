import { describe, expect, it } from "vitest";
import { profileNameOf } from "./profile-name.js";

describe("profileNameOf", () => {
  it.each([
    ["Mario R.", "Mario R."],
    ["  Anna   Maria  ", "Anna Maria"],
    ["Niccolò 🌻", "Niccolò 🌻"],
    // control characters and invisible formatting removed, line breaks become spaces
    ["An\u202Ena\u0007 V.\u200F", "Anna V."],
    ["Luca\nNeri", "Luca Neri"],
    ["\u2066Luca\u2069", "Luca"],
    ["Lu\u200Bca", "Luca"],
    // cut, never a whole text
    ["A".repeat(200), "A".repeat(64)],
  ])("%j → %j", (raw, expected) => {
    expect(profileNameOf(raw)).toBe(expected);
  });

  it.each([
    "393331234567",
    "+39 333 123 4567",
    "+39 333-123-4567",
    "0039 3331234567",
    "Tel 3331234567",
    "📞",
    "A",
    "   ",
    "\u202E\u0000",
    "",
  ])("%j is no name", (raw) => {
    expect(profileNameOf(raw)).toBeUndefined();
  });

  it("is undefined without a profile name", () => {
    expect(profileNameOf(undefined)).toBeUndefined();
    expect(profileNameOf(null)).toBeUndefined();
  });
});
