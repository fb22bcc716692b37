import { afterAll, beforeAll } from "vitest";
import {
  CloudApiClient,
  createGraphDispatcher,
  type CloudApiClientOptions,
} from "../modules/whatsapp/cloud-api-client.js";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A tiny stand-in for the Graph API in client tests: it records every request and answers with
 * whatever the test sets, or misbehaves on purpose. Unlike the sandbox it knows nothing of
 * WhatsApp; it only lets a test see the bytes the client put on the wire.
 */

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: Buffer;
}

/** An answer, or a misbehaviour: never answer, or drop the connection. */
export type GraphAnswer = { status: number; json?: unknown; text?: string } | "hang" | "destroy";

export interface RecordingGraphServer {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  recorded: RecordedRequest[];
  answer: (request: RecordedRequest) => GraphAnswer;
  /** Forget what was recorded and answer 200 with `json` again. */
  reset(json: unknown): void;
  close(): Promise<void>;
}

export async function startRecordingGraphServer(): Promise<RecordingGraphServer> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const entry: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      fake.recorded.push(entry);
      const reply = fake.answer(entry);
      if (reply === "hang") return;
      if (reply === "destroy") return void req.socket.destroy();
      res.writeHead(reply.status, { "content-type": "application/json" });
      res.end(reply.text ?? JSON.stringify(reply.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const fake: RecordingGraphServer = {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    recorded: [],
    answer: () => ({ status: 200, json: {} }),
    reset(json) {
      fake.recorded = [];
      fake.answer = () => ({ status: 200, json });
    },
    close() {
      // Hanging requests keep their sockets open; close() alone would wait for them.
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return fake;
}

/** A port on which nothing listens: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * For a test file of the Cloud API client: the recording fake, started before its tests and
 * closed after them (`fake` forwards to it), a client of it with the usual test settings, and
 * the JSON body of a recorded request.
 */
export function recordingGraphKit(): {
  fake: RecordingGraphServer;
  client: (overrides?: Partial<CloudApiClientOptions>) => CloudApiClient;
  json: (r: RecordedRequest | undefined) => unknown;
} {
  const dispatcher = createGraphDispatcher({ connections: 8 });
  let started: RecordingGraphServer | undefined;
  beforeAll(async () => {
    started = await startRecordingGraphServer();
  });
  afterAll(async () => {
    await started?.close();
    await dispatcher.close();
  });
  const running = (): RecordingGraphServer => {
    if (!started) throw new Error("the recording Graph server is not started yet");
    return started;
  };
  const fake = new Proxy({} as RecordingGraphServer, {
    get: (_, key) => Reflect.get(running(), key) as unknown,
    set: (_, key, value) => Reflect.set(running(), key, value),
  });
  return {
    fake,
    client: (overrides = {}) =>
      new CloudApiClient({
        baseUrl: running().origin,
        apiVersion: "v25.0",
        accessToken: "TEST_TOKEN",
        phoneNumberId: "106540352242922",
        wabaId: "WABA1",
        dispatcher,
        timeoutMs: 2_000,
        ...overrides,
      }),
    json: (r) => JSON.parse(r?.body.toString() ?? "null") as unknown,
  };
}
