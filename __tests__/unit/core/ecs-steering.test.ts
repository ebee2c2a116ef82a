/**
 * promote and rollback for services with the ECS deployment controller (commands/promote-ecs.ts,
 * rollback-ecs.ts): what they decide from the service deployment as read, with ECS mocked.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  ListServiceDeploymentsCommand,
  ListTaskDefinitionsCommand,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { ListDeploymentsCommand } from '@aws-sdk/client-codedeploy';
import { runPromote } from '../../../src/commands/promote.js';
import { runRollback } from '../../../src/commands/rollback.js';
import { ecsPromoteStep, pausedElsewhere } from '../../../src/engines/ecs/locate.js';
import { DeploymentError, InputError } from '../../../src/action/errors.js';
import { fakeRuntime, type FakeRuntime, errorOf } from '../../helpers/fake-runtime.js';
import { cd, ecs, service, setUpWorld, restoreWorkspaceAfterAll } from '../../helpers/aws-world.js';

restoreWorkspaceAfterAll();
beforeEach(() => {
  setUpWorld();
  ecs.on(DescribeServicesCommand).resolves({
    services: [
      service({ deploymentController: { type: 'ECS' }, deploymentConfiguration: { strategy: 'BLUE_GREEN' } }),
    ],
  });
});

const ARN = 'arn:aws:ecs:us-east-1:111122223333:service-deployment/prod/web/abc123';
const NEW_ARN = 'arn:aws:ecs:us-east-1:111122223333:service-deployment/prod/web/new456';
const REV_NEW = 'arn:aws:ecs:us-east-1:111122223333:service-revision/prod/web/2';
const REV_OLD = 'arn:aws:ecs:us-east-1:111122223333:service-revision/prod/web/1';
const TD = 'arn:aws:ecs:us-east-1:111122223333:task-definition/web';

function sd(status: string, extra: Partial<ServiceDeployment> = {}): ServiceDeployment {
  return {
    serviceDeploymentArn: ARN,
    status: status as ServiceDeployment['status'],
    deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0 },
    targetServiceRevision: { arn: REV_NEW, requestedTaskCount: 2, runningTaskCount: 2 },
    sourceServiceRevisions: [{ arn: REV_OLD, requestedTaskCount: 2, runningTaskCount: 2 }],
    ...extra,
  };
}

const paused = (hookId = 'hook-1', stage = 'POST_TEST_TRAFFIC_SHIFT') =>
  sd('IN_PROGRESS', {
    lifecycleStage: stage as ServiceDeployment['lifecycleStage'],
    lifecycleHookDetails: [{ hookId, targetType: 'PAUSE', status: 'AWAITING_ACTION' }],
  });

/** The deployment reads `before` until the first steering call, then `after` in turn, one per read. */
function timeline(before: ServiceDeployment, after: ServiceDeployment[]): void {
  let steered = false;
  let i = 0;
  ecs.on(ContinueServiceDeploymentCommand).callsFake(() => {
    steered = true;
    return {};
  });
  ecs.on(StopServiceDeploymentCommand).callsFake(() => {
    steered = true;
    return { serviceDeploymentArn: ARN };
  });
  ecs.on(DescribeServiceDeploymentsCommand).callsFake(() => ({
    serviceDeployments: [steered ? (after[Math.min(i++, after.length - 1)] as ServiceDeployment) : before],
  }));
  ecs.on(DescribeServiceRevisionsCommand).callsFake((input: { serviceRevisionArns: string[] }) => ({
    serviceRevisions: [
      {
        serviceRevisionArn: input.serviceRevisionArns[0],
        taskDefinition: `${TD}:${input.serviceRevisionArns[0]?.endsWith('/2') ? 2 : 1}`,
      },
    ],
  }));
}

const base = { 'aws-region': 'us-east-1' };

