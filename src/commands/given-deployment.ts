/**
 * The deployment a promote or rollback is given by `deployment-id` is checked before anything changes, for
 * every engine: it must belong to the service (and cluster) the step names, when it names one, and — where the
 * deployment carries a run mark (CodeDeploy's description, src/action/run-marker.ts) — to this workflow run,
 * unless `require-same-run` is false. A deployment-id output rewritten between the jobs (a test command in the
 * deploy job can write the action's GITHUB_OUTPUT, docs/security.md) then meets a clear error instead of
 * steering another service's or another run's deployment.
 */
import { InputError } from '../action/errors.js';
import { clusterNameFromArn } from '../aws/ecs-reads.js';
import type { Engine, EngineContext } from '../engine/engine.js';

export interface GivenDeploymentInputs {
  deploymentId?: string;
  service?: string;
  cluster: string;
  requireSameRun: boolean;
}

/** The cluster's name, whether the input gave a name or an ARN. */
function clusterName(cluster: string): string {
  return clusterNameFromArn(cluster, cluster);
}

export async function checkGivenDeployment(
  ctx: EngineContext,
  engine: Engine,
  inputs: GivenDeploymentInputs,
): Promise<void> {
  const id = inputs.deploymentId;
  if (!id) return;
  const owner = await engine.ownerOf(ctx, id);
  const given = `${clusterName(inputs.cluster)}/${inputs.service}`;
  const actual = `${owner.cluster}/${owner.service}`;
  if (inputs.service && given !== actual)
    throw new InputError(
      "input 'deployment-id'",
      `${engine.noun.toLowerCase()} ${id} is a deployment of ${actual}, not of ${given} (the inputs 'service' and 'cluster'); nothing was changed.`,
      `Pass the deployment-id output of the step that deployed ${given}, or name the service it belongs to.`,
    );
  const thisRun = ctx.rt.env.GITHUB_RUN_ID;
  if (inputs.requireSameRun && owner.runId && thisRun && owner.runId !== thisRun)
    throw new InputError(
      "input 'deployment-id'",
      `${engine.noun.toLowerCase()} ${id} was started by workflow run ${owner.runId} (the run mark in its description), not by this run (${thisRun}); nothing was changed.`,
      "Pass the deployment-id output of this run's deploy job. To act on another run's deployment on purpose (an operate workflow), set require-same-run: false.",
    );
}
