/**
 * Following an ECS service deployment to a verdict, shared by the commands (deploy now; promote and rollback
 * can use the same): watch it, conclude (succeeded / reached / failed / timed out / cancelled), follow a
 * rollback — a status of the same deployment — to its end, stop it with rollback when the action gives up
 * (rollback-on-failure) or the run is cancelled (rollback-on-cancel), and write the summary.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { AwsRuntime } from '../aws/clients.js';
import type { WaitUntil } from '../action/inputs.js';
import type { DeploymentEngine } from '../engine/engine.js';
import { DeploymentError, errorMessage } from '../action/errors.js';
import { ecsEngine } from '../ecs/engine.js';
import {
  EcsWatchError,
  watchEcsDeployment,
  type EcsWatchOutcome,
  type EcsWatchStats,
} from '../ecs/watcher.js';
import { findReplacingDeployment } from '../ecs/reads.js';
import {
  awaitingPauseHook,
  describeEcsPosition,
  describeReplacement,
  isEcsDeploymentInFlight,
  isReplacedDeployment,
  isRollingBack,
  type EcsGoal,
  type EcsObservation,
} from '../ecs/progress.js';
import type { EcsWaitBudget } from '../ecs/wait-budget.js';
import { EcsReporter, utcClock } from '../report/ecs-reporter.js';
import { renderEcsJobSummary } from '../report/ecs-summary.js';
import { addNote, setVerdict, type DeploymentRecord } from '../report/record.js';
import { scaleUpSubject } from '../ecs/diagnostics.js';
import { stopOnCancel } from './cancel.js';
import { StuckTasksDiagnostics } from './stuck-install.js';
import { applyRollbackOnFailure, stopWithRollback } from './stop.js';

/** How long a rollback is followed after the deployment turned to it (ECS moves weights back and scales down). */
export const ROLLBACK_FOLLOW_MS = 30 * 60_000;

export interface EcsFollow {
  rt: AwsRuntime;
  ecs: ECSClient;
  engine: DeploymentEngine;
  record: DeploymentRecord;
  reporter: EcsReporter;
  stats: EcsWatchStats;
  strategy: string;
  rollbackOnCancel: boolean;
  rollbackOnFailure: boolean;
  lastObservation?: EcsObservation;
  /** ends a watch early, as reached (watcher.ts stopAt) */
  stopAt?: (observation: EcsObservation) => boolean;
  /** reads ECS when the scale-up runs long and at a verdict in it (stuck-install.ts) */
  diagnostics?: StuckTasksDiagnostics<EcsObservation>;
}

export function startEcsFollow(
  rt: AwsRuntime,
  ecs: ECSClient,
  record: DeploymentRecord,
  settings: {
    strategy: string;
    rollbackOnCancel: boolean;
    rollbackOnFailure: boolean;
    /** explain a stuck scale-up (the deploy command), with the service's health check grace period */
    stuckScaleUp?: { healthCheckGracePeriodSeconds?: number };
  },
): EcsFollow {
  const { stuckScaleUp, ...rest } = settings;
  return {
    ...rest,
    diagnostics: stuckScaleUp
      ? new StuckTasksDiagnostics(rt, record, { ecs, ...stuckScaleUp }, scaleUpSubject)
      : undefined,
    rt,
    ecs,
    engine: ecsEngine(ecs, rt.clock),
    record,
    reporter: new EcsReporter(record, rt, () => rt.clock.now()),
    stats: { calls: 0, transientErrors: 0 },
  };
}

export async function watchEcs(f: EcsFollow, goal: EcsGoal, deadline: number): Promise<EcsWatchOutcome> {
  const outcome = await watchEcsDeployment(
    {
      ecs: f.ecs,
      arn: f.record.deploymentId,
      goal,
      strategy: f.strategy,
      deadline,
      clock: f.rt.clock,
      signal: f.rt.signal,
      previous: f.lastObservation,
      stopAt: f.stopAt,
      onChange: f.reporter.handle,
      onLook: f.diagnostics?.onLook,
      onTransientError: (operation, error, retryInMs) =>
        f.rt.info(
          `  (${operation}: ${errorMessage(error)} — passing AWS fault, next look in ${Math.round(retryInMs / 1000)}s)`,
        ),
    },
    f.stats,
  );
  if (outcome.observation) f.lastObservation = outcome.observation;
  return outcome;
}

