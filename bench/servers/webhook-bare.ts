// The webhook bench's baseline: a bare Fastify 5 route that keeps the raw body and checks its
// X-Hub-Signature-256 with the same code as the real route (HMAC-SHA256, constant-time compare),
// then answers 200. No logger, schema, parsing, routing or database.
import Fastify from "fastify";
import { announcePort, listeningPort } from "../lib/ipc-server.js";
import { findSigningSecret } from "../../src/server/modules/whatsapp/webhook-signature.js";

const secrets = [process.env.WEBHOOK_APP_SECRET ?? "sandbox-app-secret"];
const app = Fastify();
app.removeContentTypeParser("application/json");
app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) =>
  done(null, body),
);
app.post("/webhooks/whatsapp", (request, reply) => {
  const header = request.headers["x-hub-signature-256"];
  const body = request.body as Buffer;
  if (!findSigningSecret(body, typeof header === "string" ? header : undefined, secrets)) {
    return reply.code(401).send({ error: "INVALID_SIGNATURE" });
  }
  return { received: 1 };
});
await app.listen({ port: 0, host: "127.0.0.1" });
announcePort(listeningPort(app.server.address()), () => app.close());
