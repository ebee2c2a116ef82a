import { beforeEach, describe, expect, it } from '@jest/globals';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import {
  GetApplicationCommand,
  GetDeploymentConfigCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
} from '@aws-sdk/client-codedeploy';
import { runDeploy } from '../../../src/commands/deploy.js';
import { planDeployment } from '../../../src/engines/codedeploy/preflight.js';
import { readTrafficRouting } from '../../../src/aws/codedeploy-reads.js';
import { clusterNameFromArn } from '../../../src/aws/ecs-reads.js';
import { getDeployInputs } from '../../../src/action/inputs.js';
import { InputError } from '../../../src/action/errors.js';
import { awsError, fakeRuntime } from '../../helpers/fake-runtime.js';
import {
  cd,
  changedAnything,
  ecs,
  gatedGroup,
  group,
  service,
  setUpWorld,
  type World,
  restoreWorkspaceAfterAll,
} from '../../helpers/aws-world.js';

restoreWorkspaceAfterAll();

let world: World;
beforeEach(() => {
  world = setUpWorld();
});

const baseInputs = {
  service: 'web',
  cluster: 'prod',
  'task-definition': 'task-definition.json',
  'aws-region': 'us-east-1',
  'wait-until': 'succeeded',
};

/** Runs the deploy command and returns the error it failed with; asserts that nothing was changed in AWS. */
async function deployFails(inputs: Record<string, string> = {}): Promise<Error> {
  const rt = fakeRuntime({ inputs: { ...baseInputs, ...inputs } });
  const error = await runDeploy(rt).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(Error);
  expect(changedAnything()).toBe(false);
  return error as Error;
}

