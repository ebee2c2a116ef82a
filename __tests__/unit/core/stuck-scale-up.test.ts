/**
 * A stuck scale-up of an ECS service deployment, explained (issue #11): when it counts as stuck and which
 * stopped tasks are the target revision's (ecs/diagnostics.ts), and the shared diagnostics class with the
 * ECS subject (commands/stuck-install.ts), down to the ECS job summary.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  type ServiceDeployment,
  type Task,
} from '@aws-sdk/client-ecs';
import {
  failedInScaleUp,
  inScaleUp,
  scaleUpStuckForMs,
  scaleUpSubject,
  targetRevisionGroup,
} from '../../../src/engines/ecs/diagnostics.js';
import type { EcsObservation } from '../../../src/engines/ecs/progress.js';
import { START_MS, fakeRuntime } from '../../helpers/fake-runtime.js';
import { ecsSummary } from '../../../src/engines/ecs/summary.js';
import { renderJobSummary } from '../../../src/record/summary.js';
import { newDeploymentRecord } from '../../../src/record/record.js';
import {
  StuckTasksDiagnostics,
  stuckTasksThresholdMs as stuckInstallThresholdMs,
} from '../../../src/engine/stuck-tasks.js';

const TD = 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:8';
const OLD_TD = 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:7';
const ARN = 'arn:aws:ecs:us-east-1:111122223333:service-deployment/prod/web/abc';
const REVISION = 'arn:aws:ecs:us-east-1:111122223333:service-revision/prod/web/999';
const THRESHOLD = stuckInstallThresholdMs(60);

const ecs = mockClient(ECSClient);
beforeEach(() => {
  ecs.reset();
});

function deployment(over: Partial<ServiceDeployment> = {}): ServiceDeployment {
  return {
    serviceDeploymentArn: ARN,
    status: 'IN_PROGRESS',
    createdAt: new Date(START_MS),
    targetServiceRevision: { arn: REVISION, requestedTaskCount: 2, runningTaskCount: 0, pendingTaskCount: 2 },
    ...over,
  };
}

function look(at: number, over: Partial<ServiceDeployment> = {}, stageSeenAt = START_MS): EcsObservation {
  return { at, deployment: deployment(over), stageSeenAt };
}

function stopped(n: number, over: Partial<Task> = {}): Task {
  return {
    taskArn: `arn:aws:ecs:us-east-1:111122223333:task/prod/${String(n).padStart(32, '0')}`,
    taskDefinitionArn: TD,
    startedBy: 'ecs-svc/123',
    lastStatus: 'STOPPED',
    createdAt: new Date(START_MS + 5000),
    stoppedAt: new Date(START_MS + 20_000 + n),
    stoppedReason: 'Essential container in task exited',
    stopCode: 'EssentialContainerExited',
    containers: [{ name: 'web', exitCode: 137, reason: 'OutOfMemoryError' }],
    ...over,
  };
}

describe('when a scale-up is stuck', () => {
  it('SCALE_UP counts from when the stage was first seen, past 3 min + the grace period', () => {
    const o = look(0, { lifecycleStage: 'SCALE_UP' }, START_MS);
    expect(scaleUpStuckForMs(o, START_MS + THRESHOLD, THRESHOLD)).toBeUndefined();
    expect(scaleUpStuckForMs(o, START_MS + THRESHOLD + 1000, THRESHOLD)).toBe(THRESHOLD + 1000);
  });

  it('another stage, a rollback or an ended deployment is not a stuck scale-up', () => {
    const late = START_MS + 2 * THRESHOLD;
    expect(scaleUpStuckForMs(look(0, { lifecycleStage: 'BAKE_TIME' }), late, THRESHOLD)).toBeUndefined();
    expect(
      scaleUpStuckForMs(
        look(0, { lifecycleStage: 'SCALE_UP', status: 'ROLLBACK_IN_PROGRESS' }),
        late,
        THRESHOLD,
      ),
    ).toBeUndefined();
    expect(
      scaleUpStuckForMs(look(0, { lifecycleStage: 'SCALE_UP', status: 'SUCCESSFUL' }), late, THRESHOLD),
    ).toBeUndefined();
  });

  it('ROLLING (no stage): while the target revision runs fewer tasks than requested', () => {
    const late = START_MS + 2 * THRESHOLD;
    expect(inScaleUp(look(0))).toBe(true);
    expect(scaleUpStuckForMs(look(0), late, THRESHOLD)).toBe(2 * THRESHOLD);
    const full = { arn: REVISION, requestedTaskCount: 2, runningTaskCount: 2, pendingTaskCount: 0 };
    expect(inScaleUp(look(0, { targetServiceRevision: full }))).toBe(false);
    expect(scaleUpStuckForMs(look(0, { targetServiceRevision: full }), late, THRESHOLD)).toBeUndefined();
  });

  it('a verdict is in the scale-up with the circuit breaker triggered or a rollback from SCALE_UP, not after the bake', () => {
    const rolledBack = { status: 'ROLLBACK_IN_PROGRESS' as const, rollback: { reason: 'x' } };
    const full = { arn: REVISION, requestedTaskCount: 2, runningTaskCount: 2, pendingTaskCount: 0 };
    expect(
      failedInScaleUp(
        look(0, { ...rolledBack, deploymentCircuitBreaker: { status: 'TRIGGERED' } }),
        undefined,
      ),
    ).toBe(true);
    expect(failedInScaleUp(look(0, { ...rolledBack, targetServiceRevision: full }), 'SCALE_UP')).toBe(true);
    expect(failedInScaleUp(look(0, { ...rolledBack, targetServiceRevision: full }), 'BAKE_TIME')).toBe(false);
    expect(
      failedInScaleUp(
        { ...look(0, { lifecycleStage: 'BAKE_TIME', targetServiceRevision: full }) },
        undefined,
      ),
    ).toBe(false);
  });
});

describe('which tasks are the target revision', () => {
  it('the group is the target revision with its counts and the deployment time', () => {
    expect(targetRevisionGroup(look(0), TD)).toEqual({
      id: '999',
      taskDefinition: TD,
      desired: 2,
      running: 0,
      pending: 2,
      createdAt: START_MS,
    });
    expect(targetRevisionGroup(look(0, { targetServiceRevision: undefined }), TD)).toBeUndefined();
  });

  it('a stopped task counts when it runs the deployed task definition and was created after the deployment, whatever its startedBy', () => {
    const group = targetRevisionGroup(look(0), TD);
    if (!group) throw new Error('no group');
    expect(scaleUpSubject.isTaskOf(stopped(1), group)).toBe(true);
    expect(scaleUpSubject.isTaskOf(stopped(2, { taskDefinitionArn: OLD_TD }), group)).toBe(false);
    expect(scaleUpSubject.isTaskOf(stopped(3, { createdAt: new Date(START_MS - 60_000) }), group)).toBe(
      false,
    );
  });
});

describe('StuckTasksDiagnostics with the ECS subject', () => {
  it('reads past the threshold, tells each reason once in the log and the ECS summary (escaped), ignores other tasks', async () => {
    const rt = fakeRuntime();
    const record = newDeploymentRecord({
      startedAt: START_MS,
      deploymentId: ARN,
      cluster: 'prod',
      service: 'web',
      taskDefinitionArn: TD,
      region: 'us-east-1',
      waitUntil: 'succeeded',
      images: [],
      engine: 'ecs',
      ecs: { strategy: 'ROLLING', stages: [], traffic: [], hooks: [] },
    });
    const diagnostics = new StuckTasksDiagnostics(
      rt,
      record,
      { ecs: rt.makeClients({ region: 'us-east-1' }).ecs, healthCheckGracePeriodSeconds: 60 },
      scaleUpSubject,
    );
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceName: 'web',
          events: [
            {
              id: 'e1',
              createdAt: new Date(START_MS + 1000),
              message: '(service web) has started 2 tasks: (task a).',
            },
            {
              id: 'e2',
              createdAt: new Date(START_MS + 30_000),
              message: '(service web) deployment failed: tasks failed to start <b>|</b>.',
            },
          ],
        },
      ],
    });
    ecs.on(ListTasksCommand).resolves({ taskArns: [1, 2, 3, 4].map((n) => stopped(n).taskArn as string) });
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [
        stopped(1),
        stopped(2),
        stopped(3, { taskDefinitionArn: OLD_TD }),
        stopped(4, { createdAt: new Date(START_MS - 1) }),
      ],
    });

    rt.clock.set(START_MS + THRESHOLD);
    await diagnostics.onLook(look(rt.clock.now()));
    expect(ecs.calls()).toHaveLength(0);

    rt.clock.set(START_MS + THRESHOLD + 1000);
    await diagnostics.onLook(look(rt.clock.now()));
    const log = rt.logText('info');
    expect(log).toContain(
      'Scale-up has run 4m 01s, longer than 3 min plus the 60s health check grace period',
    );
    expect(log).toContain('target revision 999: 0/2 running, 2 pending');
    const reason =
      'Stopped task: Essential container in task exited (EssentialContainerExited) — container web: exit code 137, OutOfMemoryError';
    expect(log.split(reason).length - 1).toBe(1);
    expect(log).toContain('Service event: (service web) deployment failed');
    expect(log).not.toContain('has started');
    expect(record.tasksDiagnosis?.reasons.map((r) => [r.kind, r.count])).toEqual([
      ['stopped-task', 2],
      ['service-event', 1],
    ]);
    expect(rt.lines.filter((l) => l.level !== 'info')).toEqual([]);

    record.verdict = 'failed';
    const summary = renderJobSummary(record, ecsSummary(record));
    expect(summary).toContain("### Why the new revision's tasks do not start");
    expect(summary).toContain('Target revision `999`: 0/2 running, 2 pending.');
    expect(summary).toContain('exit code 137, OutOfMemoryError | 2 tasks |');
    expect(summary).not.toContain('<b>');
  });
});
