import { z } from "zod";

/** A comune's slug as it appears in paths. */
export const slugSchema = z
  .string()
  .max(63, "is longer than 63 characters")
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "must be lower-case letters, digits and single dashes");

/** The `:tenant` path parameter of every comune route (see access.ts). */
export const tenantParams = z.object({ tenant: slugSchema });

/** A database id in a path. */
export const idSchema = z.coerce.number().int().positive("must be a positive integer");
