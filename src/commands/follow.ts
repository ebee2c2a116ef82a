/**
 * Following a deployment to a verdict, shared by the deploy, promote and rollback commands: watch it,
 * conclude (succeeded / reached / failed / stopped / timed out / cancelled), follow the rollback CodeDeploy
 * starts, stop it with rollback when the action gives up (cancel: cancel.ts), and write the summary.
 * It sets the record's verdict; the command saves the phase for the post step from it, once.
 */
import type { CodeDeployClient, DeploymentInfo } from '@aws-sdk/client-codedeploy';
import type { DeploymentTargetInfo } from '../aws/codedeploy-reads.js';
import type { AwsRuntime } from '../aws/clients.js';
import type { WaitUntil } from '../action/inputs.js';
import {
  deploymentService,
  isDeploymentInFlight,
  readDeploymentTarget,
  type TrafficRouting,
} from '../aws/codedeploy-reads.js';
import type { DeploymentEngine } from '../engine/engine.js';
import { codeDeployEngine } from '../engines/codedeploy/engine.js';
import { watchDeployment, WatchError, type WatchOutcome, type WatchStats } from '../engines/codedeploy/watcher.js';
import { currentLifecycleEvent, describeWeightsOf, type Observation } from '../engines/codedeploy/progress.js';
import {
  rollbackSearchMs,
  waitBudget,
  type WaitBudget,
  type WaitBudgetParams,
} from '../engines/codedeploy/wait-budget.js';
import { findRollbackDeployment } from '../engines/codedeploy/control.js';
import { DeploymentReporter } from '../engines/codedeploy/reporter.js';
import {
  addNote,
  newDeploymentRecord,
  setRollback,
  setVerdict,
  type DeploymentRecord,
} from '../record/record.js';
import { renderJobSummary } from '../engines/codedeploy/summary.js';
import { DeploymentError, errorMessage } from '../action/errors.js';
import { stopOnCancel } from './cancel.js';
import { applyRollbackOnFailure, stopWithRollback } from './stop.js';
import type { StuckInstallDiagnostics } from '../engine/stuck-tasks.js';
import { describeStuckPhase } from '../engines/codedeploy/diagnostics.js';

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
  rt: AwsRuntime;
  codedeploy: CodeDeployClient;
  engine: DeploymentEngine;
  record: DeploymentRecord;
  reporter: DeploymentReporter;
  stats: WatchStats;
  /** what the last watch of record.deploymentId saw, so that a later watch tells only what changed */
  lastObservation?: Observation;
  /** explains a long Install (deploy sets it): read while following, and at a failed or timed-out verdict */
  diagnostics?: StuckInstallDiagnostics;
  /** the wait budget's deadline while following: bounds the search for a late rollback */
  deadline?: number;
}

/** A record for a deployment that exists already (promote, rollback): named after its group and service. */
export function recordOfDeployment(
  deployment: DeploymentInfo,
  where: DeploymentTargetInfo,
  fields: Pick<
    DeploymentRecord,
    'deploymentId' | 'region' | 'taskDefinitionArn' | 'waitUntil' | 'startedAt' | 'status'
  >,
): DeploymentRecord {
  return newDeploymentRecord({
    ...fields,
    application: deployment.applicationName ?? '?',
    deploymentGroup: deployment.deploymentGroupName ?? '?',
    deploymentConfig: deployment.deploymentConfigName,
    cluster: where.cluster,
    service: where.service,
    images: [],
  });
}

/**
 * A deployment first seen already failed or stopped by a command that does not follow it (rollback,
 * on-active-deployment: wait): its target is read once and the failed lifecycle event, its diagnostics
 * and CodeDeploy's error are reported as a failure seen live is (issue #9, part 3) — an error
 * annotation, or a warning when the failure is not this job's.
 */
export async function reportEndedDeployment(
  rt: AwsRuntime,
  codedeploy: CodeDeployClient,
  deployment: DeploymentInfo,
  region: string,
  level: 'error' | 'warning',
): Promise<void> {
  const id = deployment.deploymentId ?? '?';
  if (deployment.status !== 'Failed' && deployment.status !== 'Stopped') return;
  try {
    const where = await deploymentService(codedeploy, deployment);
    const read = await readDeploymentTarget(codedeploy, id, where.targetId);
    const record = recordOfDeployment(deployment, where, {
      deploymentId: id,
      region,
      taskDefinitionArn: '(see deployment)',
      waitUntil: 'succeeded',
      startedAt: rt.clock.now(),
      status: deployment.status,
    });
    const rollbackId = deployment.rollbackInfo?.rollbackDeploymentId;
    if (rollbackId) setRollback(record, rollbackId);
    const reporter = new DeploymentReporter(record, rt, () => rt.clock.now());
    reporter.absorb({
      at: rt.clock.now(),
      deployment,
      target: read.kind === 'target' ? read.target : undefined,
    });
    reporter.reportFailure(deployment, level);
  } catch (error) {
    rt.warning(`Could not read why ${id} ended ${deployment.status}: ${errorMessage(error)}`);
  }
}