describe('ecsPromoteStep', () => {
  it('continues the pause hook it waits in; SUCCESSFUL is nothing to promote; rolled back is reported', () => {
    expect(ecsPromoteStep(ARN, paused())).toEqual({
      kind: 'continue',
      hook: expect.objectContaining({ hookId: 'hook-1' }),
    });
    expect(ecsPromoteStep(ARN, sd('SUCCESSFUL'))).toEqual({ kind: 'already-succeeded' });
    expect(ecsPromoteStep(ARN, sd('ROLLBACK_SUCCESSFUL'))).toEqual({ kind: 'already-ended' });
    expect(ecsPromoteStep(ARN, sd('ROLLBACK_IN_PROGRESS'))).toEqual({ kind: 'already-ended' });
  });

  it('not paused: an input error naming the stage it is in and what to do', () => {
    const running = sd('IN_PROGRESS', { lifecycleStage: 'SCALE_UP' });
    expect(() => ecsPromoteStep(ARN, running)).toThrow(InputError);
    expect(() => ecsPromoteStep(ARN, running)).toThrow(
      /is IN_PROGRESS at stage SCALE_UP, not waiting in a pause hook.*Promote once the deployment waits in a PAUSE lifecycle hook/,
    );
  });

  it('pausedElsewhere: another hook waiting, not the one continued, not while rolling back', () => {
    expect(pausedElsewhere({ at: 0, deployment: paused('hook-1') }, 'hook-1')).toBeUndefined();
    expect(pausedElsewhere({ at: 0, deployment: paused('hook-2') }, 'hook-1')?.hookId).toBe('hook-2');
    const undoing = { ...paused('hook-2'), status: 'ROLLBACK_IN_PROGRESS' as const };
    expect(pausedElsewhere({ at: 0, deployment: undoing }, 'hook-1')).toBeUndefined();
  });
});

function runP(rt: FakeRuntime): Promise<Error | undefined> {
  return errorOf(runPromote(rt));
}

describe('runPromote, ECS deployment controller', () => {
  const shifted = sd('IN_PROGRESS', {
    lifecycleStage: 'BAKE_TIME',
    targetServiceRevision: {
      arn: REV_NEW,
      requestedProductionTrafficWeight: 100,
      requestedTestTrafficWeight: 100,
    },
  });

  it('by ARN: ContinueServiceDeployment(hookId, CONTINUE), then followed to traffic-shifted', async () => {
    const rt = fakeRuntime({ inputs: { ...base, 'deployment-id': ARN } });
    timeline(paused(), [sd('IN_PROGRESS', { lifecycleStage: 'PRODUCTION_TRAFFIC_SHIFT' }), shifted]);
    expect(await runP(rt)).toBeUndefined();
    expect(ecs.commandCalls(ContinueServiceDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { serviceDeploymentArn: ARN, hookId: 'hook-1', action: 'CONTINUE' },
    ]);
    expect(rt.outputs['deployment-id']).toBe(ARN);
    expect(rt.outputs['deployment-status']).toBe('IN_PROGRESS');
    expect(rt.outputs['codedeploy-deployment-id']).toBeUndefined();
    expect(rt.logText()).toMatch(/reached traffic-shifted/);
    expect(rt.summaries[0]).toContain('Promoted: pause hook hook-1 at POST\\_TEST\\_TRAFFIC\\_SHIFT');
  });

  it('by service: finds the deployment in flight (ListServiceDeployments) and continues it', async () => {
    const rt = fakeRuntime({
      inputs: { ...base, service: 'web', cluster: 'prod', 'wait-until': 'succeeded' },
    });
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [{ serviceDeploymentArn: ARN, status: 'IN_PROGRESS', createdAt: new Date(0) }],
    });
    timeline(paused(), [shifted, sd('SUCCESSFUL')]);
    expect(await runP(rt)).toBeUndefined();
    expect(ecs.commandCalls(ListServiceDeploymentsCommand)[0]?.args[0].input).toMatchObject({
      cluster: 'prod',
      service: 'web',
      status: expect.arrayContaining(['PENDING', 'IN_PROGRESS']),
    });
    expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(1);
    expect(rt.outputs['deployment-status']).toBe('SUCCESSFUL');
  });

  it('by service with nothing in flight: an input error, nothing continued', async () => {
    const rt = fakeRuntime({ inputs: { ...base, service: 'web', cluster: 'prod' } });
    ecs.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
    const error = await runP(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toMatch(/service 'prod\/web'.*no service deployment in flight/);
    expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(0);
  });

  it('by service of a CODE_DEPLOY service: an input error asking for deployment-id', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [service()] });
    const rt = fakeRuntime({ inputs: { ...base, service: 'web', cluster: 'prod' } });
    expect((await runP(rt))?.message).toMatch(/CODE_DEPLOY deployment controller.*deployment-id/);
  });

  it('already SUCCESSFUL: nothing to promote, success, no call', async () => {
    const rt = fakeRuntime({ inputs: { ...base, 'deployment-id': ARN } });
    timeline(sd('SUCCESSFUL'), []);
    expect(await runP(rt)).toBeUndefined();
    expect(rt.logText()).toMatch(/already succeeded; nothing to promote/);
    expect(rt.outputs['deployment-status']).toBe('SUCCESSFUL');
    expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(0);
  });

  it('not paused: fails with an input error before any call', async () => {
    const rt = fakeRuntime({ inputs: { ...base, 'deployment-id': ARN } });
    timeline(sd('IN_PROGRESS', { lifecycleStage: 'SCALE_UP' }), []);
    const error = await runP(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toMatch(/stage SCALE_UP/);
    expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(0);
  });

  it('LINEAR pausing again at the next step: continues the current pause only and says to promote again', async () => {
    const rt = fakeRuntime({ inputs: { ...base, 'deployment-id': ARN } });
    timeline(paused('step-1', 'PRE_PRODUCTION_TRAFFIC_SHIFT'), [
      sd('IN_PROGRESS', { lifecycleStage: 'PRODUCTION_TRAFFIC_SHIFT' }),
      paused('step-2', 'PRE_PRODUCTION_TRAFFIC_SHIFT'),
    ]);
    expect(await runP(rt)).toBeUndefined();
    expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(1);
    expect(rt.logText()).toMatch(
      /Pause hook step-1 was continued; service deployment \S+ now waits in pause hook step-2 at PRE_PRODUCTION_TRAFFIC_SHIFT.*Promote again/,
    );
    expect(rt.outputs['deployment-status']).toBe('IN_PROGRESS');
  });

  it('an ARN in another region than aws-region is an input error', async () => {
    const rt = fakeRuntime({ inputs: { 'aws-region': 'eu-west-1', 'deployment-id': ARN } });
    const error = await runP(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toMatch(/in us-east-1, but aws-region is eu-west-1/);
  });
});

