/**
 * The main action: check everything, register the revision, create the blue/green deployment, follow it
 * (through the test-traffic gate when there is one) to the state asked for, and report. Rolls back when
 * the run is cancelled or the action gives up with the deployment still in flight.
 */
import type { AwsClients } from './aws-clients.js';
import type { Runtime } from './runtime.js';
import { ecsOnlyInputWarnings, getDeployInputs, type DeployInputs, type WaitUntil } from './inputs.js';
import { resolveCredentials } from './credentials.js';
import {
  planDeployment,
  findActiveDeployment,
  runningTaskDefinitionArn,
  type DeploymentPlan,
} from './preflight.js';
import {
  ActiveDeploymentError,
  createDeployment,
  registerTaskDefinition,
  type CreatedDeployment,
} from './deployment-creator.js';
import { consoleUrl, newDeploymentRecord } from './deployment-reporter.js';
import {
  continueDeployment,
  findRollbackDeployment,
  getDeployment,
  isDeploymentInFlight,
  stopDeployment,
} from './deployment-control.js';
import { resolveTestListenerUrl, runTestCommand, testListenerArn } from './test-gate.js';
import { trafficShiftMinutes, type Observation } from './deployment-progress.js';

import { markMainStarted, saveDeploymentState, savePhase } from './state-helper.js';
import { conclude, finishFollow, followRollback, followTo, startFollow, type Follow } from './follow.js';
import { summarizeTaskDefinition } from './task-definition.js';
import { appSpecTarget } from './appspec.js';
import { DeploymentError, InputError, errorMessage } from './errors.js';
import { awsErrorName, isDefiniteRejection } from './aws-errors.js';
import { DeregisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';

/**
 * How long to follow: wait-for-minutes on top of the group's ready wait (when the goal lies past it),
 * the traffic shift the config takes, and the termination wait (when waiting for Succeeded).
 */
export function waitBudgetMinutes(
  inputs: Pick<DeployInputs, 'waitForMinutes' | 'testCommand'>,
  plan: Pick<DeploymentPlan, 'readyWaitMinutes' | 'routing' | 'terminationWaitMinutes'>,
  waitUntil: WaitUntil,
): number {
  let minutes = inputs.waitForMinutes;
  const pastReady = waitUntil === 'traffic-shifted' || waitUntil === 'succeeded';
  if (pastReady && plan.readyWaitMinutes !== undefined && !inputs.testCommand)
    minutes += plan.readyWaitMinutes;
  if (pastReady) minutes += trafficShiftMinutes(plan.routing);
  if (waitUntil === 'succeeded') minutes += plan.terminationWaitMinutes;
  return minutes;
}

interface Context extends Follow {
  inputs: DeployInputs;
  clients: AwsClients;
  plan: DeploymentPlan;
}

export async function runDeploy(rt: Runtime): Promise<void> {
  markMainStarted(rt);
  const inputs = getDeployInputs(rt.readInput, rt.env);
  for (const warning of ecsOnlyInputWarnings(rt.readInput)) rt.warning(warning);
  const credentials = await resolveCredentials(inputs.aws, rt);
  const clients = rt.makeClients({ region: inputs.aws.region, credentials });

  rt.startGroup(
    `Checking ${inputs.cluster}/${inputs.service}, ${inputs.application}/${inputs.deploymentGroup}`,
  );
  let plan: DeploymentPlan;
  try {
    plan = await planDeployment(inputs, clients);
    logPlan(rt, plan);
  } finally {
    rt.endGroup();
  }
  for (const warning of plan.warnings) rt.warning(warning);
  if (
    plan.readyWaitMinutes !== undefined &&
    !inputs.testCommand &&
    (inputs.waitUntil === 'traffic-shifted' || inputs.waitUntil === 'succeeded')
  ) {
    rt.warning(
      `Deployment group '${inputs.deploymentGroup}' holds the replacement for up to ${plan.readyWaitMinutes} min until traffic is rerouted, and no test-command is given: this step will wait for someone to reroute it (CodeDeploy console "Reroute traffic", or the promote action), and CodeDeploy stops the deployment if nobody does. To split it, deploy with wait-until: ready and promote in a later job; to automate it, give test-command.`,
    );
  }
  if (plan.taskDefinition.kind === 'register' && plan.taskDefinition.removedFields.length > 0) {
    rt.info(
      `Left out read-only fields of ${inputs.taskDefinitionFile ?? plan.taskDefinition.file}: ${plan.taskDefinition.removedFields.join(', ')}`,
    );
  }

  if (plan.activeDeploymentId) await settleActiveDeployment(rt, inputs, clients, plan.activeDeploymentId);

  // First change in AWS: not once the run is being cancelled.
  if (rt.signal.aborted)
    throw new DeploymentError('The run was cancelled before anything was deployed; nothing was changed.');
  let taskDefinitionArn: string;
  if (plan.taskDefinition.kind === 'register') {
    const registered = await registerTaskDefinition(
      clients.ecs,
      plan.taskDefinition.input,
      plan.taskDefinition.file,
    );
    taskDefinitionArn = registered.taskDefinitionArn as string;
    rt.info(`Registered ${taskDefinitionArn}`);
  } else {
    taskDefinitionArn = plan.taskDefinition.arn;
    rt.info(`Deploying the registered revision ${taskDefinitionArn}`);
    const running = runningTaskDefinitionArn(plan.service);
    if (running === taskDefinitionArn) {
      rt.warning(
        `Service ${plan.clusterName}/${inputs.service} already runs ${taskDefinitionArn}: this deploys the same revision again (a full blue/green deployment, replacing every task).`,
      );
    }
  }
  rt.setOutput('task-definition-arn', taskDefinitionArn);

  let created: CreatedDeployment;
  try {
    created = await createWithActivePolicy(rt, inputs, clients, plan, taskDefinitionArn);
  } catch (error) {
    if (plan.taskDefinition.kind === 'register')
      await withdrawRegisteredRevision(rt, clients, taskDefinitionArn, error);
    if (error instanceof DeploymentError || error instanceof InputError) throw error;
    throw new DeploymentError(
      `CodeDeploy did not create the deployment: ${awsErrorName(error)}: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  const deploymentId = created.deploymentId;
  saveDeploymentState(rt, deploymentId, inputs.rollbackOnCancel);
  rt.setOutput('codedeploy-deployment-id', deploymentId);
  rt.info(
    `${created.adopted ? 'Found' : 'Created'} deployment ${deploymentId}: ${consoleUrl(inputs.aws.region, deploymentId)}`,
  );

  const definition =
    plan.taskDefinition.kind === 'register' ? plan.taskDefinition.input : plan.taskDefinition.definition;
  const record = newDeploymentRecord({
    deploymentId,
    region: inputs.aws.region,
    application: inputs.application,
    deploymentGroup: inputs.deploymentGroup,
    deploymentConfig: plan.deploymentConfigName,
    cluster: plan.clusterName,
    service: inputs.service,
    taskDefinitionArn,
    images: (definition.containerDefinitions ?? []).map((c) => ({
      container: c.name ?? '?',
      image: c.image ?? '?',
    })),
    waitUntil: inputs.waitUntil,
    startedAt: rt.clock.now(),
    status: 'Created',
  });
  const follow = startFollow(rt, clients.codedeploy, record, {
    targetId: plan.targetId,
    routing: plan.routing,
    terminationWaitMinutes: plan.terminationWaitMinutes,
    holdsReplacement: plan.readyWaitMinutes !== undefined,
    rollbackOnCancel: inputs.rollbackOnCancel,
    rollbackOnFailure: inputs.rollbackOnFailure,
  });
  const ctx: Context = { ...follow, inputs, clients, plan };
  try {
    await followDeployment(ctx);
  } finally {
    await finishFollow(ctx);
  }
}

function logPlan(rt: Runtime, plan: DeploymentPlan): void {
  const definition =
    plan.taskDefinition.kind === 'register' ? plan.taskDefinition.input : plan.taskDefinition.definition;
  for (const line of summarizeTaskDefinition(definition)) rt.info(line);
  const target = appSpecTarget(plan.appSpec);
  rt.info(
    `Service ${plan.clusterName}/${plan.service.serviceName}: CODE_DEPLOY controller, running ${plan.service.taskDefinition ?? '?'}`,
  );
  rt.info(
    `AppSpec (${plan.appSpecSource}): traffic to ${target.containerName}:${target.containerPort}${target.hooks.length ? `, hooks ${target.hooks.map((h) => `${h.event}→${h.functionName}`).join(', ')}` : ''}`,
  );
  rt.info(
    `Deployment config ${plan.deploymentConfigName}${plan.readyWaitMinutes !== undefined ? `; holds the replacement up to ${plan.readyWaitMinutes} min before rerouting` : ''}; termination wait ${plan.terminationWaitMinutes} min`,
  );
}

/** on-active-deployment: fail names it; wait follows it to its end; stop stops it with rollback and waits for that. */
async function settleActiveDeployment(
  rt: Runtime,
  inputs: DeployInputs,
  clients: AwsClients,
  activeId: string,
): Promise<void> {
  const link = consoleUrl(inputs.aws.region, activeId);
  if (inputs.onActiveDeployment === 'fail')
    throw new ActiveDeploymentError(activeId, inputs.deploymentGroup, inputs.aws.region);
  if (inputs.onActiveDeployment === 'stop') {
    rt.info(
      `Stopping the deployment in flight ${activeId} with rollback (on-active-deployment: stop): ${link}`,
    );
    await stopDeployment(clients.codedeploy, rt.clock, activeId, true);
  } else {
    rt.info(
      `Waiting for the deployment in flight ${activeId} to finish (on-active-deployment: wait): ${link}`,
    );
  }
  const deadline = rt.clock.now() + (inputs.waitForMinutes + 120) * 60_000;
  for (;;) {
    const deployment = await getDeployment(clients.codedeploy, rt.clock, activeId);
    if (!isDeploymentInFlight(deployment.status)) {
      rt.info(`${activeId} ended: ${deployment.status}`);
      // Its rollback, if any, occupies the group next.
      const rollbackId = deployment.rollbackInfo?.rollbackDeploymentId;
      const next =
        rollbackId ?? (await findActiveDeployment(clients, inputs.application, inputs.deploymentGroup));
      if (next && next !== activeId) {
        const nextInfo = await getDeployment(clients.codedeploy, rt.clock, next);
        if (isDeploymentInFlight(nextInfo.status)) {
          activeId = next;
          rt.info(
            `Now waiting for ${next} (${nextInfo.creator === 'codeDeployRollback' ? 'its rollback' : 'next in the group'})`,
          );
          continue;
        }
      }
      return;
    }
    if (rt.signal.aborted)
      throw new DeploymentError('Cancelled while waiting for the active deployment; nothing was deployed.');
    if (rt.clock.now() > deadline)
      throw new DeploymentError(
        `Timed out waiting for the active deployment ${activeId} (${link}); nothing was deployed.`,
      );
    await rt.clock.sleep(5000, rt.signal);
  }
}

async function createWithActivePolicy(
  rt: Runtime,
  inputs: DeployInputs,
  clients: AwsClients,
  plan: DeploymentPlan,
  taskDefinitionArn: string,
): Promise<CreatedDeployment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createDeployment(clients.codedeploy, {
        application: inputs.application,
        deploymentGroup: inputs.deploymentGroup,
        deploymentConfigName: inputs.deploymentConfig,
        description: inputs.description,
        appSpec: plan.appSpec,
        taskDefinitionArn,
        autoRollbackEvents: inputs.autoRollbackEvents,
        region: inputs.aws.region,
      });
    } catch (error) {
      // Someone started a deployment between our check and our create.
      if (error instanceof ActiveDeploymentError && inputs.onActiveDeployment !== 'fail' && attempt < 3) {
        await settleActiveDeployment(rt, inputs, clients, error.activeDeploymentId);
        continue;
      }
      if (error instanceof ActiveDeploymentError) {
        throw new DeploymentError(error.message, { cause: error });
      }
      throw error;
    }
  }
}

/**
 * CodeDeploy refused the deployment: the revision this run registered would be left behind, registered
 * but never deployed. Deregister it when the refusal is certain; when the outcome is unknown (a 5xx or a
 * lost answer), a deployment may exist that uses it, so it stays and the log says so.
 */
async function withdrawRegisteredRevision(
  rt: Runtime,
  clients: AwsClients,
  taskDefinitionArn: string,
  error: unknown,
): Promise<void> {
  const cause =
    error instanceof ActiveDeploymentError ? error : error instanceof DeploymentError ? error.cause : error;
  if (!(cause instanceof ActiveDeploymentError) && !isDefiniteRejection(cause)) {
    rt.warning(
      `${taskDefinitionArn} stays registered: CreateDeployment's outcome is unknown (${errorMessage(error)}), and a deployment may use it.`,
    );
    return;
  }
  try {
    await clients.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }));
    rt.info(
      `Deregistered ${taskDefinitionArn}, which this run registered, since CodeDeploy refused the deployment.`,
    );
  } catch (deregisterError) {
    rt.warning(
      `${taskDefinitionArn} stays registered but not deployed: deregistering it failed (${errorMessage(deregisterError)}).`,
    );
  }
}

