/**
 * Options of `wecomAuth()`, validated once at startup.
 *
 * Every mistake is reported with the option's name and how to fix it, the way helmet does:
 * a misconfigured login should fail when the app boots, not when the first employee taps a menu.
 */
import type { TokenCache } from './wecom/token-cache.ts';
import type { HttpTimeouts } from './wecom/http.ts';
import { checkTimeouts } from './wecom/client-options.ts';
import { safeReturnTo } from './express/return-to.ts';
import {
  WeComOptionsError,
  agentIdOption,
  appKeyOption,
  booleanOption,
  corpIdOption,
  functionOption,
  numberOption,
  optionsObject,
  rejectUnknown,
  requiredString,
  secretsOption,
  wecomBaseUrlOption,
  COOKIE_NAME,
} from './options.ts';
import { derivedTransactionSecret, MAX_TRANSACTIONS_LIMIT } from './express/transactions.ts';
import type { WeComLogger } from './wecom/index.ts';
import type { PageRenderer } from './express/views.ts';
import type { WeComUser } from './express/session.ts';
import type { LoginFailure } from './express/login-error.ts';
import type { Request } from 'express';
import type { Store } from 'express-session';
import type { CallbackCredential } from './wecom/callback-crypto.ts';
import type { CallbackFormat } from './wecom/callback-envelope.ts';
import type { SessionIndex } from './express/session-index.ts';
import { inspect } from 'node:util';
import type { InspectOptionsStylized } from 'node:util';

export type Scope = 'snsapi_base' | 'snsapi_privateinfo';
export type IdentityEndpoint = 'user/getuserinfo' | 'auth/getuserinfo';

export interface WeComAuthRoutes {
  /** Starts a login. Default `/auth/wecom/login`. */
  login?: string;
  /** Where WeCom sends the user back. Default `/auth/wecom/callback`. */
  callback?: string;
  /** Ends the session. Default `/auth/wecom/logout`. */
  logout?: string;
}

export interface WeComAuthHooks {
  /**
   * Called after the code exchange and before the session is written. Return a user object to
   * store (for example with extra fields), or throw to refuse the login (the error page is shown).
   */
  onLogin?: (user: WeComUser, req: Request) => WeComUser | undefined | Promise<WeComUser | undefined>;
  /**
   * Called after a login route failed, with why (`reason`, the page shown, WeCom's errcode and
   * API, the UserId when WeCom had named the person): for an audit trail. Never holds a code,
   * token or secret. Runs after the answer is decided; what it throws is logged, not shown.
   */
  onLoginFailed?: (failure: LoginFailure, req: Request) => void | Promise<void>;
}

