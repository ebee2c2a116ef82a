/**
 * Steering a deployment: continue it (reroute or end the termination wait), stop it, find and follow its
 * rollback. A steering call can take effect while its answer is lost (a 5xx, a reset, a timeout) and the
 * retry then meets the changed state (issue #9, part 1): so when one fails, the deployment is read back
 * and its state decides whether the intended change happened.
 */
import {
  ContinueDeploymentCommand,
  StopDeploymentCommand,
  type CodeDeployClient,
  type DeploymentInfo,
  type DeploymentWaitType,
} from '@aws-sdk/client-codedeploy';
import type { Clock } from '../../action/clock.js';
import { isAwsError, awsErrorName } from '../../aws/errors.js';
import { withRetries } from '../../aws/retry.js';
import { getDeployment, isDeploymentInFlight } from '../../aws/codedeploy-reads.js';
import { DeploymentError, errorMessage } from '../../action/errors.js';
import { ROLLBACK_LOOKUP_POLL_MS } from './pacing.js';
import type { ContinueResult, StopResult } from '../../engine/engine.js';

export type { ContinueResult, StopResult };

/** Once a stopped or failed deployment is final, how long its rollback may still take to be named. */
export const FINAL_ROLLBACK_GRACE_MS = 20_000;

/** A steering call failed and reading the deployment back shows the change did not happen. */
export class SteeringRefused extends DeploymentError {
  constructor(
    message: string,
    /** what CodeDeploy shows, when it could be read back */
    readonly deployment: DeploymentInfo | undefined,
    /** the ready wait ran out before ContinueDeployment(READY_WAIT): CodeDeploy stopped the deployment */
    readonly readyWaitExpired: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'SteeringRefused';
  }

  /** the deployment is final (Failed, Stopped, Succeeded): following it tells the rest */
  get final(): boolean {
    return this.deployment !== undefined && !isDeploymentInFlight(this.deployment.status);
  }
}

async function readBack(
  codedeploy: CodeDeployClient,
  clock: Clock,
  deploymentId: string,
): Promise<DeploymentInfo | undefined> {
  return getDeployment(codedeploy, clock, deploymentId).catch(() => undefined);
}

function shows(deployment: DeploymentInfo): string {
  const info = deployment.errorInformation;
  const why = info?.code || info?.message ? ` (${[info.code, info.message].filter(Boolean).join(': ')})` : '';
  return `${deployment.status ?? 'Unknown'}${why}`;
}

/**
 * Whether a continue of `waitType` took effect, judged from the deployment read back: `yes`, `no`, or
 * `unknown` (TERMINATION_WAIT with the deployment still InProgress: it ends Succeeded either way).
 */
export function continueTookEffect(
  waitType: DeploymentWaitType,
  deployment: DeploymentInfo,
): 'yes' | 'no' | 'unknown' {
  const status = deployment.status;
  if (waitType === 'READY_WAIT') return status === 'InProgress' || status === 'Succeeded' ? 'yes' : 'no';
  if (status === 'Succeeded') return 'yes';
  return status === 'InProgress' ? 'unknown' : 'no';
}

/**
 * ContinueDeployment. When the call fails (after retries), the deployment is read back: the job goes on
 * when CodeDeploy shows the change happened (an earlier attempt's answer was lost); otherwise
 * SteeringRefused says what CodeDeploy shows instead.
 */