function runR(rt: FakeRuntime): Promise<Error | undefined> {
  return errorOf(runRollback(rt));
}

describe('runRollback, ECS deployment controller', () => {
  it('a deployment in flight: StopServiceDeployment ROLLBACK, the rollback followed to ROLLBACK_SUCCESSFUL', async () => {
    const rt = fakeRuntime({ inputs: { ...base, 'deployment-id': ARN } });
    timeline(sd('IN_PROGRESS', { lifecycleStage: 'BAKE_TIME' }), [
      sd('ROLLBACK_IN_PROGRESS', {
        lifecycleStage: 'PRODUCTION_TRAFFIC_SHIFT',
        rollback: { reason: 'asked' },
      }),
      sd('ROLLBACK_SUCCESSFUL', { rollback: { reason: 'asked' } }),
    ]);
    expect(await runR(rt)).toBeUndefined();
    expect(ecs.commandCalls(StopServiceDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { serviceDeploymentArn: ARN, stopType: 'ROLLBACK' },
    ]);
    expect(rt.outputs['deployment-id']).toBe(ARN);
    expect(rt.outputs['deployment-status']).toBe('ROLLBACK_SUCCESSFUL');
    expect(rt.outputs['rollback-status']).toBe('ROLLBACK_SUCCESSFUL');
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('a rollback that fails fails the step', async () => {
    const rt = fakeRuntime({ inputs: { ...base, 'deployment-id': ARN } });
    timeline(sd('IN_PROGRESS', { lifecycleStage: 'BAKE_TIME' }), [
      sd('ROLLBACK_FAILED', { rollback: { reason: 'x' } }),
    ]);
    const error = await runR(rt);
    expect(error).toBeInstanceOf(DeploymentError);
    expect(rt.outputs['rollback-status']).toBe('ROLLBACK_FAILED');
  });

  it('by service with a deployment in flight: stops that one', async () => {
    const rt = fakeRuntime({ inputs: { ...base, service: 'web', cluster: 'prod' } });
    ecs.on(ListServiceDeploymentsCommand).resolves({
      serviceDeployments: [{ serviceDeploymentArn: ARN, status: 'IN_PROGRESS', createdAt: new Date(0) }],
    });
    timeline(sd('IN_PROGRESS', { lifecycleStage: 'SCALE_UP' }), [
      sd('ROLLBACK_SUCCESSFUL', { rollback: {} }),
    ]);
    expect(await runR(rt)).toBeUndefined();
    expect(ecs.commandCalls(StopServiceDeploymentCommand)).toHaveLength(1);
  });

  it('by service with nothing in flight: UpdateService with the source revision of the last SUCCESSFUL deployment', async () => {
    const rt = fakeRuntime({
      inputs: {
        ...base,
        service: 'web',
        cluster: 'prod',
        'wait-until': 'succeeded',
        'deregister-rolled-back-revision': 'true',
      },
    });
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        service({
          deploymentController: { type: 'ECS' },
          taskDefinition: `${TD}:2`,
          deploymentConfiguration: { strategy: 'BLUE_GREEN' },
        }),
      ],
    });
    let updated = false;
    ecs.on(UpdateServiceCommand).callsFake(() => {
      updated = true;
      return {};
    });
    ecs.on(ListServiceDeploymentsCommand).callsFake((input: { status?: string[] }) => {
      if (input.status?.includes('SUCCESSFUL'))
        return {
          serviceDeployments: [{ serviceDeploymentArn: ARN, status: 'SUCCESSFUL', createdAt: new Date(0) }],
        };
      if (input.status) return { serviceDeployments: [] };
      return updated
        ? {
            serviceDeployments: [
              { serviceDeploymentArn: NEW_ARN, targetServiceRevisionArn: REV_OLD, createdAt: new Date() },
            ],
          }
        : { serviceDeployments: [] };
    });
    ecs.on(DescribeServiceDeploymentsCommand).callsFake((input: { serviceDeploymentArns: string[] }) =>
      input.serviceDeploymentArns[0] === ARN
        ? { serviceDeployments: [sd('SUCCESSFUL')] }
        : {
            serviceDeployments: [
              sd('SUCCESSFUL', { serviceDeploymentArn: NEW_ARN, targetServiceRevision: { arn: REV_OLD } }),
            ],
          },
    );
    ecs.on(DescribeServiceRevisionsCommand).callsFake((input: { serviceRevisionArns: string[] }) => ({
      serviceRevisions: [{ taskDefinition: `${TD}:${input.serviceRevisionArns[0]?.endsWith('/2') ? 2 : 1}` }],
    }));
    expect(await runR(rt)).toBeUndefined();
    expect(ecs.commandCalls(UpdateServiceCommand).map((c) => c.args[0].input)).toEqual([
      { cluster: 'prod', service: 'web', taskDefinition: `${TD}:1` },
    ]);
    expect(ecs.commandCalls(StopServiceDeploymentCommand)).toHaveLength(0);
    expect(rt.outputs['deployment-id']).toBe(NEW_ARN);
    expect(rt.outputs['task-definition-arn']).toBe(`${TD}:1`);
    expect(rt.outputs['deployment-status']).toBe('SUCCESSFUL');
    expect(rt.outputs['deregistered-task-definition-arn']).toBe(`${TD}:2`);
    expect(rt.logText()).toMatch(/the source revision of/);
  });

  it('nothing in flight and no earlier revision: an input error, nothing updated', async () => {
    const rt = fakeRuntime({ inputs: { ...base, service: 'web', cluster: 'prod' } });
    ecs.on(ListServiceDeploymentsCommand).resolves({ serviceDeployments: [] });
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [`${TD}:42`] });
    const error = await runR(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toMatch(/nothing to roll back to/i);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  it('an ARN that ended, without service: an input error saying to give the service', async () => {
    const rt = fakeRuntime({ inputs: { ...base, 'deployment-id': ARN } });
    timeline(sd('SUCCESSFUL'), []);
    const error = await runR(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toMatch(/not in flight.*give 'service'/);
  });

  it('codedeploy-application given: the CodeDeploy path, whatever the controller', async () => {
    const rt = fakeRuntime({
      inputs: { ...base, service: 'web', cluster: 'prod', 'codedeploy-application': 'AppECS-prod-web' },
    });
    await runR(rt);
    expect(ecs.commandCalls(ListServiceDeploymentsCommand)).toHaveLength(0);
    expect(cd.commandCalls(ListDeploymentsCommand).length).toBeGreaterThan(0);
  });
});
