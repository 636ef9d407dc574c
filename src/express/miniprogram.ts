/**
 * Mini-program login (docs/wecom-api.md §6) and the bearer token that carries its session.
 *
 * ```
 * mini program: wx.qy.login() -> code
 *   POST /auth/wecom/miniprogram/login {"code": "..."}            (wx.request, JSON)
 *   <- 200 {"token": "...", "tokenType": "Bearer", "expiresAt": 1767225600000, "user": {"userId", "corpId"}}
 * later: wx.request({ header: { Authorization: 'Bearer ' + token } })
 * ```
 *
 * Mini programs keep no cookies, so the session id travels in `Authorization: Bearer`. The token
 * is exactly the value express-session would have put in its cookie, minus the `s:` prefix:
 * `<session id>.<HMAC-SHA256 signature>` (cookie-signature's format). `bearerSession()`, mounted
 * before express-session, turns the header back into the session cookie, and express-session
 * verifies the signature with its own secret as for any cookie: a client cannot forge or alter a
 * token, and every guard, logout and session store works unchanged.
 *
 * Order of the login's checks: request shape, code exchange (single use, never retried on 40029),
 * corp allowed, corp = the token's corp, optional `user/get` permission check, the `onLogin` hook,
 * then `regenerate()` (session fixation) and `save()` before answering. `session_key`, the code and
 * the access_token never appear in an answer or a log line.
 */
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { WeComApiError, WeComClient, WeComError, describeWeComError } from '../wecom/index.ts';
import type { MiniProgramSession, WeComLogger } from '../wecom/index.ts';
import { createLog } from '../wecom/logger.ts';
import type { Log } from '../wecom/logger.ts';
import { regenerateSession, saveSession, SessionUnavailableError, setSessionUser } from './session.ts';
import type { WeComUser } from './session.ts';
import { sendJson } from './views.ts';
import { logFields } from './request-parts.ts';
import { jsonForWeComError } from './error-pages.ts';
import { sessionToken } from './bearer-session.ts';
import type { Offboarding } from './offboarding.ts';
import {
  CORP_ID,
  WeComOptionsError,
  agentIdOption,
  appKeyOption,
  booleanOption,
  functionOption,
  numberOption,
  optionsObject,
  rejectUnknown,
  secretsOption,
} from '../options.ts';

/** A session user that logged in through the mini program. Assignable to `WeComUser`. */
export type MiniProgramUser = WeComUser & { type: 'member'; userId: string; via: 'miniprogram' };

/** Server-only mini-program state, kept apart from `wecom` (which apps render as `req.wecomUser`). */
export interface MiniProgramSessionState {
  /** WeCom's session_key: decrypts data the mini program gets from wx.qy APIs. Never sent out. */
  sessionKey: string;
  corpId: string;
  userId: string;
  /** ms since the epoch. */
  obtainedAt: number;
}

declare module 'express-session' {
  interface SessionData {
    wecomMiniProgram?: MiniProgramSessionState;
  }
}

