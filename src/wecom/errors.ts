/**
 * The WeCom client's errors: a small closed set, each with a constant `code` (the style of
 * panva's oauth4webapi). Nothing here ever carries a credential: `errmsg` and messages are
 * redacted, and a `cause` is only ever a sanitised copy of a lower-level error, never got's
 * RequestError (whose `options` hold the URL with the access_token).
 */
import { redact } from './redact.ts';

export const WECOM_API_ERROR = 'WECOM_API_ERROR';
export const WECOM_CONFIG_ERROR = 'WECOM_CONFIG_ERROR';
export const WECOM_RATE_LIMITED = 'WECOM_RATE_LIMITED';
export const WECOM_HTTP_ERROR = 'WECOM_HTTP_ERROR';

export type WeComErrorCode = typeof WECOM_API_ERROR | typeof WECOM_CONFIG_ERROR | typeof WECOM_RATE_LIMITED | typeof WECOM_HTTP_ERROR;

/** Which client option a configuration error asks to fix. */
export type WeComSetting = 'corpId' | 'secret' | 'agentId';

/** How an HTTP exchange failed before WeCom's JSON envelope could be read. */
export type WeComHttpErrorKind = 'timeout' | 'network' | 'http-status' | 'not-json' | 'too-large' | 'unexpected-body';

/** Base class of every error the WeCom client throws (besides `TypeError` for bad arguments). */
export class WeComError extends Error {
  readonly code: WeComErrorCode;
  /** The WeCom API path after `/cgi-bin/`, e.g. `user/getuserinfo`. */
  readonly api: string;

  constructor(code: WeComErrorCode, api: string, message: string, options?: { cause?: Error }) {
    super(redact(message), options?.cause ? { cause: options.cause } : undefined);
    this.name = 'WeComError';
    this.code = code;
    this.api = api;
  }

  /** A safe, loggable representation (no cause, no stack). */
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, api: this.api, message: this.message };
  }
}

/** WeCom answered with `errcode != 0`. */
export class WeComApiError extends WeComError {
  readonly errcode: number;
  /** WeCom's text, with anything secret removed. */
  readonly errmsg: string;

  constructor(api: string, errcode: number, errmsg: string, options?: { code?: WeComErrorCode; message?: string }) {
    const safe = redact(errmsg);
    super(options?.code ?? WECOM_API_ERROR, api, options?.message ?? `WeCom ${api} failed: ${errcode} ${safe}`);
    this.name = 'WeComApiError';
    this.errcode = errcode;
    this.errmsg = safe;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), errcode: this.errcode, errmsg: this.errmsg };
  }
}

/** WeCom rejected the client's configuration (corp ID, secret, agent ID): retrying cannot help. */
export class WeComConfigError extends WeComApiError {
  /** The option to fix. */
  readonly setting: WeComSetting;

  constructor(api: string, errcode: number, errmsg: string, setting: WeComSetting, fix: string) {
    super(api, errcode, errmsg, {
      code: WECOM_CONFIG_ERROR,
      message: `WeCom ${api} failed: ${errcode} ${redact(errmsg)}. Check the \`${setting}\` option: ${fix}`,
    });
    this.name = 'WeComConfigError';
    this.setting = setting;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), setting: this.setting };
  }
}

/** 45009 (frequency limit) or 45033 (concurrency limit). Never retried by the client. */
export class WeComRateLimitError extends WeComApiError {
  constructor(api: string, errcode: number, errmsg: string) {
    super(api, errcode, errmsg, { code: WECOM_RATE_LIMITED });
    this.name = 'WeComRateLimitError';
  }
}

/** The HTTP exchange failed: timeout, network error, unexpected status, a body that is not WeCom's JSON. */
export class WeComHttpError extends WeComError {
  readonly kind: WeComHttpErrorKind;
  /** The HTTP status, when a response arrived. */
  readonly status: number | undefined;

