import { describe, expect, it } from '@jest/globals';
import {
  BURST,
  CEILING_PER_MINUTE,
  DECREASE,
  FLOOR_PER_MINUTE,
  PERSISTENT,
  PROBE_EVERY,
  QUICK_RETRY_MS,
  RANDOM,
  RECOVERY_SECONDS_AT_CEILING,
  RETRY_MS,
  RateBudget,
  rateBudget,
} from '../../../src/aws/rate-budget.js';
import { START_MS, virtualClock, type VirtualClock } from '../../helpers/fake-runtime.js';

const MIDDLE = (): number => 0.5; // no jitter: 0.75 + 0.5 / 2 = 1

function budget(
  clock: VirtualClock,
  start?: { tokens?: number; perMinute?: number },
  random = MIDDLE,
): RateBudget {
  return new RateBudget(clock, start, random);
}

/** Spends `n` reads the plan wants at once, passing; returns the times (s from the start) they went. */
async function spendPassing(clock: VirtualClock, b: RateBudget, n: number): Promise<number[]> {
  const at: number[] = [];
  for (let i = 0; i < n; i++) {
    await b.spend(0);
    at.push((clock.now() - START_MS) / 1000);
    b.passed();
  }
  return at;
}

describe('the token bucket spends the poll plan within the budget', () => {
  it('starts with one token at half the ceiling: the first read at once, then one every 6 s, climbing to 3 s', async () => {
    const clock = virtualClock();
    const b = budget(clock);
    expect(b.state()).toMatchObject({ perMinute: DECREASE * CEILING_PER_MINUTE, tokens: 1 });
    const at = await spendPassing(clock, b, 30);
    expect(at[0]).toBe(0);
    expect((at[1] as number) - (at[0] as number)).toBeCloseTo(6, 0);
    // the rate climbs back to the ceiling along the recovery curve, and no further
    const last = at.slice(-5);
    for (let i = 1; i < last.length; i++)
      expect((last[i] as number) - (last[i - 1] as number)).toBeCloseTo(3, 1);
    expect(b.state().perMinute).toBe(CEILING_PER_MINUTE);
    // never more than the ceiling on average: here 30 reads took at least 87 s
    expect(at.at(-1)).toBeGreaterThan(((30 - 1) * 60) / CEILING_PER_MINUTE);
  });

  it('waits for the later of the plan’s wish and a token, in whole milliseconds', async () => {
    const clock = virtualClock();
    const b = budget(clock, { tokens: 0, perMinute: CEILING_PER_MINUTE });
    await b.spend(1000); // a token takes 3 s: the budget decides
    expect(clock.now() - START_MS).toBe(3000);
    await b.spend(10_000); // the plan wants 10 s: tokens came meanwhile, the plan decides
    expect(clock.now() - START_MS).toBe(13_000);
    expect(clock.sleeps.every((ms) => Number.isInteger(ms))).toBe(true);
  });

  it('saves at most BURST tokens during a long wait and spends them on short reads', async () => {
    const clock = virtualClock();
    const b = budget(clock, { tokens: 0, perMinute: CEILING_PER_MINUTE });
    clock.advance(10 * 60_000);
    expect(b.state().tokens).toBe(BURST);
    const t0 = clock.now();
    const at: number[] = [];
    for (let i = 0; i < 20; i++) {
      await b.spend(750);
      at.push(clock.now() - t0);
    }
    // short reads at the plan's pace while saved tokens last (plus those that came meanwhile) …
    const gaps = at.map((t, i) => t - (at[i - 1] ?? 0));
    const short = gaps.findIndex((ms) => ms > 750);
    expect(short).toBeGreaterThanOrEqual(BURST);
    expect(short).toBeLessThan(2 * BURST);
    // … then at the budget's pace
    expect(gaps.slice(short + 1).every((ms) => ms === 3000)).toBe(true);
  });

  it('jitters the waits it imposes by ±25 %, never the plan’s', async () => {
    const waits = async (random: number): Promise<number> => {
      const clock = virtualClock();
      const b = budget(clock, { tokens: 0, perMinute: CEILING_PER_MINUTE }, () => random);
      await b.spend(0);
      return clock.now() - START_MS;
    };
    expect(await waits(0)).toBe(0.75 * 3000);
    expect(await waits(0.999_999)).toBe(Math.ceil((0.75 + 0.999_999 / 2) * 3000));
    const clock = virtualClock();
    const b = budget(clock, { tokens: 5, perMinute: CEILING_PER_MINUTE }, () => 0);
    await b.spend(4000);
    expect(clock.now() - START_MS).toBe(4000);
  });

  it('never waits past the deadline and spends nothing when the run is cancelled', async () => {
    const clock = virtualClock();
    const b = budget(clock, { tokens: 0, perMinute: FLOOR_PER_MINUTE });
    await b.spend(0, { until: START_MS + 2000 });
    expect(clock.now() - START_MS).toBe(2000);
    const controller = new AbortController();
    controller.abort();
    const before = b.state().tokens;
    await b.spend(5000, { signal: controller.signal });
    expect(b.state().tokens).toBe(before);
  });

  it('lets the verdict’s re-read go at once, free when no token is there', async () => {
    const clock = virtualClock();
    const b = budget(clock, { tokens: 0, perMinute: CEILING_PER_MINUTE });
    await b.spend(0, { urgent: true });
    expect(clock.now()).toBe(START_MS);
    expect(b.state().tokens).toBe(0);
  });

  it('is one budget per process clock and service', () => {
    const clock = virtualClock();
    expect(rateBudget(clock, 'codedeploy')).toBe(rateBudget(clock, 'codedeploy'));
    expect(rateBudget(clock, 'ecs')).not.toBe(rateBudget(clock, 'codedeploy'));
    expect(rateBudget(virtualClock(), 'codedeploy')).not.toBe(rateBudget(clock, 'codedeploy'));
  });
});

