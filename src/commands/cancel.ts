/**
 * What happens on cancel. The runner cancels a job by sending SIGINT (then SIGTERM, then killing it);
 * the runtime turns that into `rt.signal` (src/action/runtime.ts). Then:
 * - before the first change in AWS, the deploy command stops with nothing changed (`throwIfCancelled`);
 * - while a deployment is followed, the watcher returns `aborted` and `stopOnCancel` applies
 *   rollback-on-cancel: stop with rollback, and follow the rollback to its end;
 * - while the test command runs, its whole process group is ended (test-gate.ts) and the same rule applies;
 * - a main step killed before it could do this leaves its phase in the state, and the post step
 *   (post.ts) applies the rule then; killed while CreateDeployment was in flight (phase 'creating'), it
 *   left no id, and the post step finds the deployment by this run's mark in its description.
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
 * Waiting for a deployment in flight before deploying (on-active-deployment: wait or stop): returns the
 * check made before each next look, which ends the wait with nothing deployed when the run is cancelled
 * or the wait-for-minutes (plus two hours for the deployment ahead) are over.
 */
export function activeDeploymentWait(
  rt: Runtime,
  waitForMinutes: number,
): (activeId: string, link: string) => void {
  const deadline = rt.clock.now() + (waitForMinutes + 120) * 60_000;
  return (activeId, link) => {
    if (rt.signal.aborted)
      throw new DeploymentError('Cancelled while waiting for the active deployment; nothing was deployed.');
    if (rt.clock.now() > deadline)
      throw new DeploymentError(
        `Timed out waiting for the active deployment ${activeId} (${link}); nothing was deployed.`,
      );
  };
}

/**
 * The run was cancelled while following (either engine): the verdict, then rollback-on-cancel — `stop`
 * stops the deployment with rollback without following the rollback — or a note that it carries on.
 */
export async function stopOnCancel(
  f: { record: DeploymentRecord; rollbackOnCancel: boolean },
  position: string,
  stop: () => Promise<unknown>,
): Promise<void> {
  const { record } = f;
  setVerdict(
    record,
    'cancelled',
    `The run was cancelled while following ${record.deploymentId} (${position}).`,
  );
  if (!f.rollbackOnCancel) {
    addNote(record, 'rollback-on-cancel is false: the deployment carries on.');
    return;
  }
  await stop();
}
