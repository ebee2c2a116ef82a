import { describe, expect, it } from '@jest/globals';
import type { ServiceDeployment } from '@aws-sdk/client-ecs';
import {
  carryOver,
  diffEcsObservations,
  evaluateEcsGoal,
  stagePosition,
  type EcsObservation,
} from '../../../src/engines/ecs/progress.js';
import {
  bakeEndsAt,
  nextEcsPollDelay,
  ECS_ACTIVE_POLL_MS,
  ECS_PAUSED_POLL_MS,
} from '../../../src/engines/ecs/pacing.js';
import { ecsWaitBudget, stepBakeMinutes } from '../../../src/engines/ecs/wait-budget.js';

function obs(at: number, d: Partial<ServiceDeployment>, previous?: EcsObservation): EcsObservation {
  return carryOver(previous, { at, deployment: { status: 'IN_PROGRESS', ...d } as ServiceDeployment });
}

const types = (changes: { type: string }[]) => changes.map((c) => c.type);

describe('ECS stages: positions, not equality', () => {
  it('orders the stages and puts an unknown one last', () => {
    expect(stagePosition('PRE_SCALE_UP')).toBeLessThan(stagePosition('SCALE_UP'));
    expect(stagePosition('BAKE_TIME')).toBeLessThan(stagePosition('CLEAN_UP'));
    expect(stagePosition('SOMETHING_NEW')).toBe(11);
  });

  it('tells the stages skipped between two looks as passed, in order', () => {
    const a = obs(0, { lifecycleStage: 'SCALE_UP' });
    const b = obs(4000, { lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT' }, a);
    const changes = diffEcsObservations(a, b);
    expect(changes).toEqual([
      { type: 'stage-finished', stage: 'SCALE_UP', rollback: false },
      { type: 'stages-passed', stages: ['POST_SCALE_UP', 'TEST_TRAFFIC_SHIFT'] },
      { type: 'stage-started', stage: 'POST_TEST_TRAFFIC_SHIFT', rollback: false },
    ]);
  });

  it('a LINEAR step going back to PRE_PRODUCTION_TRAFFIC_SHIFT is a new step, not a skip', () => {
    const a = obs(0, { lifecycleStage: 'PRODUCTION_TRAFFIC_SHIFT' });
    const b = obs(3000, { lifecycleStage: 'PRE_PRODUCTION_TRAFFIC_SHIFT' as never }, a);
    expect(types(diffEcsObservations(a, b))).toEqual(['stage-finished', 'stage-started']);
  });

  it('a rollback: its start with the stage it started in and its reason, and its stages marked as the rollback', () => {
    const a = obs(0, { lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT' });
    const b = obs(
      3000,
      {
        status: 'ROLLBACK_IN_PROGRESS',
        lifecycleStage: 'TEST_TRAFFIC_SHIFT',
        rollback: { reason: 'hook failed', startedAt: new Date(2000) },
      },
      a,
    );
    const changes = diffEcsObservations(a, b);
    expect(changes).toContainEqual({
      type: 'rollback-started',
      reason: 'hook failed',
      stage: 'POST_TEST_TRAFFIC_SHIFT',
      startedAt: new Date(2000),
    });
    expect(changes).toContainEqual({ type: 'stage-started', stage: 'TEST_TRAFFIC_SHIFT', rollback: true });
    expect(types(changes)).not.toContain('stages-passed');
    expect(b.lastForwardStage).toBe('POST_TEST_TRAFFIC_SHIFT');
  });

  it('the end: the last stage and any after it are over, and the status is told last', () => {
    const a = obs(0, { lifecycleStage: 'BAKE_TIME' });
    const b = obs(3000, { status: 'SUCCESSFUL', lifecycleStage: 'CLEAN_UP' }, a);
    const changes = diffEcsObservations(a, b);
    expect(changes[0]).toEqual({ type: 'stage-finished', stage: 'BAKE_TIME', rollback: false });
    expect(changes).toContainEqual({ type: 'stages-passed', stages: ['CLEAN_UP'] });
    expect(changes[changes.length - 1]).toMatchObject({ type: 'status', to: 'SUCCESSFUL' });
  });

  it('traffic, task counts, hooks with expiresAt, circuit breaker and alarms, each once per change', () => {
    const expiresAt = new Date(90_000);
    const a = obs(0, { lifecycleStage: 'TEST_TRAFFIC_SHIFT' });
    const b = obs(
      3000,
      {
        lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
        targetServiceRevision: {
          requestedTestTrafficWeight: 100,
          requestedProductionTrafficWeight: 0,
          requestedTaskCount: 2,
          runningTaskCount: 2,
        },
        lifecycleHookDetails: [{ hookId: 'h1', targetType: 'PAUSE', status: 'AWAITING_ACTION', expiresAt }],
        deploymentCircuitBreaker: { status: 'MONITORING', failureCount: 1, threshold: 3 },
        alarms: { status: 'TRIGGERED', triggeredAlarmNames: ['5xx'] },
      },
      a,
    );
    const changes = diffEcsObservations(a, b);
    expect(changes).toContainEqual({ type: 'traffic', test: 100, production: 0 });
    expect(changes).toContainEqual(
      expect.objectContaining({
        type: 'hook',
        hookId: 'h1',
        status: 'AWAITING_ACTION',
        expiresAt,
        stage: 'POST_TEST_TRAFFIC_SHIFT',
      }),
    );
    expect(changes).toContainEqual({
      type: 'circuit-breaker',
      status: 'MONITORING',
      failureCount: 1,
      threshold: 3,
    });
    expect(changes).toContainEqual({ type: 'alarms', status: 'TRIGGERED', triggered: ['5xx'] });
    expect(types(changes)).toContain('tasks');
    const c = obs(6000, b.deployment, b);
    expect(diffEcsObservations(b, c)).toEqual([]);
  });
});

describe('ECS goals per wait-until and strategy', () => {
  const at = (d: Partial<ServiceDeployment>) => obs(0, d);
  it('ready: past POST_TEST_TRAFFIC_SHIFT, or waiting in a pause hook', () => {
    expect(evaluateEcsGoal('ready', at({ lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT' }), 'BLUE_GREEN')).toBe(
      'pending',
    );
    expect(
      evaluateEcsGoal('ready', at({ lifecycleStage: 'PRE_PRODUCTION_TRAFFIC_SHIFT' as never }), 'BLUE_GREEN'),
    ).toBe('reached');
    expect(
      evaluateEcsGoal(
        'ready',
        at({
          lifecycleStage: 'POST_SCALE_UP',
          lifecycleHookDetails: [{ hookId: 'h', status: 'AWAITING_ACTION' }],
        }),
        'BLUE_GREEN',
      ),
    ).toBe('reached');
  });
  it('traffic-shifted: BAKE_TIME is enough (no runner minutes for the bake)', () => {
    expect(
      evaluateEcsGoal('traffic-shifted', at({ lifecycleStage: 'PRODUCTION_TRAFFIC_SHIFT' }), 'CANARY'),
    ).toBe('pending');
    expect(evaluateEcsGoal('traffic-shifted', at({ lifecycleStage: 'BAKE_TIME' }), 'CANARY')).toBe('reached');
    expect(evaluateEcsGoal('succeeded', at({ lifecycleStage: 'BAKE_TIME' }), 'CANARY')).toBe('pending');
  });
  it('the gate: only a pause hook waiting at POST_TEST_TRAFFIC_SHIFT, or a later stage (the moment missed)', () => {
    const hook = [{ hookId: 'h', status: 'AWAITING_ACTION' as const }];
    expect(
      evaluateEcsGoal(
        'gate',
        at({ lifecycleStage: 'POST_SCALE_UP', lifecycleHookDetails: hook }),
        'BLUE_GREEN',
      ),
    ).toBe('pending');
    expect(
      evaluateEcsGoal(
        'gate',
        at({ lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT', lifecycleHookDetails: hook }),
        'BLUE_GREEN',
      ),
    ).toBe('reached');
  });
  it('ROLLING: the new revision running its tasks; succeeded waits for SUCCESSFUL', () => {
    const half = at({ targetServiceRevision: { requestedTaskCount: 2, runningTaskCount: 1 } });
    const all = at({ targetServiceRevision: { requestedTaskCount: 2, runningTaskCount: 2 } });
    expect(evaluateEcsGoal('traffic-shifted', half, 'ROLLING')).toBe('pending');
    expect(evaluateEcsGoal('traffic-shifted', all, 'ROLLING')).toBe('reached');
    expect(evaluateEcsGoal('succeeded', all, 'ROLLING')).toBe('pending');
    expect(evaluateEcsGoal('succeeded', at({ status: 'SUCCESSFUL' }), 'ROLLING')).toBe('reached');
  });
  it('a rollback or a stop fails every goal; end waits for a terminal status', () => {
    const rolling = at({ status: 'ROLLBACK_IN_PROGRESS', lifecycleStage: 'BAKE_TIME' });
    expect(evaluateEcsGoal('traffic-shifted', rolling, 'BLUE_GREEN')).toBe('failed');
    expect(evaluateEcsGoal('none', at({ status: 'STOPPED' }), 'BLUE_GREEN')).toBe('failed');
    expect(evaluateEcsGoal('end', rolling, 'BLUE_GREEN')).toBe('pending');
    expect(evaluateEcsGoal('end', at({ status: 'ROLLBACK_SUCCESSFUL' }), 'BLUE_GREEN')).toBe('reached');
  });
});

describe('ECS pacing and wait budget', () => {
  it('sleeps through a bake whose end is known, looks every 15 s in a pause hook, else every 3 s', () => {
    const a = obs(0, { lifecycleStage: 'BAKE_TIME', deploymentConfiguration: { bakeTimeInMinutes: 10 } });
    expect(bakeEndsAt(a)).toBe(600_000);
    expect(nextEcsPollDelay(a, 0)).toBe(45_000);
    expect(nextEcsPollDelay(a, 595_000)).toBe(ECS_ACTIVE_POLL_MS);
    const paused = obs(0, {
      lifecycleStage: 'POST_TEST_TRAFFIC_SHIFT',
      lifecycleHookDetails: [{ hookId: 'h', status: 'AWAITING_ACTION' }],
    });
    expect(nextEcsPollDelay(paused, 0)).toBe(ECS_PAUSED_POLL_MS);
  });
  it('adds the step bakes to traffic-shifted and the bake to succeeded', () => {
    const config = {
      strategy: 'LINEAR' as const,
      bakeTimeInMinutes: 20,
      linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 2 },
    };
    expect(stepBakeMinutes(config)).toBe(6);
    expect(ecsWaitBudget({ waitForMinutes: 30, waitUntil: 'ready', config }, 0).deadline).toBe(30 * 60_000);
    expect(ecsWaitBudget({ waitForMinutes: 30, waitUntil: 'traffic-shifted', config }, 0).deadline).toBe(
      36 * 60_000,
    );
    const succeeded = ecsWaitBudget({ waitForMinutes: 30, waitUntil: 'succeeded', config }, 0);
    expect(succeeded.deadline).toBe(56 * 60_000);
    expect(succeeded.note).toContain('the bake time (20 min)');
  });
});
