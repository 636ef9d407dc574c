/**
 * One line per flow cell on stderr at the end of a run: the library's rate over the floor's with
 * its rounds, the CPU per login of both, and how busy the neighbours kept the machine. What the
 * experiments of bench/NOTES.md read, without opening the reports.
 */
import { fmt, median } from './stats.ts';
import { cpuOf, pairedRatios, rateOf, ratioText, samplesOf } from './results.ts';
import type { BenchResults } from './results.ts';
import { withRounds } from './verdict.ts';

export function flowSummary(r: BenchResults): string[] {
  const lines: string[] = [];
  for (const delay of r.params.delays) {
    for (const c of r.params.concurrency) {
      const lib = rateOf(r, delay, c, 'lib');
      const floor = rateOf(r, delay, c, 'floor');
      if (lib.n === 0 || floor.n === 0) continue;
      const both = [...samplesOf(r, delay, c, 'lib'), ...samplesOf(r, delay, c, 'floor')];
      const others = median(both.map((s) => s.othersCpu ?? Number.NaN));
      const load = median(both.map((s) => (s.driverMsPerLogin ?? Number.NaN) + (s.emulatorMsPerLogin ?? Number.NaN)));
      lines.push(
        `${delay} ms c=${c}: lib/floor ${withRounds(ratioText(lib.median / floor.median), pairedRatios(r, delay, c, 'lib', 'floor'))}, ` +
          `${fmt(floor.median, 0)} vs ${fmt(lib.median, 0)} flows/s; CPU/login floor ${fmt(cpuOf(r, delay, 'floor', c), 3)} lib ${fmt(cpuOf(r, delay, 'lib', c), 3)} ms; ` +
          `driver+emulator ${fmt(load, 3)} ms/login; others ${fmt(others * 100, 0)} % of the machine`,
      );
    }
  }
  return lines;
}
