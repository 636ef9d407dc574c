/**
 * The pages the middleware shows: one layout, texts per language in `views/messages.<lang>.json`.
 *
 * Pages are plain HTML with no script at all, so they work under helmet's default CSP; every
 * value is escaped; they are never cached and never leak the URL (which may carry a code) as a
 * Referer. An app can replace the layout and texts (`viewsDir`) or the whole rendering (`renderPage`).
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'express';
import { createLog } from '../wecom/logger.ts';
import type { Log, WeComLogger } from '../wecom/logger.ts';

export type PageId =
  | 'open-in-wecom'
  | 'non-member'
  | 'no-access'
  | 'cookies-needed'
  | 'signed-out'
  | 'login-expired'
  | 'login-cancelled'
  | 'bad-request'
  | 'session-unavailable'
  | 'rate-limited'
  | 'wecom-trusted-domain'
  | 'wecom-trusted-ip'
  | 'wecom-agentid'
  | 'wecom-config'
  | 'wecom-timeout'
  | 'wecom-unavailable'
  | 'wecom-error'
  | 'login-refused'
  | 'sign-out'
  | 'sign-out-refused'
  | 'server-error';

export type Lang = 'zh-CN' | 'en';

/** Everything a page needs; what `renderPage` receives. */
export interface PageContext {
  page: PageId;
  status: number;
  lang: Lang;
  heading: string;
  message: string;
  /** A button, e.g. "sign in again": a link, or with `method: 'post'` a form that posts to `href` (sign out). */
  action?: { href: string; label: string; method?: 'post' };
  /** Facts for the administrator (never a secret). */
  details?: { errcode?: number; api?: string; hint?: string };
}

/**
 * Renders a page and ends the response. It may be async: a returned promise is awaited, and a
 * rejection (like a throw) falls back to a plain built-in page; the process keeps serving.
 */
/** How long an async renderPage's response may stay open after its promise settled. */
const UNANSWERED_GRACE_MS = 5000;

export type PageRenderer = (page: PageContext, req: Request, res: Response) => void | Promise<void>;

interface PageText {
  status: number;
  heading: string;
  message: string;
  hint?: string;
}
interface Messages {
  common: Record<string, string>;
  pages: Record<PageId, PageText>;
}

export const PACKAGE_VIEWS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

export interface ShowPageInput {
  action?: { href: string; labelKey?: 'retry' | 'home' | 'signOut'; method?: 'post' };
  details?: { errcode?: number; api?: string };
  /** Values substituted for `{name}` in the texts (escaped when rendered). */
  values?: Record<string, string | number>;
  /** Overrides the page's default status. */
  status?: number;
  /** Extra headers (e.g. Retry-After). */
  headers?: Record<string, string>;
}

export class Views {
  private readonly layout: string;
  private readonly messages: Record<Lang, Messages>;
  private readonly custom: PageRenderer | undefined;
  private readonly logger: Log;

  constructor(options: { viewsDir?: string; renderPage?: PageRenderer; logger?: WeComLogger } = {}) {
    this.layout = readView('layout.html', options.viewsDir);
    this.messages = { 'zh-CN': readMessages('zh-CN', options.viewsDir), en: readMessages('en', options.viewsDir) };
    this.custom = options.renderPage;
    this.logger = createLog(options.logger, 'views');
  }

  /** The HTTP status of a page (the same in every language). */
  statusOf(page: PageId): number {
    return this.messages['zh-CN'].pages[page].status;
  }

  /** Build the context of a page in the request's language. */
  context(req: Request, page: PageId, input: ShowPageInput = {}): PageContext {
    const lang = preferredLang(req);
    const messages = this.messages[lang];
    const text = messages.pages[page];
    const fill = (s: string): string =>
      s.replace(/\{(\w+)\}/g, (m, name: string) => (input.values && name in input.values ? String(input.values[name]) : m));
    const ctx: PageContext = { page, status: input.status ?? text.status, lang, heading: fill(text.heading), message: fill(text.message) };
    if (input.action) {
      ctx.action = { href: input.action.href, label: messages.common[input.action.labelKey ?? 'retry'] ?? '' };
      if (input.action.method === 'post') ctx.action.method = 'post';
    }
    if (text.hint || input.details) {
      ctx.details = { ...input.details };
      if (text.hint) ctx.details.hint = fill(text.hint);
    }
    return ctx;
  }

  show(req: Request, res: Response, page: PageId, input: ShowPageInput = {}): void {
    const ctx = this.context(req, page, input);
    setNoStoreHeaders(res);
    for (const [name, value] of Object.entries(input.headers ?? {})) res.setHeader(name, value);
    if (this.custom) {
      const failed = (err: unknown): void => this.customFailed(req, res, page, err);
      try {
        const rendering = this.custom(ctx, req, res);
        // An async renderer's rejection would otherwise be unhandled, which stops a Node process.
        if (rendering !== undefined && typeof (rendering as Promise<void> | undefined)?.then === 'function') {
          // One that settles without answering would leave the request hanging: answer for it,
          // after a grace period (a renderer may resolve before the `res.render` it started ends).
          Promise.resolve(rendering).then(() => this.answerIfUnanswered(req, res, page), failed);
        }
      } catch (err) {
        failed(err);
      }
      return;
    }
    try {
      this.send(res, ctx);
    } catch (err) {
      this.logger.error('wecom auth: a page failed to render', { page, error: err instanceof Error ? err.name : typeof err });
      if (!res.headersSent) this.sendPlain(res, ctx);
    }
  }

