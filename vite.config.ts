import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The staff console (src/console): built to dist/console and served by the server under
 * /console/. `scripts/build-console.js` runs this build when the output is missing or older than
 * its sources, so `npm start` stays one command.
 */
export default defineConfig({
  root: fileURLToPath(new URL("src/console/", import.meta.url)),
  base: "/console/",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("dist/console/", import.meta.url)),
    emptyOutDir: true,
    // The home page (/) links the console's stylesheet through the manifest.
    manifest: true,
    // Every file the browser loads comes from this server (no third-party requests).
    assetsInlineLimit: 0,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1500,
  },
});