  constructor(api: string, kind: WeComHttpErrorKind, detail: string, options?: { status?: number | undefined; cause?: Error }) {
    super(WECOM_HTTP_ERROR, api, `WeCom ${api} failed: ${detail}`, options?.cause ? { cause: options.cause } : undefined);
    this.name = 'WeComHttpError';
    this.kind = kind;
    this.status = options?.status;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), kind: this.kind, ...(this.status === undefined ? {} : { status: this.status }) };
  }
}

// --- errcode classification --------------------------------------------------------------

/** Errcodes meaning "this access_token is not (or no longer) valid": drop it, refresh, retry once. */
export const TOKEN_ERRCODES: ReadonlySet<number> = new Set([40001, 40014, 42001]);
export const RATE_LIMIT_ERRCODES: ReadonlySet<number> = new Set([45009, 45033]);
export const SYSTEM_BUSY_ERRCODE = -1;

interface ConfigRule {
  setting: WeComSetting;
  fix: string;
}

const FIX_CORP_ID =
  'use the Corp ID shown in the WeCom admin console under 我的企业 → 企业信息 (My Company → Company Info); it usually looks like "ww" followed by 16 characters.';
const FIX_SECRET =
  "use the Secret of this app (应用管理 → the app → Secret); each app has its own secret, and the Contacts or another corp's secret will not do.";

/** Configuration errcodes; 40001 only counts as one on gettoken (elsewhere it is a bad token). */
function configRule(api: string, errcode: number): ConfigRule | undefined {
  switch (errcode) {
    case 40013:
      return { setting: 'corpId', fix: FIX_CORP_ID };
    case 41002:
      return { setting: 'corpId', fix: `it is missing; ${FIX_CORP_ID}` };
    case 40001:
      return api === 'gettoken' ? { setting: 'secret', fix: FIX_SECRET } : undefined;
    case 40091:
      return { setting: 'secret', fix: `the secret is not valid for this corp; ${FIX_SECRET}` };
    case 41004:
      return { setting: 'secret', fix: `it is missing; ${FIX_SECRET}` };
    case 50003:
      return {
        setting: 'secret',
        fix: 'the app this secret belongs to is disabled: enable it in the admin console (应用管理), or use the secret of an enabled app.',
      };
    case 40056:
      return {
        setting: 'agentId',
        fix: "use the AgentId shown on the app's page in the admin console (应用管理 → the app), the app whose secret you configured.",
      };
    default:
      return undefined;
  }
}

/**
 * Turn a WeCom error envelope into the right error class. `errmsg` must already be free of the
 * values the caller knows to be secret (see `redact(errmsg, knownSecrets)`).
 */
export function errorFromEnvelope(api: string, errcode: number, errmsg: string): WeComApiError {
  if (RATE_LIMIT_ERRCODES.has(errcode)) return new WeComRateLimitError(api, errcode, errmsg);
  const rule = configRule(api, errcode);
  if (rule) return new WeComConfigError(api, errcode, errmsg, rule.setting, rule.fix);
  return new WeComApiError(api, errcode, errmsg);
}

// --- describeWeComError --------------------------------------------------------------------

export interface WeComErrorDescription {
  /** The error's `code` constant, or `'UNKNOWN'` for an error that is not a WeComError. */
  code: WeComErrorCode | 'UNKNOWN';
  errcode?: number;
  api?: string;
  /** A short English fix, fit for an operator's log or an admin-facing page. */
  hint: string;
}