describe('throttles cut the rate, persistent ones fully, random ones not at all', () => {
  /** A budget sending at the ceiling that has learnt that throttles persist. */
  async function persistentAtCeiling(clock: VirtualClock): Promise<RateBudget> {
    const b = budget(clock, { tokens: 0, perMinute: CEILING_PER_MINUTE });
    await spendPassing(clock, b, 8);
    // quick retries throttled too, streak after streak, until throttles count as persistent
    while (b.state().persistence < PERSISTENT) {
      b.throttled();
      await b.spend(0);
      b.throttled();
      await b.spend(0);
      b.passed();
    }
    // a quiet spell: the rate is back at the ceiling
    clock.advance(10 * 60_000);
    b.passed();
    return b;
  }

  it('the first throttle of a streak gets a quick retry that needs no token; a second one, a pause and the budget', async () => {
    const clock = virtualClock();
    const b = budget(clock, { tokens: 0, perMinute: CEILING_PER_MINUTE });
    await spendPassing(clock, b, 4);
    expect(b.throttled()).toBe(QUICK_RETRY_MS);
    const t0 = clock.now();
    await b.spend(QUICK_RETRY_MS);
    expect(clock.now() - t0).toBe(QUICK_RETRY_MS);
    expect(b.throttled()).toBe(RETRY_MS);
    const t1 = clock.now();
    await b.spend(RETRY_MS);
    expect(clock.now() - t1).toBeGreaterThan(RETRY_MS);
  });

  it('cuts to DECREASE × the rate really sent at once throttles persist, down to the floor and no lower', async () => {
    const clock = virtualClock();
    const b = await persistentAtCeiling(clock);
    // sending at the ceiling: one read every 3 s
    await spendPassing(clock, b, 8);
    const sending = b.state().perMinute;
    expect(sending).toBe(CEILING_PER_MINUTE);
    b.throttled();
    expect(b.state().perMinute).toBeCloseTo(DECREASE * CEILING_PER_MINUTE, 5);
    // a streak that goes on cuts again at each throttle, after each wait for the budget
    for (let i = 0; i < 10; i++) {
      await b.spend(b.throttled());
    }
    expect(b.state().perMinute).toBe(FLOOR_PER_MINUTE);
  });

  it('cuts by the rate really sent, not the budget allowed: a plan reading every 6 s is cut to one read in 12 s', async () => {
    const clock = virtualClock();
    const b = await persistentAtCeiling(clock);
    for (let i = 0; i < 8; i++) {
      await b.spend(6000);
      b.passed();
    }
    expect(b.state().perMinute).toBe(CEILING_PER_MINUTE);
    b.throttled();
    expect(b.state().perMinute).toBeCloseTo(DECREASE * 10, 5);
  });

  it('learns from quick retries: when they pass as often as not, throttles cut nothing', async () => {
    const clock = virtualClock();
    const b = budget(clock, { tokens: 0, perMinute: CEILING_PER_MINUTE });
    await spendPassing(clock, b, 8);
    // every other read throttled at random: each streak's quick retry passes
    for (let i = 0; i < 6; i++) {
      b.throttled();
      await b.spend(0);
      b.passed();
      await b.spend(0);
      b.passed();
    }
    expect(b.state().persistence).toBeLessThanOrEqual(RANDOM);
    const before = b.state().perMinute;
    b.throttled();
    expect(b.state().perMinute).toBe(before);
  });

  it('once throttles persist, keeps the quick retry for one streak in PROBE_EVERY', async () => {
    const clock = virtualClock();
    const b = await persistentAtCeiling(clock);
    const pauses: number[] = [];
    for (let i = 0; i < 2 * PROBE_EVERY; i++) {
      const first = b.throttled();
      pauses.push(first);
      // the quick retry, when there is one, is throttled too
      if (first === QUICK_RETRY_MS) b.throttled();
      b.passed();
    }
    expect(pauses.filter((ms) => ms === QUICK_RETRY_MS)).toHaveLength(2);
    expect(pauses.filter((ms) => ms === RETRY_MS)).toHaveLength(2 * PROBE_EVERY - 2);
  });

  it('recovers along the cubic: back to the rate of the cut after RECOVERY_SECONDS_AT_CEILING, slowly near it', async () => {
    const clock = virtualClock();
    const b = await persistentAtCeiling(clock);
    await spendPassing(clock, b, 8);
    b.throttled();
    const cutAt = clock.now();
    const rateAfter = (seconds: number): number => {
      clock.set(cutAt + seconds * 1000);
      b.passed();
      return b.state().perMinute;
    };
    expect(rateAfter(RECOVERY_SECONDS_AT_CEILING / 3)).toBeLessThan(0.9 * CEILING_PER_MINUTE);
    const near = rateAfter((RECOVERY_SECONDS_AT_CEILING * 2) / 3);
    expect(near).toBeGreaterThan(0.9 * CEILING_PER_MINUTE);
    expect(rateAfter(RECOVERY_SECONDS_AT_CEILING)).toBeCloseTo(CEILING_PER_MINUTE, 5);
  });

  it('jitters the pauses after a throttle by ±25 %', () => {
    const clock = virtualClock();
    expect(budget(clock, {}, () => 0).throttled()).toBe(0.75 * QUICK_RETRY_MS);
    expect(budget(clock, {}, () => 1).throttled()).toBe(1.25 * QUICK_RETRY_MS);
  });
});