function deadlineFor(ctx: Context, waitUntil: WaitUntil): number {
  return ctx.rt.clock.now() + waitBudgetMinutes(ctx.inputs, ctx.plan, waitUntil) * 60_000;
}

function budgetNote(ctx: Context, waitUntil: WaitUntil): string {
  return `The wait budget was ${waitBudgetMinutes(ctx.inputs, ctx.plan, waitUntil)} minutes: wait-for-minutes ${ctx.inputs.waitForMinutes} plus the group's waits and the traffic shift that apply to wait-until ${waitUntil}.`;
}

async function followDeployment(ctx: Context): Promise<void> {
  const { rt, inputs, record } = ctx;
  if (inputs.waitUntil === 'none' && !inputs.testCommand) {
    record.verdict = 'not-followed';
    record.verdictText = `Deployment ${record.deploymentId} created; not followed (wait-until: none).`;
    savePhase(rt, 'done');
    return;
  }
  if (inputs.testCommand) {
    const ready = await followTo(ctx, 'ready', deadlineFor(ctx, 'ready'), budgetNote(ctx, 'ready'), true);
    if (ready) await runGate(ctx, ready);
  }
  await followTo(
    ctx,
    inputs.waitUntil,
    deadlineFor(ctx, inputs.waitUntil),
    budgetNote(ctx, inputs.waitUntil),
  );
}

