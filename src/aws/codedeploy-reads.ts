/**
 * The CodeDeploy reads that more than one command makes: a deployment (with retries, or with a clear
 * error when it does not exist), the ECS service its group serves, its ECS target, the deployment in
 * flight in a group, and the traffic routing of a deployment config. Only Get/List calls happen here.
 */
import {
  GetDeploymentCommand,
  GetDeploymentConfigCommand,
  GetDeploymentGroupCommand,
  GetDeploymentTargetCommand,
  ListDeploymentsCommand,
  type CodeDeployClient,
  type DeploymentInfo,
  type ECSTarget,
} from '@aws-sdk/client-codedeploy';
import type { Clock } from '../action/clock.js';
import { InputError, errorMessage } from '../action/errors.js';
import { awsErrorName, isAwsError, isUnsupportedOrDenied } from './errors.js';
import { withRetries } from './retry.js';
import { carriesMarker } from '../action/run-marker.js';

/** The deployment statuses ListDeployments counts as in flight (CodeDeploy allows one per group). */
export const ACTIVE_DEPLOYMENT_STATUSES = ['Created', 'Queued', 'InProgress', 'Ready', 'Baking'] as const;
/** The statuses a CodeDeploy deployment ends in. */
export const TERMINAL_DEPLOYMENT_STATUSES = ['Succeeded', 'Failed', 'Stopped'];

export function isDeploymentInFlight(status: string | undefined): boolean {
  return status !== undefined && !TERMINAL_DEPLOYMENT_STATUSES.includes(status);
}

export async function getDeployment(
  codedeploy: CodeDeployClient,
  clock: Clock,
  deploymentId: string,
): Promise<DeploymentInfo> {
  const response = await withRetries(clock, () =>
    codedeploy.send(new GetDeploymentCommand({ deploymentId })),
  );
  if (!response.deploymentInfo) throw new Error(`GetDeployment returned nothing for ${deploymentId}`);
  return response.deploymentInfo;
}

/** getDeployment, with an error that names the deployment id when it does not exist. */
export async function getDeploymentOrExplain(
  codedeploy: CodeDeployClient,
  clock: Clock,
  deploymentId: string,
): Promise<DeploymentInfo> {
  try {
    return await getDeployment(codedeploy, clock, deploymentId);
  } catch (error) {
    if (isAwsError(error, 'DeploymentDoesNotExistException', 'InvalidDeploymentIdException')) {
      throw new InputError(
        `deployment ${deploymentId}`,
        'does not exist in this account and region.',
        "Check 'deployment-id' and 'aws-region'.",
      );
    }
    throw error;
  }
}

export interface DeploymentTargetInfo {
  cluster: string;
  service: string;
  /** `<cluster>:<service>`, the ECS deployment target id */
  targetId: string;
}

/** The ECS service a deployment deploys, from its deployment group. */
export async function deploymentService(
  codedeploy: CodeDeployClient,
  deployment: DeploymentInfo,
): Promise<DeploymentTargetInfo> {
  const response = await codedeploy.send(
    new GetDeploymentGroupCommand({
      applicationName: deployment.applicationName,
      deploymentGroupName: deployment.deploymentGroupName,
    }),
  );
  const service = response.deploymentGroupInfo?.ecsServices?.[0];
  if (!service?.clusterName || !service.serviceName) {
    throw new InputError(
      `deployment ${deployment.deploymentId}`,
      `belongs to group ${deployment.deploymentGroupName}, which serves no ECS service.`,
      'Promote and rollback work on ECS blue/green deployments.',
    );
  }
  return {
    cluster: service.clusterName,
    service: service.serviceName,
    targetId: `${service.clusterName}:${service.serviceName}`,
  };
}

export type TargetRead =
  /** the target (undefined before CodeDeploy has reached the service) */
  | { kind: 'target'; target: ECSTarget | undefined }
  /** CodeDeploy knows no target of this id for the deployment */
  | { kind: 'missing' }
  /** not allowed, or not offered by this endpoint: follow the deployment's status alone */
  | { kind: 'unavailable'; reason: string };

/**
 * The deployment's ECS target (lifecycle events, task sets and their weights). Anything other than the
 * three answers above (a passing fault, expired credentials) is thrown, for the caller to handle.
 */
export async function readDeploymentTarget(
  codedeploy: CodeDeployClient,
  deploymentId: string,
  targetId: string,
  signal?: AbortSignal,
): Promise<TargetRead> {
  try {
    const response = await codedeploy.send(new GetDeploymentTargetCommand({ deploymentId, targetId }), {
      abortSignal: signal,
    });
    return { kind: 'target', target: response.deploymentTarget?.ecsTarget };
  } catch (error) {
    if (isAwsError(error, 'DeploymentNotStartedException')) return { kind: 'target', target: undefined };
    if (isAwsError(error, 'DeploymentTargetDoesNotExistException')) return { kind: 'missing' };
    if (!isUnsupportedOrDenied(error) || signal?.aborted) throw error;
    return { kind: 'unavailable', reason: `${awsErrorName(error)}: ${errorMessage(error)}` };
  }
}