export async function continueDeployment(
  codedeploy: CodeDeployClient,
  clock: Clock,
  deploymentId: string,
  waitType: DeploymentWaitType,
): Promise<ContinueResult> {
  try {
    await withRetries(clock, () =>
      codedeploy.send(new ContinueDeploymentCommand({ deploymentId, deploymentWaitType: waitType })),
    );
    return {};
  } catch (error) {
    const call = `ContinueDeployment ${waitType} for ${deploymentId} answered ${awsErrorName(error)}: ${errorMessage(error)}`;
    const deployment = await readBack(codedeploy, clock, deploymentId);
    if (!deployment)
      throw new SteeringRefused(`${call}, and the deployment could not be read back.`, undefined, false, {
        cause: error,
      });
    const took = continueTookEffect(waitType, deployment);
    if (took === 'yes')
      return {
        note: `${call}; CodeDeploy shows ${shows(deployment)}, so the continue took effect (an earlier answer was lost).`,
      };
    if (took === 'unknown')
      return {
        note: `${call}; CodeDeploy still shows InProgress: following it (the termination wait ends on its own).`,
      };
    const expired =
      waitType === 'READY_WAIT' &&
      deployment.status === 'Stopped' &&
      deployment.errorInformation?.code === 'TIMEOUT';
    const text = expired
      ? `The ready wait of ${deploymentId} expired before ContinueDeployment; CodeDeploy stopped the deployment (${shows(deployment)}).`
      : `${call}; CodeDeploy shows ${shows(deployment)}${deployment.status === 'Ready' ? ': production traffic has not moved' : ''}.`;
    throw new SteeringRefused(text, deployment, expired, { cause: error });
  }
}

/**
 * StopDeployment. When the call fails (after retries, or with DeploymentAlreadyCompletedException), the
 * deployment is read back: Stopped means the stop took effect (an earlier answer was lost); another final
 * status means it had already ended; in flight means the stop did not happen, and the error says so.
 */
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
    const call = `StopDeployment ${deploymentId} answered ${awsErrorName(error)}: ${errorMessage(error)}`;
    const deployment = await readBack(codedeploy, clock, deploymentId);
    if (deployment?.status === 'Stopped') {
      return {
        stopped: true,
        status: 'Stopped',
        readBack: true,
        message: `${call}; CodeDeploy shows it Stopped, so the stop took effect (an earlier answer was lost).`,
      };
    }
    if (deployment && !isDeploymentInFlight(deployment.status)) {
      return {
        stopped: false,
        status: deployment.status,
        message: `${deploymentId} had already completed (${shows(deployment)}); nothing to stop.`,
      };
    }
    if (!deployment && isAwsError(error, 'DeploymentAlreadyCompletedException')) {
      return { stopped: false, message: `${deploymentId} had already completed` };
    }
    throw new Error(
      `${call}; CodeDeploy shows ${deployment ? shows(deployment) : 'nothing (it could not be read back)'}.`,
      { cause: error },
    );
  }
}

export interface RollbackSearch {
  rollbackDeploymentId?: string;
  /** the deployment as last read */
  deployment: DeploymentInfo;
}

/**
 * Looks for the rollback deployment of a failed or stopped one. CodeDeploy may name it well after
 * StopDeployment answers (Pending) or the deployment turns final (issue #9, part 2), so the search goes
 * on while the deployment is still in flight, up to `withinMs`; once it is final without a rollback, up
 * to FINAL_ROLLBACK_GRACE_MS more. The returned deployment says which: in flight means the bound ran out.
 */
export async function findRollbackDeployment(
  codedeploy: CodeDeployClient,
  clock: Clock,
  deploymentId: string,
  withinMs: number,
  graceMs = FINAL_ROLLBACK_GRACE_MS,
): Promise<RollbackSearch> {
  const until = clock.now() + withinMs;
  let finalSince: number | undefined;
  for (;;) {
    const deployment = await getDeployment(codedeploy, clock, deploymentId);
    const id = deployment.rollbackInfo?.rollbackDeploymentId;
    if (id) return { rollbackDeploymentId: id, deployment };
    const now = clock.now();
    if (!isDeploymentInFlight(deployment.status)) finalSince ??= now;
    if (now >= until || (finalSince !== undefined && now - finalSince >= graceMs)) return { deployment };
    await clock.sleep(ROLLBACK_LOOKUP_POLL_MS);
  }
}
