/**
 * The ECS engine's part of a deploy (src/engine/engine.ts DeployPlan), for services with the ECS deployment
 * controller (issue #11): preflight (preflight.ts) and the plan's lines, on-active-deployment for the
 * service, UpdateService with the new task definition (and the official action's service inputs, when
 * given: src/action/service-inputs.ts), the service deployment it started,
 * and the test gate's point: the pause hook at POST_TEST_TRAFFIC_SHIFT (test traffic on the new revision,
 * production untouched); passing it is ContinueServiceDeployment of that hook.
 */
import type { Service } from '@aws-sdk/client-ecs';
import type { DeployInputs } from '../../action/inputs.js';
import { DeploymentError, InputError } from '../../action/errors.js';
import { saveCreatingState, saveDeploymentState, savePhase } from '../../action/state.js';
import type {
  DeployPlan,
  Engine,
  EngineContext,
  GateCheck,
  GatePass,
  GatePoint,
  Started,
} from '../../engine/engine.js';
import { activeDeploymentWait } from '../../engine/active-wait.js';
import { imagesOf, withdrawRegisteredRevision } from '../../engine/revision.js';
import { summarizeTaskDefinition } from '../../prepare/task-definition.js';
import type { TaskDefinitionSource } from '../../prepare/task-source.js';
import { testListenerUrl } from '../../aws/elbv2-reads.js';
import { utcClock } from '../../record/format.js';
import { newDeploymentRecord, newEcsPart } from '../../record/record.js';
import { continueServiceDeployment, stopServiceDeployment } from './control.js';
import { EcsFollower } from './follower.js';
import { ECS_ACTIVE_DEPLOYMENT_POLL_MS } from './pacing.js';
import { planEcsDeployment, type EcsDeploymentPlan } from './preflight.js';
import {
  awaitingPauseHook,
  isEcsDeploymentInFlight,
  isRollingBack,
  type EcsObservation,
} from './progress.js';
import { ecsConsoleUrl, findEcsDeploymentInFlight, readServiceDeployment } from './reads.js';
import { startServiceDeployment } from './start.js';