export function startFollow(
  rt: AwsRuntime,
  codedeploy: CodeDeployClient,
  record: DeploymentRecord,
  settings: FollowSettings,
): Follow {
  return {
    ...settings,
    rt,
    codedeploy,
    engine: codeDeployEngine(codedeploy, rt.clock, record.region),
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
      onLook: own ? f.diagnostics?.onLook : undefined,
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
 * Watches to `waitUntil` within the wait budget and concludes. Throws DeploymentError for every verdict
 * but success, after reporting and any rollback. With `intermediate`, reaching the state is a step on
 * the way (the test gate), not the verdict.
 */
export async function followTo(
  f: Follow,
  waitUntil: WaitUntil,
  budget: WaitBudget,
  intermediate = false,
): Promise<Observation | undefined> {
  let outcome: WatchOutcome;
  f.deadline = budget.deadline;
  try {
    outcome = await watch(f, f.record.deploymentId, waitUntil, budget.deadline);
  } catch (error) {
    if (!(error instanceof WatchError)) throw error;
    f.reporter.absorb(error.observation);
    setVerdict(f.record, 'failed', `Lost track of ${f.record.deploymentId}: ${error.message}`);
    addNote(f.record, error.message);
    await rollbackOnGivingUp(f, `the action could not follow it (${error.message})`);
    throw new DeploymentError(f.record.verdictText ?? error.message);
  }
  if (intermediate && outcome.kind === 'reached') return outcome.observation;
  await conclude(f, outcome, waitUntil, budget.note);
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
      setVerdict(
        record,
        status === 'Succeeded' ? 'succeeded' : 'reached',
        status === 'Succeeded'
          ? `Deployment ${deploymentId} succeeded.`
          : `Deployment ${deploymentId} reached ${waitUntil} (status ${status}); CodeDeploy carries on without this job.`,
      );
      rt.info(record.verdictText ?? '');
      return;
    }
    case 'failed': {
      await f.diagnostics?.atVerdict(outcome.observation);
      await reportDeploymentFailure(f, outcome.observation.deployment.status ?? 'Failed');
      throw new DeploymentError(record.verdictText ?? `Deployment ${deploymentId} failed`, {
        reported: true,
      });
    }
    case 'timeout': {
      await f.diagnostics?.atVerdict(outcome.observation);
      const stuck = describeStuckPhase(
        outcome.observation?.target,
        rt.clock.now(),
        record.installDiagnosis?.replacement,
      );
      const text = `Timed out waiting for ${waitUntil}: ${stuck ? `${stuck}; ` : ''}${describePosition(outcome)}`;
      setVerdict(record, 'timeout', text);
      addNote(record, budgetNote);
      rt.error(`${text}. ${budgetNote}`, { title: `Deployment ${deploymentId} timed out` });
      await rollbackOnGivingUp(f, 'the wait timed out');
      throw new DeploymentError(text, { reported: true });
    }
    case 'aborted': {
      await stopOnCancel(f, describePosition(outcome), () =>
        stopAndFollowRollback(f, '(rollback-on-cancel)', false),
      );
      throw new DeploymentError(
        record.verdictText ?? `The run was cancelled while following ${deploymentId}.`,
      );
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
  const { record } = f;
  const failedEvent = record.failedEvent;
  setVerdict(
    record,
    status === 'Stopped' ? 'stopped' : 'failed',
    `Deployment ${record.deploymentId} ${status.toLowerCase()}${failedEvent ? ` in ${failedEvent.name}` : ''}.`,
  );
  const deployment = await findAndFollowRollback(f);
  f.reporter.reportFailure(deployment);
}

/**
 * The rollback CodeDeploy starts for a failed or stopped deployment, looked for as long as the deployment
 * is not final (what is left of the wait budget, at least two minutes: it can be named late) and
 * followed to its end. Returns the deployment as last read.
 */
export async function findAndFollowRollback(f: Follow): Promise<DeploymentInfo> {
  const { rt, record } = f;
  const withinMs = rollbackSearchMs(f.deadline, rt.clock.now());
  const { rollbackDeploymentId, deployment } = await findRollbackDeployment(
    f.codedeploy,
    rt.clock,
    record.deploymentId,
    withinMs,
  );
  if (deployment.errorInformation) record.errorInformation = deployment.errorInformation;
  if (deployment.status) record.status = deployment.status;
  if (rollbackDeploymentId) {
    setRollback(record, rollbackDeploymentId);
    await followRollback(f, rollbackDeploymentId);
  } else {
    const note = noRollbackNote(record, deployment, withinMs);
    rt.info(note);
    addNote(record, note);
  }
  return deployment;
}

/** Why no rollback was followed; never that traffic did not move unless CodeDeploy's final state says so. */
function noRollbackNote(record: DeploymentRecord, deployment: DeploymentInfo, withinMs: number): string {
  if (isDeploymentInFlight(deployment.status))
    return `CodeDeploy still shows ${record.deploymentId} ${deployment.status} after ${Math.round(withinMs / 60_000)} min and has named no rollback yet; follow it in the console.`;
  return record.failedEvent?.name === 'BeforeInstall'
    ? 'CodeDeploy started no rollback: the deployment failed before the replacement task set was created, so production never changed.'
    : "CodeDeploy started no rollback: automatic rollback is not enabled for this event (the deployment group's auto-rollback configuration, or auto-rollback-events).";
}

export async function followRollback(f: Follow, rollbackId: string): Promise<void> {
  const { rt, record } = f;
  rt.info(`CodeDeploy is rolling back with deployment ${rollbackId}: ${f.engine.consoleUrl(rollbackId)}`);
  const rollbackRecord = newDeploymentRecord({ ...record, deploymentId: rollbackId });
  rollbackRecord.isRollback = true;
  const prefixed = { ...rt, info: (message: string) => rt.info(`  rollback ${message}`) };
  const reporter = new DeploymentReporter(rollbackRecord, prefixed, () => rt.clock.now());
  try {
    const outcome = await watch(f, rollbackId, 'succeeded', rt.clock.now() + 30 * 60_000, reporter);
    const status = outcome.observation?.deployment.status;
    setRollback(record, rollbackId, status ?? outcome.kind);
    rt.info(`Rollback ${rollbackId}: ${status ?? outcome.kind}`);
  } catch (error) {
    setRollback(record, rollbackId, `not followed (${errorMessage(error)})`);
  }
}

/**
 * Stops the deployment with rollback and follows the rollback to its end: the one way the action undoes
 * a deployment it gives up on (rollback-on-failure), a failed test gate, and a cancel (rollback-on-cancel).
 * Returns whether the stop took effect; `why` ends the note ("because …"). On cancel the rollback is
 * not followed (`followIt` false): the runner ends the step seconds after it cancels.
 */
export async function stopAndFollowRollback(f: Follow, why: string, followIt = true): Promise<boolean> {
  const { rt, record } = f;
  if (!(await stopWithRollback(f, why, { readFirst: true }))) return false;
  record.status = 'Stopped';
  if (!followIt) return true;
  const withinMs = rollbackSearchMs(f.deadline, rt.clock.now());
  const found = await f.engine.findRollback(record.deploymentId, withinMs).catch(() => undefined);
  if (found) record.status = found.status;
  if (found?.rollbackId) {
    setRollback(record, found.rollbackId);
    await followRollback(f, found.rollbackId);
  } else if (found?.inFlight) {
    const late = `CodeDeploy still shows ${record.deploymentId} ${found.status} ${Math.round(withinMs / 60_000)} min after the stop and has named no rollback yet; follow it in the console: ${f.engine.consoleUrl(record.deploymentId)}`;
    rt.warning(late);
    addNote(record, late);
  }
  return true;
}

/** rollback-on-failure: the action gives up with the deployment still in flight, so it stops it with rollback. */
export async function rollbackOnGivingUp(f: Follow, reason: string): Promise<void> {
  await applyRollbackOnFailure(f, reason, (why) => stopAndFollowRollback(f, why));
}

/** Follows to `waitUntil` within the wait budget, then outputs the status and writes the summary, whatever the verdict. */
export async function followAndFinish(
  f: Follow,
  waitUntil: WaitUntil,
  budget: Omit<WaitBudgetParams, 'waitUntil'>,
): Promise<void> {
  try {
    await followTo(f, waitUntil, waitBudget({ ...budget, waitUntil }, f.rt.clock.now()));
  } finally {
    await finishFollow(f);
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
