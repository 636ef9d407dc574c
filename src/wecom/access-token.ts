/**
 * access_token (and JS-SDK ticket) provision: a TokenCache behind, a lifetime rule in front (a
 * safety margin, renewal ahead of expiry), and a cool-down after a configuration error or a rate
 * limit, kept in the cache's shared entries so that a whole fleet with a wrong secret makes as
 * many erroneous gettoken calls as one instance (WeCom blocks a corp for an hour after too many,
 * https://developer.work.weixin.qq.com/document/path/90454).
 *
 * gettoken: https://developer.work.weixin.qq.com/document/path/91039; JS-SDK tickets:
 * https://developer.work.weixin.qq.com/document/path/96909; errcodes:
 * https://developer.work.weixin.qq.com/document/path/90313.
 */
import { createHash } from 'node:crypto';
import { WeComApiError, WeComConfigError, WeComHttpError, WeComRateLimitError, errorFromEnvelope } from './errors.ts';
import type { Log } from './logger.ts';
import { channels, isObserved, publish } from '../diagnostics.ts';
import type { CredentialEvent } from '../diagnostics.ts';
import { markNotFetched } from './token-cache.ts';
import type { CredentialFetch, FreshCredential, TokenCache } from './token-cache.ts';

export const DEFAULT_SAFETY_MARGIN_SECONDS = 300;
export const DEFAULT_CONFIG_ERROR_COOLDOWN_MS = 30_000;
/** WeCom's minute-level frequency blocks last 60 s: asking sooner only counts against us. */
export const RATE_LIMIT_COOLDOWN_MS = 60_000;

/**
 * Identifies one app's credentials inside a corp: the agentId when known, plus the first 16 hex
 * digits of sha256(secret), so that two secrets of one corp (an app's, the contacts secret, a
 * rotated one) never share a token even when configured with the same agentId. The secret itself
 * never becomes part of a key.
 */
export function appKey(agentId: number | undefined, secret: string): string {
  const secretHash = createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 16);
  return agentId === undefined ? secretHash : `${agentId}:${secretHash}`;
}

/** `access_token:<corpId>:[<agentId>:]<sha256(secret)[0..16]>` */
export function accessTokenKey(corpId: string, agentId: number | undefined, secret: string): string {
  return `access_token:${corpId}:${appKey(agentId, secret)}`;
}

/**
 * How long to keep a credential WeCom said lives `expiresInSeconds`: that minus the safety margin,
 * or half of it when it is too short for the margin to leave at least as much again.
 */
export function credentialLifetimeMs(expiresInSeconds: number, safetyMarginSeconds: number): number {
  const lifetime = expiresInSeconds > 2 * safetyMarginSeconds ? expiresInSeconds - safetyMarginSeconds : expiresInSeconds / 2;
  return Math.max(0, Math.floor(lifetime * 1000));
}

/** Nothing is kept for less than this, whatever WeCom says (a cache cannot store 0 ms). */
const MIN_TTL_MS = 1000;

/**
 * How the cache keeps what gettoken or a ticket API answered (`value`, `expires_in`):
 *
 * - a new value: its lifetime minus the safety margin, renewed ahead of that by one safety margin
 *   (at least a tenth of the lifetime, at most half), so that one instance fetches the next value
 *   while everyone still uses this one;
 * - the value it was meant to replace (`replacing`): WeCom hands a value back while it is valid
 *   and issues a new one only once it has expired. Whether `expires_in` then says 7200 or the
 *   seconds left is not documented; either way nothing is gained by asking again before the
 *   lifetime WeCom reports has run out, so it is kept that long, without a margin and without
 *   renewing ahead. If that was 7200 for an older value, WeCom's 42001 ends it early and the client
 *   refreshes then (one rejected call per lifetime).
 */
export function freshCredential(
  value: string,
  expiresInSeconds: number,
  replacing: string | undefined,
  safetyMarginSeconds: number,
): FreshCredential {
  if (value === replacing) return { value, ttlMs: Math.max(MIN_TTL_MS, Math.floor(expiresInSeconds * 1000)) };
  const ttlMs = Math.max(MIN_TTL_MS, credentialLifetimeMs(expiresInSeconds, safetyMarginSeconds));
  const aheadMs = Math.min(ttlMs / 2, Math.max(safetyMarginSeconds * 1000, ttlMs / 10));
  return { value, ttlMs, refreshAfterMs: Math.floor(ttlMs - aheadMs) };
}

