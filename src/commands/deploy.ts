/**
 * The main action: check everything, register the revision, create the blue/green deployment, follow it
 * (through the test-traffic gate when there is one) to the state asked for, and report. Rolls back when
 * the run is cancelled or the action gives up with the deployment still in flight.
 */
import type { AwsClients, AwsRuntime } from '../aws/clients.js';
import {
  ecsOnlyInputWarnings,
  ecsServiceInputWarnings,
  getDeployInputs,
  type DeployInputs,
} from '../action/inputs.js';
import { resolveCredentials } from '../aws/credentials.js';
import { loadTaskDefinitionFile, planDeployment, type DeploymentPlan } from '../prepare/preflight.js';
import { summarizeTaskDefinition } from '../prepare/task-definition.js';
import { appSpecTarget } from '../engines/codedeploy/appspec.js';
import { consoleUrl } from '../aws/console-url.js';
import { findActiveDeployment, getDeployment, isDeploymentInFlight } from '../aws/codedeploy-reads.js';
import { describeService, runningTaskDefinitionArn } from '../aws/ecs-reads.js';
import { ActiveDeploymentError, createDeployment, type CreatedDeployment } from '../engines/codedeploy/creator.js';
import { stopDeployment } from '../engines/codedeploy/control.js';
import { ACTIVE_DEPLOYMENT_POLL_MS } from '../engines/codedeploy/pacing.js';
import { followsNothing, waitBudget, waitsForSomeoneToReroute } from '../engines/codedeploy/wait-budget.js';
import { newDeploymentRecord, setVerdict } from '../record/record.js';
import { markMainStarted, saveCreatingState, saveDeploymentState, savePhase } from '../action/state.js';
import { describeWithMarker, runMarker } from '../action/run-marker.js';
import { DeploymentError, InputError, errorMessage } from '../action/errors.js';
import { awsErrorName, isDefiniteRejection } from '../aws/errors.js';
import { finishFollow, followTo, reportEndedDeployment, startFollow, type Follow } from './follow.js';
import { StuckInstallDiagnostics } from '../engine/stuck-tasks.js';
import { activeDeploymentWait, throwIfCancelled } from './cancel.js';
import { runGate } from './test-gate.js';
import { runEcsDeploy } from './deploy-ecs.js';
import { followAndSavePhase } from './phase.js';
import { imagesOf, revisionToDeploy } from '../engine/revision.js';
import { DeregisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';

/** What following a new deployment needs beyond Follow (the test gate reads the plan's group). */
export interface Context extends Follow {
  inputs: DeployInputs;
  clients: AwsClients;
  plan: DeploymentPlan;
}

export async function runDeploy(rt: AwsRuntime): Promise<void> {
  markMainStarted(rt);
  const inputs = getDeployInputs(rt.readInput, rt.env);
  const inputWarnings = ecsOnlyInputWarnings(rt.readInput);
  const credentials = await resolveCredentials(inputs.aws, rt);
  const clients = rt.makeClients({ region: inputs.aws.region, credentials });

  // Local files first: a typo fails before any AWS call.
  const localTaskDefinition = inputs.taskDefinitionFile ? await loadTaskDefinitionFile(inputs) : undefined;
  // The service's deployment controller chooses the engine (issue #11).
  const service = await describeService(clients.ecs, inputs.cluster, inputs.service);
  const controller = service.deploymentController?.type ?? 'ECS';
  if (controller === 'ECS') {
    for (const warning of ecsServiceInputWarnings(rt.readInput)) rt.warning(warning);
    return runEcsDeploy(rt, inputs, clients, service, localTaskDefinition);
  }
  if (controller !== 'CODE_DEPLOY') {
    throw new InputError(
      `service '${inputs.cluster}/${inputs.service}'`,
      `uses the ${controller} deployment controller, which neither CodeDeploy nor ECS deploys: its task sets are managed by another tool.`,
      'Deploy it with the tool that manages its task sets, or switch it to the CODE_DEPLOY or ECS deployment controller.',
    );
  }
  for (const warning of inputWarnings) rt.warning(warning);

  rt.startGroup(
    `Checking ${inputs.cluster}/${inputs.service}, ${inputs.application}/${inputs.deploymentGroup}`,
  );
  let plan: DeploymentPlan;
  try {
    plan = await planDeployment(inputs, clients, service, localTaskDefinition);
    logPlan(rt, plan);
  } finally {
    rt.endGroup();
  }
  for (const warning of plan.warnings) rt.warning(warning);
  if (waitsForSomeoneToReroute(inputs.waitUntil, plan.readyWaitMinutes, inputs.testCommand)) {
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
  throwIfCancelled(rt, 'anything was deployed');
  const taskDefinitionArn = await revisionToDeploy(
    rt,
    clients.ecs,
    plan.taskDefinition,
    runningTaskDefinitionArn(plan.service),
    (arn) =>
      `Service ${plan.clusterName}/${inputs.service} already runs ${arn}: this deploys the same revision again (a full blue/green deployment, replacing every task).`,
  );

  // Before CreateDeployment is sent: a main step killed before its answer comes leaves the post step
  // what it needs to find the deployment by this run's mark (phase 'creating').
  const marker = runMarker(rt.env);
  const description = describeWithMarker(inputs.description ?? '', marker);
  saveCreatingState(
    rt,
    {
      application: inputs.application,
      deploymentGroup: inputs.deploymentGroup,
      marker,
      startedAt: rt.clock.now(),
    },
    inputs,
  );
  let created: CreatedDeployment;
  try {
    created = await createWithActivePolicy(rt, inputs, clients, plan, taskDefinitionArn, description);
  } catch (error) {
    // A refusal created nothing; an unknown outcome may have: rollback-on-failure, by the mark.
    savePhase(rt, createWasRefused(error) ? 'done' : 'failed');
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
  saveDeploymentState(rt, deploymentId, inputs);
  rt.setOutput('codedeploy-deployment-id', deploymentId);
  rt.setOutput('deployment-id', deploymentId);
  rt.info(
    `${created.adopted ? 'Found' : 'Created'} deployment ${deploymentId}: ${consoleUrl(inputs.aws.region, deploymentId)}`,
  );

  const record = newDeploymentRecord({
    deploymentId,
    region: inputs.aws.region,
    application: inputs.application,
    deploymentGroup: inputs.deploymentGroup,
    deploymentConfig: plan.deploymentConfigName,
    cluster: plan.clusterName,
    service: inputs.service,
    taskDefinitionArn,
    images: imagesOf(plan.taskDefinition),
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
  const ctx: Context = {
    ...follow,
    inputs,
    clients,
    plan,
    diagnostics: new StuckInstallDiagnostics(rt, record, {
      ecs: clients.ecs,
      healthCheckGracePeriodSeconds: plan.service.healthCheckGracePeriodSeconds,
    }),
  };
  // The one place the phase after following is saved (phase.ts): the post step acts on it.
  await followAndSavePhase(
    rt,
    record,
    inputs.rollbackOnCancel,
    () => followDeployment(ctx),
    () => finishFollow(ctx),
  );
}

/** Its home is phase.ts (both engines); exported here as before. */

function logPlan(rt: AwsRuntime, plan: DeploymentPlan): void {
  for (const line of summarizeTaskDefinition(plan.taskDefinition.definition)) rt.info(line);
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
  rt: AwsRuntime,
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
  const checkWait = activeDeploymentWait(rt, inputs.waitForMinutes);
  for (;;) {
    const deployment = await getDeployment(clients.codedeploy, rt.clock, activeId);
    if (!isDeploymentInFlight(deployment.status)) {
      rt.info(`${activeId} ended: ${deployment.status}`);
      // Its failure, even if first seen after the fact, is told with its failed event and diagnostics:
      // as a warning, since it is not this job's (the job deploys once the group is free).
      if (inputs.onActiveDeployment === 'wait' || deployment.status === 'Failed')
        await reportEndedDeployment(rt, clients.codedeploy, deployment, inputs.aws.region, 'warning');
      // Its rollback, if any, occupies the group next.
      const rollbackId = deployment.rollbackInfo?.rollbackDeploymentId;
      const next =
        rollbackId ??
        (await findActiveDeployment(clients.codedeploy, inputs.application, inputs.deploymentGroup));
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
    checkWait(activeId, link);
    await rt.clock.sleep(ACTIVE_DEPLOYMENT_POLL_MS, rt.signal);
  }
}

async function createWithActivePolicy(
  rt: AwsRuntime,
  inputs: DeployInputs,
  clients: AwsClients,
  plan: DeploymentPlan,
  taskDefinitionArn: string,
  description: string,
): Promise<CreatedDeployment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createDeployment(clients.codedeploy, {
        application: inputs.application,
        deploymentGroup: inputs.deploymentGroup,
        deploymentConfigName: inputs.deploymentConfig,
        description,
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

/** Whether CreateDeployment certainly created nothing (a refusal, or another deployment in the way). */
function createWasRefused(error: unknown): boolean {
  const cause =
    error instanceof ActiveDeploymentError ? error : error instanceof DeploymentError ? error.cause : error;
  return cause instanceof ActiveDeploymentError || isDefiniteRejection(cause);
}

/**
 * CodeDeploy refused the deployment: the revision this run registered would be left behind, registered
 * but never deployed. Deregister it when the refusal is certain; when the outcome is unknown (a 5xx or a
 * lost answer), a deployment may exist that uses it, so it stays and the log says so.
 */
async function withdrawRegisteredRevision(
  rt: AwsRuntime,
  clients: AwsClients,
  taskDefinitionArn: string,
  error: unknown,
): Promise<void> {
  if (!createWasRefused(error)) {
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

async function followDeployment(ctx: Context): Promise<void> {
  const { rt, inputs, record, plan } = ctx;
  if (followsNothing(inputs.waitUntil, inputs.testCommand)) {
    setVerdict(
      record,
      'not-followed',
      `Deployment ${record.deploymentId} created; not followed (wait-until: none).`,
    );
    return;
  }
  const budget = (waitUntil: typeof inputs.waitUntil) =>
    waitBudget(
      {
        waitForMinutes: inputs.waitForMinutes,
        waitUntil,
        from: 'start',
        routing: plan.routing,
        readyWaitMinutes: plan.readyWaitMinutes,
        terminationWaitMinutes: plan.terminationWaitMinutes,
        testCommand: inputs.testCommand,
      },
      rt.clock.now(),
    );
  if (inputs.testCommand) {
    const ready = await followTo(ctx, 'ready', budget('ready'), true);
    if (ready) await runGate(ctx, inputs.testCommand, ready);
  }
  await followTo(ctx, inputs.waitUntil, budget(inputs.waitUntil));
}