export interface MiniProgramLoginOptions {
  /**
   * The client of the WeCom app the mini program is associated with, or, for a mini program
   * associated with apps of several corporations, a function giving the client of a corp
   * (`undefined` for a corp you have no client for).
   */
  client: WeComClient | ((corpId: string) => WeComClient | undefined);
  /**
   * Corporations whose members may log in. Default: `[client.corpId]` when `client` is a
   * WeComClient; required when it is a function. Checked against the corpid WeCom returns.
   */
  allowedCorpIds?: readonly string[];
  /** AgentId stored in the session user, used only when the client has no `agentId`. */
  agentId?: number;
  /**
   * Also call `user/get` and refuse the login (403 `no_access`) when the app may not see the
   * member (60011, outside the app's visible range) or the member does not exist (60111).
   * Costs one API call per login. Default false here; `wecomAuth({ miniProgram })` passes its
   * top-level `checkVisibility` (default true).
   */
  checkVisibility?: boolean;
  /** How long a visible-range verdict is remembered (ms; see `wecomAuth`'s `visibilityCacheMs`). Default 300000; 0 = every login. */
  visibilityCacheMs?: number;
  /**
   * The express-session secret(s), exactly as given to `session({ secret })`: the token is the
   * session cookie's signed value, signed with the first secret as express-session does.
   */
  sessionSecret: string | readonly string[];
  /**
   * Keep WeCom's session_key in the session (read it on the server as
   * `req.session.wecomMiniProgram?.sessionKey`) for decrypting wx.qy data later. Default false: a secret that
   * is not needed is not stored.
   */
  keepSessionKey?: boolean;
  /** Same contract as `hooks.onLogin`: return a user to store, or throw to refuse (403 `login_refused`). */
  onLogin?: (user: MiniProgramUser, req: Request) => WeComUser | undefined | Promise<WeComUser | undefined>;
  /**
   * Store the user at `req.session.wecomApps[appKey]` instead of `req.session.wecom`, for the
   * wecomAuth() instance configured with this `appKey` (several apps sharing one session).
   */
  appKey?: string;
  /**
   * How long a mini-program login lasts from the login, in ms, however often its token is used:
   * the answer's `expiresAt`, enforced by the guard. Within it the session also ends when unused
   * for the session cookie's maxAge (the store's sliding TTL, `idleTimeoutMs` in the answer).
   * Default: the session cookie's maxAge, or 24 hours when it has none.
   */
  maxAgeMs?: number;
  /** Indexes the session under its member so that offboarding can end it (wecomAuth() passes its own). */
  offboarding?: Offboarding;
  /** Largest accepted request body in bytes when this handler reads it itself. Default 4096. */
  maxBodyBytes?: number;
  logger?: WeComLogger;
  /** ms since the epoch (tests). Default `Date.now`. */
  now?: () => number;
}

/** What the login answers (200). */
export interface MiniProgramLoginResponse {
  token: string;
  tokenType: 'Bearer';
  /** ms since the epoch when the login ends, however often the token is used (`maxAgeMs` after the login). */
  expiresAt: number;
  /** The login also ends when the token goes unused this long (ms; the session store's sliding TTL); `null` without a cookie maxAge. */
  idleTimeoutMs: number | null;
  user: { userId: string; corpId: string };
}

/** Error codes of the JSON answers, with their HTTP status. */
export type MiniProgramLoginError =
  | 'invalid_request' // 400, 405, 413, 415
  | 'invalid_code' // 401: used, expired or unknown code (40029)
  | 'corp_not_allowed' // 403
  | 'cross_corp' // 403: 92002, the mini program is not associated with this app
  | 'wrong_corp' // 409: the member belongs to another allowed corp; log in again with {code, corpId}
  | 'no_access' // 403: 60011 / 60111 with checkVisibility
  | 'login_refused' // 403: onLogin threw
  | 'rate_limited' // 503 + Retry-After
  | 'wecom_unavailable' // 502 / 503
  | 'wecom_timeout' // 504
  | 'server_misconfigured' // 500
  | 'session_store_unavailable' // 503 + Retry-After
  | 'server_error'; // 500

const MAX_CODE_BYTES = 512;
/** A mini-program login's lifetime when neither `maxAgeMs` nor the session cookie's maxAge says. */
const DEFAULT_MAX_AGE_MS = 24 * 3600_000;

/**
 * `POST /auth/wecom/miniprogram/login` with a JSON body `{code, corpId?}`. Works with or without
 * `express.json()` in front of it. `corpId` is only a routing hint for mini programs associated
 * with several corps: the corp that counts is the one WeCom returns.
 */
