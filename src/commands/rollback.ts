/**
 * The rollback action, for every engine. With a deployment in flight (given by id, or the service's):
 * stop it with rollback and follow the undoing to its end (CodeDeploy starts a rollback deployment; ECS
 * rolls back the same deployment). With nothing in flight: deploy the revision before the one the service
 * runs, as a new deployment followed like the deploy action's. Optionally deregister the revision that was
 * rolled back. The deployment id picks the engine; a service, its deployment controller (CodeDeploy when a
 * CodeDeploy application or group is named).
 */
import type { AwsRuntime } from '../aws/clients.js';
import { getRollbackInputs, type RollbackInputs } from '../action/inputs.js';
import { DeploymentError, InputError } from '../action/errors.js';
import { resolveCredentials } from '../aws/credentials.js';
import { describeService } from '../aws/ecs-reads.js';
import type { Engine, EngineContext, RollbackTarget } from '../engine/engine.js';
import { deregisterRevision } from '../engine/revision.js';
import { ENGINES, engineForId, engineForService } from '../engines/index.js';
import { addNote, setVerdict } from '../record/record.js';
import { code, escapeMarkdown } from '../record/summary.js';
import { throwIfCancelled } from './cancel.js';
import { finishFollow, followToWaitUntil, startFollow } from './follow.js';
import { outputDeploymentId } from './outputs.js';
import { checkGivenDeployment } from './given-deployment.js';

export async function runRollback(rt: AwsRuntime): Promise<void> {
  const inputs = getRollbackInputs(rt.readInput, rt.env);
  const credentials = await resolveCredentials(inputs.aws, rt);
  const clients = rt.makeClients({ region: inputs.aws.region, credentials });
  const ctx: EngineContext = { rt, clients, region: inputs.aws.region };
  const engine = await engineOf(ctx, inputs);
  await checkGivenDeployment(ctx, engine, inputs);
  const target = await engine.locateForRollback(ctx, inputs);
  if (target.kind === 'in-flight') return rollBackInFlight(ctx, engine, inputs, target);
  return redeployPrevious(ctx, engine, inputs, target);
}

/** By id; else a service named with a CodeDeploy application or group is CodeDeploy's; else its controller. */
async function engineOf(ctx: EngineContext, inputs: RollbackInputs): Promise<Engine> {
  if (inputs.deploymentId) {
    const engine = engineForId(inputs.deploymentId);
    if (engine) return engine;
  }
  const codeDeploy = ENGINES.find((e) => e.name === 'codedeploy') as Engine;
  if (!inputs.service || inputs.codeDeployNamed) return codeDeploy;
  const service = await describeService(ctx.clients.ecs, inputs.cluster, inputs.service);
  return engineForService(service, `${inputs.cluster}/${inputs.service}`);
}

/** Stop with rollback, then follow the undoing; deployment-state says how far the undoing got. */
async function rollBackInFlight(
  ctx: EngineContext,
  engine: Engine,
  inputs: RollbackInputs,
  target: Extract<RollbackTarget, { kind: 'in-flight' }>,
): Promise<void> {
  const { rt } = ctx;
  outputDeploymentId(rt, engine, target.id);
  const undo = await target.undo();
  for (const [name, value] of Object.entries(undo.outputs)) rt.setOutput(name, value);
  const undoneStatus = (): string =>
    undo.follower?.record.deploymentId === target.id
      ? (undo.follower.record.status ?? undo.status)
      : undo.status;
  if (!undo.follower) {
    rt.setOutput('deployment-status', undo.status);
    rt.setOutput(
      'deployment-state',
      undo.stopped ? 'stopped' : engine.inFlight(undo.status) ? 'in-progress' : 'failed',
    );
    rt.info(undo.text ?? '');
    await rt.writeSummary(
      `## ${undo.stopped ? '🛑 Stopped' : '❌ Could not stop'} ${escapeMarkdown(target.id)}\n\n${escapeMarkdown(undo.text ?? '')}\n`,
    );
    if (!undo.stopped) throw new DeploymentError(undo.text ?? `Could not stop ${target.id}.`);
    await maybeDeregister(ctx, inputs, undo.rolledBack);
    return;
  }
  const f = startFollow(rt, undo.follower, { rollbackOnCancel: false, rollbackOnFailure: false });
  if (undo.note) addNote(undo.follower.record, undo.note);
  try {
    await followToWaitUntil(f, inputs.waitUntil, inputs.waitForMinutes, 'rollback', 'is being rolled back');
    const undoing = undo.follower.record;
    if (undoing.verdict === 'succeeded')
      setVerdict(
        undoing,
        'succeeded',
        `${engine.noun} ${target.id} rolled back (${undoing.deploymentId === target.id ? '' : `rollback ${undoing.deploymentId} `}${undoing.status ?? '?'}${undoing.failedStep ? `, from ${undoing.failedStep}` : ''}): the service runs its previous revision.`,
      );
  } finally {
    const verdict = undo.follower.record.verdict;
    await finishFollow(f, 'rollback-status');
    rt.setOutput('deployment-status', undoneStatus());
    // Production traffic back on the previous revision is rolled back, whether or not the undoing's own
    // clean-up (CodeDeploy's termination wait) has ended.
    const back = verdict === 'succeeded' || (verdict === 'reached' && inputs.waitUntil === 'traffic-shifted');
    rt.setOutput(
      'deployment-state',
      back ? 'rolled-back' : verdict === 'failed' || verdict === 'stopped' ? 'failed' : 'rolling-back',
    );
  }
  await maybeDeregister(ctx, inputs, undo.rolledBack);
}

