import { describe, expect, it } from '@jest/globals';
import {
  currentLifecycleEvent,
  describeWeights,
  describeWeightsOf,
  diffObservations,
  evaluateGoal,
  failedLifecycleEvent,
  type Observation,
} from '../../../src/engines/codedeploy/progress.js';
import {
  ACTIVE_POLL_MS,
  DEPLOYMENT_REFRESH_MS,
  MAX_IDLE_POLL_MS,
  READY_POLL_MS,
  SHORT_LEAD_MS,
  WAKE_BEFORE_MS,
  nextShiftDueAt,
  planNextPoll,
  terminationDueAt,
} from '../../../src/engines/codedeploy/pacing.js';
import { trafficShiftMinutes } from '../../../src/aws/codedeploy-reads.js';
import { deployment, event, events, target, taskSet } from '../../helpers/codedeploy-fixtures.js';
import { START_MS } from '../../helpers/fake-runtime.js';

function obs(status: string, t?: ReturnType<typeof target>, at = START_MS): Observation {
  return { at, deployment: deployment(status), target: t };
}

describe('diffObservations', () => {
  it('reports the first status and every event seen on the first look, in lifecycle order', () => {
    const shuffled = [...events(2)].reverse();
    const changes = diffObservations(undefined, obs('InProgress', target('InProgress', shuffled)));
    expect(changes.map((c) => `${c.type}:${'name' in c ? c.name : 'to' in c ? c.to : ''}`)).toEqual([
      'deployment-status:InProgress',
      'event-started:BeforeInstall',
      'event-finished:BeforeInstall',
      'event-started:Install',
      'event-finished:Install',
      'event-started:AfterInstall',
      'target-status:InProgress',
    ]);
  });

  it('reports nothing when nothing changed', () => {
    const a = obs('InProgress', target('InProgress', events(3), [taskSet('Blue', 100), taskSet('Green', 0)]));
    const b = obs('InProgress', target('InProgress', events(3), [taskSet('Blue', 100), taskSet('Green', 0)]));
    expect(diffObservations(a, b)).toEqual([]);
  });

  it('reports an event that began and ended between two looks as started and finished', () => {
    const a = obs('InProgress', target('InProgress', events(1)));
    const b = obs('InProgress', target('InProgress', events(2)));
    const changes = diffObservations(a, b);
    expect(changes).toEqual([
      expect.objectContaining({ type: 'event-finished', name: 'Install', status: 'Succeeded' }),
      expect.objectContaining({ type: 'event-started', name: 'AfterInstall' }),
    ]);
  });

  it('reports a skipped event as finished but never as started', () => {
    const a = obs('InProgress', target('InProgress', [event('AfterAllowTestTraffic', 'Pending')]));
    const b = obs('InProgress', target('InProgress', [event('AfterAllowTestTraffic', 'Skipped')]));
    expect(diffObservations(a, b)).toEqual([
      expect.objectContaining({ type: 'event-finished', name: 'AfterAllowTestTraffic', status: 'Skipped' }),
    ]);
  });

  it('reports a traffic change, and a task-set count change only when weights stay put', () => {
    const a = obs('InProgress', target('InProgress', events(6), [taskSet('Blue', 100), taskSet('Green', 0)]));
    const shifted = obs(
      'InProgress',
      target('InProgress', events(6), [taskSet('Blue', 90), taskSet('Green', 10)]),
    );
    const scaling = obs(
      'InProgress',
      target('InProgress', events(6), [
        taskSet('Blue', 100),
        taskSet('Green', 0, { runningCount: 1, pendingCount: 1 }),
      ]),
    );
    expect(diffObservations(a, shifted)).toEqual([
      {
        type: 'traffic',
        weights: expect.arrayContaining([expect.objectContaining({ label: 'Green', weight: 10 })]),
      },
    ]);
    expect(diffObservations(a, scaling).map((c) => c.type)).toEqual(['task-sets']);
  });

  it('reports only the deployment status while there is no target', () => {
    expect(diffObservations(obs('Created'), obs('InProgress'))).toEqual([
      expect.objectContaining({ type: 'deployment-status', from: 'Created', to: 'InProgress' }),
    ]);
  });
});