export interface WeComAuthOptions {
  /** The corporation's ID (企业ID, `ww…`), from the admin console's "My Company" page. */
  corpId: string;
  /** The self-built app's AgentId (a number such as 1000002). */
  agentId: number | string;
  /** The app's Secret. Keep it out of source control. */
  secret: string;
  /**
   * The public origin of this app as the browser sees it, e.g. `https://app.example.com`.
   * The callback URL sent to WeCom is built from it, never from the Host header.
   */
  baseUrl: string;
  routes?: WeComAuthRoutes;
  /** `snsapi_base` (silent, the default) or `snsapi_privateinfo` (consent page). */
  scope?: Scope;
  /** Which code exchange to use: the legacy `user/getuserinfo` (UserId and DeviceId; the default with `snsapi_base`) or `auth/getuserinfo` (the default with `snsapi_privateinfo`, whose user_ticket it returns). */
  identityEndpoint?: IdentityEndpoint;
  apiBaseUrl?: string;
  oauthBaseUrl?: string;
  loginBaseUrl?: string;
  /** Accept people who are not members of the corporation (OpenId only, e.g. from personal WeChat). Default false. */
  allowNonMembers?: boolean;
  /**
   * Refuse members outside the app's visible range (可见范围). WeCom gives a code to every member
   * of the corporation, visible or not, so the login checks with `user/get` (one more call per
   * login; none more when `profile` already fetches it): 60011 -> the "no access" page. Default
   * true; set false when every member may use the app.
   */
  checkVisibility?: boolean;
  /**
   * How long the visible-range verdict of a member (in range, or 60011) is remembered, in ms, in
   * the token cache (so for the whole fleet with `RedisTokenCache`): a returning employee's login
   * then costs one WeCom call (the code exchange). A member removed from the visible range is
   * refused at the latest this long after; 0 asks WeCom at every login. Default 300000 (5 min).
   */
  visibilityCacheMs?: number;
  /**
   * Only log in inside the WeCom client. Default false: a browser outside WeCom gets WeCom's web
   * login (QR code, `login.work.weixin.qq.com/wwlogin/sso/login`); with true it gets the
   * "open this in WeCom" page.
   */
  wecomClientOnly?: boolean;
  /**
   * Fetch the employee's profile once at login and keep the chosen fields in the session.
   * `user/get` (name, department, position…) merged with `auth/getuserdetail` (avatar, gender,
   * mobile, email… after privateinfo consent), since after WeCom's 2022 privacy change neither
   * alone is complete. Default: on, with DEFAULT_PROFILE_FIELDS, when `scope` is
   * `snsapi_privateinfo`; off otherwise.
   */
  profile?: boolean | { fields?: readonly string[] };
  /**
   * A key for this app when several `wecomAuth()` instances (several apps or corporations) share
   * one session: its login is then kept at `req.session.wecomApps[appKey]` instead of
   * `req.session.wecom`. Give each instance its own `routes` too.
   */
  appKey?: string;
  /**
   * Mini-program login (`wx.qy.login` -> `POST /auth/wecom/miniprogram/login` with `{code}`).
   * Off unless given; `sessionSecret` must be express-session's `secret` (the answer's token is
   * the signed session id, which `bearerSession()` turns back into the session cookie).
   */
  miniProgram?: {
    sessionSecret: string | readonly string[];
    /** express-session's `name`. Default `connect.sid`. */
    cookieName?: string;
    path?: string;
    /** Corporations whose members may log in (a mini program can be linked to several). Default: `corpId`. */
    allowedCorpIds?: readonly string[];
    /** Check with `user/get` that the member is in the app's visible range (60011 -> 403). Default: the top-level `checkVisibility` (true). */
    checkVisibility?: boolean;
    /** Keep WeCom's session_key server-side in the session (never in a response). Default false. */
    keepSessionKey?: boolean;
    /** A mini-program login's absolute lifetime in ms, however often its token is used. Default: the session cookie's maxAge, else 24 h. */
    maxAgeMs?: number;
  };
  /** `GET /auth/wecom/jssdk/config?url=…[&type=agent]` for wx.config / ww.register. Default on, for logged-in users. */
  jssdk?: boolean | { path?: string; requireUser?: boolean };
  /**
   * Keep a deep link's fragment (a hash router's route, `/?tab=1#/orders/7`) through the login:
   * a page navigation by someone not logged in gets a small page whose script reads the fragment
   * (the server never sees it) and goes on to the login route. Default true; false answers the
   * plain redirect to WeCom (one round trip less; the fragment is lost).
   */
  keepFragments?: boolean;
  /** Where to send the user when there is nothing better to return to. Default `/`. */
  defaultReturnTo?: string;
  /** Where logout sends the user. Default: the built-in "signed out" page. */
  afterLogout?: string;
  /** Absolute lifetime of a login in ms, whatever the activity. Default: none (the cookie decides). */
  maxLoginAgeMs?: number;
  /** How long a started login (its `state`) stays valid, in ms. Default 10 minutes. */
  transactionTtlMs?: number;
  /** How many logins may be in flight at once in one browser (several tabs): 1 to 8, default 5 (each is a cookie on every request until it ends). */
  maxTransactions?: number;
  /**
   * Signs the short-lived cookie that carries a login in flight (one per `state`). A list rotates
   * keys: the first signs, all verify. Default: a key derived from `secret` (HKDF), so nothing
   * more to configure; set it when several apps or a key rotation schedule call for it.
   */
  transactionSecret?: string | readonly string[];
  /** Folder with replacements for `layout.html` and `messages.<lang>.json`. */
  viewsDir?: string;
  /** Replace page rendering entirely: `(page, req, res) => void | Promise<void>`, ending the response (docs/errors.md). */
  renderPage?: PageRenderer;
  hooks?: WeComAuthHooks;
  /** Shared credential cache (e.g. `RedisTokenCache`). Default: in memory, per process. */
  tokenCache?: TokenCache;
  /**
   * Hear WeCom: the app's 「接收消息」 settings (docs/callbacks.md). With them, `wecom.callbackReceiver()`
   * is the handler to mount where the console's URL points, and a member deleted, disabled or
   * gone from the address book loses every session at once (offboarding).
   */
  callbacks?: CallbackOptions;
  /**
   * Which sessions each member has, for offboarding: `new RedisSessionIndex(redis)` for a fleet
   * (express-wecom-auth/redis). Default: in memory, this process's sessions only.
   */
  sessionIndex?: SessionIndex;
  /** The express-session store, for ending sessions before the first login was seen. Default: the one requests carry. */
  sessionStore?: Store;
  /** Calls to WeCom, in ms: connect 3000, secureConnect 3000, response 5000, read 5000, total 8000 (checked here with WeComClient's rules). */
  timeouts?: HttpTimeouts;
  logger?: WeComLogger;
}

