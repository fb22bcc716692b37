import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildTestApp, type TestApp } from "./test/build-test-app.js";
import { startInProcessServer, type InProcessServer } from "./test/in-process-server.js";

/**
 * Slow clients (slowloris and its kin) against the real listening server, over raw sockets:
 * each way of holding a connection open is cut off within its configured limit. The limits are
 * short here so the test is quick; production's are env.ts's defaults.
 */
const HEADERS_MS = 500;
const REQUEST_MS = 1_000;
const KEEP_ALIVE_MS = 300;
const IDLE_MS = 1_500;
const LIMITS = {
  HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_MS),
  HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_MS),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS),
  HTTP_IDLE_TIMEOUT_MS: String(IDLE_MS),
};
/** Headers and requests are checked on a timer (every HEADERS_MS here), plus scheduling slack. */
const CHECK_SLACK_MS = HEADERS_MS + 1_000;
/** A byte this often: far more often than any limit, so only the total time can cut it off. */
const TRICKLE_MS = 100;

interface Probe {
  socket: Socket;
  /** What the server sent back. */
  received(): string;
  /** Resolves with how long the connection stayed open, or rejects once `withinMs` passed. */
  closedWithin(withinMs: number): Promise<number>;
  /** Sends `bytes` one at a time, every TRICKLE_MS, and then a byte of `then` forever. */
  trickle(bytes: string, then?: string): void;
}

async function open(port: number): Promise<Probe> {
  const socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const opened = Date.now();
  let text = "";
  socket.on("data", (chunk: Buffer) => (text += chunk.toString()));
  // The server may close while a byte is on its way: an EPIPE or reset is the expected end.
  socket.on("error", () => undefined);
  const closed = new Promise<number>((resolve) =>
    socket.once("close", () => resolve(Date.now() - opened)),
  );
  let timer: NodeJS.Timeout | undefined;
  socket.once("close", () => clearInterval(timer));
  return {
    socket,
    received: () => text,
    closedWithin: (withinMs) =>
      Promise.race([
        closed,
        new Promise<number>((_, reject) =>
          setTimeout(() => reject(new Error(`still open after ${withinMs} ms`)), withinMs),
        ),
      ]),
    trickle(bytes, then = "a") {
      let i = 0;
      timer = setInterval(() => {
        if (socket.destroyed) return;
        socket.write(i < bytes.length ? bytes.charAt(i++) : then);
      }, TRICKLE_MS);
    },
  };
}

/** The server's 408 in the project's shape, as the error handler writes it. */
function expectTimeoutAnswer(received: string): void {
  const [head = "", body = ""] = received.split("\r\n\r\n");
  expect(head).toMatch(/^HTTP\/1\.1 408 /);
  expect(head).toMatch(/connection: close/i);
  expect(JSON.parse(body)).toEqual({
    error: { code: "REQUEST_TIMEOUT", message: "La richiesta non è arrivata in tempo" },
  });
}

describe("slow clients on the running server", () => {
  let s: InProcessServer;
  let port: number;
  beforeAll(async () => {
    s = await startInProcessServer({ env: LIMITS });
    port = Number(new URL(s.baseUrl).port);
  });
  afterAll(async () => {
    await s.close();
  });

  it("closes a connection whose headers trickle in a byte at a time", async () => {
    const probe = await open(port);
    // Headers that never end: one more header line's worth of bytes, forever.
    probe.trickle("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ");
    const openFor = await probe.closedWithin(HEADERS_MS + CHECK_SLACK_MS);
    expect(openFor).toBeGreaterThanOrEqual(HEADERS_MS - 50);
    expectTimeoutAnswer(probe.received());
  });

  it("closes a connection whose body trickles in after complete headers", async () => {
    const probe = await open(port);
    probe.socket.write(
      "POST /api/auth/login HTTP/1.1\r\nHost: localhost\r\n" +
        "Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
    );
    probe.trickle('{"email":"', " ");
    const openFor = await probe.closedWithin(REQUEST_MS + CHECK_SLACK_MS);
    // The headers arrived at once: it is the request's limit that ended it, not the headers'.
    expect(openFor).toBeGreaterThanOrEqual(REQUEST_MS - 50);
    expectTimeoutAnswer(probe.received());
  });

  it("closes a connection that opens and sends nothing", async () => {
    const probe = await open(port);
    await probe.closedWithin(HEADERS_MS + CHECK_SLACK_MS);
    expectTimeoutAnswer(probe.received());
  });

  it("closes a kept-alive connection left idle after its answer", async () => {
    const probe = await open(port);
    probe.socket.write(
      "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n",
    );
    // Node keeps the socket up to a second beyond keepAliveTimeout (its margin for the client).
    await probe.closedWithin(KEEP_ALIVE_MS + 1_000 + CHECK_SLACK_MS);
    expect(probe.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(probe.received()).toMatch(/connection: keep-alive/i);
  });

  it("answers bytes that are not HTTP, or headers too large, in the project's shape and closes", async () => {
    const garbage = await open(port);
    garbage.socket.write("HELLO SERVER\r\n\r\n");
    await garbage.closedWithin(2_000);
    expect(garbage.received()).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(garbage.received().split("\r\n\r\n")[1] ?? "")).toEqual({
      error: { code: "BAD_REQUEST", message: "Richiesta non valida" },
    });

    const huge = await open(port);
    huge.socket.write(
      `GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: ${"x".repeat(20_000)}\r\n\r\n`,
    );
    await huge.closedWithin(2_000);
    expect(huge.received()).toMatch(/^HTTP\/1\.1 431 /);
    expect(JSON.parse(huge.received().split("\r\n\r\n")[1] ?? "")).toEqual({
      error: { code: "HEADERS_TOO_LARGE", message: "Intestazioni della richiesta troppo grandi" },
    });
  });

  it("closes every connection of a crowd trickling bytes, and still answers others", async () => {
    const crowd = await Promise.all(Array.from({ length: 100 }, () => open(port)));
    for (const probe of crowd) probe.trickle("GET / HTTP/1.1\r\nX-Slow: ");
    const healthy = await fetch(`${s.baseUrl}/healthz`);
    expect(healthy.status).toBe(200);
    const times = await Promise.all(crowd.map((p) => p.closedWithin(HEADERS_MS + CHECK_SLACK_MS)));
    expect(times).toHaveLength(100);
  });
});

describe("a connection with nothing on the wire", () => {
  let t: TestApp;
  let port: number;
  let release: () => void = () => undefined;
  beforeAll(async () => {
    t = await buildTestApp({ env: LIMITS });
    // An answer that never starts: a handler stuck on something that does not come.
    t.app.get("/test/hang", { config: { permission: "public" } }, async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return { late: true };
    });
    await t.app.listen({ port: 0, host: "127.0.0.1" });
    const address = t.app.server.address();
    port = typeof address === "object" && address ? address.port : 0;
  });
  afterAll(async () => {
    release();
    await t.close();
  });

  it("is closed after the idle limit, request in progress or not", async () => {
    const probe = await open(port);
    probe.socket.write("GET /test/hang HTTP/1.1\r\nHost: localhost\r\n\r\n");
    const openFor = await probe.closedWithin(IDLE_MS + 1_000);
    expect(openFor).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(probe.received()).toBe("");
  });
});
