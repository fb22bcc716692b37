#!/usr/bin/env node
// The installed command. It runs the compiled code: `npm run build` (or `npm start`) makes it.
import { existsSync } from "node:fs";

const cli = new URL("../dist/server/cli.js", import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write("Banditore is not built yet: run `npm run build` first.\n");
  process.exit(1);
}
await import(cli.href);
