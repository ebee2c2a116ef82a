/**
 * Following a deployment to a verdict, shared by the deploy, promote and rollback actions: watch it,
 * conclude (succeeded / reached / failed / stopped / timed out / cancelled), follow the rollback CodeDeploy
 * starts, stop it with rollback when the action gives up or the run is cancelled, and write the summary.
 */
import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { Runtime } from './runtime.js';
import type { WaitUntil } from './inputs.js';
import { watchDeployment, WatchError, type WatchOutcome, type WatchStats } from './deployment-watcher.js';
import {
  DeploymentReporter,
  consoleUrl,
  newDeploymentRecord,
  type DeploymentRecord,
} from './deployment-reporter.js';
import { renderJobSummary } from './job-summary.js';
import {
  findRollbackDeployment,
  getDeployment,
  isDeploymentInFlight,
  stopDeployment,
} from './deployment-control.js';
import {
  currentLifecycleEvent,
  describeWeightsOf,
  type Observation,
  type TrafficRouting,
} from './deployment-progress.js';
import { savePhase } from './state-helper.js';
import { DeploymentError, errorMessage } from './errors.js';

export interface FollowSettings {
  targetId: string;
  routing?: TrafficRouting;
  terminationWaitMinutes: number;
  /** the group holds the replacement in Ready (STOP_DEPLOYMENT) */
  holdsReplacement?: boolean;
  rollbackOnCancel: boolean;
  rollbackOnFailure: boolean;
  /** the output that gets the followed deployment's status (default deployment-status) */
  statusOutput?: string;
}

export interface Follow extends FollowSettings {
  rt: Runtime;
  codedeploy: CodeDeployClient;
  record: DeploymentRecord;
  reporter: DeploymentReporter;
  stats: WatchStats;
  /** what the last watch of record.deploymentId saw, so that a later watch tells only what changed */
  lastObservation?: Observation;
}

export function startFollow(
  rt: Runtime,
  codedeploy: CodeDeployClient,
  record: DeploymentRecord,
  settings: FollowSettings,
): Follow {
  return {
    ...settings,
    rt,
    codedeploy,
    record,
    reporter: new DeploymentReporter(record, rt, () => rt.clock.now()),
    stats: { calls: 0, transientErrors: 0 },
  };
}

export async function watch(
  f: Follow,
  deploymentId: string,
  waitUntil: WaitUntil,
  deadline: number,
  reporter = f.reporter,
): Promise<WatchOutcome> {
  const own = deploymentId === f.record.deploymentId;
  const outcome = await watchDeployment(
    {
      previous: own ? f.lastObservation : undefined,
      codedeploy: f.codedeploy,
      deploymentId,
      targetId: f.targetId,
      waitUntil,
      deadline,
      clock: f.rt.clock,
      signal: f.rt.signal,
      routing: f.routing,
      terminationWaitMinutes: f.terminationWaitMinutes,
      holdsReplacement: f.holdsReplacement,
      onChange: reporter.handle,
      onTargetNotice: (message) => f.rt.warning(message),
      onTransientError: (operation, error, retryInMs) =>
        f.rt.info(
          `  (${operation}: ${errorMessage(error)} — passing AWS fault, next look in ${Math.round(retryInMs / 1000)}s)`,
        ),
    },
    f.stats,
  );
  if (own && outcome.observation) f.lastObservation = outcome.observation;
  return outcome;
}

/**
 * Watches to `waitUntil` and concludes. `budgetNote` explains the deadline when it is missed.
 * Throws DeploymentError for every verdict but success, after reporting and any rollback. With
 * `intermediate`, reaching the state is a step on the way (the test gate), not the verdict.
 */
export async function followTo(
  f: Follow,
  waitUntil: WaitUntil,
  deadline: number,
  budgetNote: string,
  intermediate = false,
): Promise<Observation | undefined> {
  let outcome: WatchOutcome;
  try {
    outcome = await watch(f, f.record.deploymentId, waitUntil, deadline);
  } catch (error) {
    if (!(error instanceof WatchError)) throw error;
    f.reporter.absorb(error.observation);
    f.record.verdict = 'failed';
    f.record.verdictText = `Lost track of ${f.record.deploymentId}: ${error.message}`;
    f.record.notes.push(error.message);
    await rollbackOnGivingUp(f, `the action could not follow it (${error.message})`);
    savePhase(f.rt, 'done');
    throw new DeploymentError(f.record.verdictText);
  }
  if (intermediate && outcome.kind === 'reached') return outcome.observation;
  await conclude(f, outcome, waitUntil, budgetNote);
  return outcome.observation;
}

