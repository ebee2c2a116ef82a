/**
 * The CodeDeploy engine's part of a deploy (src/engine/engine.ts DeployPlan): preflight (preflight.ts) and
 * the plan's lines, on-active-deployment for the group, CreateDeployment with this run's mark and the
 * active-deployment policy (the post step finds a deployment whose answer was lost by that mark), and the
 * test gate's point: the replacement held in Ready with test traffic on it; passing it is
 * ContinueDeployment(READY_WAIT).
 */
import { UpdateServiceCommand, type Service } from '@aws-sdk/client-ecs';
import type { DeploymentGroupInfo, DeploymentInfo, ECSTarget } from '@aws-sdk/client-codedeploy';
import type { DeployInputs } from '../../action/inputs.js';
import { DeploymentError, InputError, errorMessage } from '../../action/errors.js';
import { saveCreatingState, saveDeploymentState, savePhase } from '../../action/state.js';
import { describeWithMarker, runMarker } from '../../action/run-marker.js';
import { consoleUrl } from '../../aws/console-url.js';
import {
  findActiveDeployment,
  getDeployment,
  isDeploymentInFlight,
  readDeploymentTarget,
} from '../../aws/codedeploy-reads.js';
import { runningTaskDefinitionArn } from '../../aws/ecs-reads.js';
import { awsErrorName, isDefiniteRejection } from '../../aws/errors.js';
import type {
  DeployPlan,
  Engine,
  EngineContext,
  GateCheck,
  GatePass,
  GatePoint,
  Started,
} from '../../engine/engine.js';
import { imagesOf, withdrawRegisteredRevision } from '../../engine/revision.js';
import { summarizeTaskDefinition } from '../../prepare/task-definition.js';
import type { TaskDefinitionSource } from '../../prepare/task-source.js';
import { testListenerUrl } from '../../aws/elbv2-reads.js';
import { newCodeDeployPart, newDeploymentRecord } from '../../record/record.js';
import { appSpecTarget } from './appspec.js';
import { continueDeployment, SteeringRefused, stopDeployment } from './control.js';
import { ActiveDeploymentError, createDeployment, type CreatedDeployment } from './create.js';
import { CodeDeployFollower } from './follower.js';
import { ACTIVE_DEPLOYMENT_POLL_MS, ACTIVE_POLL_MS } from './pacing.js';
import { planDeployment, type DeploymentPlan } from './preflight.js';
import type { Observation } from './progress.js';
import { readyWaitLeftMs, readyWaitMinutesOf, unfinishedTestTrafficEvents } from './ready-wait.js';
import { reportEndedDeployment } from './ended.js';
import { waitsForSomeoneToReroute } from './wait-budget.js';
import { activeDeploymentWait } from '../../engine/active-wait.js';

/** How long the gate waits for the test-traffic events to be reported finished once the deployment is Ready. */
export const TEST_TRAFFIC_CONFIRM_MS = 60_000;

