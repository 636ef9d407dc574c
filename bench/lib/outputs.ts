/**
 * Where a run's reports go, and writing them: bench/results.json (the data), bench/RESULTS.md
 * (every table, the goals, bench/NOTES.md), docs/performance.md and docs/performance.svg (the
 * summary). A quick or partial run writes under scratch/ instead, so that the committed reports
 * always come from one full run.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { renderChart } from './chart.ts';
import { renderPerformancePage, renderResults } from './report.ts';
import type { BenchResults } from './results.ts';

const BENCH = join(import.meta.dirname, '..');
const ROOT = join(BENCH, '..');

export interface Outputs {
  json: string;
  results: string;
  page: string;
  chart: string;
}

export const FULL: Outputs = {
  json: join(BENCH, 'results.json'),
  results: join(BENCH, 'RESULTS.md'),
  page: join(ROOT, 'docs/performance.md'),
  chart: join(ROOT, 'docs/performance.svg'),
};

/** The reports beside a results.json elsewhere (scratch/…/results.json). */
export function besides(json: string): Outputs {
  if (json === FULL.json) return FULL;
  const dir = dirname(json);
  return { json, results: join(dir, 'RESULTS.md'), page: join(dir, 'performance.md'), chart: join(dir, 'performance.svg') };
}

export const scratch = (name: string): Outputs => besides(join(ROOT, 'scratch', name, 'results.json'));

export function writeReports(results: BenchResults, to: Outputs, extraResults?: string): void {
  let notes = '';
  try {
    notes = readFileSync(join(BENCH, 'NOTES.md'), 'utf8');
  } catch {
    /* no notes */
  }
  for (const file of Object.values(to)) mkdirSync(dirname(file), { recursive: true });
  const resultsMd = renderResults(results, notes);
  writeFileSync(to.json, `${JSON.stringify(results, null, 1)}\n`);
  writeFileSync(to.results, resultsMd);
  if (extraResults) writeFileSync(extraResults, resultsMd);
  writeFileSync(to.chart, renderChart(results));
  const links = { chart: relative(dirname(to.page), to.chart), results: relative(dirname(to.page), to.results) };
  writeFileSync(to.page, renderPerformancePage(results, links));
}

export const shown = (to: Outputs): string => [to.results, to.page, to.chart].map((f) => relative(ROOT, f)).join(', ');