export async function conclude(
  f: Follow,
  outcome: WatchOutcome,
  waitUntil: WaitUntil,
  budgetNote: string,
): Promise<void> {
  const { rt, record } = f;
  f.reporter.absorb(outcome.observation);
  const deploymentId = record.deploymentId;
  switch (outcome.kind) {
    case 'reached': {
      const status = outcome.observation.deployment.status;
      record.verdict = status === 'Succeeded' ? 'succeeded' : 'reached';
      record.verdictText =
        status === 'Succeeded'
          ? `Deployment ${deploymentId} succeeded.`
          : `Deployment ${deploymentId} reached ${waitUntil} (status ${status}); CodeDeploy carries on without this job.`;
      rt.info(record.verdictText);
      savePhase(rt, 'done');
      return;
    }
    case 'failed': {
      await reportDeploymentFailure(f, outcome.observation.deployment.status ?? 'Failed');
      savePhase(rt, 'done');
      throw new DeploymentError(record.verdictText ?? `Deployment ${deploymentId} failed`, {
        reported: true,
      });
    }
    case 'timeout': {
      record.verdict = 'timeout';
      record.verdictText = `Timed out waiting for ${waitUntil}: ${describePosition(outcome)}`;
      record.notes.push(budgetNote);
      rt.error(`${record.verdictText}. ${budgetNote}`, { title: `Deployment ${deploymentId} timed out` });
      await rollbackOnGivingUp(f, 'the wait timed out');
      savePhase(rt, 'done');
      throw new DeploymentError(record.verdictText, { reported: true });
    }
    case 'aborted': {
      record.verdict = 'cancelled';
      record.verdictText = `The run was cancelled while following ${deploymentId} (${describePosition(outcome)}).`;
      if (f.rollbackOnCancel) {
        const result = await stopDeployment(f.codedeploy, rt.clock, deploymentId, true).catch(
          (error: unknown) => ({
            stopped: false,
            message: errorMessage(error),
          }),
        );
        const text = result.stopped
          ? `Stopped ${deploymentId} with rollback (rollback-on-cancel).`
          : `Could not stop ${deploymentId}: ${result.message}`;
        rt.warning(text);
        record.notes.push(text);
        if (result.stopped) record.status = 'Stopped';
        savePhase(rt, result.stopped ? 'done' : 'cancelled');
      } else {
        record.notes.push('rollback-on-cancel is false: the deployment carries on.');
        savePhase(rt, 'done');
      }
      throw new DeploymentError(record.verdictText);
    }
  }
}

export function describePosition(outcome: WatchOutcome): string {
  const observation = outcome.observation;
  if (!observation) return 'CodeDeploy had not answered yet';
  const parts = [`status ${observation.deployment.status}`];
  const event = currentLifecycleEvent(observation.target);
  if (event)
    parts.push(`${event.lifecycleEventName} ${event.status === 'InProgress' ? 'in progress' : 'next'}`);
  const weights = describeWeightsOf(observation.target);
  if (weights) parts.push(`traffic ${weights}`);
  return parts.join(', ');
}

