/**
 * JS-SDK signatures (docs/wecom-api.md §7) for pages of this app:
 *
 * ```
 * GET /auth/wecom/jssdk/config?url=<location.href>            -> {appId, timestamp, nonceStr, signature}
 * GET /auth/wecom/jssdk/config?url=<location.href>&type=agent -> {corpid, agentid, timestamp, nonceStr, signature}
 * ```
 *
 * The first feeds `wx.config` / `ww.register`'s getConfigSignature (corp jsapi_ticket), the second
 * `wx.agentConfig` / getAgentConfigSignature (the app's agent_config ticket). Both tickets come
 * from the WeComClient, which caches them in its TokenCache (Redis when configured) under
 * `jsapi_ticket:<corp>:<app>` / `agent_config_ticket:<corp>:<app>`, refreshed single-flight
 * before expiry exactly like the access_token: one fetch per ~2 hours per app across a fleet.
 *
 * The url is signed exactly as sent (minus `#…`), because the JS-SDK signs the page's own
 * `location.href` string; it is only checked, never normalised. It must be on this app's
 * origin: WeCom only accepts signatures from the app's trusted JS-SDK domains anyway, and a
 * signer for arbitrary URLs would be an open oracle.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { WeComClient, WeComError, describeWeComError } from '../wecom/index.ts';
import type { AgentConfig, JsapiConfig, WeComLogger } from '../wecom/index.ts';
import { createLog } from '../wecom/logger.ts';
import type { Log } from '../wecom/logger.ts';
import { sendJson } from './views.ts';
import { logFields, queryOf } from './request-parts.ts';
import { jsonForWeComError } from './error-pages.ts';
import { WeComOptionsError, booleanOption, functionOption, optionsObject, rejectUnknown } from '../options.ts';

export type JsapiConfigType = 'corp' | 'agent';

export interface JsapiConfigHandlerOptions {
  /** The client of the app (wecomAuth(...).client). `type=agent` needs its `agentId`. */
  client: WeComClient;
  /** The app's public origin (`baseUrl`), e.g. `https://app.example.com`. Only its pages are signed. */
  baseUrl: string;
  /**
   * Sign only for a logged-in person (401 JSON otherwise). Default true. Set false for a page
   * that calls the JS-SDK before (or without) a login.
   */
  requireUser?: boolean;
  /**
   * Who is logged in, for `requireUser`. Default: `req.wecomUser` (set by `requireUser()`), else
   * `req.session.wecom` when it belongs to this client's corp (and agent).
   */
  currentUser?: (req: Request) => unknown;
  logger?: WeComLogger;
}

export type JsapiConfigResponse = JsapiConfig | AgentConfig;

/** Longest page URL accepted (browsers and WeCom handle far less in practice). */
const MAX_URL_LENGTH = 4096;

/** `GET …/jssdk/config?url=…[&type=corp|agent]`. Never cached (`Cache-Control: no-store`). */
export function createJsapiConfigHandler(options: JsapiConfigHandlerOptions): RequestHandler {
  const settings = validateOptions(options);
  const { client, origin, logger } = settings;

  return function wecomJsapiConfig(req: Request, res: Response, next: NextFunction): void {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) {
        next(err);
        return;
      }
      logger.error('wecom jssdk config failed', logFields(err));
      sendJson(res, 500, { error: 'server_error', message: 'Could not sign the page.' });
    });
  };

  async function handle(req: Request, res: Response): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      sendJson(res, 405, { error: 'invalid_request', message: 'Use GET ?url=<the page URL>.' });
      return;
    }
    if (settings.requireUser && !settings.currentUser(req)) {
      sendJson(res, 401, { error: 'unauthenticated', message: 'Sign in with WeCom first.' });
      return;
    }
    const params = queryOf(req);
    const urls = params.getAll('url');
    const types = params.getAll('type');
    const renews = params.getAll('renew');
    if (urls.length !== 1 || types.length > 1 || renews.length > 1 || (renews.length === 1 && renews[0] !== '1')) {
      sendJson(res, 400, {
        error: 'invalid_request',
        message: 'Send exactly one url parameter (and at most one type, and renew=1 at most once).',
      });
      return;
    }
    const type = types[0] ?? 'corp';
    if (type !== 'corp' && type !== 'agent') {
      sendJson(res, 400, { error: 'invalid_request', message: 'type must be "corp" (wx.config) or "agent" (wx.agentConfig).' });
      return;
    }
    const pageUrl = checkPageUrl(urls[0] ?? '', origin);
    if (pageUrl === undefined) {
      sendJson(res, 400, {
        error: 'invalid_url',
        message: `url must be the full URL of a page of ${origin} (location.href); a fragment is ignored.`,
      });
      return;
    }
    if (type === 'agent' && client.agentId === undefined) {
      logger.error('wecom jssdk config: type=agent needs the WeComClient agentId option', {});
      sendJson(res, 500, { error: 'server_misconfigured', message: 'The server cannot sign wx.agentConfig.' });
      return;
    }

    let body: JsapiConfigResponse;
    try {
      // renew=1: the page's wx.config / wx.agentConfig failed with 40093 although it sent its own
      // URL; WeCom may have invalidated the ticket early. The client renews it at most once per
      // few minutes however many browsers ask, so this cannot exhaust WeCom's ticket limits.
      if (renews.length === 1) await (type === 'agent' ? client.renewAgentConfigTicket() : client.renewJsapiTicket());
      body = type === 'agent' ? await client.createAgentConfig(pageUrl) : await client.createJsapiConfig(pageUrl);
    } catch (err) {
      answerWeComError(res, err);
      return;
    }
    sendJson(res, 200, body as unknown as Record<string, unknown>);
  }

  function answerWeComError(res: Response, err: unknown): void {
    if (!(err instanceof WeComError)) throw err;
    const failure = jsonForWeComError(err);
    logger[failure.level]('wecom jssdk config: WeCom failure', { ...logFields(err), hint: describeWeComError(err).hint });
    if (failure.retryAfter) res.setHeader('Retry-After', failure.retryAfter);
    sendJson(res, failure.status, {
      error: failure.error,
      message: failure.message,
      ...(failure.errcode === undefined ? {} : { errcode: failure.errcode }),
    });
  }
}

