/**
 * The main action, for every engine: check everything, register the revision, start the deployment —
 * the service's deployment controller picks the engine (src/engines/index.ts) — follow it (through the test
 * gate when there is one) to the state asked for, and report. Rolls back when the run is cancelled or the
 * action gives up with the deployment still in flight.
 */
import type { AwsRuntime } from '../aws/clients.js';
import { getDeployInputs, refuseUnsupportedInputs, type DeployInputs } from '../action/inputs.js';
import { markMainStarted } from '../action/state.js';
import { resolveCredentials } from '../aws/credentials.js';
import { describeService } from '../aws/ecs-reads.js';
import { testListenerUrl } from '../aws/elbv2-reads.js';
import type { EngineContext, Started } from '../engine/engine.js';
import { revisionToDeploy } from '../engine/revision.js';
import { engineForService } from '../engines/index.js';
import { loadTaskDefinitionFile } from '../prepare/task-source.js';
import { setVerdict } from '../record/record.js';
import { throwIfCancelled } from './cancel.js';
import { finishFollow, followTo, namedInSentence, notFollowed, startFollow, type Follow } from './follow.js';
import { outputDeploymentId } from './outputs.js';
import { followAndSavePhase } from './phase.js';
import { runGate } from './test-gate.js';
import { checkMetricAccess, describeHealthPlan, healthMonitor } from './health.js';

export async function runDeploy(rt: AwsRuntime): Promise<void> {
  markMainStarted(rt);
  const inputs = getDeployInputs(rt.readInput, rt.env);
  refuseUnsupportedInputs(rt.readInput);
  const credentials = await resolveCredentials(inputs.aws, rt);
  const clients = rt.makeClients({ region: inputs.aws.region, credentials });
  const ctx: EngineContext = { rt, clients, region: inputs.aws.region };

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

  const started = await plan.start(taskDefinitionArn, source.kind === 'register');
  const { follower } = started;
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
