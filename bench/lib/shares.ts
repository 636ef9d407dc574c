/**
 * got's share, on its own line: per WeCom call (table 6: got against node:https in a process doing
 * nothing else) and per login (table 7: the library against the same library with node:https in
 * place of got), with what is left of the library's own work over the floor once got is out.
 * Each figure is the difference of the medians, with the round-by-round differences beside it.
 */
import { median } from './stats.ts';
import type { BenchResults, GotShareResult } from './results.ts';

export interface Share {
  /** ms of CPU, median of a over median of b. */
  ms: number;
  /** The same difference, round by round. */
  rounds: number[];
}

export interface GotShares {
  /** got's own CPU per WeCom call over node:https's, at `concurrency` (table 6). */
  perCall?: Share & { concurrency: number };
  /** Per login: the library less its node:https variant. */
  perLogin?: Share;
  /** The library's own work per login over the floor's, got taken out (the variant less the floor). */
  own?: Share;
  /** The whole difference per login, the library less the floor. */
  total?: Share;
}

const diff = (a: readonly number[], b: readonly number[]): Share => ({
  ms: median(a) - median(b),
  rounds: a.flatMap((x, i) => (b[i] === undefined ? [] : [x - (b[i] ?? 0)])),
});

function rowOf(g: GotShareResult, id: 'floor' | 'lib' | 'lib-https'): number[] | undefined {
  const row = g.rows.find((x) => x.id === id);
  return row && row.cpu.length > 0 ? row.cpu : undefined;
}

export function gotShares(r: BenchResults, perCallConcurrency = 16): GotShares {
  const out: GotShares = {};
  const row = r.http?.rows.find((x) => x.concurrency === perCallConcurrency) ?? r.http?.rows[0];
  if (row) out.perCall = { ...diff(row.got, row.https), concurrency: row.concurrency };
  const g = r.gotShare;
  if (g) {
    const floor = rowOf(g, 'floor');
    const lib = rowOf(g, 'lib');
    const https = rowOf(g, 'lib-https');
    if (lib && https) out.perLogin = diff(lib, https);
    if (https && floor) out.own = diff(https, floor);
    if (lib && floor) out.total = diff(lib, floor);
  }
  return out;
}
