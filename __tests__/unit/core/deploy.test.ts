import { beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import {
  ContinueDeploymentCommand,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  GetDeploymentTargetCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type DeploymentInfo,
  type ECSTarget,
} from '@aws-sdk/client-codedeploy';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { runDeploy } from '../../../src/commands/deploy.js';
import { createDeployment, ActiveDeploymentError } from '../../../src/engines/codedeploy/create.js';
import { serializeAppSpec, withTaskDefinitionArn } from '../../../src/engines/codedeploy/appspec.js';
import { DeploymentError, InputError } from '../../../src/action/errors.js';
import { STATE_KEYS } from '../../../src/action/state.js';
import { consoleUrl } from '../../../src/aws/console-url.js';
import { DEPLOYMENT_ID, deployment, events, target } from '../../helpers/codedeploy-fixtures.js';
import { awsError, fakeRuntime, type FakeRuntime, errorOf } from '../../helpers/fake-runtime.js';
import {
  TASK_DEFINITION_ARN,
  cd,
  changedAnything,
  ecs,
  gatedGroup,
  service,
  setUpWorld,
  type World,
  restoreWorkspaceAfterAll,
} from '../../helpers/aws-world.js';

const elb = mockClient(ElasticLoadBalancingV2Client);
restoreWorkspaceAfterAll();

let world: World;
beforeEach(() => {
  world = setUpWorld();
  elb.reset();
  elb
    .on(DescribeListenersCommand)
    .resolves({ Listeners: [{ LoadBalancerArn: 'arn:lb', Port: 8443, Protocol: 'HTTP' }] });
  elb.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [{ DNSName: 'web.elb.example' }] });
  cd.on(CreateDeploymentCommand).resolves({ deploymentId: DEPLOYMENT_ID });
});

const baseInputs = {
  service: 'web',
  cluster: 'prod',
  'task-definition': 'task-definition.json',
  'aws-region': 'us-east-1',
};

interface Step {
  /** ms after CreateDeployment */
  at: number;
  deployment: DeploymentInfo;
  target?: ECSTarget;
}

/** The created deployment moves through `steps` on the runtime's clock; `after` reacts to ContinueDeployment. */
function timeline(rt: FakeRuntime, steps: Step[], afterContinue: Step[] = []): void {
  let createdAt = 0;
  let continuedAt: number | undefined;
  cd.on(CreateDeploymentCommand).callsFake(() => {
    createdAt = rt.clock.now();
    return { deploymentId: DEPLOYMENT_ID };
  });
  cd.on(ContinueDeploymentCommand).callsFake(() => {
    continuedAt = rt.clock.now();
    return {};
  });
  const current = (): Step => {
    const list = continuedAt !== undefined && afterContinue.length > 0 ? afterContinue : steps;
    const since = rt.clock.now() - (list === afterContinue ? (continuedAt as number) : createdAt);
    return [...list].reverse().find((s) => s.at <= since) ?? (list[0] as Step);
  };
  cd.on(GetDeploymentCommand).callsFake((input: { deploymentId: string }) => {
    if (input.deploymentId !== DEPLOYMENT_ID)
      return { deploymentInfo: deployment('Succeeded', { deploymentId: input.deploymentId }) };
    return { deploymentInfo: current().deployment };
  });
  cd.on(GetDeploymentTargetCommand).callsFake(() => {
    const t = current().target;
    if (!t) throw awsError('DeploymentNotStartedException', 'not started');
    return { deploymentTarget: { ecsTarget: t } };
  });
}

const succeeded: Step[] = [
  { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(1)) },
  { at: 30_000, deployment: deployment('InProgress'), target: target('Succeeded', events(8)) },
  { at: 60_000, deployment: deployment('Succeeded'), target: target('Succeeded', events(8)) },
];

const gated: Step[] = [
  { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(2)) },
  { at: 20_000, deployment: deployment('Ready'), target: target('Ready', events(5, 'Pending')) },
];