/**
 * The url to sign (without `#…`), or undefined when it is not a page of `origin`. Checked two
 * ways: the raw string must start with the origin followed by `/`, `?`, `#` or its end (so no
 * `https://app.example.com.evil.com`, no userinfo, no default port spelled out), and the WHATWG
 * parse (what the browser's `location.href` follows) must give the same origin.
 */
export function checkPageUrl(raw: string, origin: string): string | undefined {
  if (raw === '' || raw.length > MAX_URL_LENGTH) return undefined;
  // No whitespace, controls or backslashes: location.href never has them raw.
  if (!/^[!-~\u0080-\uffff]+$/.test(raw) || raw.includes('\\')) return undefined;
  const hash = raw.indexOf('#');
  const url = hash === -1 ? raw : raw.slice(0, hash);
  const head = url.slice(0, origin.length);
  const next = url.charAt(origin.length);
  if (head.toLowerCase() !== origin.toLowerCase() || !(next === '' || next === '/' || next === '?')) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.origin !== origin || parsed.username !== '' || parsed.password !== '') return undefined;
  return url;
}

// --- helpers ---------------------------------------------------------------------------------

interface Settings {
  client: WeComClient;
  origin: string;
  requireUser: boolean;
  currentUser: (req: Request) => unknown;
  logger: Log;
}

const KNOWN_OPTIONS = ['client', 'baseUrl', 'requireUser', 'currentUser', 'logger'] as const;
const WHERE = 'createJsapiConfigHandler';

function validateOptions(value: JsapiConfigHandlerOptions): Settings {
  const options = optionsObject(WHERE, value, '{ client, baseUrl }') as unknown as JsapiConfigHandlerOptions;
  rejectUnknown(WHERE, options, KNOWN_OPTIONS);
  if (!(options.client instanceof WeComClient))
    throw new WeComOptionsError(WHERE, 'client', 'is required: the WeComClient of the app (wecomAuth(...).client).');
  let url: URL | undefined;
  try {
    url = typeof options.baseUrl === 'string' ? new URL(options.baseUrl) : undefined;
  } catch {
    url = undefined;
  }
  if (
    url === undefined ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.pathname !== '/' ||
    url.search ||
    url.hash ||
    url.username
  ) {
    throw new WeComOptionsError(
      WHERE,
      'baseUrl',
      'must be the app\'s public origin, e.g. "https://app.example.com" (the `baseUrl` of wecomAuth).',
    );
  }
  const client = options.client;
  return {
    client,
    origin: url.origin,
    requireUser: booleanOption(WHERE, options.requireUser, 'requireUser') ?? true,
    currentUser:
      functionOption<(req: Request) => unknown>(WHERE, options.currentUser, 'currentUser', '(req) => user | undefined') ??
      ((req) => defaultCurrentUser(req, client)),
    logger: createLog(options.logger, 'jssdk'),
  };
}

function defaultCurrentUser(req: Request, client: WeComClient): unknown {
  if (req.wecomUser) return req.wecomUser;
  const user = (req as Request & { session?: { wecom?: { corpId?: unknown; agentId?: unknown } } }).session?.wecom;
  if (!user || user.corpId !== client.corpId) return undefined;
  if (client.agentId !== undefined && user.agentId !== client.agentId) return undefined;
  return user;
}
