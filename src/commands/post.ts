/**
 * The post step (runs.post): when the run was cancelled (or the main step was killed) while a deployment
 * it created was still in flight, stop that deployment with rollback. A main step that finished — even
 * one that intentionally left the deployment running (wait-until none/ready) — marks itself done, and
 * then this does nothing.
 */
import type { Runtime } from './runtime.js';
import { getAwsInputs } from './inputs.js';
import { resolveCredentials } from './credentials.js';
import { readDeploymentState } from './state-helper.js';
import { getDeployment, isDeploymentInFlight, stopDeployment } from './deployment-control.js';
import { consoleUrl } from './deployment-reporter.js';
import { errorMessage } from './errors.js';

export async function runPost(rt: Runtime): Promise<void> {
  const saved = readDeploymentState(rt);
  if (!saved || saved.phase === 'done') return;
  if (!saved.rollbackOnCancel) {
    rt.info(
      `Deployment ${saved.deploymentId} may still be in flight; rollback-on-cancel is false, so it is left alone.`,
    );
    return;
  }
  try {
    const aws = getAwsInputs(rt.readInput, rt.env);
    const credentials = await resolveCredentials(aws, rt);
    const { codedeploy } = rt.makeClients({ region: aws.region, credentials });
    const deployment = await getDeployment(codedeploy, rt.clock, saved.deploymentId);
    if (!isDeploymentInFlight(deployment.status)) {
      rt.info(`Deployment ${saved.deploymentId} is ${deployment.status}; nothing to roll back.`);
      return;
    }
    const result = await stopDeployment(codedeploy, rt.clock, saved.deploymentId, true);
    if (result.stopped) {
      rt.warning(
        `The run ended while deployment ${saved.deploymentId} was ${deployment.status}: stopped it with rollback (rollback-on-cancel). ${consoleUrl(aws.region, saved.deploymentId)}`,
      );
    } else {
      rt.info(result.message);
    }
  } catch (error) {
    rt.warning(
      `Could not roll back deployment ${saved.deploymentId} after the cancelled run: ${errorMessage(error)}. Stop it in the CodeDeploy console.`,
    );
  }
}
