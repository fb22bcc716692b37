import { z } from "zod";

/** The audit API's answers: the OpenAPI document, the serializer and the service's types. */

/** One entry of a comune's log as the owner reads it. */
export const auditEntryOut = z.object({
  id: z.number(),
  at: z.number(),
  actor: z.object({ type: z.string(), id: z.string().nullable() }),
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }).nullable(),
  summary: z.unknown(),
});

/** The chain check as a comune's owner sees it (`GET /api/tenants/:tenant/audit/verify`). */
export const tenantChainCheckOut = z.object({
  ok: z.boolean(),
  /** Entries of the whole chain (every comune's and the instance's) that hold, from the first. */
  entries: z.number(),
  /** Of those, the comune's own. */
  entriesOfComune: z.number(),
  /** Entries in the chain, read or not. */
  chainLength: z.number(),
  checkedAt: z.number(),
  /** The first entry that does not hold. Its time only when it is the comune's own entry. */
  broken: z
    .object({
      id: z.number(),
      position: z.number(),
      code: z.string(),
      ofThisComune: z.boolean(),
      at: z.number().nullable(),
      action: z.string().nullable(),
    })
    .nullable(),
});
