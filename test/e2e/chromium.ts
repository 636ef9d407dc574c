/**
 * Debian's Chromium through playwright-core, as every browser test launches it. Without it the
 * test fails at once (never a skip that hides the browser tests, never a hang) with the line
 * that installs it.
 */
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext } from 'playwright-core';
import { requireTool } from '../helpers/processes.ts';

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
/** Playwright's own bound on a browser start is 3 minutes; one start takes seconds. Its page waits have a 30 s default. */
const LAUNCH_TIMEOUT_MS = 60_000;

/** Chromium's path (CHROMIUM_PATH or /usr/bin/chromium); throws at once with the line that installs it (scripts/system-tools.mjs). */
export function assertChromium(): string {
  return requireTool('chromium');
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: assertChromium(), timeout: LAUNCH_TIMEOUT_MS, args: CHROMIUM_ARGS });
}

/** A persistent profile (for preferences such as blocked cookies), launched the same way. */
export async function launchPersistentChromium(
  dir: string,
  options: Parameters<typeof chromium.launchPersistentContext>[1],
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, {
    executablePath: assertChromium(),
    timeout: LAUNCH_TIMEOUT_MS,
    args: CHROMIUM_ARGS,
    ...options,
  });
}
