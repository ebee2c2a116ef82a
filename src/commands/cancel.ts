/**
 * What happens on cancel. The runner cancels a job by sending SIGINT (then SIGTERM, then killing it);
 * the runtime turns that into `rt.signal` (src/action/runtime.ts). Then:
 * - before the first change in AWS, the deploy command stops with nothing changed (`throwIfCancelled`);
 * - while a deployment is followed, the watcher returns `aborted` and `stopOnCancel` applies
 *   rollback-on-cancel: stop with rollback (the rollback is not followed: the runner ends the step soon);
 * - while the test command runs, its whole process group is ended (test-gate.ts) and the same rule applies;
 * - a main step killed before it could do this leaves its phase in the state, and the post step
 *   (post.ts) applies the rule then; killed while the engine was starting it (phase 'creating'), it left
 *   no id, and the post step asks the engine to find it (CodeDeploy: by this run's mark in its description).
 */
import type { Runtime } from '../action/runtime.js';
import { DeploymentError } from '../action/errors.js';
import { addNote, setVerdict, type DeploymentRecord } from '../record/record.js';

/** Before a change in AWS: a run being cancelled changes nothing. */
export function throwIfCancelled(rt: Runtime, what: string): void {
  if (rt.signal.aborted)
    throw new DeploymentError(`The run was cancelled before ${what}; nothing was changed.`);
}

/**
 * The run was cancelled while following (any engine): the verdict, then rollback-on-cancel — `stop`
 * stops the deployment with rollback without following the rollback (the runner ends the step seconds
 * after it cancels) — or a note that it carries on.
 */
export async function stopOnCancel(
  record: DeploymentRecord,
  rollbackOnCancel: boolean,
  position: string,
  stop: () => Promise<unknown>,
): Promise<void> {
  setVerdict(
    record,
    'cancelled',
    `The run was cancelled while following ${record.deploymentId} (${position}).`,
  );
  if (!rollbackOnCancel) {
    addNote(record, 'rollback-on-cancel is false: the deployment carries on.');
    return;
  }
  await stop();
}
