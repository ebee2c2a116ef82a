/**
 * The post step (runs.post): when the main step ended with a deployment it created still in flight —
 * killed or cancelled before it could stop it, or ended by an error it did not expect — apply the rule
 * the user chose: rollback-on-cancel for a cancel, rollback-on-failure for a failure. A main step killed
 * while CreateDeployment was in flight (phase 'creating') never learnt the deployment's id: the post step
 * finds it among the group's active deployments by this run's mark in its description (run-marker.ts),
 * and leaves every other deployment alone. A main step that
 * finished — even one that intentionally left the deployment running (wait-until none/ready) — marks
 * itself done, and then this does nothing. See cancel.ts for the whole of what happens on cancel.
 */
import type { AwsRuntime } from '../aws/clients.js';
import { getAwsInputs } from '../action/inputs.js';
import { resolveCredentials } from '../aws/credentials.js';
import { readDeploymentState, type PendingCreate, type SavedDeployment } from '../action/state.js';
import { findMarkedDeployments, getDeployment, isDeploymentInFlight } from '../aws/codedeploy-reads.js';
import type { CodeDeployClient, DeploymentInfo } from '@aws-sdk/client-codedeploy';
import { stopDeployment } from '../engines/codedeploy/control.js';
import { consoleUrl } from '../aws/console-url.js';
import { errorMessage } from '../action/errors.js';
import { ecsEngine } from '../engines/ecs/engine.js';

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
    why:
      saved.phase === 'creating'
        ? 'the main step was killed while CreateDeployment was in flight'
        : 'the run was cancelled (or the main step was killed)',
  };
}

export async function runPost(rt: AwsRuntime): Promise<void> {
  const saved = readDeploymentState(rt);
  if (!saved || saved.phase === 'done') return;
  const { rule, rollback, why } = postStepRule(saved);
  const pending = saved.deploymentId ? undefined : saved.pending;
  const target = saved.deploymentId
    ? `deployment ${saved.deploymentId}`
    : `the deployment this run asked for in ${pending?.application}/${pending?.deploymentGroup}`;
  const what = target.charAt(0).toUpperCase() + target.slice(1);
  if (!rollback) {
    rt.info(`${what} may still be in flight after ${why}; ${rule} is false, so it is left alone.`);
    return;
  }
  if (pending && !pending.marker) {
    rt.warning(
      `${what} may have been created after ${why}, but it carries no mark of this run (GITHUB_RUN_ID is not set), so the post step cannot tell it from another: check the group in the CodeDeploy console.`,
    );
    return;
  }
  try {
    const aws = getAwsInputs(rt.readInput, rt.env);
    const credentials = await resolveCredentials(aws, rt);
    const { codedeploy, ecs } = rt.makeClients({ region: aws.region, credentials });
    if (saved.engine === 'ecs' && saved.deploymentId)
      return await rollBackEcs(rt, saved.deploymentId, ecsEngine(ecs, rt.clock), rule, why);
    if (saved.deploymentId) {
      const deployment = await getDeployment(codedeploy, rt.clock, saved.deploymentId);
      await stopLeftInFlight(rt, codedeploy, aws.region, deployment, rule, why);
      return;
    }
    const { application, deploymentGroup, marker, startedAt } = pending as PendingCreate;
    const found = await findMarkedDeployments(codedeploy, rt.clock, {
      application,
      group: deploymentGroup,
      marker: marker as string,
      since: startedAt,
    });
    if (found.length === 0) {
      rt.info(
        `After ${why}, no active deployment in ${application}/${deploymentGroup} carries this run's mark ${marker}: CodeDeploy did not create it, or it has already ended. Nothing to roll back.`,
      );
      return;
    }
    for (const deployment of found) {
      rt.info(`Found ${deployment.deploymentId}, created by this run (${marker}).`);
      await stopLeftInFlight(rt, codedeploy, aws.region, deployment, rule, why);
    }
  } catch (error) {
    rt.warning(
      `Could not roll back ${target} (${rule}) after ${why}: ${errorMessage(error)}. Stop it in the ${saved.engine === 'ecs' ? 'ECS' : 'CodeDeploy'} console.`,
    );
  }
}

/** Stops a deployment still in flight with rollback, and says which rule did it and why. */
async function stopLeftInFlight(
  rt: AwsRuntime,
  codedeploy: CodeDeployClient,
  region: string,
  deployment: DeploymentInfo,
  rule: string,
  why: string,
): Promise<void> {
  const id = deployment.deploymentId as string;
  if (!isDeploymentInFlight(deployment.status)) {
    rt.info(`Deployment ${id} is ${deployment.status}; nothing to roll back.`);
    return;
  }
  const result = await stopDeployment(codedeploy, rt.clock, id, true);
  if (result.stopped) {
    rt.warning(
      `Deployment ${id} was ${deployment.status} after ${why}: stopped it with rollback (${rule}). ${consoleUrl(region, id)}`,
    );
  } else {
    rt.info(result.message);
  }
}

/** The same for an ECS service deployment (saved.engine 'ecs'): StopServiceDeployment ROLLBACK. */
async function rollBackEcs(
  rt: AwsRuntime,
  deploymentId: string,
  engine: ReturnType<typeof ecsEngine>,
  rule: string,
  why: string,
): Promise<void> {
  const state = await engine.read(deploymentId);
  if (!state.inFlight || state.rollbackId) {
    rt.info(
      `Service deployment ${deploymentId} is ${state.status}; nothing to roll back${state.rollbackId ? ' (it is rolling back already)' : ''}.`,
    );
    return;
  }
  const result = await engine.stopWithRollback(deploymentId);
  if (result.stopped)
    rt.warning(
      `Service deployment ${deploymentId} was ${state.status} after ${why}: stopped it with rollback (${rule}). ${engine.consoleUrl(deploymentId)}`,
    );
  else rt.info(result.message);
}
