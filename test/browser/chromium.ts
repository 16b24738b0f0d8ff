// Launches Debian's Chromium headless through playwright-core (no browser download). Tests
// skip when no Chromium is installed, except under CI, where .ci/run installs it and a missing
// browser must fail the run.
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { IS_CI } from "../ci.js";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM_PATH);
export const REQUIRE_CHROMIUM = IS_CI;

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
