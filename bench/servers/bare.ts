// A bare Fastify 5 app with the same two routes and the same response bodies as the real one,
// and nothing else: no logger, no schemas, no hooks, no database. The HTTP bench's baseline.
import Fastify from "fastify";
import { announcePort, listeningPort } from "../lib/ipc-server.js";
import { parseEnv } from "../../src/server/config/env.js";
import { loadTenants } from "../../src/server/config/tenants.js";
import { publicTenantInfo } from "../../src/server/modules/tenants/tenants.service.js";

const { tenants } = await loadTenants(parseEnv(process.env));
const bySlug = new Map(tenants.map((t) => [t.slug, publicTenantInfo(t)]));

const app = Fastify();
app.get("/healthz", () => ({ status: "ok" }));
app.get<{ Params: { slug: string } }>("/api/tenants/:slug", (request, reply) => {
  const info = bySlug.get(request.params.slug);
  return info ?? reply.code(404).send({ error: "not_found" });
});
await app.listen({ port: 0, host: "127.0.0.1" });
announcePort(listeningPort(app.server.address()), () => app.close());