describe('preflight: every bad input fails before any change in AWS', () => {
  it('a missing service', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: 'web', reason: 'MISSING' }] });
    const error = await deployFails();
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      "service 'web': was not found in cluster 'prod' (MISSING). Check the 'service' and 'cluster' inputs.",
    );
  });

  it('a service that is not ACTIVE', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [service({ status: 'DRAINING' })] });
    expect((await deployFails()).message).toContain("service 'web': is DRAINING, not ACTIVE.");
  });

  it('a service under the ECS controller with test-command but no pause hook at POST_TEST_TRAFFIC_SHIFT', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        service({
          deploymentController: { type: 'ECS' },
          deploymentConfiguration: { strategy: 'BLUE_GREEN' },
          loadBalancers: [],
        }),
      ],
    });
    const message = (await deployFails({ 'test-command': 'npm test' })).message;
    expect(message).toContain("service 'prod/web': has no PAUSE lifecycle hook at POST_TEST_TRAFFIC_SHIFT");
    expect(message).toContain('lifecycleStages: [POST_TEST_TRAFFIC_SHIFT]');
  });

  it('a service under the ECS controller with BLUE_GREEN but no advancedConfiguration', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        service({
          deploymentController: { type: 'ECS' },
          deploymentConfiguration: { strategy: 'LINEAR', linearConfiguration: { stepPercent: 20 } },
          loadBalancers: [{ targetGroupArn: 'arn:tg/blue', containerName: 'web', containerPort: 8080 }],
        }),
      ],
    });
    const message = (await deployFails()).message;
    expect(message).toContain('uses the LINEAR strategy but has no loadBalancers[0].advancedConfiguration');
    expect(message).toContain('AmazonECSInfrastructureRolePolicyForLoadBalancers');
  });

  it('a service under the ECS controller with a step outside its range', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        service({
          deploymentController: { type: 'ECS' },
          deploymentConfiguration: { strategy: 'LINEAR', linearConfiguration: { stepPercent: 1 } },
        }),
      ],
    });
    expect((await deployFails()).message).toContain(
      'deploymentConfiguration.linearConfiguration.stepPercent outside 3–100',
    );
  });

  it('a service under an EXTERNAL controller, naming it', async () => {
    ecs
      .on(DescribeServicesCommand)
      .resolves({ services: [service({ deploymentController: { type: 'EXTERNAL' } })] });
    expect((await deployFails()).message).toContain(
      "service 'prod/web': uses the EXTERNAL deployment controller, which neither CodeDeploy nor ECS deploys",
    );
  });

  it('a missing cluster', async () => {
    ecs.on(DescribeServicesCommand).rejects(awsError('ClusterNotFoundException', 'Cluster not found.'));
    expect((await deployFails()).message).toBe(
      "cluster 'prod': does not exist in this account and region. Check the 'cluster' input and aws-region.",
    );
  });

  it('a missing application', async () => {
    cd.on(GetApplicationCommand).rejects(
      awsError('ApplicationDoesNotExistException', 'No application found'),
    );
    expect((await deployFails()).message).toContain(
      "CodeDeploy application 'AppECS-prod-web': does not exist in this account and region.",
    );
  });

  it('an application for another platform', async () => {
    cd.on(GetApplicationCommand).resolves({ application: { computePlatform: 'Lambda' } });
    expect((await deployFails()).message).toContain('is for Lambda, not ECS.');
  });

  it('a missing deployment group', async () => {
    cd.on(GetDeploymentGroupCommand).rejects(awsError('DeploymentGroupDoesNotExistException', 'nope'));
    expect((await deployFails()).message).toContain(
      "CodeDeploy deployment group 'DgpECS-prod-web': does not exist in application 'AppECS-prod-web'.",
    );
  });

  it('a group that serves another service', async () => {
    cd.on(GetDeploymentGroupCommand).resolves({
      deploymentGroupInfo: group({ ecsServices: [{ clusterName: 'prod', serviceName: 'api' }] }),
    });
    expect((await deployFails()).message).toContain('serves prod/api, not prod/web.');
  });

  it('a container that is not in the task definition', async () => {
    const error = await deployFails({ 'container-name': 'sidecar', 'container-port': '8080' });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      "input 'container-name': container 'sidecar' is not in task definition 'web'; its containers are: web. Set container-name to one of those containers.",
    );
    const withImage = await deployFails({ 'container-name': 'sidecar', image: 'nginx:1.28' });
    expect(withImage.message).toContain("container 'sidecar' is not in task definition 'web'");
  });

  it('an AppSpec naming a container that is not in the task definition', async () => {
    world.file(
      'appspec.yaml',
      'version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n        TaskDefinition: x\n        LoadBalancerInfo:\n          ContainerName: api\n          ContainerPort: 8080\n',
    );
    const message = (await deployFails()).message;
    expect(message).toContain("is 'api', which is not a container of task definition 'web'");
  });

  it('a wrong port', async () => {
    const message = (await deployFails({ 'container-port': '9090' })).message;
    expect(message).toContain('port 9090 is not a containerPort');
  });

  it('a malformed task definition file', async () => {
    world.file('task-definition.json', '{"family": "web", "containerDefinitions": [');
    const error = await deployFails();
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('task-definition');
    // the file is read before any AWS call
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(0);
  });

  it('a missing task definition file', async () => {
    const error = await deployFails({ 'task-definition': 'nope.json' });
    expect(error.message).toContain("file 'nope.json' was not found");
  });

  it('a malformed AppSpec file', async () => {
    world.file('appspec.yaml', 'version: 0.0\nResources: [\n');
    const error = await deployFails();
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain('appspec.yaml');
  });

  it('test-command on a group without a STOP_DEPLOYMENT ready option', async () => {
    const message = (await deployFails({ 'test-command': 'curl -f "$TEST_LISTENER_URL"' })).message;
    expect(message).toContain("does not hold the replacement task set for validation, so 'test-command'");
    expect(message).toContain('STOP_DEPLOYMENT');
  });

  it('test-command on a STOP_DEPLOYMENT group whose ready wait is 0 minutes', async () => {
    const g = gatedGroup();
    g.blueGreenDeploymentConfiguration = {
      ...g.blueGreenDeploymentConfiguration,
      deploymentReadyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 0 },
    };
    cd.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: g });
    const error = await deployFails({ 'test-command': 'true' });
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain(
      "does not hold the replacement task set for validation, so 'test-command'",
    );
    expect(error.message).toContain('waitTimeInMinutes > 0');
  });

  it('a task-definition-arn that does not exist', async () => {
    ecs
      .on(DescribeTaskDefinitionCommand)
      .rejects(awsError('ClientException', 'Unable to describe task definition.'));
    const message = (await deployFails({ 'task-definition': '', 'task-definition-arn': 'web:99' })).message;
    expect(message).toContain("input 'task-definition-arn': web:99 does not exist");
  });

  it('an unknown deployment config', async () => {
    cd.on(GetDeploymentConfigCommand).rejects(awsError('DeploymentConfigDoesNotExistException', 'x'));
    expect((await deployFails({ 'codedeploy-deployment-config': 'Custom.Nope' })).message).toContain(
      "deployment config 'Custom.Nope': does not exist.",
    );
  });
});