export async function prepareCodeDeploy(
  engine: Engine,
  ctx: EngineContext,
  inputs: DeployInputs,
  service: Service,
  file?: TaskDefinitionSource,
): Promise<DeployPlan> {
  const { rt, clients } = ctx;
  const plan = await planDeployment(inputs, clients, service, file);
  const target = appSpecTarget(plan.appSpec);
  const lines = [
    ...summarizeTaskDefinition(plan.taskDefinition.definition),
    `Service ${plan.clusterName}/${plan.service.serviceName}: CODE_DEPLOY controller, CodeDeploy ${inputs.application}/${inputs.deploymentGroup}, running ${plan.service.taskDefinition ?? '?'}`,
    `AppSpec (${plan.appSpecSource}): traffic to ${target.containerName}:${target.containerPort}${target.hooks.length ? `, hooks ${target.hooks.map((h) => `${h.event}→${h.functionName}`).join(', ')}` : ''}`,
    `Deployment config ${plan.deploymentConfigName}${plan.readyWaitMinutes !== undefined ? `; holds the replacement up to ${plan.readyWaitMinutes} min before rerouting` : ''}; termination wait ${plan.terminationWaitMinutes} min`,
  ];
  return {
    taskDefinition: plan.taskDefinition,
    lines,
    warnings: plan.warnings,
    running: runningTaskDefinitionArn(plan.service),
    sameRevision: (arn) =>
      `Service ${plan.clusterName}/${inputs.service} already runs ${arn}: this deploys the same revision again (a full blue/green deployment, replacing every task).`,
    waitsForSomeone: waitsForSomeoneToReroute(inputs.waitUntil, plan.readyWaitMinutes, inputs.testCommand)
      ? `Deployment group '${inputs.deploymentGroup}' holds the replacement for up to ${plan.readyWaitMinutes} min until traffic is rerouted, and no test-command is given: this step will wait for someone to reroute it (CodeDeploy console "Reroute traffic", or the promote action), and CodeDeploy stops the deployment if nobody does. To split it, deploy with wait-until: ready and promote in a later job; to automate it, give test-command.`
      : undefined,
    activeId: plan.activeDeploymentId,
    testListenerArn: testListenerArn(plan.group),
    settleActive: (activeId) => settleActiveDeployment(ctx, inputs, activeId),
    start: async (taskDefinitionArn, registered): Promise<Started> => {
      await updateServiceSettings(ctx, inputs, plan, taskDefinitionArn, registered);
      const created = await create(ctx, inputs, plan, taskDefinitionArn, registered);
      const record = newDeploymentRecord({
        engine: 'codedeploy',
        deploymentId: created.deploymentId,
        region: inputs.aws.region,
        cluster: plan.clusterName,
        service: inputs.service,
        taskDefinitionArn,
        images: imagesOf(plan.taskDefinition),
        waitUntil: inputs.waitUntil,
        startedAt: rt.clock.now(),
        status: 'Created',
        codedeploy: newCodeDeployPart({
          application: inputs.application,
          deploymentGroup: inputs.deploymentGroup,
          deploymentConfig: plan.deploymentConfigName,
        }),
      });
      const follower = new CodeDeployFollower(engine, ctx, record, {
        targetId: plan.targetId,
        routing: plan.routing,
        terminationWaitMinutes: plan.terminationWaitMinutes,
        readyWaitMinutes: plan.readyWaitMinutes,
        stuckTasks: { healthCheckGracePeriodSeconds: plan.service.healthCheckGracePeriodSeconds },
      });
      return {
        follower,
        how: created.adopted ? 'Found' : 'Created',
        gate: readyGate(ctx, inputs, plan, follower),
      };
    },
  };
}

/**
 * desired-count, enable-ecs-managed-tags and propagate-tags on a CODE_DEPLOY service: UpdateService with
 * those fields alone, right before CreateDeployment (the API reference: on a CODE_DEPLOY service "only the
 * desired count, deployment configuration, health check grace period, task placement constraints and
 * strategies, enable ECS managed tags option, and propagate tags can be updated using this API"). CodeDeploy
 * sizes the replacement task set from the service's desired count. A refusal deploys nothing (the revision
 * this run registered is withdrawn); the settings stay if CreateDeployment then fails.
 */
