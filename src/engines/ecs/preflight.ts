/**
 * Everything an ECS-controlled service's deployment needs, read and checked before the first change in AWS
 * (issue #11): the task definition (file or registered revision), the strategy and its settings, for
 * BLUE_GREEN/LINEAR/CANARY the load balancer's advancedConfiguration (alternate target group, production
 * rule, infrastructure role) and both target groups on the listener rules — AWS itself only finds out
 * while the deployment runs, and rolls it back (DG migrate-code-deploy-to-ecs-blue-green) — the pause hook
 * the test gate needs, and any deployment in flight. Only Describe/List calls happen here.
 */
import type { Service } from '@aws-sdk/client-ecs';
import type { AwsClients } from '../../aws/clients.js';
import type { DeployInputs } from '../../action/inputs.js';
import { InputError, errorMessage } from '../../action/errors.js';
import { awsErrorName } from '../../aws/errors.js';
import { clusterNameFromArn } from '../../aws/ecs-reads.js';
import { describeRules, listenerTargetGroupArns } from '../../aws/elbv2-reads.js';
import {
  describeExistingTaskDefinition,
  loadTaskDefinitionFile,
  type TaskDefinitionSource,
} from '../../prepare/task-source.js';
import { missingBakeTimeNote } from '../../prepare/ecs-plan.js';
import { findEcsDeploymentInFlight } from './reads.js';
import type { Clock } from '../../action/clock.js';

export const ECS_STRATEGIES = ['ROLLING', 'BLUE_GREEN', 'LINEAR', 'CANARY'] as const;
export type EcsStrategy = (typeof ECS_STRATEGIES)[number];

export interface EcsDeploymentPlan {
  taskDefinition: TaskDefinitionSource;
  service: Service;
  clusterName: string;
  serviceName: string;
  strategy: EcsStrategy;
  /** minutes both revisions run after production traffic moved (BLUE_GREEN family) */
  bakeTimeInMinutes: number;
  /** a PAUSE hook at POST_TEST_TRAFFIC_SHIFT: the test gate's moment */
  gateHook: boolean;
  /** "25 % every 2 min", "10 % then 100 % after 5 min": the strategy's steps in words */
  steps?: string;
  activeDeploymentArn?: string;
  warnings: string[];
}

const where = (inputs: Pick<DeployInputs, 'cluster' | 'service'>): string =>
  `service '${inputs.cluster}/${inputs.service}'`;

function inRange(value: number | undefined, min: number, max: number): boolean {
  return value === undefined || (value >= min && value <= max);
}

/** The strategy and its settings (SDK `DeploymentConfiguration`, ranges from the SDK's field docs). */
export function checkStrategy(
  service: Service,
  inputs: Pick<DeployInputs, 'cluster' | 'service'>,
): { strategy: EcsStrategy; steps?: string } {
  const config = service.deploymentConfiguration ?? {};
  const strategy = (config.strategy ?? 'ROLLING') as EcsStrategy;
  if (!ECS_STRATEGIES.includes(strategy)) {
    throw new InputError(
      where(inputs),
      `has deployment strategy '${String(strategy)}', which this action does not know.`,
      `Use one of ${ECS_STRATEGIES.join(', ')} (deploymentConfiguration.strategy).`,
    );
  }
  const bad = (field: string, range: string): InputError =>
    new InputError(
      where(inputs),
      `has deploymentConfiguration.${field} outside ${range}.`,
      `Set it within ${range} (UpdateService deploymentConfiguration).`,
    );
  if (!inRange(config.bakeTimeInMinutes, 0, 1440)) throw bad('bakeTimeInMinutes', '0–1440');
  let steps: string | undefined;
  if (strategy === 'LINEAR') {
    const step = config.linearConfiguration?.stepPercent ?? 10;
    const bake = config.linearConfiguration?.stepBakeTimeInMinutes ?? 6;
    if (!inRange(step, 3, 100)) throw bad('linearConfiguration.stepPercent', '3–100');
    if (!inRange(bake, 0, 1440)) throw bad('linearConfiguration.stepBakeTimeInMinutes', '0–1440');
    steps = `${step}% of production traffic per step, ${bake} min between steps`;
  } else if (strategy === 'CANARY') {
    const percent = config.canaryConfiguration?.canaryPercent ?? 5;
    const bake = config.canaryConfiguration?.canaryBakeTimeInMinutes ?? 10;
    if (!inRange(percent, 0.1, 100)) throw bad('canaryConfiguration.canaryPercent', '0.1–100');
    if (!inRange(bake, 0, 1440)) throw bad('canaryConfiguration.canaryBakeTimeInMinutes', '0–1440');
    steps = `${percent}% of production traffic, then the rest after ${bake} min`;
  }
  return { strategy, steps };
}

