import { defineConfig } from "vitest/config";

/** Browser tests: a real Chromium (Debian's /usr/bin/chromium) drives the pages. */
export default defineConfig({
  test: {
    include: ["e2e/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
