/**
 * The plan action's ECS part: the strategy, the lifecycle stages, hooks, steps and bakes ECS will go through
 * (prepare/ecs-plan.ts), the listener rules' problems, and any deployment in flight. Read only.
 */
import type { Service } from '@aws-sdk/client-ecs';
import type { DeployInputs } from '../../action/inputs.js';
import { InputError } from '../../action/errors.js';
import { clusterNameFromArn } from '../../aws/ecs-reads.js';
import { describeRules } from '../../aws/elbv2-reads.js';
import { awsErrorName } from '../../aws/errors.js';
import type { EngineContext, PlanPart } from '../../engine/engine.js';
import { ecsStagePlan, listenerRuleProblems, renderEcsStagePlan } from '../../prepare/ecs-plan.js';
import { describeExistingTaskDefinition, loadTaskDefinitionFile } from '../../prepare/task-source.js';
import { IN_FLIGHT_FILTER, listServiceDeployments } from './reads.js';
import { code, escapeMarkdown } from '../../record/summary.js';

export async function planEcs(
  ctx: EngineContext,
  inputs: DeployInputs,
  service: Service,
  options: { checkMigration: boolean },
): Promise<PlanPart> {
  const { rt, clients } = ctx;
  const warnings: string[] = [];
  if (options.checkMigration)
    warnings.push(
      `check-migration: service '${inputs.service}' already uses the ECS deployment controller; nothing to migrate.`,
    );
  const source = inputs.taskDefinitionFile
    ? await loadTaskDefinitionFile(inputs)
    : await describeExistingTaskDefinition(clients, inputs.taskDefinitionArn as string);
  if (source.kind === 'register') warnings.push(...source.warnings);
  const containers = (source.definition.containerDefinitions ?? []).map((c) => c.name ?? '?');
  if (inputs.containerName && !containers.includes(inputs.containerName))
    throw new InputError(
      "input 'container-name'",
      `container '${inputs.containerName}' is not in task definition '${source.definition.family}'; its containers are: ${containers.join(', ')}.`,
      'Set container-name to one of those containers.',
    );
  const stagePlan = ecsStagePlan(service);
  const ruleArns = (service.loadBalancers ?? []).flatMap((lb) =>
    [lb.advancedConfiguration?.productionListenerRule, lb.advancedConfiguration?.testListenerRule].filter(
      (a): a is string => !!a && a.includes(':listener-rule/'),
    ),
  );
  const problems = [...stagePlan.problems];
  if (ruleArns.length) {
    try {
      problems.push(...listenerRuleProblems(service, await describeRules(clients.elbv2(), { ruleArns })));
    } catch (error) {
      warnings.push(
        `Could not read the listener rules (${awsErrorName(error)}), so whether they hold both target groups is not checked here.`,
      );
    }
  }
  const lines = [renderEcsStagePlan(service, stagePlan)];
  try {
    const listed = await listServiceDeployments(clients.ecs, rt.clock, {
      cluster: inputs.cluster,
      service: service.serviceName ?? inputs.service,
      status: [...IN_FLIGHT_FILTER],
    });
    if (listed.length)
      lines.push(
        '',
        `- ⚠️ A service deployment is in flight: ${listed.map((d) => `${code(d.serviceDeploymentArn ?? '?')} (${escapeMarkdown(d.status ?? '?')})`).join(', ')}`,
      );
  } catch (error) {
    warnings.push(`Could not list service deployments in flight (${awsErrorName(error)}).`);
  }
  return {
    taskDefinition: source,
    lines,
    warnings,
    problems,
    config: `ECS ${stagePlan.strategy}`,
    strategy: stagePlan.strategy,
    cluster: clusterNameFromArn(service.clusterArn, inputs.cluster),
  };
}