export async function prepareEcs(
  engine: Engine,
  ctx: EngineContext,
  inputs: DeployInputs,
  service: Service,
  file?: TaskDefinitionSource,
): Promise<DeployPlan> {
  const { rt, clients } = ctx;
  const plan = await planEcsDeployment(inputs, clients, service, rt.clock, file);
  const lines = [
    ...summarizeTaskDefinition(plan.taskDefinition.definition),
    `Service ${plan.clusterName}/${plan.serviceName}: ECS controller, strategy ${plan.strategy}${plan.steps ? ` (${plan.steps})` : ''}${plan.strategy !== 'ROLLING' ? `, bake time ${plan.bakeTimeInMinutes} min` : ''}, running ${service.taskDefinition ?? '?'}`,
  ];
  const hooks = service.deploymentConfiguration?.lifecycleHooks ?? [];
  if (hooks.length > 0)
    lines.push(
      `Lifecycle hooks: ${hooks.map((h) => `${(h.lifecycleStages ?? []).join('+')}→${h.targetType === 'PAUSE' ? 'pause' : (h.hookTargetArn?.split(':').pop() ?? '?')}`).join(', ')}`,
    );
  return {
    taskDefinition: plan.taskDefinition,
    lines,
    warnings: plan.warnings,
    running: service.taskDefinition,
    // force-new-deployment: UpdateService starts a deployment of the same revision (nothing to warn about).
    sameRevision: (arn) =>
      inputs.serviceSettings.forceNewDeployment
        ? undefined
        : `Service ${plan.clusterName}/${plan.serviceName} already runs ${arn}: UpdateService with the same task definition starts no deployment, so nothing would happen. Register a new revision, or set force-new-deployment: true.`,
    waitsForSomeone:
      plan.gateHook && !inputs.testCommand && ['traffic-shifted', 'succeeded'].includes(inputs.waitUntil)
        ? `Service '${plan.serviceName}' has a PAUSE hook at POST_TEST_TRAFFIC_SHIFT and no test-command is given: this step waits for someone to continue it (ContinueServiceDeployment, or the promote action), and ECS applies the hook's timeout action if nobody does. To split it, deploy with wait-until: ready and promote in a later job; to automate it, give test-command.`
        : undefined,
    activeId: plan.activeDeploymentArn,
    testListenerArn: testListenerArnOf(plan.service),
    settleActive: (arn) => settleActiveEcsDeployment(ctx, inputs, arn),
    start: async (taskDefinitionArn, registered): Promise<Started> => {
      const withdraw = async (error: unknown): Promise<void> => {
        if (registered)
          await withdrawRegisteredRevision(rt, clients.ecs, taskDefinitionArn, true, error, 'ECS');
      };
      // ECS replaces a deployment in flight instead of queueing this one: look again right before
      // UpdateService (a list it may not read was warned about in the plan), and settle each one found.
      try {
        const inFlight = () =>
          findEcsDeploymentInFlight(clients.ecs, rt.clock, plan.clusterName, plan.serviceName).catch(
            () => undefined,
          );
        for (let active = await inFlight(); active?.serviceDeploymentArn; active = await inFlight())
          await settleActiveEcsDeployment(ctx, inputs, active.serviceDeploymentArn);
      } catch (error) {
        await withdraw(error);
        throw error;
      }
      // The post step finds the deployment by these if the answer never comes (ecsEngine.findLeftBehind).
      saveCreatingState(
        rt,
        'ecs',
        {
          fields: { cluster: plan.clusterName, service: plan.serviceName, taskDefinitionArn },
          startedAt: rt.clock.now(),
        },
        inputs,
      );
      let started: Awaited<ReturnType<typeof startServiceDeployment>>;
      try {
        started = await startServiceDeployment(
          clients.ecs,
          rt.clock,
          {
            cluster: plan.clusterName,
            service: plan.serviceName,
            taskDefinitionArn,
            settings: inputs.serviceSettings,
          },
          (message) => rt.info(message),
          rt.signal,
        );
      } catch (error) {
        // ECS refused the update: nothing uses the revision this run registered, nothing is left to the
        // post step. Any other failure may have started a deployment that uses it: the post step looks for it
        // (rollback-on-cancel after a cancel, rollback-on-failure otherwise).
        savePhase(rt, error instanceof InputError ? 'done' : rt.signal.aborted ? 'cancelled' : 'failed');
        if (error instanceof InputError) await withdraw(error);
        throw error;
      }
      saveDeploymentState(rt, started.arn, inputs, 'ecs');
      const record = newDeploymentRecord({
        engine: 'ecs',
        deploymentId: started.arn,
        region: inputs.aws.region,
        cluster: plan.clusterName,
        service: plan.serviceName,
        taskDefinitionArn,
        images: imagesOf(plan.taskDefinition),
        waitUntil: inputs.waitUntil,
        startedAt: started.since,
        status: started.status ?? 'PENDING',
        ecs: newEcsPart(plan.strategy),
      });
      const follower = new EcsFollower(engine, ctx, record, {
        strategy: plan.strategy,
        config: service.deploymentConfiguration,
        stuckTasks: { healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds },
      });
      return { follower, how: 'Started', gate: pauseHookGate(ctx, inputs, plan, follower) };
    },
  };
}

/** The test listener's ARN from the service's test listener rule (`…:listener-rule/app/<lb>/<id>/<listener>/<rule>`). */
export function testListenerArnOf(service: Service): string | undefined {
  const rule = service.loadBalancers?.find((lb) => lb.advancedConfiguration?.testListenerRule)
    ?.advancedConfiguration?.testListenerRule;
  if (!rule) return undefined;
  if (!rule.includes(':listener-rule/')) return rule;
  return rule.replace(':listener-rule/', ':listener/').replace(/\/[^/]+$/, '');
}

