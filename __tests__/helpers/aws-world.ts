import { afterAll } from '@jest/globals';
/**
 * A consistent AWS account for command tests: one ECS service under CodeDeploy (prod/web), its
 * application and blue/green group, and a task definition file in a temporary workspace. Tests start
 * from `setUpWorld()` and break one thing at a time.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type Service,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import {
  CodeDeployClient,
  CreateDeploymentCommand,
  GetApplicationCommand,
  GetDeploymentConfigCommand,
  GetDeploymentGroupCommand,
  ListDeploymentsCommand,
  type DeploymentGroupInfo,
} from '@aws-sdk/client-codedeploy';

export const ecs = mockClient(ECSClient);
export const cd = mockClient(CodeDeployClient);

export const TASK_DEFINITION_ARN = 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:43';

export const taskDefinitionJson: TaskDefinition = {
  family: 'web',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  containerDefinitions: [
    { name: 'web', image: 'nginx:1.27', essential: true, portMappings: [{ containerPort: 8080 }] },
  ],
};

export function service(extra: Partial<Service> = {}): Service {
  return {
    serviceName: 'web',
    serviceArn: 'arn:aws:ecs:us-east-1:111122223333:service/prod/web',
    clusterArn: 'arn:aws:ecs:us-east-1:111122223333:cluster/prod',
    status: 'ACTIVE',
    deploymentController: { type: 'CODE_DEPLOY' },
    taskDefinition: 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:42',
    loadBalancers: [{ targetGroupArn: 'arn:tg-blue', containerName: 'web', containerPort: 8080 }],
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'] } },
    ...extra,
  };
}

export function group(extra: Partial<DeploymentGroupInfo> = {}): DeploymentGroupInfo {
  return {
    applicationName: 'AppECS-prod-web',
    deploymentGroupName: 'DgpECS-prod-web',
    deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
    computePlatform: 'ECS',
    ecsServices: [{ clusterName: 'prod', serviceName: 'web' }],
    deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
    blueGreenDeploymentConfiguration: {
      deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT' },
      terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 5 },
    },
    loadBalancerInfo: {
      targetGroupPairInfoList: [
        {
          targetGroups: [{ name: 'tg-blue' }, { name: 'tg-green' }],
          prodTrafficRoute: { listenerArns: ['arn:listener/prod'] },
          testTrafficRoute: { listenerArns: ['arn:listener/test'] },
        },
      ],
    },
    ...extra,
  };
}

/** A gated group: CodeDeploy holds the replacement in Ready for up to 60 minutes. */
export function gatedGroup(): DeploymentGroupInfo {
  const g = group();
  g.blueGreenDeploymentConfiguration = {
    ...g.blueGreenDeploymentConfiguration,
    deploymentReadyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 60 },
  };
  return g;
}

export interface World {
  workspace: string;
  /** writes a file into the workspace and returns its relative name */
  file(name: string, content: string | object): string;
}

/** Resets the mocks and answers every read as a healthy account would; GITHUB_WORKSPACE points at a fresh dir. */
export function setUpWorld(): World {
  ecs.reset();
  cd.reset();
  const workspace = mkdtempSync(join(tmpdir(), 'ws-'));
  process.env.GITHUB_WORKSPACE = workspace;
  const world: World = {
    workspace,
    file: (name, content) => {
      writeFileSync(join(workspace, name), typeof content === 'string' ? content : JSON.stringify(content));
      return name;
    },
  };
  world.file('task-definition.json', taskDefinitionJson);
  ecs.on(DescribeServicesCommand).resolves({ services: [service()] });
  ecs.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      ...taskDefinitionJson,
      taskDefinitionArn: TASK_DEFINITION_ARN,
      status: 'ACTIVE',
      revision: 43,
    },
  });
  ecs.on(RegisterTaskDefinitionCommand).resolves({
    taskDefinition: { ...taskDefinitionJson, taskDefinitionArn: TASK_DEFINITION_ARN, revision: 43 },
  });
  cd.on(GetApplicationCommand).resolves({
    application: { applicationName: 'AppECS-prod-web', computePlatform: 'ECS' },
  });
  cd.on(GetDeploymentGroupCommand).resolves({ deploymentGroupInfo: group() });
  cd.on(GetDeploymentConfigCommand).resolves({
    deploymentConfigInfo: { computePlatform: 'ECS', trafficRoutingConfig: { type: 'AllAtOnce' } },
  });
  cd.on(ListDeploymentsCommand).resolves({ deployments: [] });
  return world;
}

/** True when the command made a change in AWS. */
export function changedAnything(): boolean {
  return (
    ecs.commandCalls(RegisterTaskDefinitionCommand).length + cd.commandCalls(CreateDeploymentCommand).length >
    0
  );
}

/** setUpWorld points GITHUB_WORKSPACE at a fresh folder: put the runner's value back after the file's tests. */
export function restoreWorkspaceAfterAll(): void {
  const saved = process.env.GITHUB_WORKSPACE;
  afterAll(() => {
    if (saved === undefined) delete process.env.GITHUB_WORKSPACE;
    else process.env.GITHUB_WORKSPACE = saved;
  });
}
