import { z } from "zod";
import { actorOf, PERMISSIONS, unauthorized } from "../../platform/http/access.js";
import { localized } from "../../platform/http/locale.js";
import { idSchema, tenantParams } from "../../platform/http/params.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import type { ApiKeyRow } from "./api-keys.repository.js";
import { staffName } from "./names.js";
import type { ApiKeys } from "./api-keys.service.js";

const apiKey = z.object({
  id: z.number(),
  name: z.string(),
  /** The key's first characters, to tell keys apart; the key itself is never shown again. */
  prefix: z.string(),
  permissions: z.array(z.string()),
  createdBy: z.string(),
  createdAt: z.number(),
  lastUsedAt: z.number().nullable(),
  revokedAt: z.number().nullable(),
});

const present = (k: ApiKeyRow) => ({
  id: k.id,
  name: k.name,
  prefix: k.tokenPrefix,
  permissions: k.permissions,
  createdBy: k.createdBy,
  createdAt: k.createdAt,
  lastUsedAt: k.lastUsedAt,
  revokedAt: k.revokedAt,
});

/**
 * API keys of a comune, for machines (a civil-protection system posting urgent broadcasts):
 * `Authorization: Bearer bnd_…`.
 */
export function apiKeysRoutes(deps: { apiKeys: ApiKeys }) {
  const { apiKeys } = deps;
  return zodRoutes((r) => {
    r.get(
      "/api/tenants/:tenant/api-keys",
      {
        config: { permission: "apikeys.manage" },
        schema: {
          tags: ["api-keys"],
          summary: "The comune's API keys (revoked ones included), never the keys themselves",
          params: tenantParams,
          response: { 200: z.object({ apiKeys: z.array(apiKey) }) },
        },
      },
      async (request) => ({
        apiKeys: (await apiKeys.list(request.params.tenant)).map(present),
      }),
    );

    r.post(
      "/api/tenants/:tenant/api-keys",
      {
        config: { permission: "apikeys.manage" },
        schema: {
          tags: ["api-keys"],
          summary: "Create a key with some of your own permissions; the key is shown only now",
          params: tenantParams,
          body: z.object({
            name: staffName(100),
            permissions: z.array(z.enum(PERMISSIONS)).min(
              1,
              localized({
                it: "deve indicare almeno un permesso",
                en: "at least one permission",
              }),
            ),
          }),
          response: { 201: z.object({ key: z.string(), apiKey }) },
        },
      },
      async (request, reply) => {
        if (!request.principal) throw unauthorized();
        const { key, row } = await apiKeys.create({
          tenantId: request.params.tenant,
          name: request.body.name,
          permissions: request.body.permissions,
          creator: request.principal,
        });
        return reply.status(201).send({ key, apiKey: present(row) });
      },
    );

    r.delete(
      "/api/tenants/:tenant/api-keys/:keyId",
      {
        config: { permission: "apikeys.manage" },
        schema: {
          tags: ["api-keys"],
          summary: "Revoke a key: it stops working at once",
          params: tenantParams.extend({ keyId: idSchema }),
        },
      },
      async (request, reply) => {
        await apiKeys.revoke({
          tenantId: request.params.tenant,
          keyId: request.params.keyId,
          actor: actorOf(request),
        });
        return reply.status(204).send();
      },
    );
  });
}
