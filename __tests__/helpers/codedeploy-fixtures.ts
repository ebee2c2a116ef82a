/** Builders for CodeDeploy ECS deployments, targets and lifecycle events, shaped as GetDeployment / GetDeploymentTarget return them. */
import type {
  DeploymentInfo,
  DeploymentStatus,
  ECSTarget,
  ECSTaskSet,
  LifecycleEvent,
  LifecycleEventStatus,
  TargetStatus,
} from '@aws-sdk/client-codedeploy';
import { LIFECYCLE_EVENTS } from '../../src/engines/codedeploy/progress.js';
import { START_MS } from './fake-runtime.js';

export const DEPLOYMENT_ID = 'd-ABCDEF123';
export const TARGET_ID = 'prod:web';

export function deployment(
  status: DeploymentStatus | string,
  extra: Partial<DeploymentInfo> = {},
): DeploymentInfo {
  return {
    deploymentId: DEPLOYMENT_ID,
    applicationName: 'AppECS-prod-web',
    deploymentGroupName: 'DgpECS-prod-web',
    deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
    computePlatform: 'ECS',
    creator: 'user',
    status: status as DeploymentStatus,
    ...extra,
  };
}

export function event(
  name: string,
  status: LifecycleEventStatus | string,
  extra: Partial<LifecycleEvent> = {},
): LifecycleEvent {
  return { lifecycleEventName: name, status: status as LifecycleEventStatus, ...extra };
}

/**
 * The eight ECS lifecycle events with the first `done` Succeeded, the next one `current` (default
 * InProgress) and the rest Pending. Times are seconds after START_MS.
 */
export function events(
  done: number,
  current: LifecycleEventStatus | string | undefined = 'InProgress',
): LifecycleEvent[] {
  return LIFECYCLE_EVENTS.map((name, index) => {
    const startTime = new Date(START_MS + index * 10_000);
    if (index < done)
      return event(name, 'Succeeded', { startTime, endTime: new Date(startTime.getTime() + 5000) });
    if (index === done && current !== undefined) return event(name, current, { startTime });
    return event(name, 'Pending');
  });
}

export function taskSet(
  label: 'Blue' | 'Green',
  weight: number,
  extra: Partial<ECSTaskSet> = {},
): ECSTaskSet {
  return {
    identifer: `ecs-svc/${label === 'Blue' ? '111' : '222'}`,
    taskSetLabel: label,
    trafficWeight: weight,
    desiredCount: 2,
    runningCount: 2,
    pendingCount: 0,
    status: label === 'Blue' ? 'PRIMARY' : 'ACTIVE',
    targetGroup: { name: label === 'Blue' ? 'tg-blue' : 'tg-green' },
    ...extra,
  };
}

export function target(
  status: TargetStatus | string,
  lifecycleEvents: LifecycleEvent[],
  taskSets: ECSTaskSet[] = [],
  extra: Partial<ECSTarget> = {},
): ECSTarget {
  return {
    deploymentId: DEPLOYMENT_ID,
    targetId: TARGET_ID,
    targetArn: 'arn:aws:ecs:us-east-1:111122223333:service/prod/web',
    status: status as TargetStatus,
    lifecycleEvents,
    taskSetsInfo: taskSets,
    ...extra,
  };
}
