import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
    // Storage tests on PostgreSQL and the process tests spawn servers: give them room.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
