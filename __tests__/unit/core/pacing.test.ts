import { describe, expect, it } from '@jest/globals';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import {
  ACTIVE_POLL_MS,
  MAX_IDLE_POLL_MS,
  MAX_SLOWDOWN,
  MAX_THROTTLED_POLL_MS,
  SHORT_LEAD_MS,
  SHORT_POLL_MS,
  SHORT_WINDOW_MS,
  pacedDelayMs,
  planNextPoll,
  predictedChangeAt,
  slowdownAfterPass,
  slowdownAfterThrottle,
  throttleBackoffMs,
} from '../../../src/engines/codedeploy/pacing.js';
import type { Observation } from '../../../src/engines/codedeploy/progress.js';
import { POLLING_ATTEMPTS, createAwsClients, pollingClient } from '../../../src/aws/clients.js';
import { deployment, event, events, target, taskSet } from '../../helpers/codedeploy-fixtures.js';
import { START_MS } from '../../helpers/fake-runtime.js';

function obs(status: string, t?: ReturnType<typeof target>): Observation {
  return { at: START_MS, deployment: deployment(status), target: t };
}

describe('throttling slows the whole poll plan down and eases back', () => {
  it('doubles the slowdown on each throttled read, up to a cap, and eases back to 1 as reads pass', () => {
    let s = 1;
    const up: number[] = [];
    for (let i = 0; i < 6; i++) up.push((s = slowdownAfterThrottle(s)));
    expect(up).toEqual([2, 4, 8, MAX_SLOWDOWN, MAX_SLOWDOWN, MAX_SLOWDOWN]);
    expect(MAX_SLOWDOWN).toBe(8);
    const down: number[] = [];
    while (s > 1 && down.length < 100) down.push((s = slowdownAfterPass(s)));
    expect(down.length).toBeGreaterThan(5);
    expect(down.length).toBeLessThan(25);
    expect(down.at(-1)).toBe(1);
    for (let i = 1; i < down.length; i++) expect(down[i]).toBeLessThan(down[i - 1] as number);
  });

  it('backs off by the slowed active interval with ±25 % jitter, capped', () => {
    expect(throttleBackoffMs(2, () => 0)).toBe(0.75 * 2 * ACTIVE_POLL_MS);
    expect(throttleBackoffMs(2, () => 1)).toBe(1.25 * 2 * ACTIVE_POLL_MS);
    expect(throttleBackoffMs(2, () => 0.5)).toBe(2 * ACTIVE_POLL_MS);
    expect(throttleBackoffMs(MAX_SLOWDOWN, () => 0.5)).toBe(MAX_THROTTLED_POLL_MS);
  });

  it('stretches planned intervals by the slowdown with jitter; leaves them alone at 1 and keeps a re-read immediate', () => {
    expect(pacedDelayMs(ACTIVE_POLL_MS, 1, () => 0)).toBe(ACTIVE_POLL_MS);
    expect(pacedDelayMs(ACTIVE_POLL_MS, 4, () => 0.5)).toBe(4 * ACTIVE_POLL_MS);
    expect(pacedDelayMs(ACTIVE_POLL_MS, 4, () => 0)).toBe(3 * ACTIVE_POLL_MS);
    expect(pacedDelayMs(0, 8, () => 0.5)).toBe(0);
    // a slowed interval stops at the cap; a long idle sleep is never made shorter than planned
    expect(pacedDelayMs(20_000, 8, () => 0.5)).toBe(MAX_THROTTLED_POLL_MS);
    expect(pacedDelayMs(MAX_IDLE_POLL_MS, 8, () => 0.5)).toBe(MAX_IDLE_POLL_MS);
    expect(pacedDelayMs(SHORT_POLL_MS, 4, () => 0.5)).toBe(4 * SHORT_POLL_MS);
  });
});

