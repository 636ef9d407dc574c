// The emulator's clock: real time plus an offset that tests move, so a 7200 s token or a 5 min
// code can expire without waiting (docs/emulator.md, "What it models"). It keeps running in real
// time between adjustments, so a person using the CLI sees codes expire as WeCom's would.
import type { EmulatorClock } from './types.ts';

export class Clock implements EmulatorClock {
  #offset = 0;

  now(): number {
    return Date.now() + this.#offset;
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError('clock.advance(ms): ms must be a finite number');
    this.#offset += ms;
  }

  set(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError('clock.set(ms): ms must be a finite number');
    this.#offset = ms - Date.now();
  }

  reset(): void {
    this.#offset = 0;
  }
}
