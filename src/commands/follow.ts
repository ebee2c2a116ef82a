/**
 * Following a deployment to a verdict, for every engine and every command (deploy, promote, rollback):
 * watch it through the engine's Follower, conclude — the verdicts and their words are written here, once —
 * follow what undoes a failed deployment, stop it with rollback when the action gives up
 * (rollback-on-failure) or the run is cancelled (rollback-on-cancel, cancel.ts), and finish: the status
 * outputs and the job summary. It sets the record's verdict; the command saves the phase for the post step
 * from it, once (phase.ts).
 */
import type { Runtime } from '../action/runtime.js';
import type { WaitUntil } from '../action/inputs.js';
import { DeploymentError, errorMessage } from '../action/errors.js';
import type { Follower, Goal, WaitBudget } from '../engine/engine.js';
import { WatchFailure, type WatchEnd } from '../engine/watch.js';
import { addNote, setVerdict } from '../record/record.js';
import { renderJobSummary } from '../record/summary.js';
import { stopOnCancel } from './cancel.js';

/** A follow in progress: the engine's follower and the rules the user chose. */
export interface Follow {
  rt: Runtime;
  follower: Follower;
  rollbackOnCancel: boolean;
  rollbackOnFailure: boolean;
}

export function startFollow(
  rt: Runtime,
  follower: Follower,
  rules: { rollbackOnCancel: boolean; rollbackOnFailure: boolean },
): Follow {
  return { rt, follower, ...rules };
}

/** What a goal is called in a sentence: the test gate's point, or the wait-until value. */
export function goalWords(goal: Goal): string {
  return goal === 'gate' ? 'the hold where test-command runs' : goal;
}

/** "Deployment d-…", "Service deployment arn:…": the deployment as sentences name it. */
export function named(f: Follow): string {
  return `${f.follower.engine.noun} ${f.follower.record.deploymentId}`;
}

/** The same, inside a sentence: "deployment d-…", "service deployment arn:…". */
export function namedInSentence(f: Follow): string {
  return `${f.follower.engine.noun.toLowerCase()} ${f.follower.record.deploymentId}`;
}

/**
 * Watches to `goal` within the budget and concludes. Throws DeploymentError for every verdict but success,
 * after reporting and any rollback. With `intermediate`, reaching the goal is a step on the way (the test
 * gate), not the verdict: the observation is returned.
 */
export async function followTo(
  f: Follow,
  goal: Goal,
  budget: WaitBudget,
  intermediate = false,
): Promise<unknown> {
  const { follower } = f;
  let outcome: WatchEnd<unknown>;
  try {
    outcome = await follower.watch(goal, budget.deadline);
  } catch (error) {
    if (!(error instanceof WatchFailure)) throw error;
    follower.absorb(error.observation);
    const text = `Lost track of ${follower.record.deploymentId}: ${error.message}`;
    setVerdict(follower.record, 'failed', text);
    addNote(follower.record, error.message);
    await rollbackOnGivingUp(f, `the action could not follow it (${error.message})`);
    throw new DeploymentError(follower.record.verdictText ?? text);
  }
  if (intermediate && outcome.kind === 'reached') return outcome.observation;
  await conclude(f, outcome, goal, budget.note);
  return outcome.observation;
}

/** The verdict on a watch that ended; throws DeploymentError for every verdict but success. */
export async function conclude(
  f: Follow,
  outcome: WatchEnd<unknown>,
  goal: Goal,
  budgetNote: string,
): Promise<void> {
  const { rt, follower } = f;
  const { record, engine } = follower;
  follower.absorb(outcome.observation);
  switch (outcome.kind) {
    case 'reached': {
      const o = outcome.observation;
      if (follower.succeeded(o)) setVerdict(record, 'succeeded', `${named(f)} succeeded.`);
      else {
        const held = follower.held(o);
        setVerdict(
          record,
          'reached',
          held
            ? `${named(f)} reached ${goalWords(goal)}: it ${held}. Promote it (the promote action) or roll it back.`
            : `${named(f)} reached ${goalWords(goal)} (${follower.position(o)}); ${engine.label} carries on without this job.`,
        );
      }
      rt.info(record.verdictText ?? '');
      return;
    }
    case 'failed': {
      await follower.atVerdict(outcome.observation);
      await reportFailure(f);
      throw new DeploymentError(record.verdictText ?? `${named(f)} failed.`, { reported: true });
    }
    case 'timeout': {
      await follower.atVerdict(outcome.observation);
      const stuck = follower.stuck(outcome.observation);
      const text = `Timed out waiting for ${goalWords(goal)}: ${stuck ? `${stuck}; ` : ''}${follower.position(outcome.observation)}`;
      setVerdict(record, 'timeout', text);
      addNote(record, budgetNote);
      rt.error(`${text}. ${budgetNote}`, { title: `${named(f)} timed out` });
      await rollbackOnGivingUp(f, 'the wait timed out');
      throw new DeploymentError(text, { reported: true });
    }
    case 'aborted': {
      await cancelled(f, outcome.observation);
      throw new DeploymentError(
        record.verdictText ?? `The run was cancelled while following ${record.deploymentId}.`,
      );
    }
  }
}

