/**
 * Debian's Chromium through playwright-core, as every browser test launches it. Without it the
 * test fails at once (never a skip that hides the browser tests, never a hang) with the line
 * that installs it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const MISSING = `no Chromium at ${CHROMIUM}: run apt-get install -y chromium fonts-noto-cjk (or set CHROMIUM_PATH)`;

export function assertChromium(): void {
  assert.ok(existsSync(CHROMIUM), MISSING);
}

export async function launchChromium(): Promise<Browser> {
  assertChromium();
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A persistent profile (for preferences such as blocked cookies), launched the same way. */
export async function launchPersistentChromium(
  dir: string,
  options: Parameters<typeof chromium.launchPersistentContext>[1],
): Promise<BrowserContext> {
  assertChromium();
  return chromium.launchPersistentContext(dir, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, ...options });
}