  private answerIfUnanswered(req: Request, res: Response, page: PageId): void {
    if (res.writableEnded) return;
    const timer = setTimeout(() => {
      if (!res.writableEnded) this.customFailed(req, res, page, new Error('renderPage settled without ending the response'));
    }, UNANSWERED_GRACE_MS);
    timer.unref();
    res.once('close', () => clearTimeout(timer));
  }

  /** The app's renderer threw or rejected: a plain built-in page rather than a crash or a hung request. */
  private customFailed(req: Request, res: Response, page: PageId, err: unknown): void {
    this.logger.error('wecom auth: renderPage threw; showing the built-in page', {
      page,
      error: err instanceof Error ? err.name : typeof err,
    });
    if (res.headersSent) res.end();
    else this.sendPlain(res, this.context(req, 'server-error'));
  }

  /** Render a page of the app's own (the demo uses it) with the same layout. */
  renderHtml(ctx: PageContext, bodyHtml = ''): string {
    const common = this.messages[ctx.lang].common;
    const action = ctx.action ? actionHtml(ctx.action) : '';
    let details = '';
    if (ctx.details && (ctx.details.hint || ctx.details.errcode !== undefined || ctx.details.api)) {
      const rows: string[] = [];
      if (ctx.details.errcode !== undefined)
        rows.push(`<dt>${escapeHtml(common.errcode ?? '')}</dt><dd>${escapeHtml(String(ctx.details.errcode))}</dd>`);
      if (ctx.details.api) rows.push(`<dt>${escapeHtml(common.api ?? '')}</dt><dd>${escapeHtml(ctx.details.api)}</dd>`);
      if (ctx.details.hint) rows.push(`<dd>${escapeHtml(ctx.details.hint)}</dd>`);
      details = `<details><summary>${escapeHtml(common.adminDetails ?? '')}</summary><dl>${rows.join('')}</dl></details>`;
    }
    const slots: Record<string, string> = {
      lang: ctx.lang,
      page: ctx.page,
      heading: ctx.heading,
      message: ctx.message,
      footer: common.footer ?? '',
    };
    const raw: Record<string, string> = { body: bodyHtml, action, details };
    return this.layout
      .replace(/\{\{\{(\w+)\}\}\}/g, (_, name: string) => raw[name] ?? '')
      .replace(/\{\{(\w+)\}\}/g, (_, name: string) => escapeHtml(slots[name] ?? ''));
  }

  /** The last resort: no layout, no custom texts; only escaped heading and message. */
  private sendPlain(res: Response, ctx: PageContext): void {
    res.statusCode = ctx.status;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(
      `<!doctype html><html lang="${ctx.lang}"><meta charset="utf-8"><title>${escapeHtml(ctx.heading)}</title><h1>${escapeHtml(ctx.heading)}</h1><p>${escapeHtml(ctx.message)}</p></html>`,
    );
  }

  private send(res: Response, ctx: PageContext): void {
    res.statusCode = ctx.status;
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(this.renderHtml(ctx));
  }
}

export function setNoStoreHeaders(res: Response): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
}

/** JSON for requests that are not page navigations (the guard's 401, the 503 for an API call). */
export function sendJson(res: Response, status: number, body: Record<string, unknown>): void {
  setNoStoreHeaders(res);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(body));
}

/** What preferredLang needs of a request: Express's content negotiation (`req.acceptsLanguages`). */
export interface LanguageRequest {
  headers: { 'accept-language'?: string | undefined };
  acceptsLanguages?: (...langs: string[]) => string | false;
}

/**
 * zh-CN unless the browser prefers English over Chinese, decided by Express's own negotiation
 * (`req.acceptsLanguages`, the `accepts` package): q-values, `zh-TW` counting as Chinese, `*`.
 */
export function preferredLang(req: LanguageRequest): Lang {
  if (!req.headers['accept-language'] || typeof req.acceptsLanguages !== 'function') return 'zh-CN';
  return req.acceptsLanguages('zh', 'en') === 'en' ? 'en' : 'zh-CN';
}

/** A link, or for a POST (sign out) a form with one button: no script, so it works under any CSP. */
function actionHtml(action: NonNullable<PageContext['action']>): string {
  const href = escapeHtml(action.href);
  const label = escapeHtml(action.label);
  if (action.method === 'post') return `<form method="post" action="${href}"><button class="button" type="submit">${label}</button></form>`;
  return `<p><a class="button" href="${href}">${label}</a></p>`;
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The package's texts with an app's own (`viewsDir`) merged over them, page by page and string by
 * string, so that a page added by an upgrade still has its text in an app that customised others.
 */
function readMessages(lang: Lang, customDir: string | undefined): Messages {
  const base = JSON.parse(readFileSync(path.join(PACKAGE_VIEWS_DIR, `messages.${lang}.json`), 'utf8')) as Messages;
  const file = customDir ? path.join(customDir, `messages.${lang}.json`) : undefined;
  if (!file || !existsSync(file)) return base;
  const custom = JSON.parse(readFileSync(file, 'utf8')) as Partial<{
    common: Record<string, string>;
    pages: Record<string, Partial<PageText>>;
  }>;
  const pages = { ...base.pages };
  for (const [id, text] of Object.entries(custom.pages ?? {})) {
    if (Object.hasOwn(pages, id)) pages[id as PageId] = { ...pages[id as PageId], ...text };
  }
  return { common: { ...base.common, ...custom.common }, pages };
}

function readView(name: string, customDir: string | undefined): string {
  if (customDir) {
    const custom = path.join(customDir, name);
    if (existsSync(custom)) return readFileSync(custom, 'utf8');
  }
  return readFileSync(path.join(PACKAGE_VIEWS_DIR, name), 'utf8');
}
