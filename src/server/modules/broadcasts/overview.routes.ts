import { tenantFinder, type Tenant } from "../../config/tenants.js";
import { requestLocale } from "../../platform/http/locale.js";
import { tenantParams } from "../../platform/http/params.js";
import { zodRoutes } from "../../platform/http/zod-routes.js";
import type { BroadcastsDeps } from "./broadcasts.service.js";
import { overviewOut } from "./overview.schemas.js";
import { overviewOf, RECENT } from "./overview.service.js";

/** The console's dashboard figures that no other route gives (overview.service.ts). */
export function overviewRoutes(deps: BroadcastsDeps & { tenants: readonly Tenant[] }) {
  const tenantOf = tenantFinder(deps.tenants);
  return zodRoutes((r) => {
    r.get(
      "/api/tenants/:tenant/overview",
      {
        // Figures, not content or people: every role's `reports.read`, like a broadcast's report.
        config: { permission: "reports.read" },
        schema: {
          tags: ["statistics"],
          summary:
            "The dashboard: the latest broadcasts' delivered and read rates, this month's messages and cost, the messaging limit left today",
          description: `Counts only. \`recentBroadcasts\`: the ${RECENT} that started sending last, newest first; \`deliveredRate\` is delivered of the deliveries meant to go (not skipped or cancelled), \`readRate\` read of delivered. \`month\`: the comune's calendar month so far (its time zone), broadcasts that started in it and automatic replies accepted in it, priced as their reports price them. \`messagingLimit\`: unique people the comune's numbers may still reach with templates in the rolling day (null when unlimited or not known).`,
          params: tenantParams,
          response: { 200: overviewOut },
        },
      },
      async (request) =>
        overviewOf(
          deps,
          tenantOf(request.params.tenant),
          requestLocale(request.headers["accept-language"]),
        ),
    );
  });
}
