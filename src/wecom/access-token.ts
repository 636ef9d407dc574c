/**
 * access_token (and JS-SDK ticket) provision: a TokenCache in the back, an in-process single-flight
 * in front, a safety margin on the lifetime, and a short cool-down after a configuration error or a
 * rate limit so that a wrong secret or a block does not hammer gettoken (WeCom blocks a corp for an
 * hour after ~2000 erroneous calls, wecom-api.md §3).
 *
 * wecom-api.md §3 (gettoken), §7 (tickets), §8 (errcodes).
 */
import { createHash } from 'node:crypto';
import { WeComApiError, WeComConfigError, WeComHttpError, WeComRateLimitError } from './errors.ts';
import type { WeComLogger } from './logger.ts';
import type { CachedCredential, TokenCache } from './token-cache.ts';

export const DEFAULT_SAFETY_MARGIN_SECONDS = 300;
export const DEFAULT_CONFIG_ERROR_COOLDOWN_MS = 30_000;
/** WeCom's minute-level frequency blocks last 60 s (wecom-api.md §3): asking sooner only counts against us. */
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
  const lifetime =
    expiresInSeconds > 2 * safetyMarginSeconds ? expiresInSeconds - safetyMarginSeconds : expiresInSeconds / 2;
  return Math.max(0, Math.floor(lifetime * 1000));
}

export interface CredentialSourceOptions {
  /** Cache key, e.g. `access_token:wwcorp:1000002:<16 hex of sha256(secret)>`. */
  key: string;
  /** What is cached, for logs: `access_token`, `jsapi_ticket`… */
  label: string;
  cache: TokenCache;
  /** Obtain a fresh credential from WeCom (with its absolute, already shortened, expiry). */
  fetch: () => Promise<CachedCredential>;
  now: () => number;
  logger: WeComLogger;
  /**
   * After a WeComConfigError or WeComRateLimitError from `fetch`, rethrow it for this long without
   * calling WeCom (ms): erroneous gettoken calls are what gets a corp blocked for an hour.
   */
  configErrorCooldownMs?: number;
}

/** One cached credential: read from the cache, refreshed single-flight, invalidated when rejected. */
export class CachedCredentialSource {
  readonly key: string;
  readonly #options: CredentialSourceOptions;
  readonly #cooldownMs: number;
  #inflight: Promise<CachedCredential> | undefined;
  #failure: { error: WeComConfigError | WeComRateLimitError; until: number } | undefined;

  constructor(options: CredentialSourceOptions) {
    this.key = options.key;
    this.#options = options;
    this.#cooldownMs = options.configErrorCooldownMs ?? DEFAULT_CONFIG_ERROR_COOLDOWN_MS;
  }

  /** A valid credential: the cached one, or a fresh one. */
  async get(): Promise<string> {
    const cached = await this.#options.cache.get(this.key);
    if (cached !== undefined && cached.expiresAt > this.#options.now()) return cached.value;
    return (await this.#refresh(cached?.value)).value;
  }

  /** WeCom rejected `bad`: forget it (only if still cached) and return a fresh credential. */
  async rejected(bad: string): Promise<string> {
    this.#options.logger.debug?.(`wecom ${this.#options.label} rejected, refreshing`, { key: this.key });
    await this.#options.cache.invalidate(this.key, bad);
    return (await this.#refresh(bad)).value;
  }

  /**
   * Someone other than WeCom's API reported the cached credential as refused (a browser's
   * wx.config failing with 40093 for a JS-SDK ticket). Renew it, but only when it is at least
   * `minAgeMs` old: the age comes from the cached expiry, which every instance sharing the cache
   * sees alike, so however many instances and browsers report, a ticket is renewed at most once
   * per `minAgeMs` (tickets are limited to 100 fetches an hour per app). `lifetimeMs` is what a
   * fresh credential is cached for. Returns whether it renewed.
   */
  async renewIfOlderThan(minAgeMs: number, lifetimeMs: number): Promise<boolean> {
    const cached = await this.#options.cache.get(this.key);
    if (cached === undefined) return false; // nothing cached: the next get() fetches anyway
    const age = lifetimeMs - (cached.expiresAt - this.#options.now());
    if (age < minAgeMs) return false;
    this.#options.logger.warn?.(`wecom ${this.#options.label} reported as refused; renewing`, { key: this.key });
    await this.rejected(cached.value);
    return true;
  }

  #refresh(stale: string | undefined): Promise<CachedCredential> {
    const failure = this.#failure;
    if (failure !== undefined) {
      if (this.#options.now() < failure.until) return Promise.reject(failure.error);
      this.#failure = undefined;
    }
    // In-process single-flight, in front of the cache's own (possibly fleet-wide) one.
    if (this.#inflight !== undefined) return this.#inflight;
    const promise = this.#options.cache.refresh(this.key, () => this.#fetch(), stale);
    this.#inflight = promise;
    promise
      .finally(() => {
        if (this.#inflight === promise) this.#inflight = undefined;
      })
      .catch(() => undefined);
    return promise;
  }

  async #fetch(): Promise<CachedCredential> {
    const { logger, label, key } = this.#options;
    try {
      const fresh = await this.#options.fetch();
      logger.debug?.(`wecom ${label} refreshed`, { key, expiresAt: fresh.expiresAt });
      return fresh;
    } catch (err) {
      if (err instanceof WeComConfigError || err instanceof WeComRateLimitError) {
        // Each instance of a fleet keeps its own cool-down: 30 s keeps even ten instances with a
        // wrong secret under WeCom's ~2000 erroneous gettoken calls an hour.
        const cooldownMs = err instanceof WeComRateLimitError ? Math.max(this.#cooldownMs, RATE_LIMIT_COOLDOWN_MS) : this.#cooldownMs;
        this.#failure = { error: err, until: this.#options.now() + cooldownMs };
        const what = err instanceof WeComConfigError ? 'configuration error' : 'rate limited';
        logger.error?.(`wecom ${label} refresh failed: ${what}`, {
          key,
          api: err.api,
          errcode: err.errcode,
          ...(err instanceof WeComConfigError ? { setting: err.setting } : {}),
          cooldownMs,
        });
      } else {
        logger.warn?.(`wecom ${label} refresh failed`, {
          key,
          ...(err instanceof Error ? { error: err.name } : {}),
          ...(err instanceof WeComApiError ? { api: err.api, errcode: err.errcode } : {}),
          ...(err instanceof WeComHttpError ? { api: err.api, kind: err.kind } : {}),
        });
      }
      throw err;
    }
  }
}