export interface ResolvedConfig {
  readonly corpId: string;
  readonly agentId: number;
  readonly secret: string;
  readonly origin: string;
  readonly routes: Required<WeComAuthRoutes>;
  readonly callbackUrl: string;
  readonly scope: Scope;
  readonly identityEndpoint: IdentityEndpoint;
  readonly apiBaseUrl: string | undefined;
  readonly oauthBaseUrl: string | undefined;
  readonly loginBaseUrl: string | undefined;
  readonly allowNonMembers: boolean;
  readonly checkVisibility: boolean;
  readonly visibilityCacheMs: number;
  readonly wecomClientOnly: boolean;
  readonly profileFields: readonly string[] | undefined;
  readonly appKey: string | undefined;
  readonly miniProgram:
    | (Required<Pick<NonNullable<WeComAuthOptions['miniProgram']>, 'path' | 'cookieName' | 'checkVisibility' | 'keepSessionKey'>> & {
        sessionSecret: string | readonly string[];
        allowedCorpIds: readonly string[];
        maxAgeMs: number | undefined;
      })
    | undefined;
  readonly jssdk: { path: string; requireUser: boolean } | undefined;
  readonly keepFragments: boolean;
  readonly defaultReturnTo: string;
  readonly afterLogout: string | undefined;
  readonly maxLoginAgeMs: number | undefined;
  readonly transactionTtlMs: number;
  readonly maxTransactions: number;
  readonly transactionSecrets: readonly string[];
  readonly secureCookies: boolean;
  readonly viewsDir: string | undefined;
  readonly renderPage: PageRenderer | undefined;
  readonly hooks: WeComAuthHooks;
  readonly tokenCache: TokenCache | undefined;
  readonly callbacks: ResolvedCallbackOptions | undefined;
  readonly sessionIndex: SessionIndex | undefined;
  readonly sessionStore: Store | undefined;
  readonly timeouts: HttpTimeouts | undefined;
  readonly logger: WeComLogger | undefined;
}

const WHERE = 'wecomAuth';

/** A WeComOptionsError of wecomAuth() (kept short: every check below reports through it). */
function optionError(option: string, message: string): WeComOptionsError {
  return new WeComOptionsError(WHERE, option, message);
}

const KNOWN_OPTIONS = [
  'corpId',
  'agentId',
  'secret',
  'baseUrl',
  'routes',
  'scope',
  'identityEndpoint',
  'apiBaseUrl',
  'oauthBaseUrl',
  'loginBaseUrl',
  'allowNonMembers',
  'checkVisibility',
  'visibilityCacheMs',
  'wecomClientOnly',
  'profile',
  'appKey',
  'miniProgram',
  'jssdk',
  'keepFragments',
  'defaultReturnTo',
  'afterLogout',
  'maxLoginAgeMs',
  'transactionTtlMs',
  'maxTransactions',
  'transactionSecret',
  'viewsDir',
  'renderPage',
  'hooks',
  'tokenCache',
  'callbacks',
  'sessionIndex',
  'sessionStore',
  'timeouts',
  'logger',
] as const;

