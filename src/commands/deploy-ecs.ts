/**
 * The deploy command's path for a service with the ECS deployment controller (issue #11): check everything
 * (ecs/preflight.ts), register the revision (or take task-definition-arn), UpdateService with the new task
 * definition and nothing else, find the service deployment it started, follow it — through the test gate
 * at a POST_TEST_TRAFFIC_SHIFT pause hook when there is one — to the state asked for, and report. Rolls back
 * (StopServiceDeployment ROLLBACK) when the run is cancelled or the action gives up.
 */
import type { Service } from '@aws-sdk/client-ecs';
import type { AwsClients, AwsRuntime } from '../aws/clients.js';
import type { DeployInputs } from '../action/inputs.js';
import { saveDeploymentState } from '../action/state.js';
import { DeploymentError, InputError, errorMessage } from '../action/errors.js';
import { awsErrorName, isAwsError } from '../aws/errors.js';
import { summarizeTaskDefinition } from '../prepare/task-definition.js';
import type { TaskDefinitionSource } from '../prepare/preflight.js';
import { planEcsDeployment, type EcsDeploymentPlan } from '../ecs/preflight.js';
import { findStartedDeployment, updateServiceTaskDefinition } from '../ecs/start.js';
import { ecsConsoleUrl } from '../ecs/engine.js';
import { continueServiceDeployment, stopServiceDeployment } from '../ecs/control.js';
import { findEcsDeploymentInFlight, readServiceDeployment } from '../ecs/reads.js';
import { ECS_ACTIVE_DEPLOYMENT_POLL_MS } from '../ecs/pacing.js';
import {
  awaitingPauseHook,
  isEcsDeploymentInFlight,
  isRollingBack,
  type EcsObservation,
} from '../ecs/progress.js';
import { ecsWaitBudget } from '../ecs/wait-budget.js';
import { newDeploymentRecord, setVerdict } from '../report/record.js';
import { utcClock } from '../report/ecs-reporter.js';
import { activeDeploymentWait, throwIfCancelled } from './cancel.js';
import { followAndSavePhase } from './phase.js';
import { imagesOf, revisionToDeploy } from './revision.js';
import { runGateCommand, testListenerUrl } from './test-gate.js';
import {
  concludeEcs,
  finishEcsFollow,
  followEcsTo,
  rollbackOnGivingUpEcs,
  startEcsFollow,
  stopAndFollowEcsRollback,
  type EcsFollow,
} from './follow-ecs.js';

