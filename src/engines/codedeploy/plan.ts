/** The plan action's CodeDeploy part: how CodeDeploy will deploy it, and the migration check to ECS blue/green. */
import type { Service } from '@aws-sdk/client-ecs';
import type { DeployInputs } from '../../action/inputs.js';
import { consoleUrl } from '../../aws/console-url.js';
import { trafficShiftMinutes } from '../../aws/codedeploy-reads.js';
import type { EngineContext, PlanPart } from '../../engine/engine.js';
import { migrationCheck, readMigrationFacts, renderMigrationCheck } from '../../prepare/ecs-migration.js';
import { appSpecTarget } from './appspec.js';
import { planDeployment } from './preflight.js';
import { code, escapeMarkdown, link } from '../../record/summary.js';

export async function planCodeDeploy(
  ctx: EngineContext,
  inputs: DeployInputs,
  service: Service,
  options: { checkMigration: boolean },
): Promise<PlanPart> {
  const { clients } = ctx;
  const plan = await planDeployment(inputs, clients, service);
  const target = appSpecTarget(plan.appSpec);
  const lines: string[] = [];
  lines.push(
    `- CodeDeploy ${code(inputs.application)} / ${code(inputs.deploymentGroup)}, config ${code(plan.deploymentConfigName)}${plan.routing ? ` (${plan.routing.type}${plan.routing.intervalMinutes ? `, traffic fully shifted after ${trafficShiftMinutes(plan.routing)} min` : ''})` : ''}`,
  );
  lines.push(
    `- AppSpec ${escapeMarkdown(plan.appSpecSource)}: production traffic to ${code(`${target.containerName}:${target.containerPort}`)}${target.hooks.length ? `; hooks ${target.hooks.map((h) => `${code(h.event)} → ${code(h.functionName)}`).join(', ')}` : ''}`,
  );
  if (plan.readyWaitMinutes !== undefined)
    lines.push(
      `- The replacement is held on the test listener up to ${plan.readyWaitMinutes} min before production traffic moves`,
    );
  lines.push(`- Original task set kept ${plan.terminationWaitMinutes} min after the shift`);
  if (plan.activeDeploymentId)
    lines.push(
      `- ⚠️ A deployment is in flight in the group: ${link(plan.activeDeploymentId, consoleUrl(inputs.aws.region, plan.activeDeploymentId))} (on-active-deployment: ${inputs.onActiveDeployment})`,
    );
  if (options.checkMigration) {
    const facts = await readMigrationFacts(clients, {
      service: plan.service,
      group: plan.group,
      routing: plan.routing,
      readyWaitMinutes: plan.readyWaitMinutes,
      terminationWaitMinutes: plan.terminationWaitMinutes,
      activeDeploymentId: plan.activeDeploymentId,
      appSpecHooks: target.hooks,
    });
    lines.push('', renderMigrationCheck(migrationCheck(facts)));
  }
  return {
    taskDefinition: plan.taskDefinition,
    lines,
    warnings: plan.warnings,
    problems: [],
    config: plan.deploymentConfigName,
    strategy: '',
    cluster: plan.clusterName,
  };
}