function run(rt: FakeRuntime): Promise<Error | undefined> {
  return errorOf(runDeploy(rt));
}

describe('runDeploy', () => {
  it('wait-until none: registers, creates and leaves it running, marked done for the post step', async () => {
    const rt = fakeRuntime({ inputs: baseInputs });
    expect(await run(rt)).toBeUndefined();
    expect(rt.outputs['task-definition-arn']).toBe(TASK_DEFINITION_ARN);
    expect(rt.outputs['codedeploy-deployment-id']).toBe(DEPLOYMENT_ID);
    expect(rt.state[STATE_KEYS.phase]).toBe('done');
    expect(cd.commandCalls(GetDeploymentCommand)).toHaveLength(0);
    const content =
      cd.commandCalls(CreateDeploymentCommand)[0]?.args[0].input.revision?.appSpecContent?.content ?? '';
    expect(JSON.parse(content).Resources[0].TargetService.Properties.TaskDefinition).toBe(
      TASK_DEFINITION_ARN,
    );
  });

  it('wait-until succeeded: follows to Succeeded and writes the outputs and summary', async () => {
    const rt = fakeRuntime({ inputs: { ...baseInputs, 'wait-until': 'succeeded' } });
    timeline(rt, succeeded);
    expect(await run(rt)).toBeUndefined();
    expect(rt.outputs['deployment-status']).toBe('Succeeded');
    expect(rt.summaries[0]).toContain('## ✅');
    expect(rt.state[STATE_KEYS.phase]).toBe('done');
  });

  it('wait-until traffic-shifted stops following once the target succeeded', async () => {
    const rt = fakeRuntime({ inputs: { ...baseInputs, 'wait-until': 'traffic-shifted' } });
    timeline(rt, succeeded);
    expect(await run(rt)).toBeUndefined();
    expect(rt.outputs['deployment-status']).toBe('InProgress');
    expect(rt.logText()).toContain('reached traffic-shifted');
  });

  it('wait-until ready stops at Ready without continuing it', async () => {
    cd.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: gatedGroup() });
    const rt = fakeRuntime({ inputs: { ...baseInputs, 'wait-until': 'ready' } });
    timeline(rt, gated);
    expect(await run(rt)).toBeUndefined();
    expect(rt.outputs['deployment-status']).toBe('Ready');
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);
  });

  it('on-active-deployment fail names the deployment in flight and its console link; nothing changes', async () => {
    cd.on(ListDeploymentsCommand).resolves({ deployments: ['d-OTHER0001'] });
    const rt = fakeRuntime({ inputs: baseInputs });
    const error = await run(rt);
    expect(error).toBeInstanceOf(ActiveDeploymentError);
    expect(error?.message).toContain('already has an active deployment d-OTHER0001');
    expect(error?.message).toContain(consoleUrl('us-east-1', 'd-OTHER0001'));
    expect(changedAnything()).toBe(false);
  });

  it('run-task not waited for: a run cancelled meanwhile stops before CreateDeployment', async () => {
    const rt = fakeRuntime({ inputs: { ...baseInputs, 'run-task': 'true', 'run-task-subnets': 'subnet-1' } });
    ecs.on(RunTaskCommand).callsFake(() => {
      rt.controller.abort();
      return { tasks: [{ taskArn: 'arn:aws:ecs:us-east-1:111122223333:task/prod/abc' }], failures: [] };
    });
    const error = await run(rt);
    expect(error?.message).toBe(
      `The run was cancelled after the one-off task: ${TASK_DEFINITION_ARN} is registered, no service was changed.`,
    );
    expect(ecs.commandCalls(RunTaskCommand)[0]?.args[0].input.taskDefinition).toBe(TASK_DEFINITION_ARN);
    expect(cd.commandCalls(CreateDeploymentCommand)).toHaveLength(0);
  });

  it('says so when task-definition-arn is the revision the service already runs', async () => {
    cd.on(CreateDeploymentCommand).rejects(awsError('InvalidRevisionException', 'stop here'));
    const arnInputs = { ...baseInputs, 'task-definition': '', 'task-definition-arn': TASK_DEFINITION_ARN };
    const other = fakeRuntime({ inputs: arnInputs });
    await run(other);
    expect(other.logText('warning')).not.toContain('this deploys the same revision again');

    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [service({ taskDefinition: TASK_DEFINITION_ARN })] });
    const same = fakeRuntime({ inputs: arnInputs });
    await run(same);
    expect(same.logText('warning')).toContain(
      `already runs ${TASK_DEFINITION_ARN}: this deploys the same revision again`,
    );
  });

  it('warns before deploying when the group holds the replacement and nothing will reroute it', async () => {
    cd.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: gatedGroup() });
    cd.on(CreateDeploymentCommand).rejects(awsError('InvalidRevisionException', 'stop here'));
    const waiting = fakeRuntime({ inputs: { ...baseInputs, 'wait-until': 'succeeded' } });
    await run(waiting);
    expect(waiting.logText('warning')).toMatch(
      /holds the replacement for up to 60 min until traffic is rerouted, and no test-command is given/,
    );
    const gated = fakeRuntime({
      inputs: { ...baseInputs, 'wait-until': 'succeeded', 'test-command': 'true' },
    });
    await run(gated);
    expect(gated.logText('warning')).not.toMatch(/holds the replacement/);
    const ready = fakeRuntime({ inputs: { ...baseInputs, 'wait-until': 'ready' } });
    await run(ready);
    expect(ready.logText('warning')).not.toMatch(/holds the replacement/);
  });

  it('CodeDeploy refuses the deployment: the revision this run registered is deregistered, and the error says why', async () => {
    cd.on(CreateDeploymentCommand).rejects(awsError('InvalidRevisionException', 'The AppSpec is not valid'));
    ecs.on(DeregisterTaskDefinitionCommand).resolves({});
    const rt = fakeRuntime({ inputs: baseInputs });
    const error = await run(rt);
    expect(error).toBeInstanceOf(DeploymentError);
    expect(error?.message).toBe(
      'CodeDeploy did not create the deployment: InvalidRevisionException: The AppSpec is not valid',
    );
    const deregistered = ecs.commandCalls(DeregisterTaskDefinitionCommand);
    expect(deregistered.map((c) => c.args[0].input.taskDefinition)).toEqual([TASK_DEFINITION_ARN]);
    expect(rt.logText()).toContain(`Deregistered ${TASK_DEFINITION_ARN}, which this run registered`);
    expect(rt.state[STATE_KEYS.deploymentId]).toBeUndefined();
  });

  it("CreateDeployment's outcome unknown (5xx after retries): the revision stays, with a warning", async () => {
    cd.on(CreateDeploymentCommand).rejects(
      awsError('InternalFailure', 'try again', { httpStatusCode: 500, fault: 'server' }),
    );
    const rt = fakeRuntime({ inputs: baseInputs });
    const error = await run(rt);
    expect(error).toBeInstanceOf(DeploymentError);
    expect(ecs.commandCalls(DeregisterTaskDefinitionCommand)).toHaveLength(0);
    expect(rt.logText('warning')).toContain(`${TASK_DEFINITION_ARN} stays registered`);
  });

  it('on-active-deployment stop stops it with rollback, waits for it, then deploys', async () => {
    const rt = fakeRuntime({ inputs: { ...baseInputs, 'on-active-deployment': 'stop' } });
    cd.on(ListDeploymentsCommand)
      .resolvesOnce({ deployments: ['d-OTHER0001'] })
      .resolves({ deployments: [] });
    cd.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    let stoppedAt: number | undefined;
    cd.on(StopDeploymentCommand).callsFake(() => {
      stoppedAt = rt.clock.now();
      return { status: 'Pending' };
    });
    cd.on(GetDeploymentCommand).callsFake(() => ({
      deploymentInfo: deployment(
        stoppedAt !== undefined && rt.clock.now() - stoppedAt >= 10_000 ? 'Stopped' : 'InProgress',
        {
          deploymentId: 'd-OTHER0001',
        },
      ),
    }));
    expect(await run(rt)).toBeUndefined();
    expect(cd.commandCalls(StopDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: 'd-OTHER0001',
      autoRollbackEnabled: true,
    });
    expect(cd.commandCalls(CreateDeploymentCommand)).toHaveLength(1);
    expect(rt.logText()).toContain('d-OTHER0001 ended: Stopped');
  });

  it('on-active-deployment wait gives up after its budget without deploying', async () => {
    const rt = fakeRuntime({
      inputs: { ...baseInputs, 'on-active-deployment': 'wait', 'wait-for-minutes': '0' },
    });
    cd.on(ListDeploymentsCommand).resolves({ deployments: ['d-OTHER0001'] });
    cd.on(GetDeploymentCommand).resolves({
      deploymentInfo: deployment('InProgress', { deploymentId: 'd-OTHER0001' }),
    });
    const error = await run(rt);
    expect(error).toBeInstanceOf(DeploymentError);
    expect(error?.message).toContain('Timed out waiting for the active deployment d-OTHER0001');
    expect(changedAnything()).toBe(false);
  });

  it('a cancelled run changes nothing', async () => {
    const rt = fakeRuntime({ inputs: baseInputs });
    rt.controller.abort();
    const error = await run(rt);
    expect(error?.message).toBe('The run was cancelled before anything was deployed; nothing was changed.');
    expect(changedAnything()).toBe(false);
  });

  it('timeout with rollback-on-failure stops the deployment with rollback', async () => {
    const rt = fakeRuntime({ inputs: { ...baseInputs, 'wait-until': 'succeeded', 'wait-for-minutes': '1' } });
    timeline(rt, [{ at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(1)) }]);
    cd.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    const error = await run(rt);
    expect(error).toBeInstanceOf(DeploymentError);
    expect(error?.message).toContain('Timed out waiting for succeeded');
    expect(cd.commandCalls(StopDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: DEPLOYMENT_ID,
      autoRollbackEnabled: true,
    });
    expect(rt.outputs['deployment-status']).toBeDefined();
  });

  it('timeout with rollback-on-failure false leaves the deployment alone', async () => {
    const rt = fakeRuntime({
      inputs: {
        ...baseInputs,
        'wait-until': 'succeeded',
        'wait-for-minutes': '1',
        'rollback-on-failure': 'false',
      },
    });
    timeline(rt, [{ at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(1)) }]);
    expect(await run(rt)).toBeInstanceOf(DeploymentError);
    expect(cd.commandCalls(StopDeploymentCommand)).toHaveLength(0);
    expect(rt.summaries[0]).toContain('rollback-on-failure is false');
  });
});

