import { conflict } from "../../platform/errors.js";
import { unauthorized } from "../../platform/http/access.js";
import { recordAudit } from "../audit/audit.service.js";
import { newRecoveryCode, recoveryCodeHash } from "./secrets.js";
import { invalidCode } from "./staff-errors.js";
import { StaffService, type StaffServiceOptions } from "./staff-service.js";
import { checkTotp, newTotpSecret, totpUri } from "./totp.js";
import { advanceTotpStep, findUserById, updateUser } from "./users.repository.js";

const RECOVERY_CODES = 10;

export type TwoFactorOptions = StaffServiceOptions;

const alreadyEnabled = () =>
  conflict("TOTP_ALREADY_ENABLED", "La verifica in due passaggi è già attiva");

/**
 * The account's own second factor: TOTP enrolment and the recovery codes. Using them to log in
 * is `Sessions`'; a reset by whoever manages the account is `Accounts.resetTwoFactor`.
 */
export class TwoFactor extends StaffService<TwoFactorOptions> {
  /** Starts (or restarts) TOTP enrolment: a new pending secret, for the app's QR code. */
  async startTotpEnrolment(userId: number): Promise<{ secret: string; uri: string }> {
    const user = await findUserById(this.db, userId);
    if (!user) throw unauthorized();
    if (user.totpConfirmedAt !== null) {
      throw alreadyEnabled();
    }
    const secret = newTotpSecret();
    await updateUser(this.db, userId, { totpSecret: secret, totpLastStep: null }, this.now());
    return { secret, uri: totpUri(secret, user.email) };
  }

  /** Confirms enrolment with a first code; returns the recovery codes, shown this once. */
  async confirmTotp(userId: number, code: string): Promise<string[]> {
    const now = this.now();
    const user = await findUserById(this.db, userId);
    if (!user) throw unauthorized();
    if (user.totpConfirmedAt !== null) {
      throw alreadyEnabled();
    }
    if (!user.totpSecret) {
      throw conflict(
        "TOTP_NOT_STARTED",
        "Avviare prima l'attivazione della verifica in due passaggi",
      );
    }
    const step = await checkTotp(user.totpSecret, code, now, user.totpLastStep);
    if (step === undefined) throw invalidCode();
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await this.db.transaction().execute(async (trx) => {
      await updateUser(
        trx,
        userId,
        { totpConfirmedAt: now, totpLastStep: step, recoveryCodes: codes.map(recoveryCodeHash) },
        now,
      );
      await recordAudit(
        trx,
        {
          actor: { type: "user", id: String(userId) },
          action: "user.totp_enabled",
          target: { type: "user", id: String(userId) },
        },
        now,
      );
    });
    return codes;
  }

  /** New recovery codes (the old ones stop working), on a current TOTP code. */
  async regenerateRecoveryCodes(userId: number, code: string): Promise<string[]> {
    const now = this.now();
    const user = await findUserById(this.db, userId);
    if (!user?.totpSecret || user.totpConfirmedAt === null) {
      throw conflict("TOTP_NOT_ENABLED", "La verifica in due passaggi non è attiva");
    }
    const step = await checkTotp(user.totpSecret, code, now, user.totpLastStep);
    if (step === undefined || !(await advanceTotpStep(this.db, userId, step, user.totpLastStep))) {
      throw invalidCode();
    }
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    await updateUser(this.db, userId, { recoveryCodes: codes.map(recoveryCodeHash) }, now);
    await recordAudit(
      this.db,
      {
        actor: { type: "user", id: String(userId) },
        action: "user.recovery_codes_renewed",
        target: { type: "user", id: String(userId) },
      },
      now,
    );
    return codes;
  }
}