/** Runs test-command while the replacement is held in Ready. Returns true when traffic may be rerouted. */
async function runGate(ctx: Context, observation: Observation): Promise<void> {
  const { rt, inputs, clients, record } = ctx;
  const command = inputs.testCommand as string;
  const deployment = observation.deployment;
  if (deployment.status !== 'Ready') {
    throw new InputError(
      `CodeDeploy deployment ${record.deploymentId}`,
      `moved on to ${deployment.status} without waiting in Ready, so test-command could not gate it.`,
      'Check the deployment group ready option (STOP_DEPLOYMENT with a wait time).',
    );
  }
  let testUrl: string | undefined;
  const listenerArn = testListenerArn(deployment) ?? testListenerArn(ctx.plan.group);
  if (listenerArn) {
    testUrl = await resolveTestListenerUrl(clients.elbv2(), listenerArn).catch((error: unknown) => {
      rt.warning(
        `Could not resolve the test listener URL (${errorMessage(error)}); TEST_LISTENER_URL is not set.`,
      );
      return undefined;
    });
  }
  rt.startGroup(`Test-traffic gate: ${command}`);
  const result = await runTestCommand({
    command,
    env: {
      CODEDEPLOY_DEPLOYMENT_ID: record.deploymentId,
      TASK_DEFINITION_ARN: record.taskDefinitionArn,
      ...(testUrl ? { TEST_LISTENER_URL: testUrl } : {}),
      ...(listenerArn ? { TEST_LISTENER_ARN: listenerArn } : {}),
    },
    timeoutMs: inputs.testTimeoutMinutes * 60_000,
    clock: rt.clock,
    signal: rt.signal,
    write: (chunk) => rt.write(chunk),
  });
  rt.endGroup();
  record.testGate = {
    command,
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    outcome: result.outcome,
    testUrl,
  };
  // A cancel that lands as the command ends must not reroute production traffic.
  if (result.outcome === 'cancelled' || rt.signal.aborted) {
    return conclude(ctx, { kind: 'aborted', observation }, 'ready', '');
  }
  if (result.outcome === 'passed') {
    rt.info(`✔ test-command passed: rerouting production traffic (ContinueDeployment READY_WAIT).`);
    await continueDeployment(clients.codedeploy, rt.clock, record.deploymentId, 'READY_WAIT');
    return;
  }
  const why =
    result.outcome === 'timeout'
      ? `timed out after ${inputs.testTimeoutMinutes} min`
      : `exited with ${result.exitCode}`;
  rt.info(
    `✖ test-command ${why}: stopping ${record.deploymentId} with rollback; production traffic never moved.`,
  );
  record.verdict = 'failed';
  record.verdictText = `Test-traffic gate failed (test-command ${why}); deployment ${record.deploymentId} stopped and rolled back.`;
  const stop = await stopDeployment(clients.codedeploy, rt.clock, record.deploymentId, true);
  record.notes.push(stop.stopped ? `Stopped ${record.deploymentId} with rollback.` : stop.message);
  const { rollbackDeploymentId, deployment: stopped } = await findRollbackDeployment(
    clients.codedeploy,
    rt.clock,
    record.deploymentId,
    30_000,
  );
  record.status = stopped.status;
  if (rollbackDeploymentId) {
    record.rollback = { deploymentId: rollbackDeploymentId };
    await followRollback(ctx, rollbackDeploymentId);
  }
  savePhase(rt, 'done');
  throw new DeploymentError(record.verdictText);
}