export async function runEcsDeploy(
  rt: AwsRuntime,
  inputs: DeployInputs,
  clients: AwsClients,
  service: Service,
  preloaded?: TaskDefinitionSource,
): Promise<void> {
  rt.startGroup(`Checking ${inputs.cluster}/${inputs.service} (ECS deployment controller)`);
  let plan: EcsDeploymentPlan;
  try {
    plan = await planEcsDeployment(inputs, clients, service, rt.clock, preloaded);
    for (const line of summarizeTaskDefinition(plan.taskDefinition.definition)) rt.info(line);
    rt.info(
      `Service ${plan.clusterName}/${plan.serviceName}: ECS controller, strategy ${plan.strategy}${plan.steps ? ` (${plan.steps})` : ''}${plan.strategy !== 'ROLLING' ? `, bake time ${plan.bakeTimeInMinutes} min` : ''}, running ${service.taskDefinition ?? '?'}`,
    );
    const hooks = service.deploymentConfiguration?.lifecycleHooks ?? [];
    if (hooks.length > 0)
      rt.info(
        `Lifecycle hooks: ${hooks.map((h) => `${(h.lifecycleStages ?? []).join('+')}→${h.targetType === 'PAUSE' ? 'pause' : (h.hookTargetArn?.split(':').pop() ?? '?')}`).join(', ')}`,
      );
  } finally {
    rt.endGroup();
  }
  for (const warning of plan.warnings) rt.warning(warning);
  if (plan.gateHook && !inputs.testCommand && ['traffic-shifted', 'succeeded'].includes(inputs.waitUntil)) {
    rt.warning(
      `Service '${plan.serviceName}' has a PAUSE hook at POST_TEST_TRAFFIC_SHIFT and no test-command is given: this step waits for someone to continue it (ContinueServiceDeployment, or the promote action), and ECS applies the hook's timeout action if nobody does. To split it, deploy with wait-until: ready and promote in a later job; to automate it, give test-command.`,
    );
  }
  if (plan.activeDeploymentArn)
    await settleActiveEcsDeployment(rt, inputs, clients, plan.activeDeploymentArn);

  throwIfCancelled(rt, 'anything was deployed');
  const taskDefinitionArn = await revisionToDeploy(
    rt,
    clients.ecs,
    plan.taskDefinition,
    service.taskDefinition,
    (arn) =>
      `Service ${plan.clusterName}/${plan.serviceName} already runs ${arn}: UpdateService with the same task definition starts no deployment, so nothing would happen. Register a new revision, or force a new deployment outside this action.`,
  );

  // ECS replaces a deployment in flight instead of queueing this one: look again right before UpdateService
  // (a list it may not read was warned about in the plan)
  const inFlight = () =>
    findEcsDeploymentInFlight(clients.ecs, rt.clock, plan.clusterName, plan.serviceName).catch(
      () => undefined,
    );
  for (let active = await inFlight(); active?.serviceDeploymentArn; active = await inFlight())
    await settleActiveEcsDeployment(rt, inputs, clients, active.serviceDeploymentArn);

  const since = rt.clock.now();
  try {
    await updateServiceTaskDefinition(clients.ecs, plan.clusterName, plan.serviceName, taskDefinitionArn);
  } catch (error) {
    if (isAwsError(error, 'InvalidParameterException', 'ClientException'))
      throw new InputError(
        `ECS refused UpdateService on ${plan.clusterName}/${plan.serviceName}`,
        errorMessage(error),
        'Fix the service or the task definition; nothing was deployed.',
      );
    throw new DeploymentError(`UpdateService failed: ${awsErrorName(error)}: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  rt.info(
    `UpdateService: ${plan.serviceName} → ${taskDefinitionArn}; looking for the service deployment it started`,
  );
  const brief = await findStartedDeployment(
    clients.ecs,
    rt.clock,
    { cluster: plan.clusterName, service: plan.serviceName, taskDefinitionArn, since },
    rt.signal,
  );
  if (!brief?.serviceDeploymentArn)
    throw new DeploymentError(
      `UpdateService was accepted, but no service deployment of ${plan.clusterName}/${plan.serviceName} deploying ${taskDefinitionArn} was listed within a minute (ListServiceDeployments). Look at the service's Deployments tab; the action did not follow it.`,
    );
  const arn = brief.serviceDeploymentArn;
  saveDeploymentState(rt, arn, inputs, 'ecs');
  rt.setOutput('deployment-id', arn);
  rt.info(`Service deployment ${arn}: ${ecsConsoleUrl(arn)}`);

  const record = newDeploymentRecord({
    deploymentId: arn,
    region: inputs.aws.region,
    application: '',
    deploymentGroup: '',
    cluster: plan.clusterName,
    service: plan.serviceName,
    taskDefinitionArn,
    images: imagesOf(plan.taskDefinition),
    waitUntil: inputs.waitUntil,
    startedAt: since,
    status: brief.status ?? 'PENDING',
  });
  record.engine = 'ecs';
  record.ecs = { strategy: plan.strategy, stages: [], traffic: [], hooks: [] };
  const f = startEcsFollow(rt, clients.ecs, record, {
    strategy: plan.strategy,
    rollbackOnCancel: inputs.rollbackOnCancel,
    rollbackOnFailure: inputs.rollbackOnFailure,
    stuckScaleUp: { healthCheckGracePeriodSeconds: service.healthCheckGracePeriodSeconds },
  });
  await followAndSavePhase(
    rt,
    record,
    inputs.rollbackOnCancel,
    () => followEcsDeployment(f, inputs, clients, plan),
    () => finishEcsFollow(f),
  );
}

async function followEcsDeployment(
  f: EcsFollow,
  inputs: DeployInputs,
  clients: AwsClients,
  plan: EcsDeploymentPlan,
): Promise<void> {
  const { rt, record } = f;
  if (inputs.waitUntil === 'none' && !inputs.testCommand) {
    setVerdict(
      record,
      'not-followed',
      `Service deployment ${record.deploymentId} started; not followed (wait-until: none).`,
    );
    return;
  }
  const config = plan.service.deploymentConfiguration;
  const budget = (waitUntil: typeof inputs.waitUntil | 'gate') =>
    ecsWaitBudget({ waitForMinutes: inputs.waitForMinutes, waitUntil, config }, rt.clock.now());
  if (inputs.testCommand) {
    const at = await followEcsTo(f, 'gate', budget('gate'), true);
    if (at) await runEcsGate(f, inputs, clients, plan, inputs.testCommand, at);
  }
  if (inputs.waitUntil !== 'none') await followEcsTo(f, inputs.waitUntil, budget(inputs.waitUntil));
  else
    setVerdict(
      record,
      'reached',
      `Test gate passed; service deployment ${record.deploymentId} goes on without this job.`,
    );
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
 * The gate: while the deployment waits in the pause hook at POST_TEST_TRAFFIC_SHIFT (test traffic on the new
 * revision, production untouched), run test-command; pass → ContinueServiceDeployment(hookId), fail or
 * timeout → StopServiceDeployment(ROLLBACK) with the rollback followed.
 */
async function runEcsGate(
  f: EcsFollow,
  inputs: DeployInputs,
  clients: AwsClients,
  plan: EcsDeploymentPlan,
  command: string,
  observation: EcsObservation,
): Promise<void> {
  const { rt, record } = f;
  const d = observation.deployment;
  const hook = awaitingPauseHook(d);
  if (d.lifecycleStage !== 'POST_TEST_TRAFFIC_SHIFT' || !hook?.hookId) {
    const text = `Service deployment ${record.deploymentId} moved on to ${d.lifecycleStage ?? d.status} without waiting in the pause hook at POST_TEST_TRAFFIC_SHIFT, so test-command could not gate it.`;
    setVerdict(record, 'failed', text);
    rt.error(text, { title: 'Test-traffic gate could not run' });
    await rollbackOnGivingUpEcs(f, 'test-command could not gate it');
    throw new DeploymentError(text, { reported: true });
  }
  const listenerArn = testListenerArnOf(plan.service);
  const testUrl = await testListenerUrl(rt, clients, listenerArn);
  const expires = hook.expiresAt instanceof Date ? hook.expiresAt.getTime() : undefined;
  if (expires !== undefined && expires - rt.clock.now() < inputs.testTimeoutMinutes * 60_000)
    rt.warning(
      `The pause hook expires at ${utcClock(expires)}, before test-timeout-minutes (${inputs.testTimeoutMinutes}) is over; ECS applies its timeout action (${hook.timeoutAction ?? 'ROLLBACK'}) then.`,
    );
  const hookId = hook.hookId;
  await runGateCommand(
    rt,
    record,
    {
      command,
      env: { DEPLOYMENT_ID: record.deploymentId, ECS_SERVICE_DEPLOYMENT_ARN: record.deploymentId },
      listenerArn,
      testUrl,
      timeoutMinutes: inputs.testTimeoutMinutes,
    },
    {
      cancelled: () => concludeEcs(f, { kind: 'aborted', observation }, 'ready', ''),
      passed: async () => {
        rt.info(
          `✔ test-command passed: continuing the deployment (ContinueServiceDeployment, hook ${hookId}).`,
        );
        await continueServiceDeployment(clients.ecs, rt.clock, record.deploymentId, hookId);
      },
      failed: async (why) => {
        const stopped = await stopAndFollowEcsRollback(f, `because test-command ${why}`);
        const text = `Test-traffic gate failed (test-command ${why}); service deployment ${record.deploymentId} ${stopped ? `rolled back (${record.status})` : 'could not be stopped'}.`;
        setVerdict(record, 'failed', text);
        return text;
      },
    },
  );
}

/** on-active-deployment for an ECS service: fail names it; wait follows it to its end; stop stops it with rollback and waits. */
async function settleActiveEcsDeployment(
  rt: AwsRuntime,
  inputs: DeployInputs,
  clients: AwsClients,
  arn: string,
): Promise<void> {
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