/** advancedConfiguration on every load balancer of a BLUE_GREEN/LINEAR/CANARY service (SDK `AdvancedConfiguration`). */
export function checkAdvancedConfiguration(
  service: Service,
  inputs: Pick<DeployInputs, 'cluster' | 'service'>,
  strategy: EcsStrategy,
): void {
  for (const [i, lb] of (service.loadBalancers ?? []).entries()) {
    const a = lb.advancedConfiguration;
    const field = `loadBalancers[${i}].advancedConfiguration`;
    const missing = !a
      ? [field]
      : [
          a.alternateTargetGroupArn ? undefined : `${field}.alternateTargetGroupArn`,
          a.productionListenerRule ? undefined : `${field}.productionListenerRule`,
          a.roleArn ? undefined : `${field}.roleArn`,
        ].filter((f): f is string => f !== undefined);
    if (missing.length > 0) {
      throw new InputError(
        where(inputs),
        `uses the ${strategy} strategy but has no ${missing.join(', ')}: ECS cannot shift traffic between the revisions.`,
        'Give the load balancer an advancedConfiguration (UpdateService loadBalancers): the alternate (green) target group, the production listener rule, optionally the test listener rule, and roleArn, an infrastructure role with AmazonECSInfrastructureRolePolicyForLoadBalancers.',
      );
    }
  }
}

/**
 * Both target groups on the listener rules (DG migrate-code-deploy-to-ecs-blue-green): without a test
 * rule, both on the production rule; with one, together on the production and test rules. ECS itself only
 * fails this while the deployment runs. A rule (or an NLB listener) that cannot be read is a warning.
 */
export async function checkListenerRules(
  clients: AwsClients,
  service: Service,
  inputs: Pick<DeployInputs, 'cluster' | 'service'>,
  warnings: string[],
): Promise<void> {
  for (const lb of service.loadBalancers ?? []) {
    const a = lb.advancedConfiguration;
    if (!a?.productionListenerRule || !lb.targetGroupArn || !a.alternateTargetGroupArn) continue;
    const ruleArns = [a.productionListenerRule, a.testListenerRule].filter((r): r is string => Boolean(r));
    const onRules = new Set<string>();
    try {
      for (const arn of ruleArns) {
        const groups = arn.includes(':listener-rule/')
          ? (await describeRules(clients.elbv2(), { ruleArns: [arn] })).flatMap((r) => r.targetGroupArns)
          : await listenerTargetGroupArns(clients.elbv2(), arn);
        for (const tg of groups) onRules.add(tg);
      }
    } catch (error) {
      warnings.push(
        `Could not read the listener rules of ${inputs.cluster}/${inputs.service} (${awsErrorName(error)}: ${errorMessage(error)}), so whether both target groups are on them is not checked before deploying; ECS rolls the deployment back if they are not. Allow elasticloadbalancing:DescribeRules to check it.`,
      );
      return;
    }
    const absent = [lb.targetGroupArn, a.alternateTargetGroupArn].filter((tg) => !onRules.has(tg));
    if (absent.length > 0) {
      throw new InputError(
        where(inputs),
        `has target group ${absent.join(' and ')} on neither its production listener rule nor its test listener rule, so ECS would roll the deployment back when traffic shifts ("Both targetGroup and alternateTargetGroup must be associated with the productionListenerRule or testListenerRule").`,
        `Make the rule ${a.productionListenerRule} forward to both target groups (weights 100 and 0)${a.testListenerRule ? `, or one group on it and the other on the test rule ${a.testListenerRule}` : ''}.`,
      );
    }
  }
}

