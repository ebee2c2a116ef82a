/** Runs one command of the action (main or post) and turns any error into a failed step with a clear message. */
import type { Runtime } from './runtime.js';
import { InputError, DeploymentError, errorMessage } from './errors.js';

/** Says what an error means when it can (an AWS AccessDenied: src/aws/access-denied.ts); undefined otherwise. */
export interface ErrorExplainer {
  explainError?(error: unknown): string | undefined;
}

export async function runCommand<R extends Runtime & ErrorExplainer>(
  rt: R,
  command: (rt: R) => Promise<void>,
): Promise<void> {
  try {
    await command(rt);
  } catch (error) {
    const explained = rt.explainError?.(error);
    if (explained) {
      // A missing permission: what was denied and where it is granted, no stack trace.
      if (error instanceof DeploymentError && error.reported) {
        rt.error(explained, { title: 'AccessDenied' });
        rt.failQuietly(error.message);
      } else if (error instanceof InputError || error instanceof DeploymentError) {
        rt.setFailed(`${error.message}\n${explained}`);
      } else {
        rt.setFailed(explained);
      }
      return;
    }
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
