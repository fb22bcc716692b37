import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, maskDigits, maskPhone } from "./log.js";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: createLogger("info", stream), text: () => lines.join("") };
}

describe("maskPhone", () => {
  it("keeps the country code, the operator prefix and the last three digits", () => {
    expect(maskPhone("393331234567")).toBe("3933•••••567");
    expect(maskPhone("+39 333 123 4567")).toBe("3933•••••567");
  });
  it("masks a short number whole", () => {
    expect(maskPhone("12345")).toBe("•••••");
  });
});

describe("maskDigits", () => {
  it("masks every long run of digits in a text and leaves the rest", () => {
    expect(maskDigits("/sandbox/api/phones/393331234567/messages?page=2")).toBe(
      "/sandbox/api/phones/3933•••••567/messages?page=2",
    );
  });
});

describe("the logger", () => {
  it("never writes a citizen's number or message body, wherever they sit", () => {
    const { log, text } = capture();
    log.info({ waId: "393331234567", text: "Mario Rossi + ATTIVA" }, "inbound");
    log.info({ message: { from: "393337654321", body: "Via Roma chiusa" } }, "nested");
    log.info(
      { req: { method: "GET", url: "/sandbox/api/phones/393339998887/messages" } },
      "request",
    );
    const out = text();
    for (const secret of [
      "393331234567",
      "Mario Rossi",
      "393337654321",
      "Via Roma chiusa",
      "393339998887",
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain("[redacted]");
    expect(out).toContain("3933•••••887");
  });
});