/** Whether a PAUSE hook waits at POST_TEST_TRAFFIC_SHIFT (DG pause-lifecycle-hooks). */
export function hasGateHook(service: Service): boolean {
  return (service.deploymentConfiguration?.lifecycleHooks ?? []).some(
    (h) => h.targetType === 'PAUSE' && (h.lifecycleStages ?? []).includes('POST_TEST_TRAFFIC_SHIFT'),
  );
}

export async function planEcsDeployment(
  inputs: DeployInputs,
  clients: AwsClients,
  service: Service,
  clock: Clock,
  preloaded?: TaskDefinitionSource,
): Promise<EcsDeploymentPlan> {
  const warnings: string[] = [];
  const taskDefinition: TaskDefinitionSource =
    preloaded ??
    (inputs.taskDefinitionFile
      ? await loadTaskDefinitionFile(inputs)
      : await describeExistingTaskDefinition(clients, inputs.taskDefinitionArn as string));
  if (taskDefinition.kind === 'register') warnings.push(...taskDefinition.warnings);
  const containers = (taskDefinition.definition.containerDefinitions ?? []).map((c) => c.name ?? '?');
  if (inputs.containerName && !containers.includes(inputs.containerName)) {
    throw new InputError(
      "input 'container-name'",
      `container '${inputs.containerName}' is not in task definition '${taskDefinition.definition.family}'; its containers are: ${containers.join(', ') || '(none)'}.`,
      'Set container-name to one of those containers.',
    );
  }
  const { strategy, steps } = checkStrategy(service, inputs);
  if (strategy !== 'ROLLING' && service.deploymentConfiguration?.bakeTimeInMinutes === undefined)
    warnings.push(
      `${missingBakeTimeNote(strategy)} The wait for wait-until succeeded counts no bake time for it.`,
    );
  const gateHook = hasGateHook(service);
  if (strategy !== 'ROLLING') {
    checkAdvancedConfiguration(service, inputs, strategy);
    await checkListenerRules(clients, service, inputs, warnings);
  }
  // test-command and wait-until: ready both need the deployment held with test traffic before production moves.
  if ((inputs.testCommand || inputs.waitUntil === 'ready') && (strategy === 'ROLLING' || !gateHook)) {
    const input = inputs.testCommand ? "'test-command'" : "'wait-until: ready'";
    const instead = inputs.testCommand
      ? 'remove test-command'
      : "use wait-until 'traffic-shifted' or 'succeeded'";
    throw new InputError(
      where(inputs),
      strategy === 'ROLLING'
        ? `uses the ROLLING strategy: there is no test traffic and no hold for ${input} before production traffic moves.`
        : inputs.testCommand
          ? "has no PAUSE lifecycle hook at POST_TEST_TRAFFIC_SHIFT, so 'test-command' would never get a chance to run before production traffic moves."
          : "has no PAUSE lifecycle hook at POST_TEST_TRAFFIC_SHIFT, so 'wait-until: ready' would not find the deployment held: the step would end with nothing waiting for a promote, and production traffic would move on its own.",
      strategy === 'ROLLING'
        ? `Switch the service to BLUE_GREEN, LINEAR or CANARY with a test listener rule and a PAUSE hook at POST_TEST_TRAFFIC_SHIFT, or ${instead}.`
        : `Add to the service (UpdateService deploymentConfiguration.lifecycleHooks) a hook { targetType: PAUSE, lifecycleStages: [POST_TEST_TRAFFIC_SHIFT], timeoutConfiguration: { timeoutInMinutes: 60, action: ROLLBACK } }, or ${instead}.`,
    );
  }
  const clusterName = clusterNameFromArn(service.clusterArn, inputs.cluster);
  const serviceName = service.serviceName ?? inputs.service;
  let activeDeploymentArn: string | undefined;
  try {
    activeDeploymentArn = (await findEcsDeploymentInFlight(clients.ecs, clock, clusterName, serviceName))
      ?.serviceDeploymentArn;
  } catch (error) {
    warnings.push(
      `Could not list the service's deployments in flight (${awsErrorName(error)}); allow ecs:ListServiceDeployments.`,
    );
  }
  return {
    taskDefinition,
    service,
    clusterName,
    serviceName,
    strategy,
    bakeTimeInMinutes: strategy === 'ROLLING' ? 0 : (service.deploymentConfiguration?.bakeTimeInMinutes ?? 0),
    gateHook,
    steps,
    activeDeploymentArn,
    warnings,
  };
}
