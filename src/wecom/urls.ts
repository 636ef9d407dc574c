/**
 * Links that send the user to WeCom: the in-app OAuth2 authorize link (docs/wecom-api.md §1) and the
 * desktop-browser web login (§2, the current `wwlogin/sso/login`, not the old `qrConnect`).
 */

export const DEFAULT_OAUTH_BASE_URL = 'https://open.weixin.qq.com';
export const DEFAULT_LOGIN_BASE_URL = 'https://login.work.weixin.qq.com';

export type WeComOAuthScope = 'snsapi_base' | 'snsapi_privateinfo' | 'snsapi_userinfo';

export interface AuthorizeUrlOptions {
  /** Default `https://open.weixin.qq.com`; a trailing slash is fine. */
  oauthBaseUrl?: string;
  corpId: string;
  /** Absolute http(s) URL on one of the app's trusted domains; it is URL-encoded here. */
  redirectUri: string;
  /** Default `snsapi_base` (silent). `snsapi_privateinfo` requires `agentId`. */
  scope?: WeComOAuthScope;
  /** Always added when given; required for `snsapi_privateinfo`. */
  agentId?: number;
  /** 1 to 128 characters of `[A-Za-z0-9]`. */
  state: string;
}

export interface WebLoginUrlOptions {
  /** Default `https://login.work.weixin.qq.com`; a trailing slash is fine. */
  loginBaseUrl?: string;
  corpId: string;
  agentId: number;
  redirectUri: string;
  state: string;
  lang?: 'zh' | 'en';
}

const SCOPES: readonly string[] = ['snsapi_base', 'snsapi_privateinfo', 'snsapi_userinfo'];
const STATE = /^[A-Za-z0-9]{1,128}$/;

function checkCorpId(fn: string, corpId: unknown): asserts corpId is string {
  if (typeof corpId !== 'string' || corpId.trim() === '') {
    throw new TypeError(`${fn}: corpId must be a non-empty string (the Corp ID from 我的企业 → 企业信息, usually "ww…").`);
  }
}

function checkState(fn: string, state: unknown): asserts state is string {
  if (typeof state !== 'string' || !STATE.test(state)) {
    throw new TypeError(
      `${fn}: state must be 1 to 128 characters of A-Z, a-z and 0-9 (WeCom rejects anything else); use e.g. randomBytes(16).toString('hex').`,
    );
  }
}

function checkRedirectUri(fn: string, redirectUri: unknown): asserts redirectUri is string {
  let url: URL | undefined;
  try {
    url = typeof redirectUri === 'string' ? new URL(redirectUri) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new TypeError(
      `${fn}: redirectUri must be an absolute http(s) URL on one of the app's trusted domains, e.g. "https://app.example.com/auth/callback".`,
    );
  }
}

function checkAgentId(fn: string, agentId: unknown): asserts agentId is number {
  if (typeof agentId !== 'number' || !Number.isSafeInteger(agentId) || agentId <= 0) {
    throw new TypeError(`${fn}: agentId must be a positive integer (the AgentId shown on the app's page in the admin console).`);
  }
}

function base(url: string | undefined, fallback: string): string {
  return (url ?? fallback).replace(/\/+$/, '');
}

function query(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

/**
 * `…/connect/oauth2/authorize?appid&redirect_uri&response_type=code&scope[&agentid]&state#wechat_redirect`,
 * parameters in the documented order (docs/wecom-api.md §1).
 */
export function buildAuthorizeUrl(options: AuthorizeUrlOptions): string {
  const fn = 'buildAuthorizeUrl';
  checkCorpId(fn, options.corpId);
  checkRedirectUri(fn, options.redirectUri);
  checkState(fn, options.state);
  const scope = options.scope ?? 'snsapi_base';
  if (!SCOPES.includes(scope)) {
    throw new TypeError(`${fn}: scope must be one of ${SCOPES.join(', ')}.`);
  }
  if (options.agentId !== undefined) checkAgentId(fn, options.agentId);
  if (scope === 'snsapi_privateinfo' && options.agentId === undefined) {
    throw new TypeError(
      `${fn}: scope snsapi_privateinfo requires agentId (without it WeCom silently downgrades to snsapi_base and returns no user_ticket).`,
    );
  }
  const pairs: [string, string][] = [
    ['appid', options.corpId],
    ['redirect_uri', options.redirectUri],
    ['response_type', 'code'],
    ['scope', scope],
  ];
  if (options.agentId !== undefined) pairs.push(['agentid', String(options.agentId)]);
  pairs.push(['state', options.state]);
  return `${base(options.oauthBaseUrl, DEFAULT_OAUTH_BASE_URL)}/connect/oauth2/authorize?${query(pairs)}#wechat_redirect`;
}

/** `…/wwlogin/sso/login?login_type=CorpApp&appid&agentid&redirect_uri&state[&lang]` (docs/wecom-api.md §2). */
export function buildWebLoginUrl(options: WebLoginUrlOptions): string {
  const fn = 'buildWebLoginUrl';
  checkCorpId(fn, options.corpId);
  checkAgentId(fn, options.agentId);
  checkRedirectUri(fn, options.redirectUri);
  checkState(fn, options.state);
  if (options.lang !== undefined && options.lang !== 'zh' && options.lang !== 'en') {
    throw new TypeError(`${fn}: lang must be 'zh' or 'en'.`);
  }
  const pairs: [string, string][] = [
    ['login_type', 'CorpApp'],
    ['appid', options.corpId],
    ['agentid', String(options.agentId)],
    ['redirect_uri', options.redirectUri],
    ['state', options.state],
  ];
  if (options.lang !== undefined) pairs.push(['lang', options.lang]);
  return `${base(options.loginBaseUrl, DEFAULT_LOGIN_BASE_URL)}/wwlogin/sso/login?${query(pairs)}`;
}
