/**
 * Debian's Chromium through playwright-core, as every browser test launches it. Without it the
 * test fails at once (never a skip that hides the browser tests, never a hang) with the line
 * that installs it.
 */
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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

/**
 * Wait until the browser is on the page `matches` names, past the library's two pages that move
 * on by themselves (the start page's script, the landing page's refresh): both would match a
 * waitForURL on their own URL (the start page has the page's URL) before the login has happened.
 */
export async function arrivedAt(page: Page, matches: (url: URL) => boolean = () => true, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const where = await page
      // A string: this file is type-checked without the DOM's types.
      .evaluate<{ ready: boolean; id: string }>(
        "({ ready: document.readyState === 'complete', id: document.querySelector('main')?.getAttribute('data-page') ?? '' })",
      )
      .catch(() => undefined); // navigating: the document went away under the call
    if (where?.ready && where.id !== 'signing-in' && where.id !== 'signed-in' && matches(new URL(page.url()))) return;
    if (Date.now() > deadline)
      throw new Error(`not at the expected page within ${timeoutMs / 1000} s: at ${page.url()} (${where?.id ?? '?'})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