export function resolveConfig(options: WeComAuthOptions): ResolvedConfig {
  optionsObject(WHERE, options, '{ corpId, agentId, secret, baseUrl }');
  rejectUnknown(WHERE, options, KNOWN_OPTIONS);

  const corpId = corpIdOption(WHERE, options.corpId);
  const agentId = agentIdOption(WHERE, options.agentId);
  const secret = requiredString(WHERE, options.secret, 'secret', "the app's Secret from 应用管理 -> your app -> Secret");
  const origin = parseBaseUrl(options.baseUrl);

  if (options.routes !== undefined)
    rejectUnknown(WHERE, optionsObject(WHERE, options.routes, '{ login, callback, logout }'), ROUTE_OPTIONS, 'routes.');
  if (options.hooks !== undefined)
    rejectUnknown(WHERE, optionsObject(WHERE, options.hooks, '{ onLogin, onLoginFailed }'), HOOK_OPTIONS, 'hooks.');
  const hooks: WeComAuthHooks = {
    ...(options.hooks?.onLogin
      ? { onLogin: functionOption(WHERE, options.hooks.onLogin, 'hooks.onLogin', '(user, req) => user | undefined') }
      : {}),
    ...(options.hooks?.onLoginFailed
      ? { onLoginFailed: functionOption(WHERE, options.hooks.onLoginFailed, 'hooks.onLoginFailed', '(failure, req) => void') }
      : {}),
  };
  const routes = {
    login: routePath(options.routes?.login ?? '/auth/wecom/login', 'routes.login'),
    callback: routePath(options.routes?.callback ?? '/auth/wecom/callback', 'routes.callback'),
    logout: routePath(options.routes?.logout ?? '/auth/wecom/logout', 'routes.logout'),
  };
  if (new Set(Object.values(routes)).size !== 3) {
    throw optionError('routes', 'login, callback and logout must be three different paths.');
  }

  const scope = options.scope ?? 'snsapi_base';
  if (scope !== 'snsapi_base' && scope !== 'snsapi_privateinfo') {
    throw optionError('scope', `must be "snsapi_base" or "snsapi_privateinfo", got ${JSON.stringify(scope)}.`);
  }
  // Only auth/getuserinfo is documented to return the user_ticket that privateinfo is for.
  const identityEndpoint = options.identityEndpoint ?? (scope === 'snsapi_privateinfo' ? 'auth/getuserinfo' : 'user/getuserinfo');
  if (identityEndpoint !== 'user/getuserinfo' && identityEndpoint !== 'auth/getuserinfo') {
    throw optionError('identityEndpoint', `must be "user/getuserinfo" or "auth/getuserinfo", got ${JSON.stringify(identityEndpoint)}.`);
  }

  const defaultReturnTo = localPath(options.defaultReturnTo ?? '/', 'defaultReturnTo', origin);
  const afterLogout = options.afterLogout === undefined ? undefined : localPath(options.afterLogout, 'afterLogout', origin);

  const checkVisibility = booleanOption(WHERE, options.checkVisibility, 'checkVisibility') ?? true;
  const miniProgram = resolveMiniProgram(options.miniProgram, corpId, checkVisibility);
  const jssdk = resolveJssdk(options.jssdk);
  // `<login>.js` is the start page's script (express/start-page.ts).
  const paths = [...Object.values(routes), `${routes.login}.js`, miniProgram?.path, jssdk?.path].filter(
    (p): p is string => p !== undefined,
  );
  if (new Set(paths).size !== paths.length) {
    throw optionError('routes', 'the login, callback and logout routes, miniProgram.path and jssdk.path must all be different paths.');
  }

  return withSecretsHidden({
    corpId,
    agentId,
    secret,
    origin,
    routes: Object.freeze(routes),
    callbackUrl: origin + routes.callback,
    scope,
    identityEndpoint,
    apiBaseUrl: wecomBaseUrlOption(WHERE, options.apiBaseUrl, 'apiBaseUrl'),
    oauthBaseUrl: wecomBaseUrlOption(WHERE, options.oauthBaseUrl, 'oauthBaseUrl'),
    loginBaseUrl: wecomBaseUrlOption(WHERE, options.loginBaseUrl, 'loginBaseUrl'),
    allowNonMembers: booleanOption(WHERE, options.allowNonMembers, 'allowNonMembers') ?? false,
    checkVisibility,
    visibilityCacheMs: numberOption(WHERE, options.visibilityCacheMs, 'visibilityCacheMs', { min: 0 }) ?? 300_000,
    wecomClientOnly: booleanOption(WHERE, options.wecomClientOnly, 'wecomClientOnly') ?? false,
    profileFields: resolveProfile(options.profile, scope),
    appKey: appKeyOption(WHERE, options.appKey),
    miniProgram,
    jssdk,
    keepFragments: booleanOption(WHERE, options.keepFragments, 'keepFragments') ?? true,
    defaultReturnTo,
    afterLogout,
    maxLoginAgeMs: numberOption(WHERE, options.maxLoginAgeMs, 'maxLoginAgeMs', { min: 1 }),
    transactionTtlMs: numberOption(WHERE, options.transactionTtlMs, 'transactionTtlMs', { min: 1000 }) ?? 10 * 60_000,
    maxTransactions:
      numberOption(WHERE, options.maxTransactions, 'maxTransactions', { min: 1, max: MAX_TRANSACTIONS_LIMIT, integer: true }) ?? 5,
    transactionSecrets: resolveTransactionSecrets(options.transactionSecret, secret),
    secureCookies: origin.startsWith('https:'),
    viewsDir:
      options.viewsDir === undefined
        ? undefined
        : requiredString(WHERE, options.viewsDir, 'viewsDir', 'a folder with layout.html and/or messages.<lang>.json'),
    renderPage: functionOption<PageRenderer>(WHERE, options.renderPage, 'renderPage', '(page, req, res) => void | Promise<void>'),
    hooks: Object.freeze(hooks),
    tokenCache: tokenCacheOption(options.tokenCache),
    callbacks: resolveCallbacks(options.callbacks),
    sessionIndex: sessionIndexOption(options.sessionIndex),
    sessionStore: sessionStoreOption(options.sessionStore),
    timeouts: checkTimeouts(WHERE, options.timeouts),
    logger: options.logger,
  });
}

