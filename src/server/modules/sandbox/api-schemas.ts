import { z } from "zod";
import { waIdString } from "../../platform/phone-number.js";
import { MEDIA_KINDS } from "./parsed-send.js";

/**
 * The JSON contract of `/sandbox/api/…`, which the simulated-phones page is written against.
 * Request schemas validate (Italian problems); response schemas document and trim the output.
 */

export const waIdSchema = waIdString(
  "deve essere un numero di 8–15 cifre, prefisso internazionale per primo, senza +",
);

export const phoneNameSchema = z
  .string()
  .trim()
  .min(1, "non deve essere vuoto")
  .max(60, "deve avere al massimo 60 caratteri");

export const phoneSchema = z.object({ waId: z.string(), name: z.string() });

export const phoneMessageSchema = z.object({
  id: z.string(),
  direction: z.enum(["from_phone", "to_phone"]),
  number: z.string(),
  tenant: z.string(),
  type: z.string(),
  text: z.string().optional(),
  media: z
    .object({
      kind: z.enum(MEDIA_KINDS),
      url: z.string().optional(),
      filename: z.string().optional(),
      mimeType: z.string().optional(),
    })
    .optional(),
  location: z
    .object({
      latitude: z.number(),
      longitude: z.number(),
      name: z.string().optional(),
      address: z.string().optional(),
    })
    .optional(),
  interactive: z
    .object({
      kind: z.enum(["buttons", "list"]),
      header: z.string().optional(),
      footer: z.string().optional(),
      buttonLabel: z.string().optional(),
      options: z.array(
        z.object({
          id: z.string(),
          title: z.string(),
          description: z.string().optional(),
          section: z.string().optional(),
        }),
      ),
    })
    .optional(),
  template: z.object({ name: z.string(), language: z.string(), category: z.string() }).optional(),
  status: z.enum(["sent", "delivered", "read", "failed"]),
  error: z.object({ code: z.number(), title: z.string() }).optional(),
  at: z.number(),
});

export const webhookOutcomeSchema = z.object({
  status: z.number().nullable(),
  error: z.string().optional(),
});

const locationInput = z.strictObject({
  latitude: z.number().min(-90, "deve essere tra -90 e 90").max(90, "deve essere tra -90 e 90"),
  longitude: z
    .number()
    .min(-180, "deve essere tra -180 e 180")
    .max(180, "deve essere tra -180 e 180"),
  name: z.string().trim().min(1).max(1000).optional(),
  address: z.string().trim().min(1).max(1000).optional(),
});

export const phoneMessageInputSchema = z
  .strictObject({
    to: waIdSchema.optional(),
    text: z
      .string()
      .refine((t) => t.trim() !== "", "non deve essere vuoto")
      .refine((t) => [...t].length <= 4096, "deve avere al massimo 4096 caratteri")
      .optional(),
    // The page sends the phone's current name, which is "" for a phone known only from sends.
    name: z.string().trim().max(60, "deve avere al massimo 60 caratteri").optional(),
    tap: z.string().trim().min(1, "non deve essere vuoto").max(256).optional(),
    location: locationInput.optional(),
  })
  .superRefine((body, ctx) => {
    const given = (["text", "tap", "location"] as const).filter((k) => body[k] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: "custom",
        path: given.length ? [given[1] ?? given[0] ?? "text"] : ["text"],
        message: "indicare esattamente uno tra text, tap e location",
      });
    }
  });

export const templateSummarySchema = z.object({
  id: z.string(),
  wabaId: z.string(),
  tenant: z.string(),
  name: z.string(),
  language: z.string(),
  category: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  components: z.array(z.unknown()),
});
