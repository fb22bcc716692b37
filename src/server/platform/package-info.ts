import { readFileSync } from "node:fs";

/** The root of the installed package: src/server/platform and dist/server/platform sit alike. */
export const PACKAGE_ROOT = new URL("../../../", import.meta.url);

const pkg = JSON.parse(readFileSync(new URL("package.json", PACKAGE_ROOT), "utf8")) as {
  name: string;
  version: string;
};

export const VERSION = pkg.version;
