import { beforeEach, describe, expect, it } from '@jest/globals';
import { DeregisterTaskDefinitionCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import {
  CreateDeploymentCommand,
  GetApplicationRevisionCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  GetDeploymentTargetCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type DeploymentInfo,
  type DeploymentStatus,
} from '@aws-sdk/client-codedeploy';
import { runRollback } from '../../../src/commands/rollback.js';
import { DeploymentError, InputError } from '../../../src/action/errors.js';
import { DEPLOYMENT_ID, deployment, events, target } from '../../helpers/codedeploy-fixtures.js';
import { awsError, fakeRuntime, type FakeRuntime, errorOf } from '../../helpers/fake-runtime.js';
import { cd, ecs, group, setUpWorld, restoreWorkspaceAfterAll } from '../../helpers/aws-world.js';

restoreWorkspaceAfterAll();

beforeEach(() => {
  setUpWorld();
});

const ROLLBACK_ID = 'd-ROLLBACK01';
const NEW_ID = 'd-REDEPLOY01';
const FAMILY = 'arn:aws:ecs:us-east-1:111122223333:task-definition/web';

function appSpecContent(taskDefinition: string): string {
  return JSON.stringify({
    version: '0.0',
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: {
            TaskDefinition: taskDefinition,
            LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 },
          },
        },
      },
    ],
  });
}

const deployedRevision = {
  revisionType: 'AppSpecContent' as const,
  appSpecContent: { sha256: 'abc' },
};

/**
 * The deployment DEPLOYMENT_ID is in flight (InProgress, deploying web:43); StopDeployment stops it and
 * CodeDeploy starts ROLLBACK_ID, which ends `rollbackEnd` 20 s later. Returns when it was seen ended.
 */
function inFlightWorld(
  rt: FakeRuntime,
  options: { rollbackEnd?: DeploymentStatus; rollback?: boolean } = {},
): { rollbackEndedAt: () => number | undefined } {
  let stoppedAt: number | undefined;
  let rollbackEndedAt: number | undefined;
  const { rollbackEnd = 'Succeeded', rollback = true } = options;
  cd.on(StopDeploymentCommand).callsFake(() => {
    stoppedAt = rt.clock.now();
    return { status: 'Pending', statusMessage: 'Stopping' };
  });
  cd.on(GetApplicationRevisionCommand).resolves({
    revision: { ...deployedRevision, appSpecContent: { content: appSpecContent(`${FAMILY}:43`) } },
  });
  cd.on(GetDeploymentCommand).callsFake(
    (input: { deploymentId: string }): { deploymentInfo: DeploymentInfo } => {
      if (input.deploymentId === ROLLBACK_ID) {
        const done = stoppedAt !== undefined && rt.clock.now() - stoppedAt >= 20_000;
        if (done) rollbackEndedAt ??= rt.clock.now();
        return {
          deploymentInfo: deployment(done ? rollbackEnd : 'InProgress', {
            deploymentId: ROLLBACK_ID,
            creator: 'codeDeployRollback',
          }),
        };
      }
      if (stoppedAt === undefined)
        return { deploymentInfo: deployment('InProgress', { revision: deployedRevision }) };
      return {
        deploymentInfo: deployment('Stopped', {
          revision: deployedRevision,
          ...(rollback ? { rollbackInfo: { rollbackDeploymentId: ROLLBACK_ID } } : {}),
        }),
      };
    },
  );
  cd.on(GetDeploymentTargetCommand).callsFake((input: { deploymentId: string }) => {
    return {
      deploymentTarget: {
        ecsTarget: target(
          rollbackEndedAt !== undefined
            ? rollbackEnd === 'Succeeded'
              ? 'Succeeded'
              : 'Failed'
            : 'InProgress',
          rollbackEndedAt !== undefined && rollbackEnd === 'Succeeded' ? events(8) : events(6),
          [],
          { deploymentId: input.deploymentId },
        ),
      },
    };
  });
  return { rollbackEndedAt: () => rollbackEndedAt };
}

