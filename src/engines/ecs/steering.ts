/**
 * ECS's own service deployments as a Steering (src/engine/engine.ts): the steering calls the
 * commands make. The id is the service deployment ARN. A rollback is a status of the same deployment, never
 * a new one (docs/ecs-native.md), so `findRollback` names the deployment itself once it is rolling back.
 */
import type { ECSClient, ServiceDeployment } from '@aws-sdk/client-ecs';
import type { Clock } from '../../action/clock.js';
import type { Steering, EngineDeploymentState } from '../../engine/engine.js';
import { continueServiceDeployment, pausedHookId, stopServiceDeployment } from './control.js';
import { isEcsDeploymentInFlight, isRollingBack } from './progress.js';
import { ecsConsoleUrl, readServiceDeployment } from './reads.js';

export function ecsDeploymentState(d: ServiceDeployment, arn: string): EngineDeploymentState {
  return {
    id: d.serviceDeploymentArn ?? arn,
    status: d.status ?? 'PENDING',
    inFlight: isEcsDeploymentInFlight(d.status),
    rollbackId: isRollingBack(d) ? (d.serviceDeploymentArn ?? arn) : undefined,
  };
}

export function ecsSteering(ecs: ECSClient, clock: Clock): Steering {
  return {
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