/**
 * The deployment failed or was stopped: what undoes it is followed to its end (CodeDeploy's rollback
 * deployment, ECS's rollback of the same deployment), then the verdict and the failure annotation. A
 * deployment another one replaced is said to be, and nothing is undone.
 */
export async function reportFailure(f: Follow, level: 'error' | 'warning' = 'error'): Promise<void> {
  const { follower } = f;
  // Replaced by someone else's deployment: say which and when; that one is left alone (no stop, no rollback).
  const replaced = await follower.replaced();
  if (replaced) {
    setVerdict(follower.record, 'failed', replaced);
    f.rt.error(replaced, { title: `${named(f)} was replaced` });
    return;
  }
  await follower.followUndoing();
  const stopped = follower.endedStopped();
  const step = follower.record.failedStep;
  setVerdict(
    follower.record,
    stopped ? 'stopped' : 'failed',
    `${named(f)} ${stopped ? 'stopped' : 'failed'}${step ? ` in ${step}` : ''}.`,
  );
  follower.reportFailure(level);
}

/** The run was cancelled while following: the verdict, then rollback-on-cancel (cancel.ts). */
export async function cancelled(f: Follow, observation?: unknown): Promise<void> {
  await stopOnCancel(f.follower.record, f.rollbackOnCancel, f.follower.position(observation), () =>
    f.follower.stopAndFollowBack('(rollback-on-cancel)', false),
  );
}

/**
 * rollback-on-failure: the action gives up with the deployment still in flight, so it stops it with
 * rollback and follows the rollback; with rollback-on-failure false, a note says it was left as it is.
 * Nothing is stopped when the deployment has ended or is being undone already.
 */
export async function rollbackOnGivingUp(f: Follow, reason: string): Promise<void> {
  const { follower } = f;
  if (await follower.alreadyUndone()) return;
  if (!f.rollbackOnFailure) {
    addNote(
      follower.record,
      `rollback-on-failure is false: ${follower.record.deploymentId} was left as it is after ${reason}.`,
    );
    return;
  }
  await follower.stopAndFollowBack(`because ${reason} (rollback-on-failure)`, true);
}

/** wait-until none: started, and not followed. */
export function notFollowed(f: Follow, what: string): void {
  setVerdict(f.follower.record, 'not-followed', `${named(f)} ${what}; not followed (wait-until: none).`);
  f.rt.info(f.follower.record.verdictText ?? '');
}

/** Follows to `waitUntil` within the follower's budget (or, for none, says so), whatever the verdict. */
export async function followToWaitUntil(
  f: Follow,
  waitUntil: WaitUntil,
  waitForMinutes: number,
  from: Parameters<Follower['budget']>[2],
  what: string,
): Promise<void> {
  if (waitUntil === 'none') return notFollowed(f, what);
  await followTo(f, waitUntil, f.follower.budget(waitUntil, waitForMinutes, from));
}

/**
 * The status outputs and the job summary, whatever the verdict; run in a finally. `statusOutput` names the
 * output that gets the engine's status (rollback-status for the rollback action's undoing).
 */
export async function finishFollow(f: Follow, statusOutput = 'deployment-status'): Promise<void> {
  const { rt, follower } = f;
  const { record, engine } = follower;
  record.finishedAt = rt.clock.now();
  rt.setOutput(statusOutput, record.status ?? '');
  if (statusOutput === 'deployment-status') rt.setOutput('deployment-state', engine.state(record));
  await writeSummary(f);
  if (follower.stats.calls > 0)
    rt.info(
      `Followed ${record.deploymentId} with ${follower.stats.calls} ${engine.label} reads${follower.stats.transientErrors ? ` (${follower.stats.transientErrors} passing AWS faults retried)` : ''}.`,
    );
}

export async function writeSummary(f: Follow): Promise<void> {
  const { rt, follower } = f;
  await rt
    .writeSummary(renderJobSummary(follower.record, follower.summary()))
    .catch((error: unknown) => rt.warning(`Could not write the job summary: ${errorMessage(error)}`));
}