export interface CredentialSourceOptions {
  /** Cache key, e.g. `access_token:wwcorp:1000002:<16 hex of sha256(secret)>`. */
  key: string;
  /** What is cached, for logs: `access_token`, `jsapi_ticket`… */
  label: string;
  cache: TokenCache;
  /** Obtain a fresh credential from WeCom (see freshCredential for its lifetime). */
  fetch: CredentialFetch;
  now: () => number;
  logger: Log;
  /**
   * After a WeComConfigError or WeComRateLimitError from `fetch`, rethrow it for this long without
   * calling WeCom (ms): erroneous gettoken calls are what gets a corp blocked for an hour.
   */
  configErrorCooldownMs?: number;
}

/** The cool-down as kept in the shared entries: enough to rebuild the error (its text is already redacted). */
interface RecordedFailure {
  api: string;
  errcode: number;
  errmsg: string;
}

/** How long an instance trusts a cool-down it read from the shared entries before reading again (ms, at most). */
const LEARNED_COOLDOWN_MS = 1000;

/** One cached credential: obtained through the cache, invalidated when rejected, cooled down fleet-wide after a configuration error. */
export class CachedCredentialSource {
  readonly key: string;
  readonly #options: CredentialSourceOptions;
  readonly #cooldownMs: number;
  readonly #fetch: CredentialFetch;
  /** This instance's copy of the cool-down, so that callers during it cost no Redis round trip. */
  #failure: { error: WeComConfigError | WeComRateLimitError; until: number } | undefined;

  constructor(options: CredentialSourceOptions) {
    this.key = options.key;
    this.#options = options;
    this.#cooldownMs = options.configErrorCooldownMs ?? DEFAULT_CONFIG_ERROR_COOLDOWN_MS;
    this.#fetch = (replacing) => this.#guardedFetch(replacing);
  }

  /** A valid credential: the cached one (renewed ahead of expiry in the background), or a fresh one. */
  async get(): Promise<string> {
    try {
      return (await this.#options.cache.obtain(this.key, this.#fetch)).value;
    } catch (err) {
      throw await this.#explain(err);
    }
  }

  /** WeCom rejected `bad`: forget it (only if still cached) and return a fresh credential. */
  async rejected(bad: string): Promise<string> {
    this.#options.logger.debug(`wecom ${this.#options.label} rejected, refreshing`, { key: this.key });
    this.#publish({ action: 'invalidated' });
    await this.#options.cache.invalidate(this.key, bad);
    try {
      return (await this.#options.cache.obtain(this.key, this.#fetch, bad)).value;
    } catch (err) {
      throw await this.#explain(err);
    }
  }

  /**
   * Someone other than WeCom's API reported the cached credential as refused (a browser's
   * wx.config failing with 40093 for a JS-SDK ticket). Renew it, but only when it was fetched at
   * least `minAgeMs` ago: the age comes from the cache, which every instance sharing it sees
   * alike (in Redis: from the value's TTL, so clocks do not matter), so however many instances and
   * browsers report, a ticket is renewed at most once per `minAgeMs` (tickets are limited to 100
   * fetches an hour per app). Returns whether it renewed.
   */
  async renewIfOlderThan(minAgeMs: number): Promise<boolean> {
    const cached = await this.#options.cache.get(this.key);
    if (cached === undefined) return false; // nothing cached: the next get() fetches anyway
    if (cached.ageMs < minAgeMs) return false;
    this.#options.logger.warn(`wecom ${this.#options.label} reported as refused; renewing`, { key: this.key });
    await this.rejected(cached.value);
    return true;
  }

  /** A credential event for the diagnostics channel (docs/operations.md): the key's corp and app, never the value. */
  #publish(event: Pick<CredentialEvent, 'action' | 'lifetimeMs' | 'errcode' | 'cooldownMs'>): void {
    if (!isObserved(channels.credential)) return;
    const [credential = '', corpId = '', ...app] = this.key.split(':');
    publish(channels.credential, {
      ...event,
      credential: credential as CredentialEvent['credential'],
      corpId,
      app: app.join(':'),
      at: this.#options.now(),
    });
  }

  get #failureKey(): string {
    return `${this.key}:cooldown`;
  }

