// startEmulator()'s callback options, checked: a mistake is a RangeError at start, naming the option.
import { DEFAULT_DELIVERY } from './callback-delivery.ts';
import type { DeliveryOptions } from './callback-delivery.ts';
import type { EmulatorOptions } from './types.ts';

function ms(value: number | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new RangeError(`startEmulator: ${name} must be a number of ms, at least ${min}; got ${String(value)}`);
  }
  return value;
}

export function callbackOptions(options: EmulatorOptions): DeliveryOptions {
  const attempts = options.callbackAttempts ?? DEFAULT_DELIVERY.attempts;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 10) {
    throw new RangeError(`startEmulator: callbackAttempts must be an integer 1-10 (attempts in all), got ${String(attempts)}`);
  }
  return {
    timeoutMs: ms(options.callbackTimeoutMs, 'callbackTimeoutMs', DEFAULT_DELIVERY.timeoutMs, 1),
    attempts,
    retryDelayMs: ms(options.callbackRetryDelayMs, 'callbackRetryDelayMs', DEFAULT_DELIVERY.retryDelayMs, 0),
  };
}

/** The response_code window (cardUpdateWindowMs). */
export function checkWindow(value: number): number {
  return ms(value, 'cardUpdateWindowMs', value, 1);
}
