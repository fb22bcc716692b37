import type { AddressInfo } from "node:net";

/** What `OwnAddress` asks of a server: Node's `http.Server` (Fastify's `app.server`) has it. */
export interface Listening {
  address(): AddressInfo | string | null;
}

/**
 * Where this process's own HTTP server answers, on loopback. In sandbox mode the WhatsApp
 * clients send there, and with PORT=0 the port exists only once the server listens, after the
 * services are built: so they hold this and read `baseUrl()` when they first send, instead of
 * being built late. A worker has no server of its own and names the web process's port.
 */
export class OwnAddress {
  #server: Listening | undefined;

  /** `port`: known in advance (a worker sends to the web process on this host, same PORT). */
  constructor(private readonly port?: number) {}

  /** The server whose port this is (buildApp hands it Fastify's). */
  follow(server: Listening): void {
    this.#server = server;
  }

  /** e.g. `http://127.0.0.1:41234`; port 0 before the server listens (nothing answers there). */
  baseUrl(): string {
    const address = this.#server?.address();
    const port = typeof address === "object" && address ? address.port : (this.port ?? 0);
    return `http://127.0.0.1:${port}`;
  }
}
