/**
 * The two answers that keep a deep link's fragment through WeCom's login (docs/entry-points.md,
 * "Single-page apps"). A hash router's route (`/?tab=orders#/orders/7`) is in no request: the
 * browser keeps it to itself, and WeCom's authorize URL ends in its own `#wechat_redirect`, which
 * replaces the page's fragment and is carried over every redirect after it.
 *
 * - At the start, a page navigation gets a small page instead of the 302: its script (an external
 *   file, so helmet's default CSP allows it) reads `location.hash` and goes on to the login route
 *   with it as `fragment`; without script, a meta refresh goes there without it. The login route
 *   puts the fragment into the signed login cookie with the return path.
 * - At the end, a redirect whose Location has a fragment replaces the one the browser carries;
 *   one without would keep `#wechat_redirect`, so after the in-app OAuth a target without a
 *   fragment is answered with a page that refreshes to it (a new navigation, which carries no
 *   fragment). WeCom's web login reaches the callback by a navigation of its own page (no
 *   fragment to inherit), so there a plain 302 does.
 */
import type { Request, Response } from 'express';
import { classifyUserAgent } from '../wecom/index.ts';
import { escapeHtml, preferredLang, setNoStoreHeaders } from './views.ts';
import type { Lang } from './views.ts';

/** The start page's script, served by the router (next to the login route: `<login>.js`). */
export const START_SCRIPT = `(function () {
  var link = document.getElementById('wecom-login');
  if (!link) return;
  var hash = location.hash.slice(1);
  var href = link.href;
  // WeCom's own marker is carried over from an earlier login: it is no route of the app.
  if (hash && hash !== 'wechat_redirect') href += '&fragment=' + encodeURIComponent(hash);
  location.replace(href);
})();
`;

/** Where the router serves START_SCRIPT. */
export function startScriptPath(loginRoute: string): string {
  return `${loginRoute}.js`;
}

const TEXTS: Record<Lang, { title: string; link: string }> = {
  'zh-CN': { title: '正在登录…', link: '继续' },
  en: { title: 'Signing in…', link: 'Continue' },
};

/** The start page: a link to the login route, the script that adds the fragment, a meta refresh without script. */
export function sendStartPage(res: Response, page: { loginHref: string; scriptSrc: string; lang: Lang }): void {
  const href = escapeHtml(page.loginHref);
  const text = TEXTS[page.lang];
  setNoStoreHeaders(res);
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(
    `<!doctype html><html lang="${page.lang}"><head><meta charset="utf-8">` +
      '<meta name="viewport" content="width=device-width, initial-scale=1">' +
      `<title>${escapeHtml(text.title)}</title>` +
      `<noscript><meta http-equiv="refresh" content="0;url=${href}"></noscript>` +
      `<script src="${escapeHtml(page.scriptSrc)}" defer></script></head>` +
      `<body><main data-page="signing-in"><p>${escapeHtml(text.title)}</p>` +
      `<p><a id="wecom-login" href="${href}">${escapeHtml(text.link)}</a></p></main></body></html>`,
  );
}

/** GET <login>.js: the start page's script; the same bytes for everyone, so cacheable. */
export function sendStartScript(res: Response): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
  res.setHeader('Cache-Control', 'public, max-age=86400');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(START_SCRIPT);
}

/**
 * Send the browser to `target` after a login. `flow` is how it reached the callback: after the
 * in-app OAuth it carries WeCom's `#wechat_redirect`, which only a fragment of the target's own or
 * a new navigation removes. Without a login to ask, the user agent says (WeCom's client: OAuth).
 */
export function land(req: Request, res: Response, target: string, flow: 'oauth' | 'web-login' | undefined): void {
  const via = flow ?? (classifyUserAgent(req.headers['user-agent']).kind === 'browser' ? 'web-login' : 'oauth');
  if (via === 'web-login' || target.includes('#')) {
    redirect(res, target);
    return;
  }
  const href = escapeHtml(target);
  const text = preferredLang(req) === 'en' ? 'Continue' : '继续';
  setNoStoreHeaders(res);
  res.statusCode = 200;
  // The header and the meta tag both: a refresh is a new navigation, so no fragment rides along.
  res.setHeader('Refresh', `0;url=${target}`);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.end(
    `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${href}"></head>` +
      `<body><main data-page="signed-in"><p><a href="${href}">${text}</a></p></main></body></html>`,
  );
}

export function redirect(res: Response, location: string, status = 302): void {
  setNoStoreHeaders(res);
  res.statusCode = status;
  res.setHeader('Location', location);
  res.setHeader('Content-Length', '0');
  res.end();
}