/**
 * Nothing in flight: deploy the revision before the one the service runs. Given a deployment that has
 * ended, only when the service still runs that deployment's revision — after a rollback (or a deployment
 * that never shifted traffic), production already runs what it ran before, and going back one more
 * revision would roll back too far.
 */
async function redeployPrevious(
  ctx: EngineContext,
  engine: Engine,
  inputs: RollbackInputs,
  target: Extract<RollbackTarget, { kind: 'settled' }>,
): Promise<void> {
  const { rt } = ctx;
  const { cluster, service, current, ended } = target;
  if (ended && !ended.stillRuns) {
    rt.info(
      `Service ${cluster}/${service} runs ${current}, not ${ended.deployed ?? 'the revision'} that ${engine.noun.toLowerCase()} ${ended.id} deployed (it ended ${ended.status}): nothing to roll back.`,
    );
    rt.setOutput('deployment-id', ended.id);
    rt.setOutput('deployment-status', ended.status);
    rt.setOutput('task-definition-arn', current);
    await rt.writeSummary(
      `## ↩️ Nothing to roll back\n\n${escapeMarkdown(engine.noun)} ${code(ended.id)} ended ${escapeMarkdown(ended.status)}; service ${code(`${cluster}/${service}`)} runs ${code(current)}, not the revision it deployed.\n`,
    );
    return;
  }
  const previous = await target.previous();
  if (!previous)
    throw new InputError(
      `service '${cluster}/${service}'`,
      `runs ${current} and no earlier ACTIVE revision of its family exists.`,
      'There is nothing to roll back to.',
    );
  rt.info(
    `Nothing in flight: redeploying the previous revision ${previous.arn} (${previous.from}; the service runs ${current}).`,
  );
  throwIfCancelled(rt, 'the previous revision was redeployed');
  const started = await target.redeploy(previous.arn);
  const { follower } = started;
  rt.setOutput('task-definition-arn', previous.arn);
  outputDeploymentId(rt, engine, follower.record.deploymentId);
  rt.info(
    `${started.how} ${engine.noun.toLowerCase()} ${follower.record.deploymentId}: ${follower.steering.consoleUrl(follower.record.deploymentId)}`,
  );
  addNote(follower.record, `Redeployed ${previous.arn} in place of ${current}.`);
  const f = startFollow(rt, follower, { rollbackOnCancel: true, rollbackOnFailure: true });
  try {
    await followToWaitUntil(f, inputs.waitUntil, inputs.waitForMinutes, 'start', 'started');
  } finally {
    await finishFollow(f);
  }
  await maybeDeregister(ctx, inputs, current);
}

/** deregister-rolled-back-revision: the revision that was rolled back. */
async function maybeDeregister(
  ctx: EngineContext,
  inputs: RollbackInputs,
  arn: string | undefined,
): Promise<void> {
  const { rt, clients } = ctx;
  if (!inputs.deregisterRolledBackRevision) return;
  if (!arn) {
    rt.warning(
      'deregister-rolled-back-revision: the rolled-back revision could not be determined; nothing deregistered.',
    );
    return;
  }
  await deregisterRevision(clients.ecs, arn);
  rt.info(`Deregistered ${arn}.`);
  rt.setOutput('deregistered-task-definition-arn', arn);
}
