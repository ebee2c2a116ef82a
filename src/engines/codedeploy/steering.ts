/** CodeDeploy as a Steering (src/engine/engine.ts): the steering calls the commands make. */
import type { CodeDeployClient, DeploymentInfo } from '@aws-sdk/client-codedeploy';
import type { Clock } from '../../action/clock.js';
import { consoleUrl } from '../../aws/console-url.js';
import { getDeployment, isDeploymentInFlight } from '../../aws/codedeploy-reads.js';
import type { Steering, EngineDeploymentState } from '../../engine/engine.js';
import { continueDeployment, findRollbackDeployment, stopDeployment } from './control.js';

export function deploymentState(deployment: DeploymentInfo): EngineDeploymentState {
  return {
    id: deployment.deploymentId ?? '?',
    status: deployment.status ?? 'Unknown',
    inFlight: isDeploymentInFlight(deployment.status),
    rollbackId: deployment.rollbackInfo?.rollbackDeploymentId,
  };
}

export function codeDeploySteering(codedeploy: CodeDeployClient, clock: Clock, region: string): Steering {
  return {
    read: async (id) => deploymentState(await getDeployment(codedeploy, clock, id)),
    continue: (id, step) =>
      continueDeployment(codedeploy, clock, id, step === 'reroute' ? 'READY_WAIT' : 'TERMINATION_WAIT'),
    stopWithRollback: (id) => stopDeployment(codedeploy, clock, id, true),
    findRollback: async (id, withinMs) =>
      deploymentState((await findRollbackDeployment(codedeploy, clock, id, withinMs)).deployment),
    consoleUrl: (id) => consoleUrl(region, id),
  };
}