/** The deployment in flight in the group, if any (CodeDeploy allows one per group). */
export async function findActiveDeployment(
  codedeploy: CodeDeployClient,
  application: string,
  group: string,
): Promise<string | undefined> {
  const response = await codedeploy.send(
    new ListDeploymentsCommand({
      applicationName: application,
      deploymentGroupName: group,
      includeOnlyStatuses: [...ACTIVE_DEPLOYMENT_STATUSES],
    }),
  );
  return response.deployments?.[0];
}

/** How far before the recorded start ListDeployments looks: the runner's clock and AWS's may differ. */
export const CREATE_TIME_SLACK_MS = 15 * 60_000;

/**
 * The group's active deployments whose description ends with exactly this mark (this run, this attempt,
 * this step's nonce): a deployment of another run, even one active in the same group, never matches.
 * ListDeployments (active statuses, created since a bit before `since`), then GetDeployment each: the
 * same two permissions the deploy command already needs.
 */
export async function findMarkedDeployments(
  codedeploy: CodeDeployClient,
  clock: Clock,
  where: { application: string; group: string; marker: string; since: number },
): Promise<DeploymentInfo[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const response = await withRetries(clock, () =>
      codedeploy.send(
        new ListDeploymentsCommand({
          applicationName: where.application,
          deploymentGroupName: where.group,
          includeOnlyStatuses: [...ACTIVE_DEPLOYMENT_STATUSES],
          createTimeRange: { start: new Date(Math.max(0, where.since - CREATE_TIME_SLACK_MS)) },
          nextToken,
        }),
      ),
    );
    ids.push(...(response.deployments ?? []));
    nextToken = response.nextToken;
  } while (nextToken && ids.length < 100);
  const matches: DeploymentInfo[] = [];
  for (const id of ids) {
    const deployment = await getDeployment(codedeploy, clock, id);
    if (carriesMarker(deployment.description, where.marker)) matches.push(deployment);
  }
  return matches;
}

/** How a deployment config shifts production traffic. */
export interface TrafficRouting {
  type: 'AllAtOnce' | 'TimeBasedCanary' | 'TimeBasedLinear';
  /** minutes between shifts (canary interval or linear interval) */
  intervalMinutes?: number;
  percentage?: number;
}

/** Minutes CodeDeploy needs to shift all traffic with this config (0 for all-at-once). */
export function trafficShiftMinutes(routing: TrafficRouting | undefined): number {
  if (!routing?.intervalMinutes) return 0;
  if (routing.type === 'TimeBasedCanary') return routing.intervalMinutes;
  if (routing.type === 'TimeBasedLinear') {
    const steps = Math.ceil(100 / Math.max(1, routing.percentage ?? 10));
    return routing.intervalMinutes * Math.max(0, steps - 1);
  }
  return 0;
}

/** The traffic routing of a deployment config; undefined when it cannot be read (it only sharpens polling). */
export async function readTrafficRouting(
  codedeploy: CodeDeployClient,
  configName: string,
): Promise<TrafficRouting | undefined> {
  try {
    const response = await codedeploy.send(
      new GetDeploymentConfigCommand({ deploymentConfigName: configName }),
    );
    const routing = response.deploymentConfigInfo?.trafficRoutingConfig;
    if (
      response.deploymentConfigInfo?.computePlatform &&
      response.deploymentConfigInfo.computePlatform !== 'ECS'
    ) {
      throw new InputError(
        `deployment config '${configName}'`,
        `is for ${response.deploymentConfigInfo.computePlatform}, not ECS.`,
        'Use a CodeDeployDefault.ECS* config or a custom ECS config.',
      );
    }
    if (!routing?.type) return undefined;
    if (routing.type === 'TimeBasedCanary') {
      return {
        type: routing.type,
        intervalMinutes: routing.timeBasedCanary?.canaryInterval,
        percentage: routing.timeBasedCanary?.canaryPercentage,
      };
    }
    if (routing.type === 'TimeBasedLinear') {
      return {
        type: routing.type,
        intervalMinutes: routing.timeBasedLinear?.linearInterval,
        percentage: routing.timeBasedLinear?.linearPercentage,
      };
    }
    return { type: 'AllAtOnce' };
  } catch (error) {
    if (error instanceof InputError) throw error;
    if (isAwsError(error, 'DeploymentConfigDoesNotExistException', 'InvalidDeploymentConfigNameException')) {
      throw new InputError(
        `deployment config '${configName}'`,
        'does not exist.',
        "Check 'codedeploy-deployment-config' (e.g. CodeDeployDefault.ECSCanary10Percent5Minutes).",
      );
    }
    // A reader without codedeploy:GetDeploymentConfig still deploys.
    return undefined;
  }
}
