import { z } from "zod";
import type { checkOf } from "./broadcasts.service.js";
import { gulpeaseSchema } from "./policy/gulpease.js";

/**
 * A broadcast's `check` as the broadcasts API answers it (checkOf, broadcasts.service.ts): the
 * policy gates' answers (policy/*.ts, where each field is explained), the audience and Meta's
 * messaging limit. Written here for the OpenAPI document, so the console reads the same shapes.
 */

/** A text in both of the console's languages (named in the OpenAPI document: `LocalizedText`). */
const localizedText = z.object({ it: z.string(), en: z.string() }).meta({ id: "LocalizedText" });

/** A block, a warning's base or a piece of advice (policy/types.ts). */
const policyNote = z.object({
  id: z.string(),
  rule: z.string(),
  source: z.string(),
  why: localizedText,
  todo: localizedText,
});

/** Named in the OpenAPI document (`components.schemas.PolicyCheck`): the console's type. */
export const policyCheckOut = z
  .object({
    blocks: z.array(policyNote),
    warnings: z.array(
      policyNote.extend({
        term: z.string(),
        excerpt: z.string(),
        occurrences: z.number(),
        acknowledged: z.boolean(),
      }),
    ),
    advice: z.object({
      schedule: policyNote.extend({
        decision: z.enum(["now", "wait"]),
        startAt: z.number(),
        startAtLocal: localizedText,
      }),
      election: policyNote.extend({
        outcome: z.enum(["pass", "refused"]),
        period: z.object({ name: z.string(), from: z.string(), to: z.string() }).optional(),
      }),
      readability: policyNote.extend({ gulpease: gulpeaseSchema }).optional(),
      category: z.object({
        category: z.enum(["marketing", "utility", "authentication"]),
        why: localizedText,
      }),
    }),
    estimate: z.object({
      currency: z.string(),
      category: z.enum(["marketing", "utility", "authentication"]),
      priceListFrom: z.string(),
      recipients: z.number(),
      lines: z.array(
        z.object({
          kind: z.enum(["template", "template-in-window", "free-form"]),
          recipients: z.number(),
          unitMicros: z.number(),
          totalMicros: z.number(),
        }),
      ),
      totalMicros: z.number(),
      total: localizedText,
      display: localizedText,
    }),
    mayApprove: z.boolean(),
    audience: z.object({ recipients: z.number(), inWindow: z.number() }),
    /** Meta's messaging limit for those outside their 24-hour window (dispatch/tier-plan.ts). */
    messagingLimit: z.object({
      limit: z.number().nullable(),
      spentToday: z.number(),
      now: z.number(),
      later: z.number(),
      lastBy: z.number().nullable(),
    }),
  })
  .meta({ id: "PolicyCheck" });

/**
 * The answer checkOf builds and this schema are one type, field for field (readonly aside): a
 * gate that gains or changes a field fails the compile here, rather than the serializer dropping
 * the field from the answer unseen.
 */
type Plain<T> = T extends object ? { -readonly [K in keyof T]: Plain<T[K]> } : T;
type Same<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const _checkAnswerIsTheSchema: Same<
  Plain<Awaited<ReturnType<typeof checkOf>>>,
  Plain<z.infer<typeof policyCheckOut>>
> = true;
