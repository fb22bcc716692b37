import { generateSecret, generateURI, verify } from "otplib";

/** TOTP as every authenticator app speaks it: SHA-1, 6 digits, 30 s. */
export const TOTP_ISSUER = "Banditore";

export function newTotpSecret(): string {
  return generateSecret();
}

export function totpUri(secret: string, email: string): string {
  return generateURI({ issuer: TOTP_ISSUER, label: email, secret });
}

/**
 * Checks a code at `now`, accepting the previous and next 30 s step (clock drift), never a step
 * at or before `lastStep` (a code is used once). Returns the matched step, or undefined.
 */
export async function checkTotp(
  secret: string,
  code: string,
  now: number,
  lastStep: number | null,
): Promise<number | undefined> {
  if (!/^\d{6}$/.test(code)) return undefined;
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(now / 1000),
    epochTolerance: 30,
    ...(lastStep !== null ? { afterTimeStep: lastStep } : {}),
  });
  return result.valid && "timeStep" in result ? result.timeStep : undefined;
}
