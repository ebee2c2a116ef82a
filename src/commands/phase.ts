/**
 * The phase saved for the post step after following, for every engine: deploy follows through
 * `followAndSavePhase`, the one place that phase is saved.
 */
import type { Runtime } from '../action/runtime.js';
import { savePhase, type Phase } from '../action/state.js';
import { engineNamed } from '../engines/index.js';
import type { DeploymentRecord } from '../record/record.js';

/** Whether a cancelled deployment in this status still needs the stop rollback-on-cancel asks for. */
function stillToStop(record: DeploymentRecord): boolean {
  const engine = engineNamed(record.engine);
  return engine.inFlight(record.status) && !engine.undoing(record.status);
}

/**
 * What the post step has left to do, from the verdict: nothing once a verdict was reached (any rollback
 * it called for was done), except a cancel whose stop did not take effect; an error the action did not
 * expect leaves the deployment in flight for the post step's rollback-on-failure (or, when the run was
 * being cancelled, rollback-on-cancel). The record's engine names the statuses.
 */
export function phaseAfterFollowing(
  record: DeploymentRecord,
  error: unknown,
  cancelled: boolean,
  rollbackOnCancel: boolean,
): Phase {
  if (record.verdict === 'cancelled') return rollbackOnCancel && stillToStop(record) ? 'cancelled' : 'done';
  if (record.verdict) return 'done';
  if (error === undefined) return 'done';
  return cancelled ? 'cancelled' : 'failed';
}

/** Runs `follow`, then saves the phase from the verdict and runs `finish` (outputs, summary), whatever happened. */
export async function followAndSavePhase(
  rt: Runtime,
  record: DeploymentRecord,
  rollbackOnCancel: boolean,
  follow: () => Promise<void>,
  finish: () => Promise<void>,
): Promise<void> {
  let failure: unknown;
  try {
    await follow();
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    savePhase(rt, phaseAfterFollowing(record, failure, rt.signal.aborted, rollbackOnCancel));
    await finish();
  }
}
