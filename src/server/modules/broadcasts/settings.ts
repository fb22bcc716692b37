import type { Tenant } from "../../config/tenants.js";
import type { PolicySettings } from "./policy/index.js";

/**
 * A comune's tenant file as the policy layer reads it: the service hours and their zone, the
 * closed days, the election periods, the content check's names and domains, and the comune's
 * price list (one list, in force from any date: the file states today's rates).
 */
export function policySettingsOf(tenant: Tenant): PolicySettings {
  const b = tenant.broadcasts;
  return {
    timeZone: tenant.serviceHours?.timeZone ?? "Europe/Rome",
    ...(tenant.serviceHours
      ? {
          serviceHours: {
            weekly: tenant.serviceHours.weekly,
            description: {
              it: tenant.serviceHours.description.it,
              en: tenant.serviceHours.description.en ?? tenant.serviceHours.description.it,
            },
          },
        }
      : {}),
    ...(b.patronDay !== undefined ? { patronDay: b.patronDay } : {}),
    electionPeriods: b.electionPeriods,
    content: { people: b.administrators, allowedDomains: b.allowedLinkDomains, lists: b.wordLists },
    priceLists: [{ ...tenant.pricing, validFrom: tenant.pricing.validFrom ?? "" }],
    freeFormInWindow: b.freeFormInWindow,
    regulation: tenant.documents.regulation.title,
  };
}
