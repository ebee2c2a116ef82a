/** Steering a deployment: continue it (reroute or end the termination wait), stop it, find and follow its rollback. */
import {
  ContinueDeploymentCommand,
  GetDeploymentCommand,
  StopDeploymentCommand,
  type CodeDeployClient,
  type DeploymentInfo,
  type DeploymentWaitType,
} from '@aws-sdk/client-codedeploy';
import type { Clock } from './clock.js';
import { isAwsError, isTransientAwsError, awsErrorName, type AwsErrorLike } from './aws-errors.js';
import { errorMessage } from './errors.js';
import { TERMINAL_DEPLOYMENT_STATUSES } from './deployment-progress.js';

/** Requests one withRetries call may make in all, the SDK's own retries included. */
export const MAX_AWS_REQUESTS = 10;

/**
 * Retries a steering call through passing AWS faults (these calls matter most when things go wrong).
 * The SDK client already retries each call (maxAttempts, 5 by default) and reports how many requests it
 * made in `$metadata.attempts`; those count against `maxRequests`, so the total stays bounded (10: two
 * rounds with the default clients, not 6 × 5 = 30).
 */
export async function withRetries<T>(
  clock: Clock,
  _what: string,
  call: () => Promise<T>,
  maxRequests = MAX_AWS_REQUESTS,
): Promise<T> {
  let requests = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      requests += Math.max(1, (error as AwsErrorLike | undefined)?.$metadata?.attempts ?? 1);
      if (!isTransientAwsError(error) || requests >= maxRequests) throw error;
      await clock.sleep(Math.min(20_000, 1000 * 2 ** (attempt - 1)));
    }
  }
}

export async function getDeployment(
  codedeploy: CodeDeployClient,
  clock: Clock,
  deploymentId: string,
): Promise<DeploymentInfo> {
  const response = await withRetries(clock, 'GetDeployment', () =>
    codedeploy.send(new GetDeploymentCommand({ deploymentId })),
  );
  if (!response.deploymentInfo) throw new Error(`GetDeployment returned nothing for ${deploymentId}`);
  return response.deploymentInfo;
}

export function isDeploymentInFlight(status: string | undefined): boolean {
  return status !== undefined && !TERMINAL_DEPLOYMENT_STATUSES.includes(status);
}

export interface StopResult {
  stopped: boolean;
  status?: string;
  message: string;
}

/** StopDeployment; a deployment that already finished is not an error, just reported. */
export async function stopDeployment(
  codedeploy: CodeDeployClient,
  clock: Clock,
  deploymentId: string,
  rollback: boolean,
): Promise<StopResult> {
  try {
    const response = await withRetries(clock, 'StopDeployment', () =>
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
  await withRetries(clock, 'ContinueDeployment', () =>
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
    await clock.sleep(3000);
  }
}
