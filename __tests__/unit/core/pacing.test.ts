import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { ECSClient } from '@aws-sdk/client-ecs';
import {
  ACTIVE_POLL_MS,
  MAX_IDLE_POLL_MS,
  SHORT_LEAD_MS,
  SHORT_POLL_MS,
  SHORT_WINDOW_MS,
  planNextPoll,
  predictedChangeAt,
} from '../../../src/engines/codedeploy/pacing.js';
import type { Observation } from '../../../src/engines/codedeploy/progress.js';
import {
  POLLING_ATTEMPTS,
  THROTTLED_ATTEMPTS,
  createAwsClients,
  pollingClient,
  throttlePatientRetryStrategy,
} from '../../../src/aws/clients.js';
import { deployment, event, events, target, taskSet } from '../../helpers/codedeploy-fixtures.js';
import { START_MS } from '../../helpers/fake-runtime.js';

function obs(status: string, t?: ReturnType<typeof target>): Observation {
  return { at: START_MS, deployment: deployment(status), target: t };
}

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

describe('the clients a watch reads with', () => {
  it('are the action clients without SDK retries, so the watch alone paces its reads', async () => {
    const clients = createAwsClients({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    expect(POLLING_ATTEMPTS).toBe(1);
    for (const client of [clients.codedeploy, clients.ecs] as const) {
      const polling = pollingClient(client);
      expect(polling).not.toBe(client);
      expect(pollingClient(client)).toBe(polling);
      expect(await polling.config.maxAttempts()).toBe(POLLING_ATTEMPTS);
      expect(await client.config.maxAttempts()).toBe(5);
      expect(await polling.config.region()).toBe('us-east-1');
    }
    expect(pollingClient(clients.codedeploy)).toBeInstanceOf(CodeDeployClient);
    expect(pollingClient(clients.ecs)).toBeInstanceOf(ECSClient);
    const own = new CodeDeployClient({ region: 'us-east-1' });
    expect(pollingClient(own)).toBe(own);
  });
});

describe('the ECS and CodeDeploy clients are patient with throttling', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  type ErrorInfo = Parameters<
    ReturnType<typeof throttlePatientRetryStrategy>['refreshRetryTokenForRetry']
  >[1];
  const sdkError = (name: string): ErrorInfo['error'] =>
    Object.assign(new Error(name), { name, $metadata: {} }) as ErrorInfo['error'];
  const throttle: ErrorInfo = { errorType: 'THROTTLING', error: sdkError('ThrottlingException') };
  const serverError: ErrorInfo = { errorType: 'TRANSIENT', error: sdkError('InternalFailure') };

  /** Retries through the strategy until it refuses; returns how many attempts were allowed in all. */
  async function attemptsAllowed(errorInfo: ErrorInfo): Promise<number> {
    jest.useFakeTimers();
    const strategy = throttlePatientRetryStrategy(5);
    let token = await strategy.acquireInitialRetryToken('');
    for (let attempt = 1; ; attempt++) {
      const next = strategy.refreshRetryTokenForRetry(token, errorInfo);
      const settled = next.then(
        (t) => ({ t }),
        (e: unknown) => ({ e }),
      );
      await jest.advanceTimersByTimeAsync(60_000);
      const result = await settled;
      if ('e' in result) return attempt;
      token = result.t;
    }
  }

  it('retries a throttled call up to THROTTLED_ATTEMPTS attempts, any other passing fault up to maxAttempts', async () => {
    expect(THROTTLED_ATTEMPTS).toBe(10);
    expect(await attemptsAllowed(throttle)).toBe(THROTTLED_ATTEMPTS);
    expect(await attemptsAllowed(serverError)).toBe(5);
  });

  it('refuses with the call’s own error, which the SDK then throws', async () => {
    const strategy = throttlePatientRetryStrategy(1);
    const token = await strategy.acquireInitialRetryToken('');
    await expect(strategy.refreshRetryTokenForRetry(token, serverError)).rejects.toBe(serverError.error);
  });
});