describe('test-traffic gate', () => {
  beforeEach(() => {
    cd.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: gatedGroup() });
  });
  const afterContinue: Step[] = [
    { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(6)) },
    { at: 10_000, deployment: deployment('Succeeded'), target: target('Succeeded', events(8)) },
  ];

  it('passes: runs the command against the test listener, then reroutes production traffic', async () => {
    const rt = fakeRuntime({
      inputs: {
        ...baseInputs,
        'wait-until': 'succeeded',
        'test-command': 'echo "testing $TEST_LISTENER_URL $CODEDEPLOY_DEPLOYMENT_ID"',
      },
    });
    timeline(rt, gated, afterContinue);
    expect(await run(rt)).toBeUndefined();
    expect(rt.written.join('')).toContain(`testing http://web.elb.example:8443 ${DEPLOYMENT_ID}`);
    expect(cd.commandCalls(ContinueDeploymentCommand)[0]?.args[0].input).toEqual({
      deploymentId: DEPLOYMENT_ID,
      deploymentWaitType: 'READY_WAIT',
    });
    expect(rt.outputs['deployment-status']).toBe('Succeeded');
  });

  it('waits out the moment between the test phase ending and the status Ready, then gates', async () => {
    const rt = fakeRuntime({
      inputs: { ...baseInputs, 'wait-until': 'succeeded', 'test-command': 'echo gate-ran' },
    });
    timeline(
      rt,
      [
        { at: 0, deployment: deployment('InProgress'), target: target('InProgress', events(2)) },
        {
          at: 10_000,
          deployment: deployment('InProgress'),
          target: target('InProgress', events(5, 'Pending')),
        },
        { at: 20_000, deployment: deployment('Ready'), target: target('Ready', events(5, 'Pending')) },
      ],
      afterContinue,
    );
    expect(await run(rt)).toBeUndefined();
    expect(rt.written.join('')).toContain('gate-ran');
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(1);
    expect(rt.outputs['deployment-status']).toBe('Succeeded');
  });

  it('fails: stops with rollback and never reroutes', async () => {
    const rt = fakeRuntime({
      inputs: { ...baseInputs, 'wait-until': 'succeeded', 'test-command': 'exit 7' },
    });
    timeline(rt, gated);
    cd.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    const error = await run(rt);
    expect(error?.message).toContain('Test-traffic gate failed (test-command exited with 7)');
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);
    expect(cd.commandCalls(StopDeploymentCommand)).toHaveLength(1);
  });

  it('a cancel that lands as the command ends never reroutes traffic', async () => {
    const rt = fakeRuntime({ inputs: { ...baseInputs, 'wait-until': 'succeeded', 'test-command': 'true' } });
    timeline(rt, gated, afterContinue);
    cd.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    let inGate = false;
    rt.startGroup = (name) => {
      inGate = name.startsWith('Test-traffic gate');
    };
    rt.endGroup = () => {
      if (inGate) rt.controller.abort();
    };
    const error = await run(rt);
    expect(error).toBeInstanceOf(DeploymentError);
    expect(error?.message).toContain('The run was cancelled');
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);
    expect(cd.commandCalls(StopDeploymentCommand)[0]?.args[0].input.autoRollbackEnabled).toBe(true);
  });

  it('a run cancelled before the gate never starts the command', async () => {
    const marker = join(world.workspace, 'gate-ran');
    const rt = fakeRuntime({
      inputs: { ...baseInputs, 'wait-until': 'succeeded', 'test-command': `touch '${marker}'` },
    });
    timeline(rt, gated, afterContinue);
    cd.on(StopDeploymentCommand).resolves({ status: 'Pending' });
    rt.startGroup = (name) => {
      if (name.startsWith('Test-traffic gate')) rt.controller.abort();
    };
    const error = await run(rt);
    expect(error?.message).toContain('The run was cancelled');
    expect(existsSync(marker)).toBe(false);
    expect(cd.commandCalls(ContinueDeploymentCommand)).toHaveLength(0);
  });
});

