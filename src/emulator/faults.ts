// Fault switches (docs/emulator.md, "What it models"): force an errcode such as -1 or 45009 for the
// next N calls, answer an HTML 502 as a broken gateway in front of WeCom would, or slow answers
// down. `api` narrows a switch to one API (the path after /cgi-bin/); without it, any API matches.
import type { EmulatorFaults } from './types.ts';

interface CountedRule {
  remaining: number;
  api: string | undefined;
}

export type Fault = { kind: 'errcode'; errcode: number } | { kind: 'html502' };

function checkCount(count: number, what: string): void {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`faults.${what}: count must be a non-negative integer`);
}

export class Faults implements EmulatorFaults {
  #errcodes: (CountedRule & { errcode: number })[] = [];
  #html502: CountedRule[] = [];
  #delays = new Map<string, number>();

  failNext(errcode: number, count = 1, api?: string): void {
    if (!Number.isSafeInteger(errcode)) throw new RangeError('faults.failNext: errcode must be an integer');
    checkCount(count, 'failNext');
    if (count > 0) this.#errcodes.push({ errcode, remaining: count, api });
  }

  delay(ms: number, api?: string): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('faults.delay: ms must be a non-negative number');
    if (ms === 0) this.#delays.delete(api ?? '*');
    else this.#delays.set(api ?? '*', ms);
  }

  html502(count = 1, api?: string): void {
    checkCount(count, 'html502');
    if (count > 0) this.#html502.push({ remaining: count, api });
  }

  reset(): void {
    this.#errcodes = [];
    this.#html502 = [];
    this.#delays.clear();
  }

  /** Consumes one matching switch, if any: an HTML 502 wins over a forced errcode. */
  take(api: string): Fault | undefined {
    const gateway = takeRule(this.#html502, api);
    if (gateway) return { kind: 'html502' };
    const rule = takeRule(this.#errcodes, api);
    return rule ? { kind: 'errcode', errcode: rule.errcode } : undefined;
  }

  delayFor(api: string): number {
    return this.#delays.get(api) ?? this.#delays.get('*') ?? 0;
  }
}

function takeRule<R extends CountedRule>(rules: R[], api: string): R | undefined {
  const index = rules.findIndex((r) => r.api === undefined || r.api === api);
  const rule = rules[index];
  if (!rule) return undefined;
  rule.remaining -= 1;
  if (rule.remaining <= 0) rules.splice(index, 1);
  return rule;
}