  /** The cool-down in force, from this instance's copy or from the shared entries. */
  async #currentFailure(): Promise<WeComConfigError | WeComRateLimitError | undefined> {
    const now = this.#options.now();
    const mine = this.#failure;
    if (mine !== undefined && now < mine.until) return mine.error;
    this.#failure = undefined;
    const raw = await this.#options.cache.getEntry(this.#failureKey);
    const error = raw === undefined ? undefined : rebuild(raw);
    // Its remaining time is unknown here: trust it briefly, then read again.
    if (error !== undefined) this.#failure = { error, until: now + Math.min(this.#cooldownMs / 10, LEARNED_COOLDOWN_MS) };
    return error;
  }

  /**
   * What the cache calls (once at a time for the whole fleet): nothing goes to WeCom during a
   * cool-down, wherever it started.
   */
  async #guardedFetch(replacing: string | undefined): Promise<FreshCredential> {
    const cooling = await this.#currentFailure();
    if (cooling !== undefined) throw markNotFetched(cooling);
    const { logger, label, key } = this.#options;
    try {
      const fresh = await this.#options.fetch(replacing);
      logger.debug(`wecom ${label} refreshed`, { key, ttlMs: fresh.ttlMs, sameValue: fresh.value === replacing });
      this.#publish({ action: 'fetched', lifetimeMs: fresh.ttlMs });
      return fresh;
    } catch (err) {
      if (err instanceof WeComConfigError || err instanceof WeComRateLimitError) {
        const cooldownMs = err instanceof WeComRateLimitError ? Math.max(this.#cooldownMs, RATE_LIMIT_COOLDOWN_MS) : this.#cooldownMs;
        this.#failure = { error: err, until: this.#options.now() + cooldownMs };
        if (cooldownMs > 0) {
          const record: RecordedFailure = { api: err.api, errcode: err.errcode, errmsg: err.errmsg };
          // Written before the cache lets anyone else fetch: the next owner of the refresh reads it.
          await this.#options.cache.setEntry(this.#failureKey, JSON.stringify(record), cooldownMs).catch(() => undefined);
        }
        this.#publish({ action: 'cooldown', errcode: err.errcode, cooldownMs });
        const what = err instanceof WeComConfigError ? 'configuration error' : 'rate limited';
        logger.error(`wecom ${label} refresh failed: ${what}`, {
          key,
          api: err.api,
          errcode: err.errcode,
          ...(err instanceof WeComConfigError ? { setting: err.setting } : {}),
          cooldownMs,
        });
      } else {
        logger.warn(`wecom ${label} refresh failed`, {
          key,
          ...(err instanceof Error ? { error: err.name } : {}),
          ...(err instanceof WeComApiError ? { api: err.api, errcode: err.errcode } : {}),
          ...(err instanceof WeComHttpError ? { api: err.api, kind: err.kind } : {}),
        });
      }
      throw err;
    }
  }

  /**
   * Another instance's refresh failed (the cache says so, e.g. RedisTokenCacheError
   * REDIS_TOKEN_REFRESH_FAILED_ELSEWHERE): when that was a configuration error or a rate limit,
   * the caller gets that error, which names what to fix.
   */
  async #explain(err: unknown): Promise<unknown> {
    if (err instanceof WeComApiError || err instanceof WeComHttpError) return err;
    try {
      return (await this.#currentFailure()) ?? err;
    } catch {
      return err;
    }
  }
}

function rebuild(raw: string): WeComConfigError | WeComRateLimitError | undefined {
  try {
    const record = JSON.parse(raw) as Partial<RecordedFailure>;
    if (typeof record.api !== 'string' || typeof record.errcode !== 'number' || typeof record.errmsg !== 'string') return undefined;
    const error = errorFromEnvelope(record.api, record.errcode, record.errmsg);
    return error instanceof WeComConfigError || error instanceof WeComRateLimitError ? error : undefined;
  } catch {
    return undefined;
  }
}