const REDACTED = '[redacted]';

/**
 * Freeze an object of the config so that printing it never shows a secret: the secret
 * properties are not enumerable (a logger that merges the object's keys into its line, as pino
 * does, skips them), and util.inspect (console.log, a REPL, an error reporter) and JSON.stringify
 * see the rest with a marker in their place. The code reads the real values as usual.
 */
function hiddenWhenPrinted<T extends object>(value: T, secrets: readonly (keyof T & string)[]): T {
  const printable = (): Record<string, unknown> => ({ ...value, ...Object.fromEntries(secrets.map((name) => [name, REDACTED])) });
  Object.defineProperties(value, {
    ...Object.fromEntries(secrets.map((name) => [name, { enumerable: false }])),
    toJSON: { value: printable },
    [inspect.custom]: {
      value: (_depth: number, options: InspectOptionsStylized, show: typeof inspect) => show(printable(), options),
    },
  });
  return Object.freeze(value);
}

/** The app secret and the login-cookie keys (the mini program's session secret hides itself). */
function withSecretsHidden(config: ResolvedConfig): ResolvedConfig {
  return hiddenWhenPrinted(config, ['secret', 'transactionSecrets']);
}

/** What a profile keeps by default: enough to greet and route, not every private field. */
export const DEFAULT_PROFILE_FIELDS: readonly string[] = Object.freeze(['name', 'department', 'position', 'avatar']);

function resolveProfile(value: WeComAuthOptions['profile'], scope: Scope): readonly string[] | undefined {
  if (value === undefined) return scope === 'snsapi_privateinfo' ? DEFAULT_PROFILE_FIELDS : undefined;
  if (value === false) return undefined;
  if (value === true) return DEFAULT_PROFILE_FIELDS;
  if (typeof value === 'object' && value !== null) {
    const fields = value.fields ?? DEFAULT_PROFILE_FIELDS;
    if (
      !Array.isArray(fields) ||
      fields.length === 0 ||
      !fields.every((f) => typeof f === 'string' && /^[a-z][a-z_]*$/.test(f) && !['constructor', 'prototype'].includes(f))
    ) {
      throw optionError('profile.fields', 'must be a non-empty list of WeCom field names such as ["name", "department", "mobile"].');
    }
    if (fields.includes('user_ticket'))
      throw optionError('profile.fields', 'user_ticket is a credential and is never kept in the session.');
    return Object.freeze([...fields]);
  }
  throw optionError('profile', 'must be true, false or { fields: [...] }.');
}