describe('evaluateGoal', () => {
  const shifted = target('Succeeded', events(8));
  const ready = target('Ready', events(5, 'Pending'));

  it('fails a failed or stopped deployment whatever the goal', () => {
    for (const goal of ['none', 'ready', 'traffic-shifted', 'succeeded'] as const) {
      expect(evaluateGoal(goal, obs('Failed', shifted))).toBe('failed');
      expect(evaluateGoal(goal, obs('Stopped'))).toBe('failed');
    }
  });

  it('reaches none at once and succeeded only on Succeeded', () => {
    expect(evaluateGoal('none', obs('Created'))).toBe('reached');
    expect(evaluateGoal('succeeded', obs('InProgress', shifted))).toBe('pending');
    expect(evaluateGoal('succeeded', obs('Succeeded', shifted))).toBe('reached');
  });

  it('reaches traffic-shifted when the target succeeded or AfterAllowTraffic succeeded', () => {
    expect(evaluateGoal('traffic-shifted', obs('InProgress', target('InProgress', events(7))))).toBe(
      'pending',
    );
    expect(evaluateGoal('traffic-shifted', obs('InProgress', target('InProgress', events(8))))).toBe(
      'reached',
    );
    expect(evaluateGoal('traffic-shifted', obs('InProgress', shifted))).toBe('reached');
    expect(evaluateGoal('traffic-shifted', obs('Ready', ready))).toBe('pending');
  });

  it('reaches ready on status Ready, and is pending while the test phase runs', () => {
    expect(evaluateGoal('ready', obs('Ready', ready))).toBe('reached');
    expect(evaluateGoal('ready', obs('InProgress', target('InProgress', events(4))))).toBe('pending');
    expect(evaluateGoal('ready', obs('InProgress', target('InProgress', events(2))))).toBe('pending');
  });

  it('reaches ready once the test phase is over when the group does not wait', () => {
    expect(evaluateGoal('ready', obs('InProgress', target('InProgress', events(5, 'Pending'))))).toBe(
      'reached',
    );
    expect(evaluateGoal('ready', obs('InProgress', target('InProgress', events(6))))).toBe('reached');
  });

  it('when the group holds the replacement, waits for the status Ready, not the end of the test phase', () => {
    const testPhaseDone = target('InProgress', events(5, 'Pending'));
    expect(evaluateGoal('ready', obs('InProgress', testPhaseDone), true)).toBe('pending');
    expect(evaluateGoal('ready', obs('InProgress', target('Ready', events(5, 'Pending'))), true)).toBe(
      'pending',
    );
    expect(evaluateGoal('ready', obs('Ready', ready), true)).toBe('reached');
    expect(evaluateGoal('ready', obs('InProgress', shifted), true)).toBe('reached');
    expect(evaluateGoal('ready', obs('Succeeded', shifted), true)).toBe('reached');
    expect(evaluateGoal('ready', obs('Stopped', testPhaseDone), true)).toBe('failed');
  });
});

describe('trafficShiftMinutes', () => {
  it('is 0 for all-at-once, the interval for a canary, the intervals between linear steps', () => {
    expect(trafficShiftMinutes(undefined)).toBe(0);
    expect(trafficShiftMinutes({ type: 'AllAtOnce' })).toBe(0);
    expect(trafficShiftMinutes({ type: 'TimeBasedCanary', intervalMinutes: 5, percentage: 10 })).toBe(5);
    expect(trafficShiftMinutes({ type: 'TimeBasedLinear', intervalMinutes: 3, percentage: 10 })).toBe(27);
    expect(trafficShiftMinutes({ type: 'TimeBasedLinear', intervalMinutes: 2, percentage: 30 })).toBe(6);
    expect(trafficShiftMinutes({ type: 'TimeBasedLinear', intervalMinutes: 1, percentage: 100 })).toBe(0);
  });
});

describe('describeWeights', () => {
  it('rounds fractions to one decimal and joins task sets', () => {
    expect(
      describeWeights([
        { label: 'Blue', weight: 66.666 },
        { label: 'Green', weight: 33.333 },
      ]),
    ).toBe('Blue 66.7% · Green 33.3%');
    expect(describeWeightsOf(target('InProgress', [], [taskSet('Blue', 90), taskSet('Green', 10)]))).toBe(
      'Blue 90% · Green 10%',
    );
    expect(describeWeightsOf(undefined)).toBeUndefined();
  });
});

describe('nextShiftDueAt and terminationDueAt', () => {
  const allowStarted = new Date(START_MS);
  const inAllowTraffic = obs(
    'InProgress',
    target('InProgress', [
      ...events(6).slice(0, 6),
      event('AllowTraffic', 'InProgress', { startTime: allowStarted }),
    ]),
  );

  it('gives the next interval boundary after AllowTraffic started', () => {
    const routing = { type: 'TimeBasedLinear' as const, intervalMinutes: 3, percentage: 10 };
    expect(nextShiftDueAt(inAllowTraffic, routing, START_MS + 1000)).toBe(START_MS + 180_000);
    expect(nextShiftDueAt(inAllowTraffic, routing, START_MS + 200_000)).toBe(START_MS + 360_000);
    expect(nextShiftDueAt(inAllowTraffic, { type: 'AllAtOnce' }, START_MS)).toBeUndefined();
    expect(
      nextShiftDueAt(obs('InProgress', target('InProgress', events(3))), routing, START_MS),
    ).toBeUndefined();
  });

  it('ends the termination wait that long after AfterAllowTraffic ended', () => {
    const ended = new Date(START_MS + 60_000);
    const t = target('Succeeded', [event('AfterAllowTraffic', 'Succeeded', { endTime: ended })]);
    expect(terminationDueAt(obs('InProgress', t), 10)).toBe(START_MS + 60_000 + 600_000);
    expect(terminationDueAt(obs('Succeeded', t), 10)).toBeUndefined();
    expect(terminationDueAt(obs('InProgress', target('InProgress', events(8))), 10)).toBeUndefined();
  });
});

