/**
 * Stopping a followed deployment with rollback through an engine's steering calls, for every engine's
 * follower: the one call, and the notes and warnings that say what happened. What follows a stop that
 * took effect (CodeDeploy: find and follow the rollback deployment; ECS: follow the same deployment back)
 * is each follower's own `stopAndFollowBack`.
 */
import type { Runtime } from '../action/runtime.js';
import { errorMessage } from '../action/errors.js';
import type { Steering, StopResult } from './engine.js';
import { addNote, type DeploymentRecord } from '../record/record.js';

/** What a stop needs of a follower. */
export interface Stoppable {
  rt: Runtime;
  steering: Steering;
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
  const { rt, record, steering: engine } = f;
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
