/**
 * A goal's verdict, read from the rounds and not only from their median: on a shared machine a
 * median lands on either side of a threshold by chance when the rounds themselves lie on both
 * sides of it, and then the run has not shown which side the code is on. Such a goal is "not
 * resolved" (neither met nor missed): more rounds, or a quieter machine, will tell.
 */
import { spread } from './stats.ts';

export type Verdict = 'met' | 'missed' | 'not resolved';

/** "at least": the value must be ≥ the threshold (a ratio to a baseline); "at most": ≤ (a cost). */
export type Sense = 'at least' | 'at most';

/**
 * `value` is the figure the goal is stated on (a ratio of medians, a median difference); `rounds`
 * are the same figure per round (paired samples). With fewer than two rounds the verdict is the
 * value's; with more, every round must be on the value's side of the threshold, else the goal is
 * "not resolved" (the threshold lies inside the rounds' spread).
 */
export function judge(value: number, threshold: number, sense: Sense, rounds: readonly number[] = []): Verdict {
  if (!Number.isFinite(value)) return 'not resolved';
  const passes = (x: number): boolean => (sense === 'at least' ? x >= threshold : x <= threshold);
  const finite = rounds.filter(Number.isFinite);
  if (finite.length >= 2) {
    const s = spread(finite);
    if (passes(s.min) !== passes(value) || passes(s.max) !== passes(value)) return 'not resolved';
  }
  return passes(value) ? 'met' : 'missed';
}

/** How a verdict reads in a table: a miss in bold, so it is seen. */
export function verdictText(v: Verdict): string {
  return v === 'missed' ? '**missed**' : v;
}

/** "0.93× (rounds 0.85–1.02)": a figure with the range of its rounds beside it. */
export function withRounds(text: string, rounds: readonly number[], digits = 2, unit = '×'): string {
  const finite = rounds.filter(Number.isFinite);
  if (finite.length < 2) return text;
  const s = spread(finite);
  return `${text} (rounds ${s.min.toFixed(digits)}–${s.max.toFixed(digits)}${unit})`;
}
