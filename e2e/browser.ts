import { chromium, type Browser } from "playwright-core";

/**
 * Debian's chromium, headless. The background-networking flags matter here: without them
 * chromium keeps trying to reach Google's hosts, which this machine's closed network refuses.
 */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      ...extraArgs,
    ],
  });
}
