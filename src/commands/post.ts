/**
 * The post step (runs.post), for every engine: when the main step ended with a deployment it started still
 * in flight — killed or cancelled before it could stop it, or ended by an error it did not expect — apply
 * the rule the user chose: rollback-on-cancel for a cancel, rollback-on-failure for a failure. A main step
 * killed while the engine was starting the deployment (phase 'creating') never learnt its id: the engine
 * finds it by what the state recorded before (CodeDeploy: this run's mark in the description, run-marker.ts),
 * and every other deployment is left alone. A main step that finished — even one that intentionally left
 * the deployment running (wait-until none/ready) — marks itself done, and then this does nothing. See
 * cancel.ts for the whole of what happens on cancel.
 */
import type { AwsRuntime } from '../aws/clients.js';
import { getAwsInputs } from '../action/inputs.js';
import { resolveCredentials } from '../aws/credentials.js';
import { readDeploymentState, type SavedDeployment } from '../action/state.js';
import { errorMessage } from '../action/errors.js';
import type { Engine, EngineContext, Steering } from '../engine/engine.js';
import { engineNamed } from '../engines/index.js';

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
        ? `the main step was killed while ${engineNamed(saved.engine).startCall} was in flight`
        : 'the run was cancelled (or the main step was killed)',
  };
}

export async function runPost(rt: AwsRuntime): Promise<void> {
  const saved = readDeploymentState(rt);
  if (!saved || saved.phase === 'done') return;
  const engine = engineNamed(saved.engine);
  const { rule, rollback, why } = postStepRule(saved);
  const pending = saved.deploymentId ? undefined : saved.pending;
  const search = pending ? engine.describeLeftBehind?.(pending) : undefined;
  const target = saved.deploymentId
    ? `${engine.noun.toLowerCase()} ${saved.deploymentId}`
    : `the ${engine.noun.toLowerCase()} this run asked for ${search?.where ?? ''}`.trimEnd();
  const what = target.charAt(0).toUpperCase() + target.slice(1);
  if (!rollback) {
    rt.info(`${what} may still be in flight after ${why}; ${rule} is false, so it is left alone.`);
    return;
  }
  if (pending && search?.cannot) {
    rt.warning(
      `${what} may have been created after ${why}, but ${search.cannot}: check it in the ${engine.label} console.`,
    );
    return;
  }
  try {
    const aws = getAwsInputs(rt.readInput, rt.env);
    const credentials = await resolveCredentials(aws, rt);
    const clients = rt.makeClients({ region: aws.region, credentials });
    const ctx: EngineContext = { rt, clients, region: aws.region };
    const steering = engine.steering(ctx);
    if (saved.deploymentId)
      return await stopLeftInFlight(rt, engine, steering, saved.deploymentId, rule, why);
    const found = (await engine.findLeftBehind?.(ctx, saved)) ?? [];
    if (found.length === 0) {
      rt.info(
        `After ${why}, no active ${engine.noun.toLowerCase()} ${search?.where ?? ''} ${search?.by ?? 'was found'}: ${engine.label} did not create it, or it has already ended. Nothing to roll back.`,
      );
      return;
    }
    for (const id of found) {
      rt.info(`Found ${id}, created by this run (it ${search?.by ?? 'was found'}).`);
      await stopLeftInFlight(rt, engine, steering, id, rule, why);
    }
  } catch (error) {
    rt.warning(
      `Could not roll back ${target} (${rule}) after ${why}: ${errorMessage(error)}. Stop it in the ${engine.label} console.`,
    );
  }
}

/** Stops a deployment still in flight with rollback, and says which rule did it and why. */
async function stopLeftInFlight(
  rt: AwsRuntime,
  engine: Engine,
  steering: Steering,
  id: string,
  rule: string,
  why: string,
): Promise<void> {
  const state = await steering.read(id);
  if (!state.inFlight || engine.undoing(state.status) || state.rollbackId) {
    rt.info(
      `${engine.noun} ${id} is ${state.status}; nothing to roll back${state.rollbackId || engine.undoing(state.status) ? ' (it is rolling back already)' : ''}.`,
    );
    return;
  }
  const result = await steering.stopWithRollback(id);
  if (result.stopped)
    rt.warning(
      `${engine.noun} ${id} was ${state.status} after ${why}: stopped it with rollback (${rule}). ${steering.consoleUrl(id)}`,
    );
  else rt.info(result.message);
}
