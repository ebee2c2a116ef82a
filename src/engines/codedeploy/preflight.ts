/**
 * Everything a CodeDeploy deployment needs, read and checked before the first change in AWS: the task
 * definition (prepare/task-source.ts), the CodeDeploy application, group and config, the AppSpec, and any
 * deployment already in flight. Only Describe/Get/List calls happen here.
 */
import { existsSync } from 'node:fs';
import type { RegisterTaskDefinitionCommandInput, Service, TaskDefinition } from '@aws-sdk/client-ecs';
import {
  GetApplicationCommand,
  GetDeploymentGroupCommand,
  type DeploymentGroupInfo,
} from '@aws-sdk/client-codedeploy';
import type { AwsClients } from '../../aws/clients.js';
import type { DeployInputs } from '../../action/inputs.js';
import { InputError } from '../../action/errors.js';
import { awsErrorName, isAwsError, isTransientAwsError } from '../../aws/errors.js';
import { readUserFile, resolveWorkspacePath } from '../../prepare/files.js';
import { validateContainerPort } from '../../prepare/task-definition.js';
import {
  describeExistingTaskDefinition,
  loadTaskDefinitionFile,
  type TaskDefinitionSource,
} from '../../prepare/task-source.js';
import {
  appSpecTarget,
  generateAppSpec,
  parseAppSpec,
  validateAppSpecAgainstTaskDefinition,
  type AppSpecDocument,
} from './appspec.js';
import { clusterNameFromArn, describeService } from '../../aws/ecs-reads.js';
import { findActiveDeployment, readTrafficRouting, type TrafficRouting } from '../../aws/codedeploy-reads.js';

/** The AppSpec files looked for in the workspace when codedeploy-appspec is not given, in order. */
export const DEFAULT_APPSPEC_FILES = ['appspec.yaml', 'appspec.yml', 'appspec.json'];
/** Stands in for the ARN until the revision is registered. */
export const PENDING_TASK_DEFINITION_ARN = '<registered at deploy time>';

export interface DeploymentPlan {
  taskDefinition: TaskDefinitionSource;
  service: Service;
  clusterName: string;
  /** the ECS deployment target id, `<cluster>:<service>` */
  targetId: string;
  /** the AppSpec, with a placeholder TaskDefinition until the revision is registered */
  appSpec: AppSpecDocument;
  appSpecSource: string;
  group: DeploymentGroupInfo;
  deploymentConfigName: string;
  routing?: TrafficRouting;
  /** minutes CodeDeploy holds the replacement for validation before rerouting (STOP_DEPLOYMENT), if it does */
  readyWaitMinutes?: number;
  terminationWaitMinutes: number;
  activeDeploymentId?: string;
  warnings: string[];
}

function missingApplication(application: string): InputError {
  return new InputError(
    `CodeDeploy application '${application}'`,
    'does not exist in this account and region.',
    "Set 'codedeploy-application' (the default is AppECS-<cluster>-<service>, as the ECS console names it).",
  );
}

