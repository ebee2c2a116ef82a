/**
 * The main action, for every engine: check everything, register the revision, run the one-off task
 * (run-task) when asked, start the deployment — the service's deployment controller picks the engine
 * (src/engines/index.ts) — follow it (through the test gate when there is one) to the state asked for, and
 * report. Rolls back when the run is cancelled or the action gives up with the deployment still in flight.
 * Without `service`, as the official action: register (and run run-task), deploy nothing.
 */
import type { AwsRuntime } from '../aws/clients.js';
import { getDeployInputs, type DeployInputs, type RegisterOnlyInputs } from '../action/inputs.js';
import { DeploymentError } from '../action/errors.js';
import { markMainStarted } from '../action/state.js';
import { resolveCredentials } from '../aws/credentials.js';
import { describeService } from '../aws/ecs-reads.js';
import { testListenerUrl } from '../aws/elbv2-reads.js';
import type { EngineContext, Started } from '../engine/engine.js';
import { imagesOf, revisionToDeploy } from '../engine/revision.js';
import { engineForService } from '../engines/index.js';
import {
  describeExistingTaskDefinition,
  loadTaskDefinitionFile,
  type TaskDefinitionSource,
} from '../prepare/task-source.js';
import { addNote, setVerdict } from '../record/record.js';
import { renderNoDeploymentSummary } from '../record/task-summary.js';
import { throwIfCancelled } from './cancel.js';
import { finishFollow, followTo, namedInSentence, notFollowed, startFollow, type Follow } from './follow.js';
import { outputDeploymentId } from './outputs.js';
import { OneOffTaskFailed, runOneOff, type OneOffOutcome } from './one-off-task.js';
import { followAndSavePhase } from './phase.js';
import { runGate } from './test-gate.js';
import { checkMetricAccess, describeHealthPlan, healthMonitor } from './health.js';

export async function runDeploy(rt: AwsRuntime): Promise<void> {
  markMainStarted(rt);
  const inputs = getDeployInputs(rt.readInput, rt.env, 'allowed');
  for (const warning of inputs.warnings) rt.warning(warning);
  const credentials = await resolveCredentials(inputs.aws, rt);
  const clients = rt.makeClients({ region: inputs.aws.region, credentials });
  const ctx: EngineContext = { rt, clients, region: inputs.aws.region };
  if (inputs.service === undefined) return registerOnly(ctx, inputs);

  // Local files first: a typo fails before any AWS call.
  const file = inputs.taskDefinitionFile ? await loadTaskDefinitionFile(inputs) : undefined;
  const service = await describeService(clients.ecs, inputs.cluster, inputs.service);
  const engine = engineForService(service, `${inputs.cluster}/${inputs.service}`);
  for (const warning of engine.inputWarnings(rt.readInput)) rt.warning(warning);

  rt.startGroup(`Checking ${inputs.cluster}/${inputs.service} (${engine.controller} deployment controller)`);
  let plan: Awaited<ReturnType<typeof engine.prepare>>;
  try {
    plan = await engine.prepare(ctx, inputs, service, file);
    for (const line of plan.lines) rt.info(line);
  } finally {
    rt.endGroup();
  }
  for (const warning of plan.warnings) rt.warning(warning);
  if (plan.waitsForSomeone) rt.warning(plan.waitsForSomeone);
  const source = plan.taskDefinition;
  if (source.kind === 'register' && source.removedFields.length > 0)
    rt.info(
      `Left out read-only fields of ${inputs.taskDefinitionFile ?? source.file}: ${source.removedFields.join(', ')}`,
    );

  if (inputs.healthChecks) {
    rt.info('Health checks while traffic moves:');
    for (const line of describeHealthPlan(inputs.healthChecks)) rt.info(`  ${line}`);
    await checkMetricAccess(rt, clients.cloudwatch());
  }
  if (plan.activeId) await plan.settleActive(plan.activeId);

  // First change in AWS: not once the run is being cancelled.
  throwIfCancelled(rt, 'anything was deployed');
  const taskDefinitionArn = await revisionToDeploy(rt, clients.ecs, source, plan.running, plan.sameRevision);
  rt.setOutput('task-definition-arn', taskDefinitionArn);
  // The one-off task runs on the new revision before any service is changed, as in the official action.
  const oneOff = await oneOffTask(ctx, inputs, source, taskDefinitionArn, 'no service was changed');
  if (oneOff && rt.signal.aborted)
    throw new DeploymentError(
      `The run was cancelled after the one-off task: ${taskDefinitionArn} is registered, no service was changed.`,
    );

  const started = await plan.start(taskDefinitionArn, source.kind === 'register');
  const { follower } = started;
  if (oneOff) addNote(follower.record, oneOff.text);
  const id = follower.record.deploymentId;
  outputDeploymentId(rt, engine, id);
  rt.info(`${started.how} ${engine.noun.toLowerCase()} ${id}: ${follower.steering.consoleUrl(id)}`);

  const f = startFollow(rt, follower, inputs, healthMonitor(rt, clients, inputs.healthChecks));
  // The one place the phase after following is saved (phase.ts): the post step acts on it.
  await followAndSavePhase(
    rt,
    follower.record,
    inputs.rollbackOnCancel,
    () => followDeployment(f, inputs, started),
    () => finishFollow(f),
  );
  // Held for a promote: where a test job of its own (without AWS access) reaches the new revision.
  if (engine.state(follower.record) === 'held' && plan.testListenerArn) {
    const url = await testListenerUrl(rt, clients, plan.testListenerArn);
    if (url) rt.setOutput('test-listener-url', url);
  }
}