function resolveMiniProgram(
  value: WeComAuthOptions['miniProgram'],
  corpId: string,
  checkVisibility: boolean,
): ResolvedConfig['miniProgram'] {
  if (value === undefined) return undefined;
  rejectUnknown(WHERE, optionsObject(WHERE, value, '{ sessionSecret }'), MINI_PROGRAM_OPTIONS, 'miniProgram.');
  if (value.cookieName !== undefined && (typeof value.cookieName !== 'string' || !COOKIE_NAME.test(value.cookieName))) {
    throw optionError('miniProgram.cookieName', 'must be express-session\'s `name` option, a cookie name such as "connect.sid".');
  }
  secretsOption(
    WHERE,
    value.sessionSecret,
    'miniProgram.sessionSecret',
    "the same `secret` you give express-session (it signs the mini program's session token)",
  );
  const allowed = value.allowedCorpIds ?? [corpId];
  if (!Array.isArray(allowed) || allowed.length === 0 || !allowed.every((c) => typeof c === 'string' && c !== '')) {
    throw optionError('miniProgram.allowedCorpIds', 'must be a non-empty list of corporation IDs.');
  }
  const resolved = {
    sessionSecret: value.sessionSecret,
    cookieName: value.cookieName ?? 'connect.sid',
    path: routePath(value.path ?? '/auth/wecom/miniprogram/login', 'miniProgram.path'),
    allowedCorpIds: Object.freeze([...allowed]),
    checkVisibility: booleanOption(WHERE, value.checkVisibility, 'miniProgram.checkVisibility') ?? checkVisibility,
    keepSessionKey: booleanOption(WHERE, value.keepSessionKey, 'miniProgram.keepSessionKey') ?? false,
    maxAgeMs: numberOption(WHERE, value.maxAgeMs, 'miniProgram.maxAgeMs', { min: 1000 }),
  };
  return hiddenWhenPrinted(resolved, ['sessionSecret']);
}

function resolveJssdk(value: WeComAuthOptions['jssdk']): ResolvedConfig['jssdk'] {
  if (value === false) return undefined;
  const options = value === undefined || value === true ? {} : value;
  rejectUnknown(WHERE, optionsObject(WHERE, options, '{ path, requireUser }'), JSSDK_OPTIONS, 'jssdk.');
  return Object.freeze({
    path: routePath(options.path ?? '/auth/wecom/jssdk/config', 'jssdk.path'),
    requireUser: booleanOption(WHERE, options.requireUser, 'jssdk.requireUser') ?? true,
  });
}

function resolveTransactionSecrets(value: unknown, appSecret: string): readonly string[] {
  if (value === undefined) return Object.freeze([derivedTransactionSecret(appSecret)]);
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string' && s.length >= 16)) {
    throw optionError('transactionSecret', 'must be a secret of at least 16 characters, or a list of them (the first signs, all verify).');
  }
  return Object.freeze([...list]);
}

const MINI_PROGRAM_OPTIONS = [
  'sessionSecret',
  'cookieName',
  'path',
  'allowedCorpIds',
  'checkVisibility',
  'keepSessionKey',
  'maxAgeMs',
] as const;
const ROUTE_OPTIONS = ['login', 'callback', 'logout'] as const;
const JSSDK_OPTIONS = ['path', 'requireUser'] as const;
const HOOK_OPTIONS = ['onLogin', 'onLoginFailed'] as const;

export interface CallbackOptions {
  /** The console's Token and EncodingAESKey (接收消息 → API接收); several while one is being changed, the newest first. */
  credentials: CallbackCredential | readonly CallbackCredential[];
  /** The format chosen in the console. Default `'xml'`. */
  format?: CallbackFormat;
  /** How long handlers may run before WeCom is answered anyway (it waits 5 s). Default 4000 ms. */
  budgetMs?: number;
  /** Largest delivery body in bytes. Default 256 KiB. */
  maxBodyBytes?: number;
  /** How far a delivery's timestamp may be from now, in ms. Default 5 minutes. */
  timestampWindowMs?: number;
  /** End a member's sessions when WeCom says they were deleted, disabled or left. Default true. */
  offboarding?: boolean;
}

