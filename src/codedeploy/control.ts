/** Steering a deployment: continue it (reroute or end the termination wait), stop it, find and follow its rollback. */
import {
  ContinueDeploymentCommand,
  StopDeploymentCommand,
  type CodeDeployClient,
  type DeploymentInfo,
  type DeploymentWaitType,
} from '@aws-sdk/client-codedeploy';
import type { Clock } from '../action/clock.js';
import { isAwsError, awsErrorName } from '../aws/errors.js';
import { withRetries } from '../aws/retry.js';
import { getDeployment } from '../aws/codedeploy-reads.js';
import { errorMessage } from '../action/errors.js';
import { ROLLBACK_LOOKUP_POLL_MS } from './pacing.js';
import type { StopResult } from '../engine/engine.js';

export type { StopResult };

/** StopDeployment; a deployment that already finished is not an error, just reported. */
export async function stopDeployment(
  codedeploy: CodeDeployClient,
  clock: Clock,
  deploymentId: string,
  rollback: boolean,
): Promise<StopResult> {
  try {
    const response = await withRetries(clock, () =>
      codedeploy.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: rollback })),
    );
    return { stopped: true, status: response.status, message: response.statusMessage ?? '' };
  } catch (error) {
    if (isAwsError(error, 'DeploymentAlreadyCompletedException')) {
      return { stopped: false, message: `${deploymentId} had already completed` };
    }
    throw new Error(`StopDeployment ${deploymentId} failed: ${awsErrorName(error)}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

export async function continueDeployment(
  codedeploy: CodeDeployClient,
  clock: Clock,
  deploymentId: string,
  waitType: DeploymentWaitType,
): Promise<void> {
  await withRetries(clock, () =>
    codedeploy.send(new ContinueDeploymentCommand({ deploymentId, deploymentWaitType: waitType })),
  );
}

/**
 * Waits (up to `withinMs`) for CodeDeploy to start the rollback deployment of a failed or stopped one and
 * returns its id, or undefined when there is none (rollback not configured, or nothing to roll back).
 */
export async function findRollbackDeployment(
  codedeploy: CodeDeployClient,
  clock: Clock,
  deploymentId: string,
  withinMs: number,
): Promise<{ rollbackDeploymentId?: string; deployment: DeploymentInfo }> {
  const until = clock.now() + withinMs;
  for (;;) {
    const deployment = await getDeployment(codedeploy, clock, deploymentId);
    const id = deployment.rollbackInfo?.rollbackDeploymentId;
    if (id || clock.now() >= until) return { rollbackDeploymentId: id, deployment };
    await clock.sleep(ROLLBACK_LOOKUP_POLL_MS);
  }
}
