import { beforeEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import {
  CodeDeployClient,
  GetDeploymentCommand,
  GetDeploymentTargetCommand,
  StopDeploymentCommand,
  type DeploymentInfo,
} from '@aws-sdk/client-codedeploy';
import {
  conclude,
  finishFollow,
  followTo,
  rollbackOnGivingUp,
  startFollow,
  type Follow,
} from '../../../src/commands/follow.js';
import { newCodeDeployPart, newDeploymentRecord, type DeploymentRecord } from '../../../src/record/record.js';
import { CodeDeployFollower } from '../../../src/engines/codedeploy/follower.js';
import { codeDeployEngine } from '../../../src/engines/codedeploy/index.js';
import { DeploymentError } from '../../../src/action/errors.js';
import { phaseAfterFollowing } from '../../../src/commands/phase.js';
import {
  DEPLOYMENT_ID,
  TARGET_ID,
  deployment,
  event,
  events,
  target,
} from '../../helpers/codedeploy-fixtures.js';
import { awsError, fakeRuntime, type FakeRuntime, errorOf } from '../../helpers/fake-runtime.js';

const cd = mockClient(CodeDeployClient);
const ROLLBACK_ID = 'd-ROLLBACK01';

beforeEach(() => {
  cd.reset();
});

/** A follow of DEPLOYMENT_ID through the CodeDeploy engine's follower, with its record at hand. */
type TestFollow = Follow & { record: DeploymentRecord; follower: CodeDeployFollower };

function makeFollow(
  rt: FakeRuntime,
  rules: Partial<{ rollbackOnCancel: boolean; rollbackOnFailure: boolean }> = {},
): TestFollow {
  const record = newDeploymentRecord({
    engine: 'codedeploy',
    deploymentId: DEPLOYMENT_ID,
    region: 'us-east-1',
    codedeploy: newCodeDeployPart({ application: 'AppECS-prod-web', deploymentGroup: 'DgpECS-prod-web' }),
    cluster: 'prod',
    service: 'web',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:43',
    images: [],
    waitUntil: 'succeeded',
    startedAt: rt.clock.now(),
    status: 'Created',
  });
  const ctx = { rt, clients: rt.makeClients({ region: 'us-east-1' }), region: 'us-east-1' };
  const follower = new CodeDeployFollower(codeDeployEngine, ctx, record, {
    targetId: TARGET_ID,
    terminationWaitMinutes: 0,
  });
  const follow = startFollow(rt, follower, { rollbackOnCancel: true, rollbackOnFailure: true, ...rules });
  return { ...follow, follower, record };
}

/**
 * DEPLOYMENT_ID stays InProgress until StopDeployment; then it is Stopped and (with `rollback`) CodeDeploy
 * runs ROLLBACK_ID, which succeeds 10 s later.
 */
function stuckUntilStopped(rt: FakeRuntime, rollback = true): void {
  let stoppedAt: number | undefined;
  cd.on(StopDeploymentCommand).callsFake(() => {
    stoppedAt = rt.clock.now();
    return { status: 'Pending' };
  });
  cd.on(GetDeploymentCommand).callsFake(
    (input: { deploymentId: string }): { deploymentInfo: DeploymentInfo } => {
      if (input.deploymentId === ROLLBACK_ID) {
        const done = stoppedAt !== undefined && rt.clock.now() - stoppedAt >= 10_000;
        return {
          deploymentInfo: deployment(done ? 'Succeeded' : 'InProgress', { deploymentId: ROLLBACK_ID }),
        };
      }
      if (stoppedAt === undefined) return { deploymentInfo: deployment('InProgress') };
      return {
        deploymentInfo: deployment(
          'Stopped',
          rollback ? { rollbackInfo: { rollbackDeploymentId: ROLLBACK_ID } } : {},
        ),
      };
    },
  );
  cd.on(GetDeploymentTargetCommand).resolves({
    deploymentTarget: { ecsTarget: target('InProgress', events(1)) },
  });
}

async function follow(f: TestFollow, deadlineMs = 60_000): Promise<Error | undefined> {
  const budget = {
    deadline: f.rt.clock.now() + deadlineMs,
    note: 'The wait budget was 1 minutes.',
  };
  return errorOf(followTo(f, 'succeeded', budget));
}

describe('followTo: giving up on a deployment in flight', () => {
  it('timeout with rollback-on-failure stops it with rollback, says so and follows the rollback', async () => {
    const rt = fakeRuntime();
    stuckUntilStopped(rt);
    const f = makeFollow(rt);
    const error = await follow(f);
    expect(error).toBeInstanceOf(DeploymentError);
    expect(error?.message).toContain(
      'Timed out waiting for succeeded: stuck in Install for 50 s; status InProgress, Install in progress',
    );
    expect(cd.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { deploymentId: DEPLOYMENT_ID, autoRollbackEnabled: true },
    ]);
    const said = `Stopped ${DEPLOYMENT_ID} with rollback because the wait timed out (rollback-on-failure).`;
    expect(rt.logText('warning')).toContain(said);
    expect(f.record.notes).toEqual(['The wait budget was 1 minutes.', said]);
    expect(f.record.verdict).toBe('timeout');
    expect(f.record.status).toBe('Stopped');
    expect(f.record.rollback).toEqual({ deploymentId: ROLLBACK_ID, status: 'Succeeded' });
    expect(rt.logText()).toContain(`CodeDeploy is rolling back with deployment ${ROLLBACK_ID}`);
    expect(rt.logText()).toContain(`Rollback ${ROLLBACK_ID}: Succeeded`);
    // the command saves the phase from the verdict: nothing left for the post step
    expect(phaseAfterFollowing(f.record, error, false, true)).toBe('done');
  });

  it('timeout with rollback-on-failure false leaves it alone and says so', async () => {
    const rt = fakeRuntime();
    stuckUntilStopped(rt);
    const f = makeFollow(rt, { rollbackOnFailure: false });
    expect(await follow(f)).toBeInstanceOf(DeploymentError);
    expect(cd.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    expect(f.record.notes).toContain(
      `rollback-on-failure is false: ${DEPLOYMENT_ID} was left as it is after the wait timed out.`,
    );
    expect(f.record.rollback).toBeUndefined();
  });

  it('a deployment that ended meanwhile is not stopped', async () => {
    const rt = fakeRuntime();
    const f = makeFollow(rt);
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('Succeeded') });
    await rollbackOnGivingUp(f, 'the wait timed out');
    expect(cd.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    // the summary says why nothing was stopped, and shows the status it ended in
    expect(f.record.notes).toEqual([`${DEPLOYMENT_ID} had already ended (Succeeded); nothing to stop.`]);
    expect(f.record.status).toBe('Succeeded');
  });

  it('a StopDeployment that is refused is reported with the console link, not thrown', async () => {
    const rt = fakeRuntime();
    const f = makeFollow(rt);
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('InProgress') });
    cd.on(StopDeploymentCommand).rejects(awsError('AccessDeniedException', 'not allowed to stop'));
    await rollbackOnGivingUp(f, 'the wait timed out');
    const warning = rt.logText('warning');
    expect(warning).toContain(
      `Could not stop ${DEPLOYMENT_ID} because the wait timed out (rollback-on-failure)`,
    );
    expect(warning).toContain('not allowed to stop');
    expect(warning).toContain('Stop it in the console: https://us-east-1.console.aws.amazon.com/');
    expect(f.record.notes).toHaveLength(1);
    expect(f.record.status).toBe('Created');
  });

  it('losing track of the deployment fails it and tries to stop it with rollback', async () => {
    const rt = fakeRuntime();
    cd.on(GetDeploymentCommand)
      .rejectsOnce(awsError('AccessDeniedException', 'no read'))
      .resolves({ deploymentInfo: deployment('InProgress') });
    cd.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    const f = makeFollow(rt);
    const error = await follow(f);
    expect(error).toBeInstanceOf(DeploymentError);
    expect(error?.message).toContain(
      `Lost track of ${DEPLOYMENT_ID}: GetDeployment for ${DEPLOYMENT_ID} failed`,
    );
    expect(f.record.verdict).toBe('failed');
    expect(cd.commandCalls(StopDeploymentCommand)).toHaveLength(1);
    expect(rt.logText('warning')).toContain('because the action could not follow it');
  });
});