/**
 * Watches to `goal` within the budget and concludes. Throws DeploymentError for every verdict but success,
 * after reporting and any rollback. With `intermediate`, reaching the goal is a step on the way (the gate).
 */
export async function followEcsTo(
  f: EcsFollow,
  goal: WaitUntil | 'gate',
  budget: EcsWaitBudget,
  intermediate = false,
): Promise<EcsObservation | undefined> {
  let outcome: EcsWatchOutcome;
  try {
    outcome = await watchEcs(f, goal, budget.deadline);
  } catch (error) {
    if (!(error instanceof EcsWatchError)) throw error;
    f.reporter.absorb(error.observation);
    setVerdict(f.record, 'failed', `Lost track of ${f.record.deploymentId}: ${error.message}`);
    await rollbackOnGivingUpEcs(f, `the action could not follow it (${error.message})`);
    throw new DeploymentError(f.record.verdictText ?? error.message);
  }
  if (intermediate && outcome.kind === 'reached') return outcome.observation;
  await concludeEcs(f, outcome, goal, budget.note);
  return outcome.observation;
}

function reachedText(f: EcsFollow, goal: WaitUntil | 'gate', observation: EcsObservation): string {
  const d = observation.deployment;
  const id = f.record.deploymentId;
  if (d.status === 'SUCCESSFUL') return `Service deployment ${id} succeeded.`;
  const hook = awaitingPauseHook(d);
  if (hook)
    return `Service deployment ${id} reached ${goal}: it waits in pause hook ${hook.hookId} at ${d.lifecycleStage ?? '?'}${hook.expiresAt instanceof Date ? ` until ${utcClock(hook.expiresAt.getTime())} (then ${hook.timeoutAction ?? 'ROLLBACK'})` : ''}; continue it with ContinueServiceDeployment (or the promote action), or stop it with rollback.`;
  return `Service deployment ${id} reached ${goal} (${d.status}, ${d.lifecycleStage ?? 'no stage'}); ECS carries on without this job.`;
}

export async function concludeEcs(
  f: EcsFollow,
  outcome: EcsWatchOutcome,
  goal: WaitUntil | 'gate',
  budgetNote: string,
): Promise<void> {
  const { rt, record } = f;
  f.reporter.absorb(outcome.observation);
  switch (outcome.kind) {
    case 'reached': {
      const succeeded = outcome.observation.deployment.status === 'SUCCESSFUL';
      setVerdict(record, succeeded ? 'succeeded' : 'reached', reachedText(f, goal, outcome.observation));
      rt.info(record.verdictText ?? '');
      return;
    }
    case 'failed': {
      await f.diagnostics?.atVerdict(outcome.observation);
      await reportEcsFailure(f);
      throw new DeploymentError(record.verdictText ?? `Service deployment ${record.deploymentId} failed`, {
        reported: true,
      });
    }
    case 'timeout': {
      const text = `Timed out waiting for ${goal}: ${describeEcsPosition(outcome.observation?.deployment)}`;
      setVerdict(record, 'timeout', text);
      addNote(record, budgetNote);
      await f.diagnostics?.atVerdict(outcome.observation);
      rt.error(`${text}. ${budgetNote}`, { title: `Service deployment timed out` });
      await rollbackOnGivingUpEcs(f, 'the wait timed out');
      throw new DeploymentError(text, { reported: true });
    }
    case 'aborted': {
      await stopOnCancelEcs(f, describeEcsPosition(outcome.observation?.deployment));
      throw new DeploymentError(
        record.verdictText ?? `The run was cancelled while following ${record.deploymentId}.`,
      );
    }
  }
}