async function readDeploymentGroup(
  clients: AwsClients,
  inputs: DeployInputs,
  clusterName: string,
  serviceName: string,
  warnings: string[],
): Promise<DeploymentGroupInfo> {
  try {
    const app = await clients.codedeploy.send(
      new GetApplicationCommand({ applicationName: inputs.application }),
    );
    const platform = app.application?.computePlatform;
    if (platform && platform !== 'ECS') {
      throw new InputError(
        `CodeDeploy application '${inputs.application}'`,
        `is for ${platform}, not ECS.`,
        "Set 'codedeploy-application' to the ECS application of this service.",
      );
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    if (isAwsError(error, 'ApplicationDoesNotExistException', 'InvalidApplicationNameException')) {
      throw missingApplication(inputs.application);
    }
    if (isTransientAwsError(error)) throw error;
    // The group read below names a missing application too; a role without GetApplication still deploys.
    warnings.push(
      `Could not read CodeDeploy application '${inputs.application}' (${awsErrorName(error)}); checked through its deployment group instead.`,
    );
  }
  let group: DeploymentGroupInfo | undefined;
  try {
    const response = await clients.codedeploy.send(
      new GetDeploymentGroupCommand({
        applicationName: inputs.application,
        deploymentGroupName: inputs.deploymentGroup,
      }),
    );
    group = response.deploymentGroupInfo;
  } catch (error) {
    if (isAwsError(error, 'ApplicationDoesNotExistException', 'InvalidApplicationNameException')) {
      throw missingApplication(inputs.application);
    }
    if (isAwsError(error, 'DeploymentGroupDoesNotExistException', 'InvalidDeploymentGroupNameException')) {
      throw new InputError(
        `CodeDeploy deployment group '${inputs.deploymentGroup}'`,
        `does not exist in application '${inputs.application}'.`,
        "Set 'codedeploy-deployment-group' (the default is DgpECS-<cluster>-<service>).",
      );
    }
    throw error;
  }
  if (!group) throw new Error(`GetDeploymentGroup returned nothing for ${inputs.deploymentGroup}`);
  const served = group.ecsServices ?? [];
  if (served.length === 0) {
    warnings.push(
      `CodeDeploy deployment group '${inputs.deploymentGroup}' lists no ECS service, so whether it serves ${clusterName}/${serviceName} cannot be checked before deploying.`,
    );
  } else if (!served.some((s) => s.serviceName === serviceName && s.clusterName === clusterName)) {
    const list = served.map((s) => `${s.clusterName}/${s.serviceName}`).join(', ') || 'no ECS service';
    throw new InputError(
      `CodeDeploy deployment group '${inputs.application}/${inputs.deploymentGroup}'`,
      `serves ${list}, not ${clusterName}/${serviceName}.`,
      'Name the deployment group of this service, or the service of this group.',
    );
  }
  if (group.deploymentStyle?.deploymentType && group.deploymentStyle.deploymentType !== 'BLUE_GREEN') {
    throw new InputError(
      `CodeDeploy deployment group '${inputs.deploymentGroup}'`,
      'is not a blue/green group.',
      'ECS deployment groups must be BLUE_GREEN with traffic control.',
    );
  }
  return group;
}

async function loadAppSpec(
  inputs: DeployInputs,
  service: Service,
  taskDefinition: RegisterTaskDefinitionCommandInput | TaskDefinition,
  warnings: string[],
): Promise<{ doc: AppSpecDocument; source: string }> {
  let file = inputs.appSpecFile;
  if (!file) file = DEFAULT_APPSPEC_FILES.find((name) => existsSync(resolveWorkspacePath(name)));
  let doc: AppSpecDocument;
  let source: string;
  if (file) {
    const { text } = await readUserFile('codedeploy-appspec', file);
    doc = parseAppSpec(text, file, warnings);
    source = file;
    validateAppSpecAgainstTaskDefinition(doc, taskDefinition, file);
  } else {
    const lb = service.loadBalancers?.[0];
    const containerName =
      inputs.containerName && service.loadBalancers?.some((l) => l.containerName === inputs.containerName)
        ? inputs.containerName
        : lb?.containerName;
    const containerPort =
      inputs.containerPort ??
      service.loadBalancers?.find((l) => l.containerName === containerName)?.containerPort;
    doc = generateAppSpec({
      taskDefinitionArn: PENDING_TASK_DEFINITION_ARN,
      containerName,
      containerPort,
      service,
    });
    source = `generated from service ${service.serviceName}`;
    const target = appSpecTarget(doc);
    validateContainerPort(
      taskDefinition,
      target.containerName,
      target.containerPort,
      inputs.containerPort ? "input 'container-port'" : `service '${service.serviceName}' load balancer`,
    );
  }
  return { doc, source };
}

/**
 * `described`: the service as the deploy command read it to choose the engine (CODE_DEPLOY then);
 * `preloaded`: the task definition file it read before any AWS call.
 */
export async function planDeployment(
  inputs: DeployInputs,
  clients: AwsClients,
  described?: Service,
  preloaded?: TaskDefinitionSource,
): Promise<DeploymentPlan> {
  const warnings: string[] = [];
  // Local files first: a typo fails before any AWS call.
  let taskDefinition: TaskDefinitionSource | undefined =
    preloaded ?? (inputs.taskDefinitionFile ? await loadTaskDefinitionFile(inputs) : undefined);
  if (taskDefinition?.kind === 'register') warnings.push(...taskDefinition.warnings);

  const service = described ?? (await describeService(clients.ecs, inputs.cluster, inputs.service));
  const clusterName = clusterNameFromArn(service.clusterArn, inputs.cluster);
  if (!taskDefinition)
    taskDefinition = await describeExistingTaskDefinition(clients, inputs.taskDefinitionArn as string);
  const definition = taskDefinition.definition;
  const containers = (definition.containerDefinitions ?? []).map((c) => c.name ?? '?');
  if (inputs.containerName && !containers.includes(inputs.containerName)) {
    // Without `image` a mistyped container-name was silently ignored (the AppSpec falls back to the service's load balancer).
    throw new InputError(
      "input 'container-name'",
      `container '${inputs.containerName}' is not in task definition '${definition.family}'; its containers are: ${containers.join(', ') || '(none)'}.`,
      'Set container-name to one of those containers.',
    );
  }

  const group = await readDeploymentGroup(
    clients,
    inputs,
    clusterName,
    service.serviceName ?? inputs.service,
    warnings,
  );
  const deploymentConfigName =
    inputs.deploymentConfig ?? group.deploymentConfigName ?? 'CodeDeployDefault.ECSAllAtOnce';
  const routing = await readTrafficRouting(clients.codedeploy, deploymentConfigName);

  const { doc: appSpec, source: appSpecSource } = await loadAppSpec(inputs, service, definition, warnings);
  const target = appSpecTarget(appSpec);
  if (
    inputs.containerPort !== undefined &&
    !appSpecSource.startsWith('generated') &&
    target.containerPort !== inputs.containerPort
  ) {
    warnings.push(
      `Input 'container-port' (${inputs.containerPort}) is not used: the AppSpec ${appSpecSource} routes traffic to ${target.containerName}:${target.containerPort}. container-port only applies to a generated AppSpec.`,
    );
  }
  const lbs = service.loadBalancers ?? [];
  if (
    lbs.length > 0 &&
    !lbs.some((lb) => lb.containerName === target.containerName && lb.containerPort === target.containerPort)
  ) {
    warnings.push(
      `The AppSpec routes traffic to ${target.containerName}:${target.containerPort}, but service ${service.serviceName} is load balanced on ${lbs.map((lb) => `${lb.containerName}:${lb.containerPort}`).join(', ')}.`,
    );
  }

  const bg = group.blueGreenDeploymentConfiguration;
  const ready = bg?.deploymentReadyOption;
  const readyWaitMinutes =
    ready?.actionOnTimeout === 'STOP_DEPLOYMENT' ? (ready.waitTimeInMinutes ?? 0) : undefined;
  // test-command and wait-until: ready both need the deployment held in Ready before production traffic moves.
  if ((inputs.testCommand || inputs.waitUntil === 'ready') && !readyWaitMinutes) {
    const what = inputs.testCommand
      ? "'test-command' would never get a chance to run"
      : "'wait-until: ready' would not find it held: the step would end with nothing waiting for a promote, and production traffic would move on its own";
    throw new InputError(
      `CodeDeploy deployment group '${inputs.deploymentGroup}'`,
      `does not hold the replacement task set for validation, so ${what} before production traffic moves.`,
      `Set the group's deployment ready option to 'Specify when to reroute traffic' (deploymentReadyOption actionOnTimeout STOP_DEPLOYMENT with waitTimeInMinutes > 0), or ${inputs.testCommand ? 'remove test-command' : "use wait-until 'traffic-shifted' or 'succeeded'"}.`,
    );
  }
  const terminationWaitMinutes =
    bg?.terminateBlueInstancesOnDeploymentSuccess?.terminationWaitTimeInMinutes ?? 0;

  let activeDeploymentId: string | undefined;
  try {
    activeDeploymentId = await findActiveDeployment(
      clients.codedeploy,
      inputs.application,
      inputs.deploymentGroup,
    );
  } catch (error) {
    warnings.push(
      `Could not list deployments in flight (${awsErrorName(error)}); CreateDeployment will tell.`,
    );
  }

  return {
    taskDefinition,
    service,
    clusterName,
    targetId: `${clusterName}:${service.serviceName ?? inputs.service}`,
    appSpec,
    appSpecSource,
    group,
    deploymentConfigName,
    routing,
    readyWaitMinutes,
    terminationWaitMinutes,
    activeDeploymentId,
    warnings,
  };
}
