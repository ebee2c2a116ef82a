import { describe, expect, it } from '@jest/globals';
import {
  followsNothing,
  isPastReady,
  waitBudget,
  waitsForSomeoneToReroute,
} from '../../../src/engines/codedeploy/wait-budget.js';

describe('waitBudget', () => {
  const group = {
    readyWaitMinutes: 60,
    routing: { type: 'TimeBasedCanary' as const, intervalMinutes: 5 },
    terminationWaitMinutes: 10,
  };
  const minutes = (params: Parameters<typeof waitBudget>[0]): number => waitBudget(params, 0).minutes;

  it('a new deployment: adds the waits that lie before the goal', () => {
    const start = { ...group, waitForMinutes: 30, from: 'start' as const };
    expect(minutes({ ...start, waitUntil: 'ready' })).toBe(30);
    expect(minutes({ ...start, waitUntil: 'traffic-shifted' })).toBe(95);
    expect(minutes({ ...start, waitUntil: 'succeeded' })).toBe(105);
    // a test command reroutes as soon as it passes: the ready wait is not waited out
    expect(minutes({ ...start, waitUntil: 'succeeded', testCommand: 'x' })).toBe(45);
  });

  it('promote: from Ready the shift and the termination wait remain; from the termination wait, nothing', () => {
    expect(minutes({ ...group, waitForMinutes: 30, from: 'rerouting', waitUntil: 'traffic-shifted' })).toBe(
      35,
    );
    expect(minutes({ ...group, waitForMinutes: 30, from: 'rerouting', waitUntil: 'succeeded' })).toBe(45);
    expect(minutes({ ...group, waitForMinutes: 30, from: 'terminating', waitUntil: 'succeeded' })).toBe(30);
  });

  it("CodeDeploy's rollback deployment gets wait-for-minutes alone", () => {
    expect(minutes({ ...group, waitForMinutes: 20, from: 'rollback', waitUntil: 'succeeded' })).toBe(20);
  });

  it('gives the deadline on the clock it was asked on and explains each part', () => {
    const budget = waitBudget({ ...group, waitForMinutes: 30, from: 'start', waitUntil: 'succeeded' }, 1_000);
    expect(budget.deadline).toBe(1_000 + 105 * 60_000);
    expect(budget.note).toBe(
      "The wait budget was 105 minutes (wait-for-minutes 30 + the group's ready wait 60 + the traffic shift 5 + the termination wait 10) for wait-until succeeded.",
    );
  });
});

describe('what there is to wait for', () => {
  it('is decided once', () => {
    expect(isPastReady('ready')).toBe(false);
    expect(isPastReady('traffic-shifted')).toBe(true);
    expect(followsNothing('none', undefined)).toBe(true);
    expect(followsNothing('none', 'npm test')).toBe(false);
    expect(waitsForSomeoneToReroute('succeeded', 60, undefined)).toBe(true);
    expect(waitsForSomeoneToReroute('succeeded', 60, 'npm test')).toBe(false);
    expect(waitsForSomeoneToReroute('ready', 60, undefined)).toBe(false);
    expect(waitsForSomeoneToReroute('succeeded', undefined, undefined)).toBe(false);
  });
});