/** Follows a deployment that is rolling back (or stopping) to its terminal status. */
export async function followEcsRollback(f: EcsFollow): Promise<void> {
  const { rt, record } = f;
  const outcome = await watchEcs(f, 'end', rt.clock.now() + ROLLBACK_FOLLOW_MS).catch((error: unknown) => {
    addNote(record, `The rollback was not followed to its end: ${errorMessage(error)}`);
    return undefined;
  });
  f.reporter.absorb(outcome?.observation);
  if (outcome && outcome.kind !== 'reached')
    addNote(
      record,
      `The rollback was still ${record.status ?? 'running'} when the action stopped following it.`,
    );
}

/** The deployment turned to a stop or a rollback: follow it to its end, then the verdict and the annotation. */
export async function reportEcsFailure(f: EcsFollow): Promise<void> {
  const { record } = f;
  if (isEcsDeploymentInFlight(record.status)) await followEcsRollback(f);
  const last = f.lastObservation?.deployment;
  if (last && isReplacedDeployment(last)) {
    // someone else's deployment replaced this one: say which and when; leave it alone (no stop, no rollback)
    const text = describeReplacement(last, await findReplacingDeployment(f.ecs, f.rt.clock, last));
    setVerdict(record, 'failed', text);
    f.rt.error(text, { title: `ECS service deployment replaced` });
    return;
  }
  const status = record.status ?? 'STOPPED';
  const stage = record.ecs?.rollbackStage;
  setVerdict(
    record,
    status === 'STOPPED' ? 'stopped' : 'failed',
    `Service deployment ${record.deploymentId} ended ${status}${stage ? ` (rolled back from ${stage})` : ''}.`,
  );
  f.reporter.reportFailure(f.lastObservation?.deployment);
}

/**
 * Stops the deployment with rollback and, unless `followIt` is false (a cancel: the runner ends the step
 * seconds later), follows the rollback to its end. Returns whether the stop took effect.
 */
export async function stopAndFollowEcsRollback(f: EcsFollow, why: string, followIt = true): Promise<boolean> {
  const stop = await stopWithRollback(f, why, { refusalStatus: true });
  if (!stop) return false;
  f.record.status = stop.status ?? 'ROLLBACK_REQUESTED';
  if (followIt) await followEcsRollback(f);
  return true;
}

/** rollback-on-failure: the action gives up with the deployment still in flight. */
export async function rollbackOnGivingUpEcs(f: EcsFollow, reason: string): Promise<void> {
  const d = f.lastObservation?.deployment;
  if (d && (!isEcsDeploymentInFlight(d.status) || isRollingBack(d))) {
    if (isRollingBack(d) && isEcsDeploymentInFlight(d.status)) await followEcsRollback(f);
    return;
  }
  await applyRollbackOnFailure(f, reason, (why) => stopAndFollowEcsRollback(f, why));
}

/** The run was cancelled while following: rollback-on-cancel (cancel.ts). */
export async function stopOnCancelEcs(f: EcsFollow, position: string): Promise<void> {
  await stopOnCancel(f, position, () => stopAndFollowEcsRollback(f, '(rollback-on-cancel)', false));
}

/** Outputs deployment-status and writes the job summary; run in a finally. */
export async function finishEcsFollow(f: EcsFollow): Promise<void> {
  const { rt, record } = f;
  record.finishedAt = rt.clock.now();
  rt.setOutput('deployment-status', record.status ?? 'PENDING');
  await rt
    .writeSummary(renderEcsJobSummary(record))
    .catch((error: unknown) => rt.warning(`Could not write the job summary: ${errorMessage(error)}`));
  if (f.stats.calls > 0)
    rt.info(
      `Followed ${record.deploymentId} with ${f.stats.calls} ECS reads${f.stats.transientErrors ? ` (${f.stats.transientErrors} passing AWS faults retried)` : ''}.`,
    );
}
