/**
 * The promote command's path for a service with the ECS deployment controller (issue #11): the deployment —
 * given by ARN, or the service's deployment in flight — must wait in a PAUSE lifecycle hook (AWAITING_ACTION);
 * promote continues that hook (ContinueServiceDeployment CONTINUE) and follows the deployment to wait-until,
 * as the CodeDeploy path does after ContinueDeployment. One promote continues one pause: when the deployment
 * pauses again (a LINEAR/CANARY pause at PRE_PRODUCTION_TRAFFIC_SHIFT fires at every step, each time with a
 * new hookId; DG pause-lifecycle-hooks), following ends there and says to promote again (docs/ecs-native.md).
 */
import type { DeploymentLifecycleHookDetail, ServiceDeployment } from '@aws-sdk/client-ecs';
import type { AwsClients, AwsRuntime } from '../aws/clients.js';
import type { PromoteInputs } from '../action/inputs.js';
import { InputError, errorMessage } from '../action/errors.js';
import { ecsConsoleUrl } from '../engines/ecs/engine.js';
import { continueServiceDeployment } from '../engines/ecs/control.js';
import { readServiceDeployment } from '../engines/ecs/reads.js';
import {
  awaitingPauseHook,
  describeEcsPosition,
  isEcsDeploymentInFlight,
  isRollingBack,
  TERMINAL_STATUSES,
  UNDOING_STATUSES,
  type EcsObservation,
} from '../engines/ecs/progress.js';
import { ecsWaitBudget } from '../engines/ecs/wait-budget.js';
import { utcClock } from '../engines/ecs/reporter.js';
import { addNote, setVerdict } from '../record/record.js';
import { concludeEcs, finishEcsFollow, followEcsTo, startEcsFollow } from './follow-ecs.js';
import {
  observationBefore,
  readEcsDeploymentInFlight,
  readGivenEcsDeployment,
  recordOfEcsDeployment,
  strategyOf,
  type EcsTarget,
} from './ecs-steering.js';

/**
 * What promote does with the deployment as read: continue its pause hook; nothing (already SUCCESSFUL);
 * report how it ended (stopped, rolled back or rolling back: followed and reported as a failure, as the
 * CodeDeploy path does). Anything else — still on its way to a pause, or running with no pause — is an
 * input error naming where it is.
 */
export type EcsPromoteStep =
  | { kind: 'continue'; hook: DeploymentLifecycleHookDetail & { hookId: string } }
  | { kind: 'already-succeeded' }
  | { kind: 'already-ended' };

export function ecsPromoteStep(arn: string, d: ServiceDeployment): EcsPromoteStep {
  const status = d.status ?? 'PENDING';
  if (status === 'SUCCESSFUL') return { kind: 'already-succeeded' };
  if (TERMINAL_STATUSES.includes(status) || UNDOING_STATUSES.includes(status) || isRollingBack(d))
    return { kind: 'already-ended' };
  const hook = awaitingPauseHook(d);
  if (hook?.hookId) return { kind: 'continue', hook: { ...hook, hookId: hook.hookId } };
  const running = d.lifecycleHookDetails?.find((h) => h.status === 'IN_PROGRESS');
  throw new InputError(
    `service deployment ${arn}`,
    `is ${status}${d.lifecycleStage ? ` at stage ${d.lifecycleStage}` : ''}${running ? ` (hook ${running.hookId ?? '?'} running)` : ''}, not waiting in a pause hook: there is nothing to promote.`,
    'Promote once the deployment waits in a PAUSE lifecycle hook (deploy with wait-until: ready and a PAUSE hook at POST_TEST_TRAFFIC_SHIFT). A deployment with no pause goes on by itself: follow it with the deploy step, or stop it with the rollback action.',
  );
}

