import { describe, expect, it } from '@jest/globals';
import {
  BURST,
  CEILING_PER_MINUTE,
  DECREASE,
  FLOOR_PER_MINUTE,
  CUT_SPACING_S,
  ECS_SHARED_PRIOR,
  PROBE_EVERY,
  QUICK_RETRIES,
  QUICK_RETRY_MS,
  RANDOM,
  SHARED,
  SHARED_PRIOR,
  RECOVERY_SECONDS_AT_CEILING,
  RETRY_MS,
  RateBudget,
  START_PER_MINUTE,
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
  it('starts with one token at START_PER_MINUTE: the first read at once, then one every 6 s, climbing to 3 s', async () => {
    const clock = virtualClock();
    const b = budget(clock);
    expect(b.state()).toMatchObject({ perMinute: START_PER_MINUTE, tokens: 1 });
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

  it('CodeDeploy’s budget counts throttles as shared at first; ECS’s, whose limit is far above what jobs read, is unsure and lets the first throttle’s quick retry tell', () => {
    const clock = virtualClock();
    const cd = rateBudget(clock, 'codedeploy', { perMinute: CEILING_PER_MINUTE });
    const ecs = rateBudget(clock, 'ecs', { perMinute: CEILING_PER_MINUTE });
    expect(cd.state().shared).toBe(SHARED_PRIOR);
    expect(ecs.state().shared).toBe(ECS_SHARED_PRIOR);
    // (the pauses are jittered ±25 %)
    const cdPause = cd.throttled();
    expect(cdPause).toBeGreaterThanOrEqual(0.75 * RETRY_MS);
    const ecsPause = ecs.throttled();
    expect(ecsPause).toBeLessThanOrEqual(1.25 * QUICK_RETRY_MS);
  });

  it('is one budget per process clock and service', () => {
    const clock = virtualClock();
    expect(rateBudget(clock, 'codedeploy')).toBe(rateBudget(clock, 'codedeploy'));
    expect(rateBudget(clock, 'ecs')).not.toBe(rateBudget(clock, 'codedeploy'));
    expect(rateBudget(virtualClock(), 'codedeploy')).not.toBe(rateBudget(clock, 'codedeploy'));
  });
});

describe('throttles cut the rate while they look shared, and nothing once they look random', () => {
  /** A budget sending at the ceiling (one read every 3 s), nothing throttled yet. */
  async function atCeiling(clock: VirtualClock, random = MIDDLE): Promise<RateBudget> {
    const b = budget(clock, { tokens: 0, perMinute: CEILING_PER_MINUTE }, random);
    await spendPassing(clock, b, 8);
    expect(b.state().perMinute).toBe(CEILING_PER_MINUTE);
    return b;
  }

  /** Reads the plan wants at once, each throttled or not as `throttled(i)` says; the pauses returned. */
  async function reads(b: RateBudget, n: number, throttled: (i: number) => boolean): Promise<number[]> {
    const pauses: number[] = [];
    for (let i = 0; i < n; i++) {
      await b.spend(0);
      if (throttled(i)) {
        const pause = b.throttled();
        pauses.push(pause);
        await b.spend(pause);
        b.passed();
      } else b.passed();
    }
    return pauses;
  }

  it('at first throttles count as shared: the first one cuts at once, its retry waits for a pause and the budget', async () => {
    const clock = virtualClock();
    const b = await atCeiling(clock);
    expect(b.state().shared).toBe(SHARED_PRIOR);
    expect(SHARED_PRIOR).toBeGreaterThanOrEqual(SHARED);
    expect(b.throttled()).toBe(RETRY_MS);
    expect(b.state().perMinute).toBeCloseTo(DECREASE * CEILING_PER_MINUTE, 5);
    const t0 = clock.now();
    await b.spend(RETRY_MS);
    // the pause, then a token at the cut rate (one in 6 s)
    expect(clock.now() - t0).toBeGreaterThan(RETRY_MS);
  });

  it('cuts once per spell of CUT_SPACING_S, then again, down to the floor and no lower', async () => {
    const clock = virtualClock();
    const b = await atCeiling(clock);
    b.throttled();
    const once = b.state().perMinute;
    b.throttled();
    b.throttled();
    expect(b.state().perMinute).toBe(once);
    for (let i = 0; i < 10; i++) {
      clock.advance(CUT_SPACING_S * 1000);
      await b.spend(0);
      b.throttled();
    }
    expect(b.state().perMinute).toBe(FLOOR_PER_MINUTE);
  });

  it('cuts by the rate really sent, not the budget allowed: a plan reading every 6 s is cut to one read in 12 s', async () => {
    const clock = virtualClock();
    const b = await atCeiling(clock);
    for (let i = 0; i < 8; i++) {
      await b.spend(6000);
      b.passed();
    }
    expect(b.state().perMinute).toBe(CEILING_PER_MINUTE);
    b.throttled();
    expect(b.state().perMinute).toBeCloseTo(DECREASE * 10, 5);
  });

  it('learns that throttles come at random (reads throttled as often while the budget is cut): the cut is undone, and throttles then get quick retries, up to QUICK_RETRIES in a row', async () => {
    const clock = virtualClock();
    const b = await atCeiling(clock);
    // every other read throttled, whatever the budget does
    await reads(b, 12, (i) => i % 2 === 0);
    expect(b.state().shared).toBeLessThan(RANDOM);
    expect(b.state().perMinute).toBe(CEILING_PER_MINUTE);
    // a throttle now: a quick retry, and another while they too are throttled, QUICK_RETRIES in all
    const pauses = [b.throttled()];
    for (let i = 1; i < QUICK_RETRIES + 1; i++) {
      await b.spend(0);
      pauses.push(b.throttled());
    }
    expect(pauses.slice(0, QUICK_RETRIES)).toEqual(Array(QUICK_RETRIES).fill(QUICK_RETRY_MS));
    expect(pauses[QUICK_RETRIES]).toBe(RETRY_MS);
  });

  it('learns that throttles are shared when quick retries are throttled too and reads pass once the budget is cut', async () => {
    const clock = virtualClock();
    const b = await atCeiling(clock);
    // random-looking first: the belief falls
    await reads(b, 12, (i) => i % 2 === 0);
    const low = b.state().shared;
    expect(low).toBeLessThan(RANDOM);
    // then the account is shared: every quick retry is throttled too, a retry after the budget's pause passes
    for (let i = 0; i < 6; i++) {
      let pause = b.throttled();
      while (pause === QUICK_RETRY_MS) {
        await b.spend(pause);
        pause = b.throttled();
      }
      await b.spend(pause);
      b.passed();
      await reads(b, 3, () => false);
    }
    expect(b.state().shared).toBeGreaterThanOrEqual(SHARED);
  });

  it('once throttles look shared, keeps the quick retry for one streak in PROBE_EVERY', async () => {
    const clock = virtualClock();
    const b = await atCeiling(clock);
    const pauses: number[] = [];
    for (let i = 0; i < 2 * PROBE_EVERY; i++) {
      // each streak after the budget recovered from the last one's cut
      clock.advance(2 * RECOVERY_SECONDS_AT_CEILING * 1000);
      await reads(b, 3, () => false);
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
    const b = await atCeiling(clock);
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
    const atCeilingNow = { perMinute: CEILING_PER_MINUTE };
    expect(budget(clock, atCeilingNow, () => 0).throttled()).toBe(0.75 * RETRY_MS);
    expect(budget(clock, atCeilingNow, () => 1).throttled()).toBe(1.25 * RETRY_MS);
  });
});