describe('followRollback', () => {
  it('records how the rollback ended, logging its progress with a prefix', async () => {
    const rt = fakeRuntime();
    const f = makeFollow(rt);
    cd.on(GetDeploymentCommand).resolves({
      deploymentInfo: deployment('Failed', { deploymentId: ROLLBACK_ID }),
    });
    cd.on(GetDeploymentTargetCommand).resolves({
      deploymentTarget: { ecsTarget: target('Failed', events(1, 'Failed')) },
    });
    await f.follower.followRollback(ROLLBACK_ID);
    expect(f.record.rollback).toEqual({ deploymentId: ROLLBACK_ID, status: 'Failed' });
    expect(rt.lines.some((l) => l.level === 'info' && l.message.startsWith('  rollback '))).toBe(true);
    expect(f.record.deploymentId).toBe(DEPLOYMENT_ID);
  });

  it('a rollback that cannot be read is recorded as not followed', async () => {
    const rt = fakeRuntime();
    const f = makeFollow(rt);
    cd.on(GetDeploymentCommand).rejects(awsError('AccessDeniedException', 'no read'));
    await f.follower.followRollback(ROLLBACK_ID);
    expect(f.record.rollback?.deploymentId).toBe(ROLLBACK_ID);
    expect(f.record.rollback?.status).toMatch(/^not followed \(.*no read.*\)$/);
  });
});