export function createMiniProgramLogin(options: MiniProgramLoginOptions): RequestHandler {
  const settings = validateOptions(options);
  const { logger } = settings;
  const parseJson = express.json({ limit: settings.maxBodyBytes, type: () => true, strict: false });

  return function wecomMiniProgramLogin(req: Request, res: Response, next: NextFunction): void {
    handle(req, res).catch((err: unknown) => {
      // handle() answers every error it knows; this is a last resort that never leaks a stack.
      if (res.headersSent) {
        next(err);
        return;
      }
      logger.error('wecom mini-program login failed', logFields(err));
      sendJson(res, 500, { error: 'server_error', message: 'The login failed on the server.' });
    });
  };

  async function handle(req: Request, res: Response): Promise<void> {
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST');
      sendError(res, 405, 'invalid_request', 'Use POST with a JSON body {"code": "<wx.qy.login code>"}.');
      return;
    }
    const body = await readJsonBody(req, res, parseJson);
    if (!body.ok) {
      sendError(res, body.status, 'invalid_request', body.message);
      return;
    }
    const input = body.value;
    const code = input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>).code : undefined;
    if (typeof code !== 'string' || code === '' || code.length > MAX_CODE_BYTES || !/^[!-~]+$/.test(code)) {
      sendError(res, 400, 'invalid_request', 'Send {"code": "<the code from wx.qy.login>"}: a non-empty string of at most 512 bytes.');
      return;
    }
    const hint = (input as Record<string, unknown>).corpId;
    if (hint !== undefined && (typeof hint !== 'string' || !CORP_ID.test(hint))) {
      sendError(res, 400, 'invalid_request', 'corpId, when sent, must be a corporation ID string.');
      return;
    }
    if (hint !== undefined && !settings.allowedCorpIds.includes(hint)) {
      sendError(res, 403, 'corp_not_allowed', 'This corporation may not use this mini program.');
      return;
    }
    const corpForToken = hint ?? settings.defaultCorpId;
    const client = settings.clientFor(corpForToken);
    if (!client) {
      logger.error('wecom mini-program login: no WeComClient for an allowed corp', { corpId: corpForToken });
      sendError(res, 500, 'server_misconfigured', 'The server is not set up for this corporation.');
      return;
    }

    let mp: MiniProgramSession;
    try {
      mp = await client.jscode2session(code);
    } catch (err) {
      answerWeComError(res, err, 'jscode2session');
      return;
    }

    if (!settings.allowedCorpIds.includes(mp.corpId)) {
      logger.warn('wecom mini-program login refused: corp not allowed', { corpId: mp.corpId });
      sendError(res, 403, 'corp_not_allowed', 'This corporation may not use this mini program.');
      return;
    }
    if (mp.corpId !== client.corpId) {
      // A member of another linked corp, exchanged with this corp's token: the userid is not
      // usable here (older WeCom returns it encrypted). The code is spent; a new one exchanged
      // with that corp's token is needed (docs/wecom-api.md §6).
      logger.warn('wecom mini-program login: member of another corp, asking for a new code', {
        corpId: mp.corpId,
        tokenCorpId: client.corpId,
      });
      sendJson(res, 409, {
        error: 'wrong_corp',
        message: 'Call wx.qy.login again and send {"code", "corpId"} with this corpId.',
        corpId: mp.corpId,
      });
      return;
    }

    if (settings.checkVisibility) {
      try {
        await client.assertVisible(mp.userId, { rememberMs: settings.visibilityCacheMs });
      } catch (err) {
        answerWeComError(res, err, 'user/get');
        return;
      }
    }

    const agentId = client.agentId ?? settings.agentId;
    if (agentId === undefined) {
      sendError(res, 500, 'server_misconfigured', 'The server is not set up for this corporation.');
      return;
    }
    const loginAt = settings.now();
    // Read without requiring a session: a store that is down is answered below, at the session write.
    const idleTimeoutMs =
      (req as Request & { session?: { cookie?: { originalMaxAge?: number | null } } }).session?.cookie?.originalMaxAge ?? null;
    let user: WeComUser = {
      type: 'member',
      userId: mp.userId,
      corpId: mp.corpId,
      agentId,
      loginAt,
      via: 'miniprogram',
      // A bearer token is sent for as long as the app keeps it, and each use slides the session:
      // the absolute end is written into the login itself, and the guard enforces it.
      expiresAt: loginAt + (settings.maxAgeMs ?? idleTimeoutMs ?? DEFAULT_MAX_AGE_MS),
    } satisfies MiniProgramUser;
    if (options.onLogin) {
      const { expiresAt } = user;
      try {
        const hooked = (await options.onLogin(user as MiniProgramUser, req)) ?? user;
        // A hook that builds a user of its own cannot drop (or extend) the login's end.
        user = { ...hooked, via: 'miniprogram', expiresAt: Math.min(hooked.expiresAt ?? Infinity, expiresAt ?? Infinity) };
      } catch (err) {
        // The name only: a hook's message may quote what it checked (the browser login does the same).
        logger.warn('wecom mini-program login refused by the onLogin hook', { error: err instanceof Error ? err.name : typeof err });
        sendError(res, 403, 'login_refused', 'This account may not use this mini program.');
        return;
      }
    }

    try {
      const fresh = await regenerateSession(req);
      setSessionUser(fresh, settings.appKey, user);
      // Bearer sessions are indexed too: a member's departure ends their mini program's token.
      await options.offboarding?.remember(req, user);
      if (settings.keepSessionKey) {
        fresh.wecomMiniProgram = { sessionKey: mp.sessionKey, corpId: mp.corpId, userId: mp.userId, obtainedAt: settings.now() };
      }
      await saveSession(req);
    } catch (err) {
      if (err instanceof SessionUnavailableError) {
        logger.error('wecom mini-program login: session store unavailable', logFields(err));
        res.setHeader('Retry-After', '5');
        sendError(res, 503, 'session_store_unavailable', 'Sessions are temporarily unavailable; retry shortly.');
        return;
      }
      throw err;
    }

    const answer: MiniProgramLoginResponse = {
      token: sessionToken(req.sessionID, settings.signingSecret),
      tokenType: 'Bearer',
      expiresAt: user.expiresAt ?? loginAt,
      idleTimeoutMs,
      user: { userId: mp.userId, corpId: mp.corpId },
    };
    logger.debug('wecom mini-program login', { userId: mp.userId, corpId: mp.corpId });
    sendJson(res, 200, answer as unknown as Record<string, unknown>);
  }

  function answerWeComError(res: Response, err: unknown, api: string): void {
    if (err instanceof WeComApiError && err.errcode === 40029) {
      logger.debug('wecom mini-program login: invalid code', logFields(err));
      sendError(res, 401, 'invalid_code', 'The code is invalid, used or expired: call wx.qy.login again.');
      return;
    }
    if (err instanceof WeComApiError && err.errcode === 92002) {
      logger.warn('wecom mini-program login: cross-corp', logFields(err));
      sendError(res, 403, 'cross_corp', "This mini program is not associated with this corporation's app.");
      return;
    }
    if (!(err instanceof WeComError)) {
      logger.error('wecom mini-program login failed', { api, ...logFields(err) });
      sendError(res, 500, 'server_error', 'The login failed on the server.');
      return;
    }
    const failure = jsonForWeComError(err);
    logger[failure.level]('wecom mini-program login: WeCom failure', { ...logFields(err), hint: describeWeComError(err).hint });
    if (failure.retryAfter) res.setHeader('Retry-After', failure.retryAfter);
    sendError(res, failure.status, failure.error, failure.message, failure.errcode === undefined ? {} : { errcode: failure.errcode });
  }
}

