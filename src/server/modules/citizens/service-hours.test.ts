import { describe, expect, it } from "vitest";
import { parseEnv } from "../../config/env.js";
import { loadTenants, type Tenant } from "../../config/tenants.js";
import { SHIPPED_TENANTS_DIR } from "../../test/build-test-app.js";
import { withinServiceHours } from "./service-hours.js";

describe("service hours", async () => {
  const { tenants } = await loadTenants(parseEnv({ TENANTS_DIR: SHIPPED_TENANTS_DIR }));
  const concorezzo = tenants.find((t) => t.slug === "concorezzo") as Tenant;
  const casale = tenants.find((t) => t.slug === "casale-marittimo") as Tenant;

  it.each([
    ["Monday 10:00 in Rome (09:00 UTC, winter)", Date.UTC(2026, 10, 23, 9, 0), true],
    ["Monday 08:59 in Rome", Date.UTC(2026, 10, 23, 7, 59), false],
    ["Monday 13:00 in Rome: the range has ended", Date.UTC(2026, 10, 23, 12, 0), false],
    ["Friday 12:59 in Rome (summer time)", Date.UTC(2026, 6, 3, 10, 59), true],
    ["Saturday 10:00 in Rome", Date.UTC(2026, 10, 28, 9, 0), false],
  ])("Concorezzo (Mon–Fri 9–13, Europe/Rome): %s", (_label, at, inside) => {
    expect(withinServiceHours(concorezzo, at)).toBe(inside);
  });

  it("a comune without stated hours is never outside them", () => {
    expect(withinServiceHours(casale, Date.UTC(2026, 10, 28, 23, 0))).toBe(true);
  });
});
