/**
 * Bounded exponential backoff for WeCom's `-1 system busy` (docs/wecom-api.md §8: retry with backoff, at
 * most 3 times). Only used for gettoken and idempotent GETs; never for calls that consume a code.
 */
import { WeComApiError, SYSTEM_BUSY_ERRCODE } from './errors.ts';
import type { Log } from './logger.ts';

export interface BusyRetryOptions {
  /** Total attempts, the first included (default 3). 1 disables the retry. */
  tries?: number;
  /** Delay before the first retry in ms, doubled each time, ±25 % jitter (default 200). */
  baseDelayMs?: number;
}

export const DEFAULT_BUSY_RETRY: Readonly<Required<BusyRetryOptions>> = Object.freeze({ tries: 3, baseDelayMs: 200 });
const MAX_DELAY_MS = 5000;

export function backoffDelay(retry: number, baseDelayMs: number, random: () => number = Math.random): number {
  const exp = Math.min(baseDelayMs * 2 ** (retry - 1), MAX_DELAY_MS);
  return Math.max(0, Math.round(exp * (0.75 + random() * 0.5)));
}

export async function withBusyRetry<T>(
  api: string,
  options: Required<BusyRetryOptions>,
  logger: Log,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof WeComApiError) || err.errcode !== SYSTEM_BUSY_ERRCODE || n >= options.tries) throw err;
      const delay = backoffDelay(n, options.baseDelayMs);
      logger.warn('wecom system busy, retrying', { api, errcode: err.errcode, attempt: n, delayMs: delay });
      await sleep(delay);
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
