import fastifySwagger from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform } from "fastify-type-provider-zod";

/** Must be registered before the routes it describes. Served at /api/openapi.json. */
export async function registerOpenApi(app: FastifyInstance, version: string): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Banditore API",
        description:
          "The WhatsApp information channel of Italian comuni: admin API, webhooks, health.",
        version,
        license: { name: "EUPL-1.2", identifier: "EUPL-1.2" },
      },
    },
    transform: jsonSchemaTransform,
  });
  app.get("/api/openapi.json", { schema: { hide: true }, config: { permission: "public" } }, () =>
    app.swagger(),
  );
}
