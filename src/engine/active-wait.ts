/**
 * Waiting for a deployment in flight before deploying (on-active-deployment: wait or stop), for every
 * engine: the check made before each next look, which ends the wait with nothing deployed when the run is
 * cancelled or the wait-for-minutes (plus two hours for the deployment ahead) are over.
 */
import type { Runtime } from '../action/runtime.js';
import { DeploymentError } from '../action/errors.js';

export function activeDeploymentWait(
  rt: Pick<Runtime, 'clock' | 'signal'>,
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