const HINTS: Readonly<Record<number, string>> = {
  [-1]: 'WeCom is busy: retry later.',
  40001:
    'The secret is wrong (on gettoken) or the access_token was rejected: check the `secret` option; the client refreshes rejected tokens by itself.',
  40013: 'The corp ID is wrong: check the `corpId` option (我的企业 → 企业信息).',
  40014:
    'The access_token is invalid: the client refreshes it by itself; if this persists, check that the token cache is not shared between different apps.',
  40029:
    'The login code is invalid, already used, or older than 5 minutes: start the login again; never exchange a code twice (e.g. a refreshed callback).',
  40056: 'The agent ID is wrong: check the `agentId` option against the app page in the admin console.',
  40091: 'The secret is invalid for this corp: check the `secret` option.',
  41002: 'The corp ID is missing: set the `corpId` option.',
  41004: 'The secret is missing: set the `secret` option.',
  42001: 'The access_token expired: the client refreshes it by itself; if this persists, check the server clock and the token cache.',
  45009:
    'WeCom rate limit reached: share one token cache (e.g. Redis) across all instances instead of fetching a token per request, and retry later (blocks last one minute to one hour).',
  45033: 'Too many concurrent calls to WeCom: reduce concurrency and retry later.',
  48002: "This API is not permitted for the app: check the app's API permissions in the admin console.",
  50001:
    'The redirect_uri host (with its port) must exactly match a trusted domain of the app (网页授权及JS-SDK → 可信域名), and the code must be exchanged with the token of that same app.',
  50002: "The member is outside the app's permission range.",
  50003: 'The app is disabled: enable it in the admin console (应用管理).',
  60011: "The member is outside the app's visible range (可见范围): add the member or their department to the app in the admin console.",
  60020:
    "This server's IP is not in the app's trusted IP list (企业可信IP): add the public egress IP in the admin console; it becomes effective after about a minute.",
  60111: 'No member has this userid.',
  84015: 'The user_ticket is invalid or expired (30 minutes): log in again with scope snsapi_privateinfo and an agentid.',
  84090: 'The user_ticket is missing: log in with scope snsapi_privateinfo and an agentid to get one.',
  92002: 'Cross-corp access: the mini program login belongs to another corp; log in again with the right corp.',
  // App messages and the app's settings (docs/wecom-api.md §11-13).
  81013:
    "Every recipient of the message is invalid (unknown, or outside the app's visible range): check touser/toparty/totag; nothing was delivered.",
  301002: "The agentid does not belong to the access_token's app: send with the token of the app named by agentid.",
  40008: 'The message type is not one WeCom knows (text, textcard, news, markdown, template_card…).',
  41011: 'The agentid is missing: set the `agentId` option of the client.',
  44004: 'The message text is empty.',
  45008: 'A news message has more than 8 articles.',
  46003: 'The app has no custom menu yet.',
  40094: 'The home_url must be an http(s) URL.',
  85005: 'The redirect domain is not verified: serve WW_verify_….txt at the domain root and verify it in the admin console.',
};

const HTTP_HINTS: Readonly<Record<WeComHttpErrorKind, string>> = {
  timeout:
    'WeCom did not answer in time: check outbound connectivity to qyapi.weixin.qq.com (firewall, proxy, DNS) or raise the `timeouts` option.',
  network: 'WeCom could not be reached: check DNS, firewall and proxy settings for outbound HTTPS, and the `apiBaseUrl` option.',
  'http-status': 'WeCom answered with an unexpected HTTP status: check the `apiBaseUrl` option (https, no extra path).',
  'not-json':
    'Something other than WeCom answered (the body is not JSON, e.g. a proxy error page): check the `apiBaseUrl` option and any outbound proxy.',
  'too-large': 'The answer was larger than any WeCom answer (over 1 MiB): check the `apiBaseUrl` option and any outbound proxy.',
  'unexpected-body': 'WeCom answered without the expected fields: report this with the api name and errcode.',
};

/** A short, actionable description of any error the WeCom client throws. */
export function describeWeComError(err: unknown): WeComErrorDescription {
  if (err instanceof WeComApiError) {
    const hint =
      err instanceof WeComConfigError
        ? `Check the \`${err.setting}\` option. ${HINTS[err.errcode] ?? ''}`.trim()
        : (HINTS[err.errcode] ??
          `WeCom error ${err.errcode}: look it up at https://open.work.weixin.qq.com/devtool/query?e=${err.errcode}`);
    return { code: err.code, errcode: err.errcode, api: err.api, hint };
  }
  if (err instanceof WeComHttpError) {
    return { code: err.code, api: err.api, hint: HTTP_HINTS[err.kind] };
  }
  if (err instanceof WeComError) {
    return { code: err.code, api: err.api, hint: 'WeCom call failed.' };
  }
  return { code: 'UNKNOWN', hint: 'An unexpected error: see the server log.' };
}
