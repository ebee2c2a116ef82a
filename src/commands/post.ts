/**
 * The post step (runs.post): when the main step ended with a deployment it created still in flight —
 * killed or cancelled before it could stop it, or ended by an error it did not expect — apply the rule
 * the user chose: rollback-on-cancel for a cancel, rollback-on-failure for a failure. A main step that
 * finished — even one that intentionally left the deployment running (wait-until none/ready) — marks
 * itself done, and then this does nothing. See cancel.ts for the whole of what happens on cancel.
 */
import type { AwsRuntime } from '../aws/clients.js';
import { getAwsInputs } from '../action/inputs.js';
import { resolveCredentials } from '../aws/credentials.js';
import { readDeploymentState, type SavedDeployment } from '../action/state.js';
import { getDeployment, isDeploymentInFlight } from '../aws/codedeploy-reads.js';
import { stopDeployment } from '../codedeploy/control.js';
import { consoleUrl } from '../aws/console-url.js';
import { errorMessage } from '../action/errors.js';
import { ecsEngine } from '../ecs/engine.js';

/** Which rule applies to what the main step left, and whether it says to roll back. */
export function postStepRule(saved: SavedDeployment): { rule: string; rollback: boolean; why: string } {
  if (saved.phase === 'failed')
    return {
      rule: 'rollback-on-failure',
      rollback: saved.rollbackOnFailure,
      why: 'the main step failed with an unexpected error',
    };
  return {
    rule: 'rollback-on-cancel',
    rollback: saved.rollbackOnCancel,
    why: 'the run was cancelled (or the main step was killed)',
  };
}

export async function runPost(rt: AwsRuntime): Promise<void> {
  const saved = readDeploymentState(rt);
  if (!saved || saved.phase === 'done') return;
  const { rule, rollback, why } = postStepRule(saved);
  if (!rollback) {
    rt.info(
      `Deployment ${saved.deploymentId} may still be in flight after ${why}; ${rule} is false, so it is left alone.`,
    );
    return;
  }
  try {
    const aws = getAwsInputs(rt.readInput, rt.env);
    const credentials = await resolveCredentials(aws, rt);
    const { codedeploy, ecs } = rt.makeClients({ region: aws.region, credentials });
    if (saved.engine === 'ecs') return await rollBackEcs(rt, saved, ecsEngine(ecs, rt.clock), rule, why);
    const deployment = await getDeployment(codedeploy, rt.clock, saved.deploymentId);
    if (!isDeploymentInFlight(deployment.status)) {
      rt.info(`Deployment ${saved.deploymentId} is ${deployment.status}; nothing to roll back.`);
      return;
    }
    const result = await stopDeployment(codedeploy, rt.clock, saved.deploymentId, true);
    if (result.stopped) {
      rt.warning(
        `Deployment ${saved.deploymentId} was ${deployment.status} after ${why}: stopped it with rollback (${rule}). ${consoleUrl(aws.region, saved.deploymentId)}`,
      );
    } else {
      rt.info(result.message);
    }
  } catch (error) {
    rt.warning(
      `Could not roll back deployment ${saved.deploymentId} (${rule}) after ${why}: ${errorMessage(error)}. Stop it in the ${saved.engine === 'ecs' ? 'ECS' : 'CodeDeploy'} console.`,
    );
  }
}

/** The same for an ECS service deployment (saved.engine 'ecs'): StopServiceDeployment ROLLBACK. */
async function rollBackEcs(
  rt: AwsRuntime,
  saved: SavedDeployment,
  engine: ReturnType<typeof ecsEngine>,
  rule: string,
  why: string,
): Promise<void> {
  const state = await engine.read(saved.deploymentId);
  if (!state.inFlight || state.rollbackId) {
    rt.info(
      `Service deployment ${saved.deploymentId} is ${state.status}; nothing to roll back${state.rollbackId ? ' (it is rolling back already)' : ''}.`,
    );
    return;
  }
  const result = await engine.stopWithRollback(saved.deploymentId);
  if (result.stopped)
    rt.warning(
      `Service deployment ${saved.deploymentId} was ${state.status} after ${why}: stopped it with rollback (${rule}). ${engine.consoleUrl(saved.deploymentId)}`,
    );
  else rt.info(result.message);
}
