/**
 * What every demo page shares: escaping, the person's language, and one way to send a page in the
 * library's layout (`wecom.views.renderHtml`, its public API), so the demo's pages look like the
 * library's own. The demo keeps its own escaping: an app copied from it must not reach into the
 * library's internals.
 */
import type { Request, Response } from 'express';
import type { PageContext, WeComAuth } from '../index.ts';

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** English when the browser prefers it over Chinese (Express's negotiation), Chinese otherwise. */
export function isEnglish(req: Request): boolean {
  return Boolean(req.headers['accept-language']) && req.acceptsLanguages('zh', 'en') === 'en';
}

/** A form's button drawn like the layout's link buttons (an inline style: helmet's CSP allows it). */
export const BUTTON = 'type="submit" class="button" style="border:0;font:inherit;cursor:pointer"';

export interface DemoPage {
  /** The page's `data-page`, what the tests and the fleet helpers recognise it by. */
  id: string;
  status: number;
  heading: string;
  message: string;
  body?: string;
  action?: PageContext['action'];
  details?: PageContext['details'];
}

export function sendPage(wecom: WeComAuth, req: Request, res: Response, page: DemoPage): void {
  // renderHtml takes one of the library's page ids; the demo's own id replaces it in the markup.
  const ctx: PageContext = {
    page: 'signed-out',
    status: page.status,
    lang: isEnglish(req) ? 'en' : 'zh-CN',
    heading: page.heading,
    message: page.message,
    ...(page.action ? { action: page.action } : {}),
    ...(page.details ? { details: page.details } : {}),
  };
  res.setHeader('Cache-Control', 'no-store');
  res
    .status(page.status)
    .type('html')
    .send(wecom.views.renderHtml(ctx, page.body ?? '').replace('data-page="signed-out"', `data-page="${escapeHtml(page.id)}"`));
}

/**
 * The sign-out button: a form that POSTs to the library's logout route, never a link. A link any
 * site can make a browser follow, so the library logs out by POST only (GET becomes a page with
 * this same button). A plain form needs no script: it works under helmet's default CSP.
 */
export function logoutForm(wecom: WeComAuth, en: boolean): string {
  return (
    `<form method="post" action="${escapeHtml(wecom.config.routes.logout)}" class="logout">` +
    `<p><button ${BUTTON}>${en ? 'Sign out' : '退出登录'}</button></p></form>`
  );
}
