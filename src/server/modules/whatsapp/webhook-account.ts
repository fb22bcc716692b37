import { z } from "zod";
import { idLike, unixSecondsAsMs } from "./webhook-messages.js";

/**
 * Account-level fields we act on: only the parts we use are checked, everything else is kept in
 * the event's `value` as Meta sent it. Fields not listed here pass through unchecked.
 */
const templateRef = {
  message_template_id: idLike,
  message_template_name: z.string().optional(),
  message_template_language: z.string().optional(),
};
const limit = z.union([z.number(), z.string()]).optional();
export const ACCOUNT_SCHEMAS = new Map<string, z.ZodType>([
  [
    "user_preferences",
    z.object({
      user_preferences: z.array(
        z
          .object({
            wa_id: z.string().optional(),
            user_id: z.string().optional(),
            category: z.string(),
            value: z.enum(["stop", "resume"]),
            timestamp: unixSecondsAsMs,
          })
          .refine((p) => Boolean(p.wa_id || p.user_id), {
            message: "needs wa_id or user_id",
            path: ["wa_id"],
          }),
      ),
    }),
  ],
  [
    "message_template_status_update",
    z.object({
      ...templateRef,
      // Templates are sent by name and language, so a status change must say which one.
      message_template_name: z.string(),
      message_template_language: z.string(),
      event: z.string().min(1),
      reason: z.string().nullish(),
    }),
  ],
  [
    "message_template_quality_update",
    z.object({ ...templateRef, new_quality_score: z.string().min(1) }),
  ],
  [
    "template_category_update",
    // previous_category is absent in the "impending change" variant, which has correct_category.
    z.object({
      ...templateRef,
      previous_category: z.string().optional(),
      new_category: z.string().min(1),
    }),
  ],
  [
    "business_capability_update",
    z.object({
      max_daily_conversation_per_phone: limit,
      max_daily_conversations_per_business: limit,
      max_phone_numbers_per_business: limit,
      max_phone_numbers_per_waba: limit,
      messaging_limit_tier: limit,
    }),
  ],
  [
    "phone_number_quality_update",
    z.object({
      display_phone_number: z.string().min(1),
      event: z.string().min(1),
      current_limit: z.string().optional(),
      old_limit: z.string().optional(),
      max_daily_conversations_per_business: limit,
    }),
  ],
]);