/** wait-until none: not followed; with a test-command, through the gate first; then to wait-until. */
async function followDeployment(f: Follow, inputs: DeployInputs, started: Started): Promise<void> {
  const { follower } = f;
  const { waitUntil, waitForMinutes, testCommand } = inputs;
  if (waitUntil === 'none' && !testCommand) return notFollowed(f, 'started');
  if (testCommand) {
    const at = await followTo(f, 'gate', follower.budget('gate', waitForMinutes, 'start', testCommand), true);
    if (at !== undefined) await runGate(f, started.gate, inputs, at);
  }
  if (waitUntil !== 'none')
    await followTo(f, waitUntil, follower.budget(waitUntil, waitForMinutes, 'start', testCommand));
  else
    setVerdict(
      follower.record,
      'reached',
      `Test gate passed; ${namedInSentence(f)} goes on without this job.`,
    );
}

/**
 * run-task, when asked: runs the one-off task on `taskDefinitionArn` and, when it failed, writes the job
 * summary and the error with its details and fails the step (nothing after it happens).
 */
async function oneOffTask(
  ctx: EngineContext,
  inputs: DeployInputs | RegisterOnlyInputs,
  source: TaskDefinitionSource,
  taskDefinitionArn: string,
  ending: string,
): Promise<OneOffOutcome | undefined> {
  if (!inputs.runTask) return undefined;
  const { rt, clients } = ctx;
  const outcome = await runOneOff(
    rt,
    clients,
    {
      cluster: inputs.cluster,
      region: inputs.aws.region,
      taskDefinitionArn,
      containers: source.definition.containerDefinitions ?? [],
      runTask: inputs.runTask,
      waitForMinutes: inputs.waitForMinutes,
    },
    ending,
  );
  for (const line of outcome.details) rt.info(line);
  rt.info(outcome.text);
  if (outcome.ok) return outcome;
  rt.error(outcome.text, { title: 'One-off task failed' });
  await rt.writeSummary(
    renderNoDeploymentSummary({
      ok: false,
      title: `One-off task failed on ${taskDefinitionArn.split('/').pop() ?? taskDefinitionArn}`,
      verdict: outcome.text,
      taskDefinitionArn,
      images: imagesOf(source),
      oneOff: outcome.record,
    }),
  );
  throw new OneOffTaskFailed(outcome);
}

/** No service: register the revision (and run run-task), deploy nothing, and say so. */
async function registerOnly(ctx: EngineContext, inputs: RegisterOnlyInputs): Promise<void> {
  const { rt, clients } = ctx;
  const source = inputs.taskDefinitionFile
    ? await loadTaskDefinitionFile(inputs)
    : await describeExistingTaskDefinition(clients, inputs.taskDefinitionArn as string);
  if (source.kind === 'register') {
    for (const warning of source.warnings) rt.warning(warning);
    if (source.removedFields.length > 0)
      rt.info(
        `Left out read-only fields of ${inputs.taskDefinitionFile}: ${source.removedFields.join(', ')}`,
      );
  }
  throwIfCancelled(rt, 'anything was registered');
  const taskDefinitionArn = await revisionToDeploy(rt, clients.ecs, source, undefined, () => undefined);
  rt.setOutput('task-definition-arn', taskDefinitionArn);
  const oneOff = await oneOffTask(ctx, inputs, source, taskDefinitionArn, 'no service was given');
  const verdict = `No service given: ${source.kind === 'register' ? 'registered' : 'kept'} ${taskDefinitionArn}; nothing was deployed.${oneOff ? ` ${oneOff.text}` : ''}`;
  rt.info(verdict);
  await rt.writeSummary(
    renderNoDeploymentSummary({
      ok: true,
      title: `${source.kind === 'register' ? 'Registered' : 'Task definition'} ${taskDefinitionArn.split('/').pop() ?? taskDefinitionArn} (no service: nothing deployed)`,
      verdict,
      taskDefinitionArn,
      images: imagesOf(source),
      oneOff: oneOff?.record,
    }),
  );
}