function run(rt: FakeRuntime): Promise<Error | undefined> {
  return errorOf(runRollback(rt));
}

describe('runRollback: the deployment given is checked before any change', () => {
  it('refuses a deployment-id of another service than the one given', async () => {
    const rt = fakeRuntime({
      inputs: { 'deployment-id': DEPLOYMENT_ID, service: 'api', cluster: 'prod', 'aws-region': 'us-east-1' },
      env: { GITHUB_RUN_ID: '1' },
    });
    inFlightWorld(rt);
    const error = await run(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain(
      `deployment ${DEPLOYMENT_ID} is a deployment of prod/web, not of prod/api`,
    );
    expect(cd.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });
});

describe('runRollback: a deployment in flight', () => {
  it('deployment-id: stops it with rollback and follows the rollback deployment to its end', async () => {
    const rt = fakeRuntime({
      inputs: { 'deployment-id': DEPLOYMENT_ID, 'aws-region': 'us-east-1', 'wait-until': 'succeeded' },
    });
    inFlightWorld(rt);
    expect(await run(rt)).toBeUndefined();
    expect(cd.commandCalls(StopDeploymentCommand).map((c) => c.args[0].input)).toEqual([
      { deploymentId: DEPLOYMENT_ID, autoRollbackEnabled: true },
    ]);
    expect(rt.outputs['codedeploy-deployment-id']).toBe(DEPLOYMENT_ID);
    expect(rt.outputs['rollback-deployment-id']).toBe(ROLLBACK_ID);
    // the stopped deployment's status, and the rollback's under its own name
    expect(rt.outputs['deployment-status']).toBe('Stopped');
    expect(rt.outputs['rollback-status']).toBe('Succeeded');
    expect(
      cd.commandCalls(GetDeploymentCommand).some((c) => c.args[0].input.deploymentId === ROLLBACK_ID),
    ).toBe(true);
    expect(rt.summaries).toHaveLength(1);
    expect(rt.summaries[0]).toContain(`Rollback of ${DEPLOYMENT_ID} (${FAMILY}:43).`);
    expect(ecs.commandCalls(DeregisterTaskDefinitionCommand)).toHaveLength(0);
  });

  it('service and cluster whose CodeDeploy application does not exist: an input error naming it', async () => {
    cd.on(ListDeploymentsCommand).rejects(
      awsError('ApplicationDoesNotExistException', 'No application found'),
    );
    const rt = fakeRuntime({ inputs: { service: 'web', 'aws-region': 'us-east-1' } });
    const error = await run(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain("CodeDeploy application 'AppECS-default-web': does not exist");
    expect(error?.message).toContain("Check the 'service' and 'cluster' inputs");
    expect(cd.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    expect(cd.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  it('service and cluster: finds the active deployment of the group and rolls it back', async () => {
    cd.on(ListDeploymentsCommand).resolves({ deployments: [DEPLOYMENT_ID] });
    const rt = fakeRuntime({
      inputs: { service: 'web', cluster: 'prod', 'aws-region': 'us-east-1', 'wait-until': 'succeeded' },
    });
    inFlightWorld(rt);
    expect(await run(rt)).toBeUndefined();
    expect(cd.commandCalls(ListDeploymentsCommand)[0]?.args[0].input).toMatchObject({
      applicationName: 'AppECS-prod-web',
      deploymentGroupName: 'DgpECS-prod-web',
    });
    expect(cd.commandCalls(StopDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: DEPLOYMENT_ID,
      autoRollbackEnabled: true,
    });
    expect(rt.outputs['rollback-deployment-id']).toBe(ROLLBACK_ID);
    // the stopped deployment's status, and the rollback's under its own name
    expect(rt.outputs['deployment-status']).toBe('Stopped');
    expect(rt.outputs['rollback-status']).toBe('Succeeded');
    expect(cd.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  it('deregister-rolled-back-revision deregisters the stopped revision once the rollback succeeded', async () => {
    const rt = fakeRuntime({
      inputs: {
        'deployment-id': DEPLOYMENT_ID,
        'aws-region': 'us-east-1',
        'wait-until': 'succeeded',
        'deregister-rolled-back-revision': 'true',
      },
    });
    const world = inFlightWorld(rt);
    let deregisteredAt: number | undefined;
    ecs.on(DeregisterTaskDefinitionCommand).callsFake(() => {
      deregisteredAt = rt.clock.now();
      return {};
    });
    expect(await run(rt)).toBeUndefined();
    expect(ecs.commandCalls(DeregisterTaskDefinitionCommand).map((c) => c.args[0].input)).toEqual([
      { taskDefinition: `${FAMILY}:43` },
    ]);
    expect(rt.outputs['deregistered-task-definition-arn']).toBe(`${FAMILY}:43`);
    expect(world.rollbackEndedAt()).toBeDefined();
    expect(deregisteredAt).toBeGreaterThanOrEqual(world.rollbackEndedAt() as number);
  });

  it('a failed rollback deregisters nothing', async () => {
    const rt = fakeRuntime({
      inputs: {
        'deployment-id': DEPLOYMENT_ID,
        'aws-region': 'us-east-1',
        'wait-until': 'succeeded',
        'deregister-rolled-back-revision': 'true',
      },
    });
    inFlightWorld(rt, { rollbackEnd: 'Failed' });
    const error = await run(rt);
    expect(error).toBeInstanceOf(DeploymentError);
    expect(error?.message).toContain(`Deployment ${ROLLBACK_ID} failed`);
    expect(ecs.commandCalls(DeregisterTaskDefinitionCommand)).toHaveLength(0);
    expect(rt.outputs['deployment-status']).toBe('Stopped');
    expect(rt.outputs['rollback-status']).toBe('Failed');
  });

  it('says so when CodeDeploy needed no rollback deployment', async () => {
    const rt = fakeRuntime({ inputs: { 'deployment-id': DEPLOYMENT_ID, 'aws-region': 'us-east-1' } });
    inFlightWorld(rt, { rollback: false });
    expect(await run(rt)).toBeUndefined();
    expect(rt.logText()).toContain('CodeDeploy started no rollback deployment');
    expect(rt.outputs['deployment-status']).toBe('Stopped');
    expect(rt.outputs['rollback-deployment-id']).toBeUndefined();
    expect(rt.summaries[0]).toContain(`Stopped ${DEPLOYMENT_ID}`);
  });

  it('a deployment that already ended says so and, without a service, stops nothing', async () => {
    cd.on(GetDeploymentCommand).resolves({ deploymentInfo: deployment('Succeeded') });
    const rt = fakeRuntime({ inputs: { 'deployment-id': DEPLOYMENT_ID, 'aws-region': 'us-east-1' } });
    const error = await run(rt);
    expect(rt.logText()).toContain(`Deployment ${DEPLOYMENT_ID} is Succeeded; nothing in flight to stop.`);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain('is not in flight, so there is nothing to stop.');
    expect(cd.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    expect(cd.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  it('an unknown deployment-id is explained', async () => {
    cd.on(GetDeploymentCommand).rejects(awsError('DeploymentDoesNotExistException', 'nope'));
    const rt = fakeRuntime({ inputs: { 'deployment-id': 'd-NOPE00000', 'aws-region': 'us-east-1' } });
    const error = await run(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain('deployment d-NOPE00000: does not exist in this account and region.');
  });
});

describe('runRollback: nothing in flight redeploys the previous revision', () => {
  const inputs = { service: 'web', cluster: 'prod', 'aws-region': 'us-east-1', 'wait-until': 'succeeded' };

  /** The deployment CreateDeployment makes succeeds 20 s after it is created. */
  function redeployWorld(rt: FakeRuntime, end: DeploymentStatus = 'Succeeded'): void {
    let createdAt: number | undefined;
    cd.on(CreateDeploymentCommand).callsFake(() => {
      createdAt = rt.clock.now();
      return { deploymentId: NEW_ID };
    });
    cd.on(GetDeploymentCommand, { deploymentId: NEW_ID }).callsFake(() => ({
      deploymentInfo: deployment(
        createdAt !== undefined && rt.clock.now() - createdAt >= 20_000 ? end : 'InProgress',
        { deploymentId: NEW_ID },
      ),
    }));
    cd.on(GetDeploymentTargetCommand).callsFake(() => ({
      deploymentTarget: {
        ecsTarget: target(
          createdAt !== undefined && rt.clock.now() - createdAt >= 20_000 ? 'Succeeded' : 'InProgress',
          events(6),
        ),
      },
    }));
  }

  function createdTaskDefinition(): unknown {
    const content =
      cd.commandCalls(CreateDeploymentCommand)[0]?.args[0].input.revision?.appSpecContent?.content;
    return (JSON.parse(content ?? '{}') as { Resources?: { TargetService: { Properties: unknown } }[] })
      .Resources?.[0]?.TargetService.Properties;
  }

  it('uses the AppSpec CodeDeploy deployed before the last successful deployment', async () => {
    cd.on(GetDeploymentGroupCommand).resolves({
      deploymentGroupInfo: group({ lastSuccessfulDeployment: { deploymentId: 'd-LAST00001' } }),
    });
    const previousRevision = { revisionType: 'AppSpecContent' as const, appSpecContent: { sha256: 'prev' } };
    cd.on(GetDeploymentCommand, { deploymentId: 'd-LAST00001' }).resolves({
      deploymentInfo: deployment('Succeeded', { deploymentId: 'd-LAST00001', previousRevision }),
    });
    cd.on(GetApplicationRevisionCommand).resolves({
      revision: { ...previousRevision, appSpecContent: { content: appSpecContent(`${FAMILY}:40`) } },
    });
    const rt = fakeRuntime({ inputs });
    redeployWorld(rt);
    expect(await run(rt)).toBeUndefined();
    expect(cd.commandCalls(GetApplicationRevisionCommand)[0]?.args[0].input).toEqual({
      applicationName: 'AppECS-prod-web',
      revision: previousRevision,
    });
    expect(createdTaskDefinition()).toMatchObject({ TaskDefinition: `${FAMILY}:40` });
    expect(ecs.commandCalls(ListTaskDefinitionsCommand)).toHaveLength(0);
    expect(rt.outputs['task-definition-arn']).toBe(`${FAMILY}:40`);
    expect(rt.outputs['codedeploy-deployment-id']).toBe(NEW_ID);
    expect(rt.outputs['deployment-status']).toBe('Succeeded');
    expect(cd.commandCalls(StopDeploymentCommand)).toHaveLength(0);
  });

  it('given a deployment that ended and was rolled back, goes back no further (the service no longer runs its revision)', async () => {
    cd.on(GetDeploymentCommand, { deploymentId: DEPLOYMENT_ID }).resolves({
      deploymentInfo: deployment('Failed', { revision: deployedRevision }),
    });
    cd.on(GetApplicationRevisionCommand).resolves({
      revision: { ...deployedRevision, appSpecContent: { content: appSpecContent(`${FAMILY}:43`) } },
    });
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [`${FAMILY}:42`, `${FAMILY}:41`] });
    const rt = fakeRuntime({ inputs: { ...inputs, 'deployment-id': DEPLOYMENT_ID } });
    redeployWorld(rt);
    expect(await run(rt)).toBeUndefined();
    expect(cd.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
    expect(rt.logText()).toContain(`runs ${FAMILY}:42, not ${FAMILY}:43`);
    expect(rt.outputs['deployment-status']).toBe('Failed');
    expect(rt.summaries[0]).toContain('Nothing to roll back');
  });

  it('given a deployment that succeeded and still runs, redeploys the revision before it', async () => {
    cd.on(GetDeploymentCommand, { deploymentId: DEPLOYMENT_ID }).resolves({
      deploymentInfo: deployment('Succeeded', { revision: deployedRevision }),
    });
    cd.on(GetApplicationRevisionCommand).resolves({
      revision: { ...deployedRevision, appSpecContent: { content: appSpecContent(`${FAMILY}:42`) } },
    });
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [`${FAMILY}:42`, `${FAMILY}:41`] });
    const rt = fakeRuntime({ inputs: { ...inputs, 'deployment-id': DEPLOYMENT_ID } });
    redeployWorld(rt);
    expect(await run(rt)).toBeUndefined();
    expect(createdTaskDefinition()).toMatchObject({ TaskDefinition: `${FAMILY}:41` });
  });

  it('else generates an AppSpec for the family’s previous ACTIVE revision, and deregisters the current one after success', async () => {
    ecs.on(ListTaskDefinitionsCommand).resolves({
      taskDefinitionArns: [`${FAMILY}:43`, `${FAMILY}:42`, `${FAMILY}:41`, `${FAMILY}:39`],
    });
    let deregisteredAfterSuccess: boolean | undefined;
    ecs.on(DeregisterTaskDefinitionCommand).callsFake(() => {
      const last = cd.commandCalls(GetDeploymentCommand).at(-1)?.args[0].input.deploymentId;
      deregisteredAfterSuccess = last === NEW_ID && rt.outputs['deployment-status'] === 'Succeeded';
      return {};
    });
    const rt = fakeRuntime({ inputs: { ...inputs, 'deregister-rolled-back-revision': 'true' } });
    redeployWorld(rt);
    expect(await run(rt)).toBeUndefined();
    expect(ecs.commandCalls(ListTaskDefinitionsCommand)[0]?.args[0].input).toMatchObject({
      familyPrefix: 'web',
      status: 'ACTIVE',
      sort: 'DESC',
    });
    expect(createdTaskDefinition()).toMatchObject({
      TaskDefinition: `${FAMILY}:41`,
      LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 },
    });
    expect(cd.commandCalls(CreateDeploymentCommand)[0]?.args[0].input).toMatchObject({
      applicationName: 'AppECS-prod-web',
      deploymentGroupName: 'DgpECS-prod-web',
    });
    expect(ecs.commandCalls(DeregisterTaskDefinitionCommand).map((c) => c.args[0].input)).toEqual([
      { taskDefinition: `${FAMILY}:42` },
    ]);
    expect(deregisteredAfterSuccess).toBe(true);
    expect(rt.summaries[0]).toContain(`Redeployed ${FAMILY}:41 in place of ${FAMILY}:42.`);
  });

  it('a failed redeploy deregisters nothing', async () => {
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [`${FAMILY}:41`] });
    cd.on(StopDeploymentCommand).resolves({});
    const rt = fakeRuntime({ inputs: { ...inputs, 'deregister-rolled-back-revision': 'true' } });
    redeployWorld(rt, 'Failed');
    expect(await run(rt)).toBeInstanceOf(DeploymentError);
    expect(ecs.commandCalls(DeregisterTaskDefinitionCommand)).toHaveLength(0);
  });

  it('no earlier ACTIVE revision is an input error and creates nothing', async () => {
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [`${FAMILY}:43`, `${FAMILY}:42`] });
    const rt = fakeRuntime({ inputs });
    const error = await run(rt);
    expect(error).toBeInstanceOf(InputError);
    expect(error?.message).toContain(
      `runs ${FAMILY}:42 and no earlier ACTIVE revision of its family exists.`,
    );
    expect(cd.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });
});