/** Promote by ARN (`deploymentId`) or by service: the command's ECS path. */
export async function runEcsPromote(
  rt: AwsRuntime,
  inputs: PromoteInputs,
  clients: AwsClients,
  where: { arn: string } | { cluster: string; service: string },
): Promise<void> {
  let target: EcsTarget;
  if ('arn' in where) {
    target = await readGivenEcsDeployment(rt, clients, where.arn, inputs.aws.region);
  } else {
    const found = await readEcsDeploymentInFlight(rt, clients, where.cluster, where.service);
    if (!found)
      throw new InputError(
        `service '${where.cluster}/${where.service}'`,
        'has no service deployment in flight (ListServiceDeployments PENDING/IN_PROGRESS): there is nothing to promote.',
        'Deploy first (wait-until: ready, with a PAUSE hook), or pass the deployment-id output of the deploy step.',
      );
    target = found;
  }
  const { arn, deployment } = target;
  const step = ecsPromoteStep(arn, deployment);
  rt.setOutput('deployment-id', arn);
  const link = ecsConsoleUrl(arn);
  const strategy = strategyOf(deployment);
  const record = await recordOfEcsDeployment(rt, clients, target, {
    region: inputs.aws.region,
    waitUntil: inputs.waitUntil,
    strategy,
  });

  if (step.kind === 'already-succeeded') {
    rt.info(`Service deployment ${arn} already succeeded; nothing to promote. ${link}`);
    setVerdict(record, 'succeeded', `Service deployment ${arn} had already succeeded; nothing to promote.`);
    rt.setOutput('deployment-status', 'SUCCESSFUL');
    await rt.writeSummary(`Service deployment ${arn} had already succeeded; nothing to promote.`);
    return;
  }

  const f = startEcsFollow(rt, clients.ecs, record, {
    strategy,
    rollbackOnCancel: inputs.rollbackOnCancel,
    rollbackOnFailure: inputs.rollbackOnFailure,
  });
  const before = observationBefore(rt, deployment);
  f.reporter.absorb(before);
  f.lastObservation = before;
  rt.info(`Before the promote: ${describeEcsPosition(deployment)}.`);
  try {
    if (step.kind === 'already-ended') {
      rt.info(`Service deployment ${arn} is ${deployment.status}; there is nothing to promote. ${link}`);
      return await concludeEcs(f, { kind: 'failed', observation: before }, inputs.waitUntil, '');
    }
    const { hook } = step;
    rt.info(
      `Continuing ${arn} from its pause hook ${hook.hookId} at ${deployment.lifecycleStage ?? '?'} (ContinueServiceDeployment CONTINUE): ${link}`,
    );
    addNote(
      record,
      `Promoted: pause hook ${hook.hookId} at ${deployment.lifecycleStage ?? '?'} continued on request.`,
    );
    await continueOrFollow(rt, clients, arn, hook.hookId);
    if (inputs.waitUntil === 'none') {
      setVerdict(
        record,
        'not-followed',
        `Pause hook ${hook.hookId} of ${arn} continued; not followed (wait-until: none).`,
      );
      return;
    }
    // One promote, one pause: a pause hook other than the one continued ends the follow (see the header).
    f.stopAt = (o) => pausedElsewhere(o, hook.hookId) !== undefined;
    const budget = ecsWaitBudget(
      {
        waitForMinutes: inputs.waitForMinutes,
        waitUntil: inputs.waitUntil,
        config: deployment.deploymentConfiguration,
      },
      rt.clock.now(),
    );
    const at = await followEcsTo(f, inputs.waitUntil, budget);
    const again = at ? pausedElsewhere(at, hook.hookId) : undefined;
    if (at && again) {
      const text = `Pause hook ${hook.hookId} was continued; service deployment ${arn} now waits in pause hook ${again.hookId} at ${at.deployment.lifecycleStage ?? '?'}${again.expiresAt instanceof Date ? ` until ${utcClock(again.expiresAt.getTime())} (then ${again.timeoutAction ?? 'ROLLBACK'})` : ''}. Promote again to continue it (each pause is its own approval), or roll back.`;
      setVerdict(record, 'reached', text);
      rt.info(text);
    }
  } finally {
    await finishEcsFollow(f);
  }
}

/** The pause hook, other than `continued`, that the deployment waits in now (not while being undone). */
export function pausedElsewhere(
  o: EcsObservation,
  continued: string,
): DeploymentLifecycleHookDetail | undefined {
  const d = o.deployment;
  if (d.status === 'SUCCESSFUL' || !isEcsDeploymentInFlight(d.status) || isRollingBack(d)) return undefined;
  const hook = awaitingPauseHook(d);
  return hook && hook.hookId !== continued ? hook : undefined;
}

/**
 * The continue; when it fails and ECS shows the deployment ended or being undone (the hook timed out with
 * ROLLBACK just before), following it reports that as a failure seen live; any other failure fails the job.
 */
async function continueOrFollow(
  rt: AwsRuntime,
  clients: AwsClients,
  arn: string,
  hookId: string,
): Promise<void> {
  try {
    await continueServiceDeployment(clients.ecs, rt.clock, arn, hookId, 'CONTINUE');
  } catch (error) {
    const after = await readServiceDeployment(clients.ecs, rt.clock, arn).catch(() => undefined);
    if (!after || (isEcsDeploymentInFlight(after.status) && !isRollingBack(after))) throw error;
    rt.info(`${errorMessage(error)} — ${arn} is ${after.status}.`);
  }
}
