import { z } from "zod";
import { forbidden } from "../../../platform/errors.js";
import type { Permission, Principal } from "../../../platform/http/access.js";
import { tenantParams } from "../../../platform/http/params.js";
import { isCalendarDay } from "../../../platform/local-days.js";

/** Request and response shapes shared by the citizens' admin routes. */

export const subscriberParams = tenantParams.extend({
  id: z.coerce
    .number("deve essere l'id numerico di un iscritto")
    .int("deve essere l'id numerico di un iscritto")
    .positive("deve essere l'id numerico di un iscritto"),
});

export const revealQuery = z.object({
  /** "true" shows the full number and personal data (audited). */
  reveal: z.enum(["true", "false"], "deve essere true o false").optional(),
});

const day = z
  .string()
  .refine(isCalendarDay, "deve essere una data nel formato AAAA-MM-GG (es. 2026-11-22)");

/** A period of whole local days, both included, at most a year and a day. */
export const periodQuery = z
  .object({ from: day, to: day })
  .refine((q) => q.from <= q.to, {
    path: ["to"],
    message: "deve essere uguale o successiva a from",
  })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 366 * 86_400_000, {
    path: ["to"],
    message: "il periodo può durare al massimo 367 giorni",
  });

/** One person as the admin API shows them (presentSubscriber, subscriber-view.ts). */
export const subscriberView = z.object({
  id: z.number(),
  status: z.string(),
  /** Masked ("3936•••••663") unless revealed; null for a person known only by a user id. */
  number: z.string().nullable(),
  revealed: z.boolean(),
  /** Only when revealed: the personal data beyond the number. */
  personal: z
    .object({
      firstName: z.string().nullable(),
      lastName: z.string().nullable(),
      profileName: z.string().nullable(),
      userId: z.string().nullable(),
      topics: z.array(z.string()),
    })
    .optional(),
  block: z.object({
    state: z.enum(["none", "pending", "applied"]),
    blockedAt: z.string().nullable(),
    appliedOnWhatsAppAt: z.string().nullable(),
  }),
  flag: z.object({ flaggedAt: z.string(), reason: z.string().nullable() }).nullable(),
  marketingStoppedAt: z.string().nullable(),
  subscribedAt: z.string().nullable(),
  unsubscribedAt: z.string().nullable(),
  lastMessageAt: z.string().nullable(),
  createdAt: z.string(),
});

/**
 * A second permission some answers need beyond the route's own (e.g. full numbers in the
 * moderation report need `subscribers.reveal` as well as `moderation.report`), checked against
 * the caller's permissions in the comune, like the route's own.
 */
export function requireAlso(
  request: { principal?: Principal },
  tenantId: string,
  permission: Permission,
): void {
  const principal = request.principal;
  if (!principal) throw new Error("A protected route ran without a principal");
  if (!principal.permissionsIn(tenantId).has(permission)) {
    throw principal.withheldIn?.(tenantId) ?? forbidden();
  }
}
