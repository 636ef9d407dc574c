/**
 * Which page a failure leads to. Every WeCom error the login can meet gets a page naming the
 * cause and, for the administrator, the fix: an error they can act on (docs/errors.md).
 */
import { WeComApiError, WeComConfigError, WeComError, WeComHttpError, WeComRateLimitError } from '../wecom/index.ts';
import { SessionUnavailableError } from './session.ts';
import { WeComLoginError } from './login-error.ts';
import type { LoginFailureReason } from './login-error.ts';
import type { PageId, ShowPageInput } from './views.ts';
import { isStoreUnavailableError, RedisTokenCacheError } from '../redis/errors.ts';

export interface PageChoice {
  page: PageId;
  input: ShowPageInput;
}

/** Where the login failed, for the choice of words. */
export interface FailureContext {
  host: string;
  agentId: number;
  retryHref: string;
}

export function pageForError(err: unknown, ctx: FailureContext): PageChoice {
  const retry = { href: ctx.retryHref, labelKey: 'retry' as const };
  if (err instanceof SessionUnavailableError) {
    return { page: 'session-unavailable', input: { headers: { 'Retry-After': '5' } } };
  }
  if (err instanceof RedisTokenCacheError) {
    // Another instance is fetching the token and did not finish in time: WeCom is slow, not wrong.
    return { page: 'wecom-unavailable', input: { action: retry, status: 503, headers: { 'Retry-After': '5' } } };
  }
  if (err instanceof WeComRateLimitError) {
    return { page: 'rate-limited', input: { action: retry, details: apiDetails(err), headers: { 'Retry-After': '60' } } };
  }
  if (err instanceof WeComApiError) {
    const details = apiDetails(err);
    switch (err.errcode) {
      case 50001:
        return { page: 'wecom-trusted-domain', input: { details, values: { host: ctx.host } } };
      case 60020:
        return { page: 'wecom-trusted-ip', input: { details } };
      case 40056:
        return { page: 'wecom-agentid', input: { details, values: { agentId: ctx.agentId } } };
      case 60011:
      case 60111:
      case 50002:
        return { page: 'no-access', input: { details } };
      case 45009:
      case 45033:
        return { page: 'rate-limited', input: { action: retry, details, headers: { 'Retry-After': '60' } } };
      case -1:
        return { page: 'wecom-unavailable', input: { action: retry, details } };
      case 40029:
      case 84015:
      case 84090:
        return { page: 'login-expired', input: { action: retry, details } };
      default:
        // Codes with a page of their own come first (40056 is also a configuration error).
        if (err instanceof WeComConfigError) return { page: 'wecom-config', input: { details, values: { fix: CONFIG_FIX[err.setting] } } };
        return { page: 'wecom-error', input: { action: retry, details, values: { errcode: err.errcode } } };
    }
  }
  if (err instanceof WeComHttpError) {
    return { page: err.kind === 'timeout' ? 'wecom-timeout' : 'wecom-unavailable', input: { action: retry, details: { api: err.api } } };
  }
  return { page: 'server-error', input: { action: retry } };
}

/**
 * Any failure of a login route as a WeComLoginError: its page, the page's status, and why (for
 * logs and metrics). The original error stays as `cause`.
 */
export function loginErrorFor(err: unknown, ctx: FailureContext, statusOf: (page: PageId) => number): WeComLoginError {
  if (err instanceof WeComLoginError) return err;
  // WeCom's own timeouts look like a store's to a shape-based check: classify them first.
  const storeDown = !(err instanceof WeComError) && (err instanceof SessionUnavailableError || isStoreUnavailableError(err));
  const choice = storeDown ? pageForError(new SessionUnavailableError('The session store failed.'), ctx) : pageForError(err, ctx);
  let reason: LoginFailureReason = 'server';
  if (storeDown) reason = 'session-store';
  else if (choice.page === 'no-access') reason = 'visibility';
  else if (err instanceof WeComError || err instanceof RedisTokenCacheError) reason = 'wecom';
  return new WeComLoginError(reason, choice.page, choice.input.status ?? statusOf(choice.page), choice.input, { cause: err });
}

/**
 * What to fix, by setting. Fixed texts on purpose: WeCom's errmsg carries a hint id and the
 * server's egress IP, which the logs may have but a page shown to anyone must not.
 */
const CONFIG_FIX: Record<WeComConfigError['setting'], string> = {
  corpId:
    'Check the corpId option: the Corp ID under 我的企业 → 企业信息 (My Company → Company Info), usually "ww" followed by 16 characters.',
  secret:
    'Check the secret option: the Secret of this app (应用管理 → the app → Secret), and that the app is enabled. Each app has its own secret.',
  agentId: "Check the agentId option: the AgentId on the app's page in the admin console (应用管理 → the app).",
};

function apiDetails(err: WeComApiError): { errcode: number; api: string } {
  return { errcode: err.errcode, api: err.api };
}

/** The JSON answer to a WeCom failure, for routes that answer JSON (API calls, mini programs, JS-SDK). */
export interface JsonFailure {
  status: number;
  error: 'rate_limited' | 'server_misconfigured' | 'no_access' | 'wecom_unavailable' | 'wecom_timeout';
  message: string;
  errcode?: number;
  retryAfter?: string;
  /** How loud the log line should be: `error` when an administrator must fix something. */
  level: 'warn' | 'error';
}

/**
 * One vocabulary for every JSON route: what a client can act on (retry, ask for access) and
 * nothing of the server's configuration, which goes to the log (`describeWeComError(err).hint`).
 */
export function jsonForWeComError(err: WeComError): JsonFailure {
  if (err instanceof WeComRateLimitError) {
    return {
      status: 503,
      error: 'rate_limited',
      message: 'WeCom is limiting requests; retry in a minute.',
      retryAfter: '60',
      level: 'warn',
    };
  }
  if (err instanceof WeComConfigError || (err instanceof WeComApiError && [50001, 60020, 48002].includes(err.errcode))) {
    return {
      status: 500,
      error: 'server_misconfigured',
      message: "The server's WeCom settings are wrong; the administrator has been told in the server log.",
      level: 'error',
    };
  }
  if (err instanceof WeComApiError) {
    if ([60011, 60111, 50002].includes(err.errcode)) {
      return {
        status: 403,
        error: 'no_access',
        message: "You are not in this app's visible range; ask the administrator for access.",
        level: 'warn',
      };
    }
    if (err.errcode === -1)
      return { status: 503, error: 'wecom_unavailable', message: 'WeCom is busy; retry shortly.', retryAfter: '5', level: 'warn' };
    return {
      status: 502,
      error: 'wecom_unavailable',
      message: 'WeCom refused the request; retry later.',
      errcode: err.errcode,
      level: 'warn',
    };
  }
  if (err instanceof WeComHttpError && err.kind === 'timeout') {
    return { status: 504, error: 'wecom_timeout', message: 'WeCom did not answer in time; retry.', level: 'warn' };
  }
  return { status: 502, error: 'wecom_unavailable', message: 'WeCom could not be reached; retry later.', level: 'warn' };
}
