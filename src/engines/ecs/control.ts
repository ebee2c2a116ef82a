/**
 * Steering an ECS service deployment: continue a pause hook (ContinueServiceDeployment), stop with rollback
 * (StopServiceDeployment ROLLBACK). Both are safe to retry: when a call fails, the deployment is read back
 * and the state decides (a lost answer whose call took effect is a success). Source: DG
 * continue-service-deployment, stop-service-deployment; docs/ecs-native.md.
 */
import {
  ContinueServiceDeploymentCommand,
  StopServiceDeploymentCommand,
  type ECSClient,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import type { Clock } from '../../action/clock.js';
import { errorMessage } from '../../action/errors.js';
import { awsErrorName } from '../../aws/errors.js';
import { withRetries } from '../../aws/retry.js';
import type { StopResult } from '../../engine/engine.js';
import { isEcsDeploymentInFlight, isRollingBack, UNDOING_STATUSES } from './progress.js';
import { readServiceDeployment } from './reads.js';

/**
 * ContinueServiceDeployment for the hook `hookId` (the pause hook AWAITING_ACTION). `action` ROLLBACK rolls
 * the deployment back from the hook. A failed call is decided from the hook's state read back.
 */
export async function continueServiceDeployment(
  ecs: ECSClient,
  clock: Clock,
  arn: string,
  hookId: string,
  action: 'CONTINUE' | 'ROLLBACK' = 'CONTINUE',
): Promise<void> {
  try {
    await withRetries(clock, () =>
      ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId, action })),
    );
  } catch (error) {
    const after = await readServiceDeployment(ecs, clock, arn).catch(() => undefined);
    const hook = after?.lifecycleHookDetails?.find((h) => h.hookId === hookId);
    // The call took effect (its answer was lost), or the deployment left the hook.
    if (after && hook?.status !== 'AWAITING_ACTION') {
      if (action === 'ROLLBACK' || !isRollingBack(after)) return;
    }
    throw new Error(
      `ContinueServiceDeployment ${arn} (hook ${hookId}, ${action}) failed: ${awsErrorName(error)}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

/** The pause hook the deployment waits in, read now. */
export async function pausedHookId(ecs: ECSClient, clock: Clock, arn: string): Promise<string | undefined> {
  const d = await readServiceDeployment(ecs, clock, arn);
  return d.lifecycleHookDetails?.find((h) => h.status === 'AWAITING_ACTION')?.hookId;
}

/**
 * StopServiceDeployment ROLLBACK (the only stop type the guide documents; ABORT is [U]). A deployment
 * that already ended is not an error, just reported; one already being undone is left to go on.
 */
export async function stopServiceDeployment(
  ecs: ECSClient,
  clock: Clock,
  arn: string,
): Promise<StopResult & { deployment?: ServiceDeployment }> {
  try {
    await withRetries(clock, () =>
      ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' })),
    );
    return { stopped: true, status: 'ROLLBACK_REQUESTED', message: `Stopped ${arn} with rollback.` };
  } catch (error) {
    const after = await readServiceDeployment(ecs, clock, arn).catch(() => undefined);
    if (after && !isEcsDeploymentInFlight(after.status))
      return {
        stopped: false,
        status: after.status,
        message: `${arn} had already ended (${after.status}); nothing to stop.`,
        deployment: after,
      };
    if (after && (UNDOING_STATUSES.includes(after.status ?? '') || isRollingBack(after)))
      return {
        stopped: true,
        status: after.status,
        message: `${arn} is being rolled back (${after.status}).`,
        deployment: after,
      };
    throw new Error(`StopServiceDeployment ${arn} failed: ${awsErrorName(error)}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}