describe('conclude', () => {
  const at = 0;

  it('reached Succeeded is a success; reached short of it says CodeDeploy carries on', async () => {
    const rt = fakeRuntime();
    const f = makeFollow(rt);
    await conclude(
      f,
      { kind: 'reached', observation: { at, deployment: deployment('Succeeded') } },
      'succeeded',
      '',
    );
    expect(f.record.verdict).toBe('succeeded');
    expect(f.record.verdictText).toBe(`Deployment ${DEPLOYMENT_ID} succeeded.`);

    const g = makeFollow(rt);
    await conclude(
      g,
      {
        kind: 'reached',
        observation: { at, deployment: deployment('InProgress'), target: target('Succeeded', events(8)) },
      },
      'traffic-shifted',
      '',
    );
    expect(g.record.verdict).toBe('reached');
    expect(g.record.verdictText).toBe(
      `Deployment ${DEPLOYMENT_ID} reached traffic-shifted (status InProgress); CodeDeploy carries on without this job.`,
    );
    expect(phaseAfterFollowing(g.record, undefined, false, true)).toBe('done');
  });

  it('failed: names the failed event, notes that no rollback started, and throws', async () => {
    const rt = fakeRuntime();
    const f = makeFollow(rt);
    const failed = deployment('Failed', {
      errorInformation: { code: 'HEALTH_CONSTRAINTS', message: 'unhealthy' },
    });
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: failed });
    const failedTarget = target('Failed', [...events(2).slice(0, 2), event('AfterInstall', 'Failed')]);
    const error = await conclude(
      f,
      { kind: 'failed', observation: { at, deployment: failed, target: failedTarget } },
      'succeeded',
      '',
    ).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(DeploymentError);
    expect(f.record.verdict).toBe('failed');
    expect(f.record.verdictText).toBe(`Deployment ${DEPLOYMENT_ID} failed in AfterInstall.`);
    expect(f.record.codedeploy?.errorInformation).toEqual({
      code: 'HEALTH_CONSTRAINTS',
      message: 'unhealthy',
    });
    expect(f.record.notes.join('\n')).toMatch(
      /CodeDeploy started no rollback: automatic rollback is not enabled/,
    );
    expect(rt.logText()).toMatch(/CodeDeploy started no rollback/);
    expect(cd.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });

  it('stopped: the verdict is stopped and the rollback CodeDeploy started is followed', async () => {
    const rt = fakeRuntime();
    const f = makeFollow(rt);
    cd.on(GetDeploymentCommand, { deploymentId: DEPLOYMENT_ID }).resolves({
      deploymentInfo: deployment('Stopped', { rollbackInfo: { rollbackDeploymentId: ROLLBACK_ID } }),
    });
    cd.on(GetDeploymentCommand, { deploymentId: ROLLBACK_ID }).resolves({
      deploymentInfo: deployment('Succeeded', { deploymentId: ROLLBACK_ID }),
    });
    cd.on(GetDeploymentTargetCommand).resolves({
      deploymentTarget: { ecsTarget: target('Succeeded', events(8)) },
    });
    const error = await conclude(
      f,
      { kind: 'failed', observation: { at, deployment: deployment('Stopped') } },
      'succeeded',
      '',
    ).catch((e: unknown) => e as Error);
    expect(error?.message).toBe(`Deployment ${DEPLOYMENT_ID} stopped.`);
    expect(f.record.verdict).toBe('stopped');
    expect(f.record.rollback).toEqual({ deploymentId: ROLLBACK_ID, status: 'Succeeded' });
  });

  it('timeout before CodeDeploy answered says so', async () => {
    const rt = fakeRuntime();
    const f = makeFollow(rt, { rollbackOnFailure: false });
    const error = await conclude(f, { kind: 'timeout' }, 'ready', 'budget').catch((e: unknown) => e as Error);
    expect(error?.message).toBe('Timed out waiting for ready: CodeDeploy had not answered yet');
    expect(rt.lines.find((l) => l.level === 'error')?.title).toBe(`Deployment ${DEPLOYMENT_ID} timed out`);
  });

  it('aborted with a refused stop keeps the phase cancelled for the post step', async () => {
    const rt = fakeRuntime();
    const f = makeFollow(rt);
    cd.on(StopDeploymentCommand).rejects(awsError('AccessDeniedException', 'no stop'));
    const error = await conclude(
      f,
      { kind: 'aborted', observation: { at, deployment: deployment('InProgress') } },
      'succeeded',
      '',
    ).catch((e: unknown) => e as Error);
    expect(error?.message).toContain(
      `The run was cancelled while following ${DEPLOYMENT_ID} (status InProgress)`,
    );
    expect(f.record.verdict).toBe('cancelled');
    expect(rt.logText('warning')).toContain(`Could not stop ${DEPLOYMENT_ID}`);
    expect(phaseAfterFollowing(f.record, error, true, true)).toBe('cancelled');
    // with rollback-on-cancel false there is nothing for the post step to do
    expect(phaseAfterFollowing(f.record, error, true, false)).toBe('done');
  });
});

