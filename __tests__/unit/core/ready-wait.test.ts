import { describe, expect, it } from '@jest/globals';
import {
  readyWaitLeftMs,
  readyWaitMinutesOf,
  readyWaitStartedAt,
  unfinishedTestTrafficEvents,
} from '../../../src/engines/codedeploy/ready-wait.js';
import { taskSetRole, taskSetWeights, trafficNeverMoved } from '../../../src/engines/codedeploy/progress.js';
import { START_MS } from '../../helpers/fake-runtime.js';
import { deployment, event, events, target, taskSet } from '../../helpers/codedeploy-fixtures.js';

const sixEvents = events(3, undefined).filter(
  (e) => !['AllowTestTraffic', 'AfterAllowTestTraffic'].includes(e.lifecycleEventName ?? ''),
);

describe('the test-traffic events (issue #9, part 4)', () => {
  it('are finished when Succeeded or Skipped, and a target that lists none has none unfinished', () => {
    expect(unfinishedTestTrafficEvents(target('Ready', events(5, undefined)))).toEqual([]);
    const skipped = events(3, undefined).map((e) =>
      e.lifecycleEventName?.includes('TestTraffic') ? { ...e, status: 'Skipped' as const } : e,
    );
    expect(unfinishedTestTrafficEvents(target('Ready', skipped))).toEqual([]);
    expect(sixEvents).toHaveLength(6);
    expect(unfinishedTestTrafficEvents(target('Ready', sixEvents))).toEqual([]);
  });

  it('names those still running or not started', () => {
    expect(unfinishedTestTrafficEvents(target('InProgress', events(4)))).toEqual([
      'AfterAllowTestTraffic (InProgress)',
    ]);
  });
});

describe('the time left in the ready wait, from the deployment’s own timestamps', () => {
  it('starts when the last event before it ended (AfterAllowTestTraffic, or AfterInstall with 6 events)', () => {
    // events(n): event i starts at i*10 s and ends 5 s later
    expect(readyWaitStartedAt(target('Ready', events(5, undefined)))).toBe(START_MS + 45_000);
    expect(readyWaitStartedAt(target('Ready', sixEvents))).toBe(START_MS + 25_000);
  });

  it('falls back to when the target last changed, else says nothing', () => {
    const bare = target('Ready', [event('AllowTestTraffic', 'Skipped')], [], {
      lastUpdatedAt: new Date(START_MS + 7000),
    });
    expect(readyWaitStartedAt(bare)).toBe(START_MS + 7000);
    expect(readyWaitStartedAt(target('Ready', []))).toBeUndefined();
  });

  it('is the wait minus the time since it began', () => {
    const t = target('Ready', events(5, undefined));
    expect(readyWaitLeftMs(t, 10, START_MS + 45_000 + 4 * 60_000)).toBe(6 * 60_000);
    expect(readyWaitLeftMs(t, undefined, START_MS)).toBeUndefined();
  });

  it("takes the deployment's own ready option before the group's", () => {
    const own = deployment('Ready', {
      blueGreenDeploymentConfiguration: {
        deploymentReadyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 7 },
      },
    });
    expect(readyWaitMinutesOf(own, 30)).toBe(7);
    expect(readyWaitMinutesOf(deployment('Ready'), 30)).toBe(30);
  });
});

describe('task sets without taskSetLabel are named by role', () => {
  const unlabeled = (label: 'Blue' | 'Green', weight: number, status: string) => ({
    ...taskSet(label, weight, { status }),
    taskSetLabel: undefined,
  });

  it('before the shift: the PRIMARY set is the original (Blue), the ACTIVE one the replacement (Green)', () => {
    const t = target('InProgress', events(6), [
      unlabeled('Blue', 90, 'PRIMARY'),
      unlabeled('Green', 10, 'ACTIVE'),
    ]);
    expect(taskSetWeights(t).map((w) => `${w.label} ${w.weight} ${w.id}`)).toEqual([
      'Blue 90 ecs-svc/111',
      'Green 10 ecs-svc/222',
    ]);
  });

  it('after AllowTraffic succeeded, CodeDeploy has made the replacement PRIMARY: still Green', () => {
    const t = target('Succeeded', events(8), [
      unlabeled('Blue', 0, 'ACTIVE'),
      unlabeled('Green', 100, 'PRIMARY'),
    ]);
    expect(taskSetWeights(t).map((w) => w.label)).toEqual(['Blue', 'Green']);
  });

  it('a label CodeDeploy gives wins', () => {
    expect(taskSetRole(taskSet('Green', 0, { status: 'PRIMARY' }), target('InProgress', events(2)))).toBe(
      'Green',
    );
  });
});

describe('whether CodeDeploy’s final state says traffic never moved', () => {
  it('only when AllowTraffic never ran', () => {
    expect(trafficNeverMoved(target('Failed', events(5, 'Failed')))).toBe(true);
    expect(trafficNeverMoved(target('Failed', events(6, 'Failed')))).toBe(false);
    expect(trafficNeverMoved(undefined)).toBe(false);
  });
});
