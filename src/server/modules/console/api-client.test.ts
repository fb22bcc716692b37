import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { generateClientTypes, SCHEMA_FILE, serverOpenApiDocument } from "../../test/console-api.js";

describe("the console's API client", () => {
  it("is generated from the server's current OpenAPI document (run `npm run console:api`)", async () => {
    const committed = await readFile(SCHEMA_FILE, "utf8");
    const current = await generateClientTypes(await serverOpenApiDocument());
    expect(committed, "src/console/api/schema.d.ts is stale: run `npm run console:api`").toBe(
      current,
    );
    // The client knows the routes the console calls.
    expect(committed).toContain('"/api/auth/login"');
    expect(committed).toContain('"/api/tenants/{tenant}/broadcasts/{id}/approve"');
  });
});