describe('planNextPoll', () => {
  const ctx = { now: START_MS, deploymentReadAt: START_MS, terminationWaitMinutes: 0 };

  it('reads everything at once on the first look', () => {
    expect(planNextPoll(undefined, ctx)).toMatchObject({
      delayMs: 0,
      readDeployment: true,
      readTarget: true,
    });
  });

  it('while it is Created or Queued, reads the deployment and, once that read shows it started, the target', () => {
    // the watcher skips the target while the deployment it has just read is still Created or Queued
    expect(planNextPoll(obs('Created'), ctx)).toMatchObject({
      delayMs: ACTIVE_POLL_MS,
      readDeployment: true,
      readTarget: true,
    });
    expect(planNextPoll(obs('InProgress'), ctx)).toMatchObject({ readTarget: true });
  });

  it('re-reads the deployment in the active phase only when the last read is old', () => {
    const o = obs('InProgress', target('InProgress', events(2)));
    expect(planNextPoll(o, ctx)).toMatchObject({
      delayMs: ACTIVE_POLL_MS,
      readDeployment: false,
      readTarget: true,
    });
    expect(planNextPoll(o, { ...ctx, now: START_MS + DEPLOYMENT_REFRESH_MS })).toMatchObject({
      readDeployment: true,
    });
  });

  it('polls the Ready wait slowly, reading only the deployment status that a reroute changes', () => {
    expect(planNextPoll(obs('Ready', target('Ready', events(5, 'Pending'))), ctx)).toMatchObject({
      delayMs: READY_POLL_MS,
      readDeployment: true,
      readTarget: false,
    });
    expect(READY_POLL_MS).toBeGreaterThanOrEqual(10_000);
  });

  it('a target still saying Ready after the deployment moved on is read again at once', () => {
    expect(planNextPoll(obs('InProgress', target('Ready', events(5, 'Pending'))), ctx)).toMatchObject({
      delayMs: ACTIVE_POLL_MS,
      readTarget: true,
    });
  });

  it('sleeps through a known termination wait, waking for the short reads just before it ends', () => {
    const ended = new Date(START_MS);
    const o = obs(
      'InProgress',
      target('Succeeded', [event('AfterAllowTraffic', 'Succeeded', { endTime: ended })]),
    );
    const longWait = planNextPoll(o, { ...ctx, terminationWaitMinutes: 60 });
    expect(longWait).toMatchObject({
      delayMs: MAX_IDLE_POLL_MS,
      readTarget: false,
    });
    const nearEnd = planNextPoll(o, {
      ...ctx,
      now: START_MS + 60 * 60_000 - WAKE_BEFORE_MS - 10_000,
      terminationWaitMinutes: 60,
    });
    expect(nearEnd.delayMs).toBe(WAKE_BEFORE_MS + 10_000 - SHORT_LEAD_MS);
  });

  it('sleeps between traffic shifts once traffic is split', () => {
    const routing = { type: 'TimeBasedCanary' as const, intervalMinutes: 5, percentage: 10 };
    const allow = event('AllowTraffic', 'InProgress', { startTime: new Date(START_MS) });
    const split = obs(
      'InProgress',
      target('InProgress', [allow], [taskSet('Blue', 90), taskSet('Green', 10)]),
    );
    expect(planNextPoll(split, { ...ctx, routing })).toMatchObject({
      delayMs: MAX_IDLE_POLL_MS,
    });
    const unsplit = obs(
      'InProgress',
      target('InProgress', [allow], [taskSet('Blue', 100), taskSet('Green', 0)]),
    );
    expect(planNextPoll(unsplit, { ...ctx, routing })).toMatchObject({
      delayMs: ACTIVE_POLL_MS,
    });
  });

  it('settles a failed target by reading the deployment only', () => {
    expect(planNextPoll(obs('InProgress', target('Failed', events(3, 'Failed'))), ctx)).toMatchObject({
      readDeployment: true,
      readTarget: false,
    });
  });
});

describe('failedLifecycleEvent and currentLifecycleEvent', () => {
  it('finds the failed event, the running one, or the next pending one', () => {
    expect(failedLifecycleEvent(target('Failed', events(3, 'Failed')))?.lifecycleEventName).toBe(
      'AllowTestTraffic',
    );
    expect(failedLifecycleEvent(target('InProgress', events(3)))).toBeUndefined();
    expect(currentLifecycleEvent(target('InProgress', events(3)))?.lifecycleEventName).toBe(
      'AllowTestTraffic',
    );
    expect(currentLifecycleEvent(target('InProgress', events(3, undefined)))?.lifecycleEventName).toBe(
      'AllowTestTraffic',
    );
  });
});
