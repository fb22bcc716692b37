import { useMemo } from "react";
import { useI18n } from "../i18n";

/**
 * A number as staff read it, full or masked as the API gives it ("393471234567" or
 * "3934•••••567"): the country code apart, "+39 347 123 4567", "+39 34•••••567".
 */
export function readablePhone(number: string): string {
  const italian = number.startsWith("39");
  const cc = italian ? "39" : "";
  const rest = number.slice(cc.length);
  if (!/^\d+$/.test(rest)) return `+${cc}${cc ? " " : ""}${rest}`;
  const groups = italian ? [rest.slice(0, 3), rest.slice(3, 6), rest.slice(6)] : [rest];
  return `+${cc}${cc ? " " : ""}${groups.filter(Boolean).join(" ")}`;
}

/** Counts, percentages and days in the console's language. */
export function useFormats() {
  const { lang } = useI18n();
  return useMemo(() => {
    const locale = lang === "it" ? "it-IT" : "en-GB";
    const integer = new Intl.NumberFormat(locale);
    const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
    const day = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "Europe/Rome" });
    return {
      count: (n: number) => integer.format(n),
      percent: (share: number | null) => (share === null ? "—" : percent.format(share)),
      day: (iso: string | null | undefined) => (iso ? day.format(new Date(iso)) : "—"),
    };
  }, [lang]);
}