/**
 * The gate's point: the deployment waits in the pause hook at POST_TEST_TRAFFIC_SHIFT; passing it is
 * ContinueServiceDeployment of that hook.
 */
function pauseHookGate(
  ctx: EngineContext,
  inputs: DeployInputs,
  plan: EcsDeploymentPlan,
  follower: EcsFollower,
): GatePoint {
  const { rt, clients } = ctx;
  const { record } = follower;
  let hookId: string | undefined;
  return {
    async check(observation: unknown): Promise<GateCheck> {
      const d = (observation as EcsObservation).deployment;
      const hook = awaitingPauseHook(d);
      if (d.lifecycleStage !== 'POST_TEST_TRAFFIC_SHIFT' || !hook?.hookId)
        return {
          ok: false,
          text: `Service deployment ${record.deploymentId} moved on to ${d.lifecycleStage ?? d.status} without waiting in the pause hook at POST_TEST_TRAFFIC_SHIFT, so test-command could not gate it.`,
          reason: 'test-command could not gate it',
        };
      hookId = hook.hookId;
      const expires = hook.expiresAt instanceof Date ? hook.expiresAt.getTime() : undefined;
      const listenerArn = testListenerArnOf(plan.service);
      return {
        ok: true,
        env: { DEPLOYMENT_ID: record.deploymentId, ECS_SERVICE_DEPLOYMENT_ARN: record.deploymentId },
        listenerArn,
        testUrl: await testListenerUrl(rt, clients, listenerArn),
        warning:
          expires !== undefined && expires - rt.clock.now() < inputs.testTimeoutMinutes * 60_000
            ? `The pause hook expires at ${utcClock(expires)}, before test-timeout-minutes (${inputs.testTimeoutMinutes}) is over; ECS applies its timeout action (${hook.timeoutAction ?? 'ROLLBACK'}) then.`
            : undefined,
      };
    },
    async pass(): Promise<GatePass> {
      rt.info(
        `✔ test-command passed: continuing the deployment (ContinueServiceDeployment, hook ${hookId ?? '?'}).`,
      );
      await continueServiceDeployment(clients.ecs, rt.clock, record.deploymentId, hookId as string);
      return { ok: true };
    },
  };
}

/**
 * on-active-deployment for an ECS service: fail names it; wait follows it to its end; stop stops it with
 * rollback and waits.
 */
async function settleActiveEcsDeployment(
  ctx: EngineContext,
  inputs: DeployInputs,
  arn: string,
): Promise<void> {
  const { rt, clients } = ctx;
  const link = ecsConsoleUrl(arn);
  if (inputs.onActiveDeployment === 'fail')
    throw new DeploymentError(
      `Service ${inputs.cluster}/${inputs.service} already has a service deployment in flight: ${arn} (${link}). Wait for it to finish, stop it, or set on-active-deployment to 'wait' or 'stop'.`,
    );
  if (inputs.onActiveDeployment === 'stop') {
    rt.info(`Stopping the deployment in flight ${arn} with rollback (on-active-deployment: stop): ${link}`);
    const result = await stopServiceDeployment(clients.ecs, rt.clock, arn);
    rt.info(result.message);
  } else {
    rt.info(`Waiting for the deployment in flight ${arn} to finish (on-active-deployment: wait): ${link}`);
  }
  const checkWait = activeDeploymentWait(rt, inputs.waitForMinutes);
  for (;;) {
    const d = await readServiceDeployment(clients.ecs, rt.clock, arn);
    if (!isEcsDeploymentInFlight(d.status)) {
      rt.info(`${arn} ended: ${d.status}`);
      return;
    }
    checkWait(arn, link);
    if (inputs.onActiveDeployment === 'stop' && !isRollingBack(d) && d.status === 'IN_PROGRESS')
      rt.info(`  ${arn} is still ${d.status}`);
    await rt.clock.sleep(ECS_ACTIVE_DEPLOYMENT_POLL_MS, rt.signal);
  }
}