async function updateServiceSettings(
  ctx: EngineContext,
  inputs: DeployInputs,
  plan: DeploymentPlan,
  taskDefinitionArn: string,
  registered: boolean,
): Promise<void> {
  const { rt, clients } = ctx;
  const { desiredCount, enableECSManagedTags, propagateTags } = inputs.serviceSettings;
  const fields = {
    ...(desiredCount !== undefined ? { desiredCount } : {}),
    ...(enableECSManagedTags !== undefined ? { enableECSManagedTags } : {}),
    ...(propagateTags !== undefined ? { propagateTags } : {}),
  };
  if (Object.keys(fields).length === 0) return;
  const service = plan.service.serviceName ?? inputs.service;
  rt.info(
    `UpdateService on ${plan.clusterName}/${service} before the deployment: ${Object.entries(fields)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ')}`,
  );
  try {
    await clients.ecs.send(new UpdateServiceCommand({ cluster: plan.clusterName, service, ...fields }));
  } catch (error) {
    const refused = isDefiniteRejection(error);
    if (registered)
      await withdrawRegisteredRevision(rt, clients.ecs, taskDefinitionArn, refused, error, 'ECS');
    if (refused)
      throw new InputError(
        `ECS refused UpdateService on ${plan.clusterName}/${service}`,
        `${awsErrorName(error)}: ${errorMessage(error)}`,
        'Fix desired-count, enable-ecs-managed-tags or propagate-tags, or allow the deploy role ecs:UpdateService on the service; nothing was deployed.',
      );
    throw new DeploymentError(
      `UpdateService on ${plan.clusterName}/${service} failed before the deployment: ${awsErrorName(error)}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
}

/**
 * CreateDeployment. Before it is sent, the state records phase 'creating' with this run's mark (the
 * post step finds a deployment whose answer never came by it); a refusal created nothing, and the revision
 * this run registered is withdrawn; an unknown outcome leaves rollback-on-failure to the post step.
 */
async function create(
  ctx: EngineContext,
  inputs: DeployInputs,
  plan: DeploymentPlan,
  taskDefinitionArn: string,
  registered: boolean,
): Promise<CreatedDeployment> {
  const { rt, clients } = ctx;
  const marker = runMarker(rt.env);
  const description = describeWithMarker(inputs.description ?? '', marker);
  saveCreatingState(
    rt,
    'codedeploy',
    {
      fields: {
        application: inputs.application,
        deploymentGroup: inputs.deploymentGroup,
        runMarker: marker ?? '',
      },
      startedAt: rt.clock.now(),
    },
    inputs,
  );
  let created: CreatedDeployment;
  try {
    created = await createWithActivePolicy(ctx, inputs, plan, taskDefinitionArn, description, marker);
  } catch (error) {
    const refused = createWasRefused(error);
    savePhase(rt, refused ? 'done' : 'failed');
    if (registered)
      await withdrawRegisteredRevision(rt, clients.ecs, taskDefinitionArn, refused, error, 'CodeDeploy');
    if (error instanceof DeploymentError || error instanceof InputError) throw error;
    throw new DeploymentError(
      `CodeDeploy did not create the deployment: ${awsErrorName(error)}: ${errorMessage(error)}`,
      { cause: error },
    );
  }
  saveDeploymentState(rt, created.deploymentId, inputs, 'codedeploy');
  return created;
}

async function createWithActivePolicy(
  ctx: EngineContext,
  inputs: DeployInputs,
  plan: DeploymentPlan,
  taskDefinitionArn: string,
  description: string,
  marker: string | undefined,
): Promise<CreatedDeployment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createDeployment(ctx.clients.codedeploy, {
        application: inputs.application,
        deploymentGroup: inputs.deploymentGroup,
        deploymentConfigName: inputs.deploymentConfig,
        description,
        marker,
        appSpec: plan.appSpec,
        taskDefinitionArn,
        autoRollbackEvents: inputs.autoRollbackEvents,
        region: inputs.aws.region,
      });
    } catch (error) {
      // Someone started a deployment between our check and our create.
      if (error instanceof ActiveDeploymentError && inputs.onActiveDeployment !== 'fail' && attempt < 3) {
        await settleActiveDeployment(ctx, inputs, error.activeDeploymentId);
        continue;
      }
      if (error instanceof ActiveDeploymentError) throw new DeploymentError(error.message, { cause: error });
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

/** on-active-deployment: fail names it; wait follows it to its end; stop stops it with rollback and waits for that. */
async function settleActiveDeployment(
  ctx: EngineContext,
  inputs: DeployInputs,
  activeId: string,
): Promise<void> {
  const { rt, clients } = ctx;
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
        await reportEndedDeployment(ctx, deployment, 'warning');
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

/** The test listener's ARN from the deployment (or its group). */
export function testListenerArn(
  source: Pick<DeploymentInfo | DeploymentGroupInfo, 'loadBalancerInfo'> | undefined,
): string | undefined {
  return source?.loadBalancerInfo?.targetGroupPairInfoList?.[0]?.testTrafficRoute?.listenerArns?.[0];
}

/**
 * The gate's point: the deployment waits in Ready (the group holds the replacement, STOP_DEPLOYMENT) with
 * its test-traffic events finished; passing it reroutes production traffic (ContinueDeployment READY_WAIT).
 */
function readyGate(
  ctx: EngineContext,
  inputs: DeployInputs,
  plan: DeploymentPlan,
  follower: CodeDeployFollower,
): GatePoint {
  const { rt, clients } = ctx;
  const { record } = follower;
  return {
    async check(observation: unknown): Promise<GateCheck> {
      const deployment = (observation as Observation).deployment;
      if (deployment.status !== 'Ready')
        return {
          ok: false,
          text: `Deployment ${record.deploymentId} moved on to ${deployment.status} without waiting in Ready, so test-command could not gate it. Check the deployment group's ready option (STOP_DEPLOYMENT with a wait time).`,
          reason: 'test-command could not gate it',
        };
      const confirmed = await confirmTestTrafficDone(
        ctx,
        plan,
        record.deploymentId,
        observation as Observation,
      );
      if (confirmed.unfinished.length > 0 && !rt.signal.aborted)
        return {
          ok: false,
          text: `Deployment ${record.deploymentId} is Ready but CodeDeploy still shows ${confirmed.unfinished.join(', ')} after ${TEST_TRAFFIC_CONFIRM_MS / 1000}s: test-command was not run against a test listener that may not point at the replacement yet.`,
          reason: 'the test-traffic events did not finish',
        };
      const minutes = readyWaitMinutesOf(deployment, plan.readyWaitMinutes);
      const leftMs = readyWaitLeftMs(confirmed.target, minutes, rt.clock.now());
      const warning =
        leftMs !== undefined && inputs.testTimeoutMinutes * 60_000 > leftMs
          ? `test-timeout-minutes is ${inputs.testTimeoutMinutes} but about ${Math.max(0, Math.floor(leftMs / 60_000))} min of the ${minutes}-minute ready wait are left (counted from CodeDeploy's own timestamps): if test-command runs that long, CodeDeploy stops the deployment first and rolls it back. Shorten test-timeout-minutes or lengthen the group's ready wait.`
          : undefined;
      const listenerArn = testListenerArn(deployment) ?? testListenerArn(plan.group);
      return {
        ok: true,
        env: { CODEDEPLOY_DEPLOYMENT_ID: record.deploymentId },
        listenerArn,
        testUrl: await testListenerUrl(rt, clients, listenerArn),
        warning,
      };
    },
    /**
     * ContinueDeployment(READY_WAIT). A lost answer whose retry is refused is judged by reading the
     * deployment back (control.ts): traffic moving is success. The ready wait running out while the tests
     * ran is a stop CodeDeploy made (its rollback is followed); another final state is left for following
     * to report; a deployment still in Ready fails the gate with what CodeDeploy shows.
     */
    async pass(): Promise<GatePass> {
      rt.info(`✔ test-command passed: rerouting production traffic (ContinueDeployment READY_WAIT).`);
      try {
        const result = await continueDeployment(
          clients.codedeploy,
          rt.clock,
          record.deploymentId,
          'READY_WAIT',
        );
        if (result.note) rt.info(result.note);
        return { ok: true };
      } catch (error) {
        if (!(error instanceof SteeringRefused)) throw error;
        if (error.readyWaitExpired)
          return {
            ok: false,
            verdict: 'stopped',
            text: `The ready wait expired while the tests ran; CodeDeploy stopped deployment ${record.deploymentId}.`,
            title: 'Test-traffic gate: the ready wait expired',
            then: 'follow-undoing',
            reason: error.message,
          };
        if (error.final) {
          rt.warning(error.message);
          return { ok: true };
        }
        return {
          ok: false,
          verdict: 'failed',
          text: `Test-traffic gate passed but traffic was not rerouted: ${error.message}`,
          title: 'ContinueDeployment failed',
          then: 'roll-back',
          reason: 'production traffic could not be rerouted',
        };
      }
    },
  };
}

/**
 * Reads the target until its test-traffic events are finished (Succeeded or Skipped; a group without a
 * test listener may list none) and returns it; the names of those still unfinished when the bound runs out.
 */
async function confirmTestTrafficDone(
  ctx: EngineContext,
  plan: DeploymentPlan,
  deploymentId: string,
  observation: Observation,
): Promise<{ target: ECSTarget | undefined; unfinished: string[] }> {
  const { rt, clients } = ctx;
  let target = observation.target;
  const until = rt.clock.now() + TEST_TRAFFIC_CONFIRM_MS;
  for (;;) {
    const read = await readDeploymentTarget(clients.codedeploy, deploymentId, plan.targetId).catch(
      () => undefined,
    );
    if (read?.kind === 'target' && read.target) target = read.target;
    const unfinished = unfinishedTestTrafficEvents(target);
    if (unfinished.length === 0 || rt.clock.now() >= until) return { target, unfinished };
    await rt.clock.sleep(ACTIVE_POLL_MS, rt.signal);
    if (rt.signal.aborted) return { target, unfinished };
  }
}