// --- helpers ---------------------------------------------------------------------------------

interface Settings {
  clientFor: (corpId: string) => WeComClient | undefined;
  defaultCorpId: string;
  allowedCorpIds: readonly string[];
  agentId: number | undefined;
  checkVisibility: boolean;
  visibilityCacheMs: number;
  keepSessionKey: boolean;
  appKey: string | undefined;
  signingSecret: string;
  maxAgeMs: number | undefined;
  maxBodyBytes: number;
  logger: Log;
  now: () => number;
}

const KNOWN_OPTIONS = [
  'client',
  'allowedCorpIds',
  'agentId',
  'checkVisibility',
  'visibilityCacheMs',
  'sessionSecret',
  'keepSessionKey',
  'onLogin',
  'appKey',
  'maxAgeMs',
  'offboarding',
  'maxBodyBytes',
  'logger',
  'now',
] as const;

const WHERE = 'createMiniProgramLogin';

function validateOptions(value: MiniProgramLoginOptions): Settings {
  const options = optionsObject(WHERE, value, '{ client, sessionSecret }') as unknown as MiniProgramLoginOptions;
  rejectUnknown(WHERE, options, KNOWN_OPTIONS);
  const { client } = options;
  let clientFor: (corpId: string) => WeComClient | undefined;
  let allowed: readonly string[];
  if (client instanceof WeComClient) {
    allowed = options.allowedCorpIds ?? [client.corpId];
    clientFor = (corpId) => (corpId === client.corpId ? client : undefined);
  } else if (typeof client === 'function') {
    if (options.allowedCorpIds === undefined) {
      throw new WeComOptionsError(
        WHERE,
        'allowedCorpIds',
        'is required when client is a function: list the corporations (corp IDs) whose members may log in.',
      );
    }
    allowed = options.allowedCorpIds;
    clientFor = (corpId) => {
      const found = client(corpId);
      return found instanceof WeComClient && found.corpId === corpId ? found : undefined;
    };
  } else {
    throw new WeComOptionsError(
      WHERE,
      'client',
      'is required: the WeComClient of the app the mini program is associated with (wecomAuth(...).client), or a function corpId => WeComClient.',
    );
  }
  if (!Array.isArray(allowed) || allowed.length === 0 || !allowed.every((id) => typeof id === 'string' && CORP_ID.test(id))) {
    throw new WeComOptionsError(WHERE, 'allowedCorpIds', 'must be a non-empty array of corp IDs, e.g. ["ww1234567890abcdef"].');
  }
  const defaultCorpId = client instanceof WeComClient ? client.corpId : (allowed[0] as string);
  if (client instanceof WeComClient && !allowed.includes(client.corpId)) {
    // Logins are exchanged with this client's token; a corp list without its corp refuses everyone.
    createLog(options.logger, 'miniprogram').warn(
      "createMiniProgramLogin: allowedCorpIds does not contain the client's corp; only members of listed corps can log in",
      { corpId: client.corpId },
    );
  }
  const agentId = options.agentId === undefined ? undefined : agentIdOption(WHERE, options.agentId);
  if (client instanceof WeComClient && client.agentId === undefined && agentId === undefined) {
    throw new WeComOptionsError(
      WHERE,
      'agentId',
      'is required when the WeComClient has none: the session records which app the member logged into.',
    );
  }
  const [signingSecret = ''] = secretsOption(
    WHERE,
    options.sessionSecret,
    'sessionSecret',
    "the same value as express-session's `secret` option (the token is the signed session cookie)",
  );
  return {
    clientFor,
    defaultCorpId,
    allowedCorpIds: [...allowed],
    agentId,
    // The same default as wecomAuth(): WeCom hands codes to members outside the visible range too.
    checkVisibility: booleanOption(WHERE, options.checkVisibility, 'checkVisibility') ?? true,
    visibilityCacheMs: numberOption(WHERE, options.visibilityCacheMs, 'visibilityCacheMs', { min: 0 }) ?? 300_000,
    keepSessionKey: booleanOption(WHERE, options.keepSessionKey, 'keepSessionKey') ?? false,
    appKey: appKeyOption(WHERE, options.appKey),
    signingSecret,
    maxAgeMs: numberOption(WHERE, options.maxAgeMs, 'maxAgeMs', { min: 1000 }),
    maxBodyBytes: numberOption(WHERE, options.maxBodyBytes, 'maxBodyBytes', { min: 64, integer: true }) ?? 4096,
    logger: createLog(options.logger, 'miniprogram'),
    now: functionOption<() => number>(WHERE, options.now, 'now', '() => ms since the epoch') ?? Date.now,
  };
}

