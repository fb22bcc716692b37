import fastifySwagger from "@fastify/swagger";
import type { SwaggerTransformObject } from "@fastify/swagger";
import type { FastifyInstance } from "fastify";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";

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
    transformObject: namedAnswers,
  });
  app.get("/api/openapi.json", { schema: { hide: true }, config: { permission: "public" } }, () =>
    app.swagger(),
  );
}

/**
 * Schemas given an id (`.meta({ id })`) are written once under `components.schemas` and
 * referenced where used. They are answers only: the "…Input" twin the library writes of each
 * (for a request body of the same shape) is left out.
 */
const namedAnswers: SwaggerTransformObject = (document) => {
  const openapi = jsonSchemaTransformObject(document);
  const schemas = "components" in openapi ? openapi.components?.schemas : undefined;
  for (const id of Object.keys(schemas ?? {})) {
    if (schemas && `${id}Input` in schemas) delete schemas[`${id}Input`];
  }
  return openapi;
};
