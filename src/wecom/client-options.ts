/**
 * The options of WeComClient: their types, and their check at construction through the package's
 * one options module (src/options.ts), so the same option follows the same rule here as in
 * wecomAuth() (an AgentId may be a string of digits, a base URL must be https unless it is the
 * emulator on this machine, misspelt names get a suggestion).
 */
import type { TokenCache } from './token-cache.ts';
import type { HttpTimeouts } from './http.ts';
import type { BusyRetryOptions } from './retry.ts';
import type { WeComLogger } from './logger.ts';
import {
  WeComOptionsError,
  agentIdOption,
  corpIdOption,
  functionOption,
  numberOption,
  optionsObject,
  rejectUnknown,
  requiredString,
  wecomBaseUrlOption,
} from '../options.ts';

export interface WeComClientOptions {
  /** The Corp ID (我的企业 → 企业信息), usually `ww` + 16 characters. */
  corpId: string;
  /** The Secret of the app (应用管理 → the app → Secret). Never logged. */
  secret: string;
  /** The app's AgentId (a number, or a string of digits). Needed for agent_config tickets and sent to the legacy user/getuserinfo. */
  agentId?: number | string;
  /** Default `https://qyapi.weixin.qq.com`. Trailing slashes are fine. */
  apiBaseUrl?: string;
  /** Default `https://open.weixin.qq.com`. */
  oauthBaseUrl?: string;
  /** Default `https://login.work.weixin.qq.com`. */
  loginBaseUrl?: string;
  /** ms; defaults connect 3000, secureConnect 3000, response 5000, read 5000, and total 8000 for the whole call. */
  timeouts?: HttpTimeouts;
  /** Where tokens and tickets live; default a MemoryTokenCache of this client. Use Redis for a fleet. */
  tokenCache?: TokenCache;
  /** Seconds cut from WeCom's `expires_in` (default 300; half of `expires_in` when that is small). */
  tokenSafetyMarginSeconds?: number;
  /** Retry of `-1 system busy` (default 3 tries, 200 ms base delay). */
  busyRetry?: BusyRetryOptions;
  /** How long a configuration or rate-limit error from gettoken (or a ticket) is rethrown without calling WeCom again (ms, default 30000; at least 60000 after a rate limit, WeCom's block time). Shared through `tokenCache`: with Redis, the whole fleet waits it out together. */
  configErrorCooldownMs?: number;
  logger?: WeComLogger;
  /** Clock in ms since the epoch (tests). Default `Date.now`. */
  now?: () => number;
}

/** The options after their check: the AgentId as a number, base URLs without a trailing slash. */
export type ResolvedClientOptions = Omit<WeComClientOptions, 'agentId'> & { agentId: number | undefined };

const WHERE = 'WeComClient';
const KNOWN_OPTIONS = [
  'corpId',
  'secret',
  'agentId',
  'apiBaseUrl',
  'oauthBaseUrl',
  'loginBaseUrl',
  'timeouts',
  'tokenCache',
  'tokenSafetyMarginSeconds',
  'busyRetry',
  'configErrorCooldownMs',
  'logger',
  'now',
] as const;
const TIMEOUTS = ['connect', 'secureConnect', 'response', 'read', 'total'] as const;
const TOKEN_CACHE_METHODS = ['get', 'obtain', 'invalidate', 'addEntry', 'setEntry', 'getEntry'] as const;

/** The `timeouts` option, checked the same way wherever it is given (wecomAuth passes it on to its client). */
export function checkTimeouts(where: string, timeouts: HttpTimeouts | undefined): HttpTimeouts | undefined {
  if (timeouts === undefined) return undefined;
  rejectUnknown(where, optionsObject(where, timeouts, '{ response: 5000 }'), TIMEOUTS, 'timeouts.');
  for (const [name, value] of Object.entries(timeouts)) numberOption(where, value, `timeouts.${name}`, { min: 1 });
  return timeouts;
}

export function resolveClientOptions(given: WeComClientOptions): ResolvedClientOptions {
  const options = optionsObject(WHERE, given, 'new WeComClient({ corpId, secret, agentId })') as unknown as WeComClientOptions;
  rejectUnknown(WHERE, options, KNOWN_OPTIONS);
  const corpId = corpIdOption(WHERE, options.corpId);
  if (corpId !== options.corpId)
    throw new WeComOptionsError(WHERE, 'corpId', 'contains whitespace: copy the Corp ID again without spaces or line breaks.');
  const secret = requiredString(
    WHERE,
    options.secret,
    'secret',
    "the app's Secret from 应用管理 → the app → Secret (read it from the environment, never commit it)",
  );
  if (secret !== options.secret)
    throw new WeComOptionsError(WHERE, 'secret', 'has leading or trailing whitespace: copy it again without spaces or line breaks.');
  checkTimeouts(WHERE, options.timeouts);
  numberOption(WHERE, options.tokenSafetyMarginSeconds, 'tokenSafetyMarginSeconds', { min: 0 });
  numberOption(WHERE, options.configErrorCooldownMs, 'configErrorCooldownMs', { min: 0 });
  if (options.busyRetry !== undefined) {
    rejectUnknown(WHERE, optionsObject(WHERE, options.busyRetry, '{ tries: 3 }'), ['tries', 'baseDelayMs'], 'busyRetry.');
    numberOption(WHERE, options.busyRetry.tries, 'busyRetry.tries', { min: 1, integer: true });
    numberOption(WHERE, options.busyRetry.baseDelayMs, 'busyRetry.baseDelayMs', { min: 0 });
  }
  const cache = options.tokenCache as Partial<TokenCache> | undefined | null;
  if (cache !== undefined && (cache === null || TOKEN_CACHE_METHODS.some((name) => typeof cache[name] !== 'function'))) {
    throw new WeComOptionsError(
      WHERE,
      'tokenCache',
      `must implement ${TOKEN_CACHE_METHODS.join(', ')} (the TokenCache interface), e.g. new MemoryTokenCache() or RedisTokenCache.`,
    );
  }
  functionOption(WHERE, options.now, 'now', 'returning ms since the epoch');
  const resolved: ResolvedClientOptions = {
    ...options,
    corpId,
    secret,
    agentId: options.agentId === undefined ? undefined : agentIdOption(WHERE, options.agentId),
  };
  for (const name of ['apiBaseUrl', 'oauthBaseUrl', 'loginBaseUrl'] as const) {
    const url = wecomBaseUrlOption(WHERE, options[name], name);
    if (url !== undefined) resolved[name] = url;
  }
  return resolved;
}