type BodyResult = { ok: true; value: unknown } | { ok: false; status: number; message: string };

/**
 * The JSON body, through express.json (the body-parser Express ships), capped at `maxBytes`. Only
 * JSON, checked first even when the app's own body parser already ran: a form (urlencoded or
 * multipart) can be posted cross-site by any page, which would log the victim's browser in as the
 * attacker (login CSRF); a cross-site JSON POST needs a CORS preflight this route never grants.
 */
function readJsonBody(req: Request, res: Response, parse: RequestHandler): Promise<BodyResult> {
  const type =
    String(req.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim()
      .toLowerCase() ?? '';
  if (type !== 'application/json' && !/^application\/[a-z0-9.+-]*\+json$/.test(type)) {
    return Promise.resolve({ ok: false, status: 415, message: 'Send the code as JSON (Content-Type: application/json).' });
  }
  return new Promise((resolve) => {
    // An app-wide express.json() already parsed it (body-parser then skips): use what it found.
    parse(req, res, (err?: unknown) => {
      if (err === undefined || err === null) {
        resolve({ ok: true, value: (req as Request & { body?: unknown }).body });
        return;
      }
      const kind = (err as { type?: unknown }).type;
      if (kind === 'entity.too.large') resolve({ ok: false, status: 413, message: 'The body is too large.' });
      else if (kind === 'encoding.unsupported' || kind === 'charset.unsupported')
        resolve({ ok: false, status: 415, message: 'Send UTF-8 JSON.' });
      else resolve({ ok: false, status: 400, message: 'The body is not valid JSON.' });
    });
  });
}

function sendError(
  res: Response,
  status: number,
  error: MiniProgramLoginError,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  sendJson(res, status, { error, message, ...extra });
}
