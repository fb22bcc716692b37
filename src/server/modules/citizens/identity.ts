/**
 * Who wrote: the wa_id (digits, country code first), or, for a person WhatsApp identifies only by
 * a business-scoped user id, that id. The keyed hash is computed over "user:<id>" then, so it
 * never collides with a number.
 */
export function identifierOf(
  waId: string | null | undefined,
  userId: string | null | undefined,
): string | undefined {
  if (waId) return waId;
  if (userId) return `user:${userId}`;
  return undefined;
}
