import { z } from "zod";
import { localized } from "./locale.js";

/** A comune's slug as it appears in paths. */
export const slugSchema = z
  .string()
  .max(
    63,
    localized({ it: "può avere al massimo 63 caratteri", en: "is longer than 63 characters" }),
  )
  .regex(
    /^[a-z0-9]+(?:-[a-z0-9]+)*$/,
    localized({
      it: "deve essere lo slug di un Comune: lettere minuscole, cifre e trattini singoli",
      en: "must be a comune's slug: lower-case letters, digits and single dashes",
    }),
  );

/** The `:tenant` path parameter of every comune route (see access.ts). */
export const tenantParams = z.object({ tenant: slugSchema });

/** A database id in a path. */
export const idSchema = z.coerce
  .number()
  .int()
  .positive(
    localized({ it: "deve essere un numero intero positivo", en: "must be a positive integer" }),
  );
