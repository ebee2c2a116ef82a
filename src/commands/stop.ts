/**
 * Stopping a followed deployment with rollback through the engine seam (src/engine/engine.ts), for both
 * engines: the one call, and the notes and warnings that say what happened. What follows a stop that took
 * effect (CodeDeploy: find and follow the rollback deployment; ECS: follow the same deployment back) stays
 * in follow.ts and follow-ecs.ts.
 */
import type { Runtime } from '../action/runtime.js';
import { errorMessage } from '../action/errors.js';
import type { DeploymentEngine, StopResult } from '../engine/engine.js';
import { addNote, type DeploymentRecord } from '../record/record.js';

/** What a stop needs of a follow (follow.ts's Follow, follow-ecs.ts's EcsFollow). */
export interface Stoppable {
  rt: Runtime;
  engine: DeploymentEngine;
  record: DeploymentRecord;
}

/**
 * Stops the deployment with rollback; `why` ends the note ("because …"). Returns the engine's answer when
 * the stop took effect; otherwise undefined, with a note (and, when the call failed, a warning with the
 * console link). `readFirst`: read the deployment before, and leave one that already ended (its status goes
 * to the record). `refusalStatus`: a stop that did not take effect gives the record the status it reports.
 */
export async function stopWithRollback(
  f: Stoppable,
  why: string,
  options: { readFirst?: boolean; refusalStatus?: boolean } = {},
): Promise<StopResult | undefined> {
  const { rt, record, engine } = f;
  const id = record.deploymentId;
  let stop: StopResult;
  try {
    if (options.readFirst) {
      const state = await engine.read(id);
      if (!state.inFlight) {
        record.status = state.status;
        addNote(record, `${id} had already ended (${state.status}); nothing to stop.`);
        return undefined;
      }
    }
    stop = await engine.stopWithRollback(id);
  } catch (error) {
    const text = `Could not stop ${id} ${why}: ${errorMessage(error)}. Stop it in the console: ${engine.consoleUrl(id)}`;
    addNote(record, text);
    rt.warning(text);
    return undefined;
  }
  if (!stop.stopped) {
    if (options.refusalStatus && stop.status) record.status = stop.status;
    addNote(record, stop.message);
    return undefined;
  }
  if (stop.readBack) rt.info(stop.message);
  const text = `Stopped ${id} with rollback ${why}.`;
  rt.warning(text);
  addNote(record, text);
  return stop;
}

/**
 * rollback-on-failure (either engine): the action gives up on `reason` with the deployment in flight, so
 * `stop` stops it with rollback and follows the rollback; with rollback-on-failure false, a note says it
 * was left as it is.
 */
export async function applyRollbackOnFailure(
  f: { record: DeploymentRecord; rollbackOnFailure: boolean },
  reason: string,
  stop: (why: string) => Promise<unknown>,
): Promise<void> {
  if (!f.rollbackOnFailure) {
    addNote(
      f.record,
      `rollback-on-failure is false: ${f.record.deploymentId} was left as it is after ${reason}.`,
    );
    return;
  }
  await stop(`because ${reason} (rollback-on-failure)`);
}