describe('short reads where the moment of change is predictable', () => {
  const ctx = { now: START_MS, deploymentReadAt: START_MS, terminationWaitMinutes: 0 };
  const shiftedAt = START_MS + 60_000;
  const shifted = obs(
    'InProgress',
    target('Succeeded', [event('AfterAllowTraffic', 'Succeeded', { endTime: new Date(shiftedAt) })]),
  );

  it('with no termination wait, reads the deployment at short intervals just after the last event, then falls back', () => {
    expect(planNextPoll(shifted, { ...ctx, now: shiftedAt + 500 })).toEqual({
      delayMs: SHORT_POLL_MS,
      readDeployment: true,
      readTarget: false,
    });
    expect(planNextPoll(shifted, { ...ctx, now: shiftedAt + SHORT_WINDOW_MS + 1 })).toMatchObject({
      delayMs: ACTIVE_POLL_MS,
    });
  });

  it('sleeps through a termination wait to just before its end, then reads at short intervals', () => {
    const due = shiftedAt + 5 * 60_000;
    const wait = { ...ctx, terminationWaitMinutes: 5 };
    expect(predictedChangeAt(shifted, undefined, 5)).toBe(due);
    expect(planNextPoll(shifted, { ...wait, now: shiftedAt }).delayMs).toBe(MAX_IDLE_POLL_MS);
    expect(planNextPoll(shifted, { ...wait, now: due - 3000 }).delayMs).toBe(3000 - SHORT_LEAD_MS);
    expect(planNextPoll(shifted, { ...wait, now: due - 500 }).delayMs).toBe(SHORT_POLL_MS);
    expect(planNextPoll(shifted, { ...wait, now: due + 2000 }).delayMs).toBe(SHORT_POLL_MS);
    expect(planNextPoll(shifted, { ...wait, now: due + SHORT_WINDOW_MS + 1 }).delayMs).toBe(ACTIVE_POLL_MS);
  });

  it('reads the target at short intervals while an all-at-once shift or a traffic hook event runs', () => {
    const allowStart = START_MS + 60_000;
    const allEvents = events(6);
    allEvents[6] = event('AllowTraffic', 'InProgress', { startTime: new Date(allowStart) });
    const o = obs('InProgress', target('InProgress', allEvents));
    const allAtOnce = { ...ctx, routing: { type: 'AllAtOnce' as const } };
    expect(planNextPoll(o, { ...allAtOnce, now: allowStart + 300 })).toMatchObject({
      delayMs: SHORT_POLL_MS,
      readTarget: true,
    });
    expect(planNextPoll(o, { ...allAtOnce, now: allowStart + SHORT_WINDOW_MS + 1 })).toMatchObject({
      delayMs: ACTIVE_POLL_MS,
    });
    // Install has no predictable end: the active pace
    const install = obs('InProgress', target('InProgress', events(1)));
    expect(predictedChangeAt(install, undefined, 0)).toBeUndefined();
    expect(planNextPoll(install, ctx).delayMs).toBe(ACTIVE_POLL_MS);
  });

  it('in a canary, sleeps to the final shift and reads at short intervals around it, not at its start', () => {
    const routing = { type: 'TimeBasedCanary' as const, intervalMinutes: 5, percentage: 10 };
    const allowStart = START_MS;
    const finalShift = allowStart + 5 * 60_000;
    const split = obs(
      'InProgress',
      target(
        'InProgress',
        [event('AllowTraffic', 'InProgress', { startTime: new Date(allowStart) })],
        [taskSet('Blue', 90), taskSet('Green', 10)],
      ),
    );
    expect(predictedChangeAt(split, routing, 0)).toBe(finalShift);
    expect(planNextPoll(split, { ...ctx, routing, now: allowStart + 300 }).delayMs).toBe(MAX_IDLE_POLL_MS);
    expect(planNextPoll(split, { ...ctx, routing, now: finalShift - 5000 }).delayMs).toBe(
      5000 - SHORT_LEAD_MS,
    );
    expect(planNextPoll(split, { ...ctx, routing, now: finalShift - 200 }).delayMs).toBe(SHORT_POLL_MS);
  });
});

describe('the client a watch reads with', () => {
  it('is the action client without SDK retries, so the watcher alone paces its reads', async () => {
    const clients = createAwsClients({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const polling = pollingClient(clients.codedeploy);
    expect(polling).not.toBe(clients.codedeploy);
    expect(pollingClient(clients.codedeploy)).toBe(polling);
    expect(await polling.config.maxAttempts()).toBe(POLLING_ATTEMPTS);
    expect(POLLING_ATTEMPTS).toBe(1);
    expect(await clients.codedeploy.config.maxAttempts()).toBe(5);
    expect(await polling.config.region()).toBe('us-east-1');
    const own = new CodeDeployClient({ region: 'us-east-1' });
    expect(pollingClient(own)).toBe(own);
  });
});