describe('planDeployment', () => {
  const clients = () => fakeRuntime().makeClients({ region: 'us-east-1' });

  it('plans a healthy deployment: generated AppSpec, waits, routing and the target id', async () => {
    cd.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: gatedGroup() });
    cd.on(GetDeploymentConfigCommand).resolves({
      deploymentConfigInfo: {
        computePlatform: 'ECS',
        trafficRoutingConfig: {
          type: 'TimeBasedLinear',
          timeBasedLinear: { linearInterval: 3, linearPercentage: 10 },
        },
      },
    });
    cd.on(ListDeploymentsCommand).resolves({ deployments: ['d-ACTIVE0001'] });
    const plan = await planDeployment(
      getDeployInputs((n) => ({ ...baseInputs, 'test-command': 'true' })[n] ?? '', {}),
      clients(),
    );
    expect(plan.targetId).toBe('prod:web');
    expect(plan.readyWaitMinutes).toBe(60);
    expect(plan.terminationWaitMinutes).toBe(5);
    expect(plan.routing).toEqual({ type: 'TimeBasedLinear', intervalMinutes: 3, percentage: 10 });
    expect(plan.activeDeploymentId).toBe('d-ACTIVE0001');
    expect(plan.appSpecSource).toBe('generated from service web');
    expect(plan.taskDefinition.kind).toBe('register');
    expect(cd.commandCalls(ListDeploymentsCommand)[0]?.args[0].input.includeOnlyStatuses).toEqual([
      'Created',
      'Queued',
      'InProgress',
      'Ready',
      'Baking',
    ]);
  });

  it('warns instead of failing when the deployments in flight cannot be listed', async () => {
    cd.on(ListDeploymentsCommand).rejects(awsError('AccessDeniedException', 'no'));
    const plan = await planDeployment(
      getDeployInputs((n) => baseInputs[n as keyof typeof baseInputs] ?? '', {}),
      clients(),
    );
    expect(plan.activeDeploymentId).toBeUndefined();
    expect(plan.warnings).toEqual([
      'Could not list deployments in flight (AccessDeniedException); CreateDeployment will tell.',
    ]);
  });

  it('warns that container-port is not used when an AppSpec file names another port', async () => {
    world.file(
      'appspec.yaml',
      [
        'version: 0.0',
        'Resources:',
        '  - TargetService:',
        '      Type: AWS::ECS::Service',
        '      Properties:',
        '        TaskDefinition: x',
        '        LoadBalancerInfo:',
        '          ContainerName: web',
        '          ContainerPort: 8080',
      ].join('\n'),
    );
    const plan = await planDeployment(
      getDeployInputs(
        (n) => ({ ...baseInputs, 'codedeploy-appspec': 'appspec.yaml', 'container-port': '9090' })[n] ?? '',
        {},
      ),
      clients(),
    );
    expect(plan.warnings.join('\n')).toContain(
      "Input 'container-port' (9090) is not used: the AppSpec appspec.yaml routes traffic to web:8080.",
    );
  });

  it('a role without codedeploy:GetApplication still deploys, with a warning', async () => {
    cd.on(GetApplicationCommand).rejects(awsError('AccessDeniedException', 'no'));
    const plan = await planDeployment(
      getDeployInputs((n) => baseInputs[n as keyof typeof baseInputs] ?? '', {}),
      clients(),
    );
    expect(plan.targetId).toBe('prod:web');
    expect(plan.warnings).toEqual([
      "Could not read CodeDeploy application 'AppECS-prod-web' (AccessDeniedException); checked through its deployment group instead.",
    ]);
  });

  it('a missing application named by the group read is an input error', async () => {
    cd.on(GetApplicationCommand).rejects(awsError('AccessDeniedException', 'no'));
    cd.on(GetDeploymentGroupCommand).rejects(awsError('ApplicationDoesNotExistException', 'no such app'));
    const error = await planDeployment(
      getDeployInputs((n) => baseInputs[n as keyof typeof baseInputs] ?? '', {}),
      clients(),
    ).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toContain("CodeDeploy application 'AppECS-prod-web': does not exist");
  });

  it('a group that lists no ECS service is deployed to, with a warning that it could not be checked', async () => {
    cd.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: group({ ecsServices: [] }) });
    const plan = await planDeployment(
      getDeployInputs((n) => baseInputs[n as keyof typeof baseInputs] ?? '', {}),
      clients(),
    );
    expect(plan.warnings.join('\n')).toContain(
      "CodeDeploy deployment group 'DgpECS-prod-web' lists no ECS service, so whether it serves prod/web cannot be checked",
    );
  });

  it('readTrafficRouting reads a canary config and tolerates a missing permission', async () => {
    cd.on(GetDeploymentConfigCommand).resolves({
      deploymentConfigInfo: {
        computePlatform: 'ECS',
        trafficRoutingConfig: {
          type: 'TimeBasedCanary',
          timeBasedCanary: { canaryInterval: 5, canaryPercentage: 10 },
        },
      },
    });
    expect(
      await readTrafficRouting(clients().codedeploy, 'CodeDeployDefault.ECSCanary10Percent5Minutes'),
    ).toEqual({
      type: 'TimeBasedCanary',
      intervalMinutes: 5,
      percentage: 10,
    });
    cd.on(GetDeploymentConfigCommand).rejects(awsError('AccessDeniedException', 'no'));
    expect(await readTrafficRouting(clients().codedeploy, 'x')).toBeUndefined();
  });

  it('clusterNameFromArn takes the name after cluster/', () => {
    expect(clusterNameFromArn('arn:aws:ecs:us-east-1:1:cluster/prod-eu', 'default')).toBe('prod-eu');
    expect(clusterNameFromArn(undefined, 'default')).toBe('default');
  });
});
