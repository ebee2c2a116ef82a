/** Small figures shared by the benchmarks (bench/run.ts, bench/pacing.ts, bench/pacing-model.ts). */

/** The median; NaN for no values. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The largest value; -Infinity for none. */
export const max = (xs: number[]): number => xs.reduce((a, b) => Math.max(a, b), -Infinity);

/** One decimal, or a dash for a value that is not a number. */
export const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
