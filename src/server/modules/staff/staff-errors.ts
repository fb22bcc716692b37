import { AppError } from "../../platform/errors.js";

/** The refusals more than one of staff's services answers, worded once (Italian: staff read them). */

/** A TOTP or recovery code that is wrong, or already used (a code counts once). */
export const invalidCode = () =>
  new AppError(401, "INVALID_SECOND_FACTOR", "Codice di verifica non valido o già usato");

/** A role that needs TOTP, held by an account without it: the role's permissions wait. */
export const twoFactorRequired = () =>
  new AppError(
    403,
    "TWO_FACTOR_REQUIRED",
    "Il ruolo richiede la verifica in due passaggi: attivarla nel proprio profilo",
  );
