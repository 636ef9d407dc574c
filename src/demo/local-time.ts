/**
 * Times on the demo's pages, in the reader's time zone. The server cannot know the zone, so a
 * page carries `<time datetime="…Z">` with the UTC time as its text (readable without script),
 * and public/local-time.js, served from the demo's own origin so that helmet's default CSP runs
 * it, rewrites the text in the browser's zone.
 */
import { readFileSync } from 'node:fs';
import type { Express } from 'express';

export const LOCAL_TIME_SCRIPT = '/demo/local-time.js';
const SOURCE = readFileSync(new URL('./public/local-time.js', import.meta.url), 'utf8');

/** `2026-05-04 03:02:01 UTC`, and the exact instant in `datetime` for the script. */
export function timeHtml(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso}" data-local-time>${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC</time>`;
}

/** The script tag for a page that shows times (deferred: it runs once the page is parsed). */
export const localTimeScriptTag = `<script src="${LOCAL_TIME_SCRIPT}" defer></script>`;

export function mountLocalTimeScript(app: Express): void {
  app.get(LOCAL_TIME_SCRIPT, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.type('text/javascript').send(SOURCE);
  });
}