/** The deployment failed or was stopped: diagnostics, and the rollback CodeDeploy started, followed to its end. */
export async function reportDeploymentFailure(f: Follow, status: string): Promise<void> {
  const { rt, record } = f;
  record.verdict = status === 'Stopped' ? 'stopped' : 'failed';
  const failedEvent = record.failedEvent;
  record.verdictText = `Deployment ${record.deploymentId} ${status.toLowerCase()}${failedEvent ? ` in ${failedEvent.name}` : ''}.`;
  const { rollbackDeploymentId, deployment } = await findRollbackDeployment(
    f.codedeploy,
    rt.clock,
    record.deploymentId,
    20_000,
  );
  if (deployment.errorInformation) record.errorInformation = deployment.errorInformation;
  if (rollbackDeploymentId) {
    record.rollback = { deploymentId: rollbackDeploymentId };
    await followRollback(f, rollbackDeploymentId);
  } else {
    const note =
      failedEvent?.name === 'BeforeInstall'
        ? 'CodeDeploy started no rollback: the deployment failed before the replacement task set was created, so production never changed.'
        : "CodeDeploy started no rollback: automatic rollback is not enabled for this event (the deployment group's auto-rollback configuration, or auto-rollback-events).";
    rt.info(note);
    record.notes.push(note);
  }
  f.reporter.reportFailure(deployment);
}

export async function followRollback(f: Follow, rollbackId: string): Promise<void> {
  const { rt, record } = f;
  rt.info(
    `CodeDeploy is rolling back with deployment ${rollbackId}: ${consoleUrl(record.region, rollbackId)}`,
  );
  const rollbackRecord = newDeploymentRecord({ ...record, deploymentId: rollbackId });
  rollbackRecord.isRollback = true;
  const prefixed = { ...rt, info: (message: string) => rt.info(`  rollback ${message}`) };
  const reporter = new DeploymentReporter(rollbackRecord, prefixed, () => rt.clock.now());
  try {
    const outcome = await watch(f, rollbackId, 'succeeded', rt.clock.now() + 30 * 60_000, reporter);
    const status = outcome.observation?.deployment.status;
    record.rollback = { deploymentId: rollbackId, status: status ?? outcome.kind };
    rt.info(`Rollback ${rollbackId}: ${status ?? outcome.kind}`);
  } catch (error) {
    record.rollback = { deploymentId: rollbackId, status: `not followed (${errorMessage(error)})` };
  }
}

/** rollback-on-failure: the action gives up with the deployment still in flight, so it stops it with rollback. */
export async function rollbackOnGivingUp(f: Follow, reason: string): Promise<void> {
  const { rt, record } = f;
  if (!f.rollbackOnFailure) {
    record.notes.push(
      `rollback-on-failure is false: ${record.deploymentId} was left as it is after ${reason}.`,
    );
    return;
  }
  let stop;
  try {
    const deployment = await getDeployment(f.codedeploy, rt.clock, record.deploymentId);
    if (!isDeploymentInFlight(deployment.status)) return;
    stop = await stopDeployment(f.codedeploy, rt.clock, record.deploymentId, true);
  } catch (error) {
    const text = `Could not stop ${record.deploymentId} after ${reason}: ${errorMessage(error)}. Stop it in the console: ${consoleUrl(record.region, record.deploymentId)}`;
    record.notes.push(text);
    rt.warning(text);
    return;
  }
  if (!stop.stopped) return;
  const text = `Stopped ${record.deploymentId} with rollback because ${reason} (rollback-on-failure).`;
  rt.warning(text);
  record.notes.push(text);
  record.status = 'Stopped';
  const { rollbackDeploymentId } = await findRollbackDeployment(
    f.codedeploy,
    rt.clock,
    record.deploymentId,
    30_000,
  ).catch(() => ({
    rollbackDeploymentId: undefined,
  }));
  if (rollbackDeploymentId) {
    record.rollback = { deploymentId: rollbackDeploymentId };
    await followRollback(f, rollbackDeploymentId);
  }
}

/** Outputs deployment-status and writes the job summary; run in a finally. */
export async function finishFollow(f: Follow): Promise<void> {
  const { rt, record } = f;
  record.finishedAt = rt.clock.now();
  rt.setOutput(f.statusOutput ?? 'deployment-status', record.status ?? 'Created');
  await rt
    .writeSummary(renderJobSummary(record))
    .catch((error: unknown) => rt.warning(`Could not write the job summary: ${errorMessage(error)}`));
  if (f.stats.calls > 0) {
    rt.info(
      `Followed ${record.deploymentId} with ${f.stats.calls} CodeDeploy reads${f.stats.transientErrors ? ` (${f.stats.transientErrors} passing AWS faults retried)` : ''}.`,
    );
  }
}
