/** Runs one command of the action (main or post) and turns any error into a failed step with a clear message. */
import type { Runtime } from './runtime.js';
import { InputError, DeploymentError, errorMessage } from './errors.js';

export async function runCommand<R extends Runtime>(rt: R, command: (rt: R) => Promise<void>): Promise<void> {
  try {
    await command(rt);
  } catch (error) {
    if (error instanceof DeploymentError && error.reported) {
      rt.failQuietly(error.message);
    } else if (error instanceof InputError || error instanceof DeploymentError) {
      rt.setFailed(error.message);
    } else {
      rt.setFailed(`Unexpected error: ${errorMessage(error)}`);
      // The stack only with step debug logging (RUNNER_DEBUG=1, what core.isDebug() reads).
      if (rt.env.RUNNER_DEBUG === '1') {
        if (error instanceof Error && error.stack) rt.info(error.stack);
      } else {
        rt.info('Re-run the job with debug logging enabled to see where the error was raised.');
      }
    }
  }
}
