/**
 * The pacing policy (aws/rate-budget.ts spent by the CodeDeploy watcher) against simulated accounts, in
 * virtual time (bench/pacing-model.ts: the action's own watcher and budget, the account and the deployments
 * modelled). Seeded, so each figure is the same every run; `npm run bench` measures the same rows on the
 * emulator with real processes (docs/benchmarks.md).
 */
import { describe, expect, it } from '@jest/globals';
import { summarizePacingModel } from '../../../bench/pacing-model.js';
import { CEILING_PER_MINUTE } from '../../../src/aws/rate-budget.js';

describe('pacing under throttling (the model)', () => {
  it('a quiet account: the end is noticed within a second (median), at most the ceiling of calls a minute', async () => {
    const quiet = await summarizePacingModel({ account: { kind: 'random', throttleRate: 0 }, jobs: 1 }, 20);
    expect(quiet.notReached).toBe(0);
    expect(quiet.throttledShare).toBe(0);
    expect(quiet.lagMedianS).toBeLessThan(1);
    expect(quiet.callsPerMinuteMost).toBeLessThanOrEqual(CEILING_PER_MINUTE);
  });

  it('a noisy account (half of all reads throttled at random): the verdict within 10 s of the end (median), not minutes', async () => {
    const noisy = await summarizePacingModel({ account: { kind: 'random', throttleRate: 0.5 }, jobs: 1 }, 60);
    expect(noisy.notReached).toBe(0);
    expect(noisy.throttledShare).toBeGreaterThan(0.4);
    expect(noisy.lagMedianS).toBeLessThanOrEqual(10);
    expect(noisy.lagWorstS).toBeLessThan(120);
  });

  it('8 deployments sharing 40 reads a minute: every one reaches its verdict, none reads more than the ceiling on average', async () => {
    const shared = await summarizePacingModel(
      { account: { kind: 'bucket', perMinute: 40, burst: 40 }, jobs: 8 },
      10,
    );
    expect(shared.notReached).toBe(0);
    expect(shared.callsPerMinuteMedian).toBeLessThanOrEqual(CEILING_PER_MINUTE);
    // well short of the issue-18 goal (10 %, 10 s median): what the model shows today, held so it does not
    // get worse unnoticed
    expect(shared.throttledShare).toBeLessThan(0.35);
    expect(shared.lagMedianS).toBeLessThan(16);
  });

  it('16 deployments sharing 40 reads a minute (more than the account gives at the floor): every one still reaches its verdict', async () => {
    const crowded = await summarizePacingModel(
      { account: { kind: 'bucket', perMinute: 40, burst: 40 }, jobs: 16 },
      5,
    );
    expect(crowded.notReached).toBe(0);
    expect(crowded.lagWorstS).toBeLessThan(180);
  });
});
