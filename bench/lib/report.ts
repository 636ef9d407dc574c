/**
 * The reports of a bench run, rendered from its data (results.ts) only:
 * - bench/RESULTS.md: every table, with the spread of each figure, the goals and the notes
 *   (report-results.ts);
 * - docs/performance.md: one short table per question and the README's sentence (report-page.ts).
 */
export { renderResults } from './report-results.ts';
export { readmeSentence, renderPerformancePage } from './report-page.ts';
export { machineLine, renderGotShare, renderHttpClient } from './report-shared.ts';