export type ResolvedCallbackOptions = Readonly<Omit<CallbackOptions, 'offboarding'> & { offboarding: boolean }>;

const CALLBACK_OPTIONS = ['credentials', 'format', 'budgetMs', 'maxBodyBytes', 'timestampWindowMs', 'offboarding'] as const;

function resolveCallbacks(value: CallbackOptions | undefined): ResolvedCallbackOptions | undefined {
  if (value === undefined) return undefined;
  rejectUnknown(WHERE, optionsObject(WHERE, value, '{ credentials: { token, encodingAESKey } }'), CALLBACK_OPTIONS, 'callbacks.');
  const list = Array.isArray(value.credentials) ? value.credentials : [value.credentials];
  if (list.length === 0)
    throw optionError('callbacks.credentials', "must be the console's { token, encodingAESKey } (or a list, the newest first).");
  if (value.format !== undefined && value.format !== 'xml' && value.format !== 'json') {
    throw optionError('callbacks.format', `must be "xml" or "json" (the console's 数据格式), got ${JSON.stringify(value.format)}.`);
  }
  // The pairs themselves are checked by CallbackCrypto, with the same kind of message.
  return Object.freeze({
    ...value,
    budgetMs: numberOption(WHERE, value.budgetMs, 'callbacks.budgetMs', { min: 1, max: 4900 }),
    offboarding: booleanOption(WHERE, value.offboarding, 'callbacks.offboarding') ?? true,
  });
}

function sessionIndexOption(value: unknown): SessionIndex | undefined {
  if (value === undefined) return undefined;
  const index = value as Partial<SessionIndex> | null;
  if (index === null || typeof index !== 'object' || !(['add', 'remove', 'take'] as const).every((m) => typeof index[m] === 'function')) {
    throw optionError(
      'sessionIndex',
      'must implement add, remove and take, e.g. new RedisSessionIndex(redis) from "express-wecom-auth/redis".',
    );
  }
  return index as SessionIndex;
}

function sessionStoreOption(value: unknown): Store | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || typeof (value as Partial<Store>).destroy !== 'function') {
    throw optionError('sessionStore', "must be express-session's store (the `store` given to session()).");
  }
  return value as Store;
}

function tokenCacheOption(value: unknown): TokenCache | undefined {
  if (value === undefined) return undefined;
  const cache = value as Partial<TokenCache> | null;
  const methods = ['get', 'obtain', 'invalidate', 'addEntry', 'setEntry', 'getEntry'] as const;
  if (cache === null || typeof cache !== 'object' || !methods.every((m) => typeof cache[m] === 'function')) {
    throw optionError(
      'tokenCache',
      `must implement the TokenCache interface (${methods.join(', ')}), e.g. new RedisTokenCache(redis) from "express-wecom-auth/redis".`,
    );
  }
  return cache as TokenCache;
}

function parseBaseUrl(value: unknown): string {
  const raw = requiredString(WHERE, value, 'baseUrl', 'the public origin of this app, e.g. "https://app.example.com"');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw optionError('baseUrl', `"${raw}" is not an absolute URL; use the public origin, e.g. "https://app.example.com".`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw optionError('baseUrl', 'must start with https:// (or http:// for local development).');
  }
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw optionError('baseUrl', `must be an origin only (scheme, host, port), e.g. "${url.origin}"; move paths to the \`routes\` option.`);
  }
  return url.origin;
}

function routePath(value: unknown, option: string): string {
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/.test(value) || value.startsWith('//')) {
    throw optionError(option, `must be a path such as "/auth/wecom/login", got ${JSON.stringify(value)}.`);
  }
  return value;
}

/** The same rule as a return path: a same-origin path, nothing a browser could read as another host. */
function localPath(value: unknown, option: string, origin: string): string {
  const path = safeReturnTo(value, origin);
  if (path === undefined || path !== value) {
    throw optionError(
      option,
      `must be a path on this app such as "/" or "/home" (one leading "/", no "//" or "\\"), got ${JSON.stringify(value)}.`,
    );
  }
  return path;
}