describe('createDeployment', () => {
  const doc = {
    version: '0.0',
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: {
            TaskDefinition: 'x',
            LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 },
          },
        },
      },
    ],
  };
  const params = {
    application: 'A',
    deploymentGroup: 'G',
    appSpec: doc,
    taskDefinitionArn: TASK_DEFINITION_ARN,
    region: 'us-east-1',
  };
  const client = () => fakeRuntime().makeClients({ region: 'us-east-1' }).codedeploy;
  const limit = () =>
    awsError(
      'DeploymentLimitExceededException',
      "The Deployment Group 'G' already has an active Deployment 'd-OTHER0001'",
    );

  const MARK = '[github-run 1234567890/1 0a1b2c3d]';

  it("adopts the deployment in flight when it carries the same AppSpec and this run's mark (a retried create)", async () => {
    const { sha256 } = serializeAppSpec(withTaskDefinitionArn(doc, TASK_DEFINITION_ARN));
    cd.on(CreateDeploymentCommand).rejects(limit());
    cd.on(GetDeploymentCommand).resolves({
      deploymentInfo: deployment('InProgress', {
        description: `release ${MARK}`,
        revision: { revisionType: 'AppSpecContent', appSpecContent: { sha256 } },
      }),
    });
    const created = await createDeployment(client(), {
      ...params,
      description: `release ${MARK}`,
      marker: MARK,
    });
    expect(created).toMatchObject({ deploymentId: 'd-OTHER0001', adopted: true, sha256 });
  });

  it("never adopts another run's deployment of the same AppSpec, nor any without this run's mark", async () => {
    const { sha256 } = serializeAppSpec(withTaskDefinitionArn(doc, TASK_DEFINITION_ARN));
    cd.on(CreateDeploymentCommand).rejects(limit());
    const same = { revisionType: 'AppSpecContent' as const, appSpecContent: { sha256 } };
    for (const [description, marker] of [
      ['release [github-run 1234567890/1 ffffffff]', MARK],
      ['by hand', MARK],
      [`release ${MARK}`, undefined],
    ] as const) {
      cd.on(GetDeploymentCommand).resolves({
        deploymentInfo: deployment('InProgress', { description, revision: same }),
      });
      const error = await createDeployment(client(), { ...params, description, marker }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ActiveDeploymentError);
    }
  });

  it('names the other deployment and its console link when it is someone else’s', async () => {
    cd.on(CreateDeploymentCommand).rejects(limit());
    cd.on(GetDeploymentCommand).resolves({
      deploymentInfo: deployment('InProgress', {
        revision: { revisionType: 'AppSpecContent', appSpecContent: { sha256: 'other' } },
      }),
    });
    const error = await createDeployment(client(), params).catch((e: unknown) => e as ActiveDeploymentError);
    expect(error).toBeInstanceOf(ActiveDeploymentError);
    expect((error as ActiveDeploymentError).activeDeploymentId).toBe('d-OTHER0001');
    expect((error as Error).message).toContain(consoleUrl('us-east-1', 'd-OTHER0001'));
  });

  it('passes an explicit rollback setting and other errors through', async () => {
    cd.on(CreateDeploymentCommand).resolves({ deploymentId: DEPLOYMENT_ID });
    await createDeployment(client(), { ...params, autoRollbackEvents: [] });
    expect(cd.commandCalls(CreateDeploymentCommand)[0]?.args[0].input.autoRollbackConfiguration).toEqual({
      enabled: false,
    });
    cd.on(CreateDeploymentCommand).rejects(awsError('InvalidRoleException', 'bad role'));
    await expect(createDeployment(client(), params)).rejects.toThrow('bad role');
  });

  it('an ECS ClientException on RegisterTaskDefinition is an InputError naming the file and ECS message', async () => {
    const { registerTaskDefinition } = await import('../../../src/engine/revision.js');
    ecs
      .on(RegisterTaskDefinitionCommand)
      .rejects(awsError('ClientException', "Invalid 'cpu' setting for task."));
    const ecsClient = fakeRuntime().makeClients({ region: 'us-east-1' }).ecs;
    const error = await registerTaskDefinition(
      ecsClient,
      { family: 'web', containerDefinitions: [] },
      '/work/repo/td.json',
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe(
      "ECS refused the task definition from /work/repo/td.json: Invalid 'cpu' setting for task. Fix the task definition and run again; nothing was registered or deployed.",
    );
  });

  it('registerTaskDefinition failures name the family', async () => {
    const { registerTaskDefinition } = await import('../../../src/engine/revision.js');
    ecs.on(RegisterTaskDefinitionCommand).rejects(awsError('ServerException', 'Invalid cpu'));
    const ecsClient = fakeRuntime().makeClients({ region: 'us-east-1' }).ecs;
    await expect(
      registerTaskDefinition(ecsClient, { family: 'web', containerDefinitions: [] }),
    ).rejects.toThrow("Registering task definition family 'web' failed: Invalid cpu");
  });
});
