/**
 * ECS's own service deployments as a DeploymentEngine (src/engine/engine.ts): the steering calls the
 * commands make. The id is the service deployment ARN. A rollback is a status of the same deployment, never
 * a new one (docs/ecs-native.md), so `findRollback` names the deployment itself once it is rolling back.
 */
import type { ECSClient, ServiceDeployment } from '@aws-sdk/client-ecs';
import type { Clock } from '../../action/clock.js';
import { consoleHost } from '../../aws/console-url.js';
import type { DeploymentEngine, EngineDeploymentState } from '../../engine/engine.js';
import { continueServiceDeployment, pausedHookId, stopServiceDeployment } from './control.js';
import { isEcsDeploymentInFlight, isRollingBack } from './progress.js';
import { parseServiceDeploymentArn, readServiceDeployment } from './reads.js';

/** Where a person looks at the deployment: the service's Deployments tab in the ECS console. */
export function ecsConsoleUrl(arn: string): string {
  const parts = parseServiceDeploymentArn(arn);
  if (!parts) return `https://console.aws.amazon.com/ecs/v2/home`;
  return `https://${consoleHost(parts.region)}/ecs/v2/clusters/${encodeURIComponent(parts.cluster)}/services/${encodeURIComponent(parts.service)}/deployments/${encodeURIComponent(parts.id)}?region=${parts.region}`;
}

export function ecsDeploymentState(d: ServiceDeployment, arn: string): EngineDeploymentState {
  return {
    id: d.serviceDeploymentArn ?? arn,
    status: d.status ?? 'PENDING',
    inFlight: isEcsDeploymentInFlight(d.status),
    rollbackId: isRollingBack(d) ? (d.serviceDeploymentArn ?? arn) : undefined,
  };
}

export function ecsEngine(ecs: ECSClient, clock: Clock): DeploymentEngine {
  return {
    name: 'ECS',
    read: async (arn) => ecsDeploymentState(await readServiceDeployment(ecs, clock, arn), arn),
    // Both waits a CodeDeploy continue ends are pause hooks here: continue the one waiting now.
    continue: async (arn) => {
      const hookId = await pausedHookId(ecs, clock, arn);
      if (!hookId) throw new Error(`${arn} is not waiting in a pause hook; nothing to continue.`);
      await continueServiceDeployment(ecs, clock, arn, hookId, 'CONTINUE');
      return {};
    },
    stopWithRollback: (arn) => stopServiceDeployment(ecs, clock, arn),
    findRollback: async (arn, withinMs) => {
      const until = clock.now() + withinMs;
      for (;;) {
        const state = ecsDeploymentState(await readServiceDeployment(ecs, clock, arn), arn);
        if (state.rollbackId || !state.inFlight || clock.now() >= until) return state;
        await clock.sleep(2000);
      }
    },
    consoleUrl: ecsConsoleUrl,
  };
}