describe('finishFollow', () => {
  it('writes the summary once and outputs the last known status', async () => {
    const rt = fakeRuntime();
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('Succeeded') });
    cd.on(GetDeploymentTargetCommand).resolves({
      deploymentTarget: { ecsTarget: target('Succeeded', events(8)) },
    });
    const f = makeFollow(rt);
    try {
      await followTo(f, 'succeeded', { deadline: rt.clock.now() + 60_000, note: '' });
    } finally {
      await finishFollow(f);
    }
    expect(rt.summaries).toHaveLength(1);
    expect(rt.summaries[0]).toContain(`Deployment ${DEPLOYMENT_ID} succeeded.`);
    expect(rt.outputs['deployment-status']).toBe('Succeeded');
    expect(rt.logText()).toMatch(new RegExp(`Followed ${DEPLOYMENT_ID} with \\d+ CodeDeploy reads`));
  });

  it('a summary that cannot be written is a warning, not a failure', async () => {
    const rt = fakeRuntime();
    rt.writeSummary = async () => {
      throw new Error('disk full');
    };
    const f = makeFollow(rt);
    await finishFollow(f);
    expect(rt.logText('warning')).toContain('Could not write the job summary: disk full');
    expect(rt.outputs['deployment-status']).toBe('Created');
    expect(rt.logText()).not.toContain('CodeDeploy reads');
  });
});
