/**
 * The plan action: everything the deploy action would check, and what would change, with no change in
 * AWS. It diffs the task definition the service runs now against the one about to be registered and
 * writes it to the job summary, so a reviewer sees what they approve before a protected deploy job.
 * For a service with the ECS deployment controller it shows the strategy, the lifecycle stages, hooks,
 * steps and bakes ECS will go through (prepare/ecs-plan.ts); with `check-migration` on a CODE_DEPLOY
 * service it adds what the service lacks for ECS blue/green and the switch (prepare/ecs-migration.ts).
 */
import {
  DescribeTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { AwsClients, AwsRuntime } from '../aws/clients.js';
import { getDeployInputs, getPlanOptions, type DeployInputs } from '../action/inputs.js';
import { InputError } from '../action/errors.js';
import { resolveCredentials } from '../aws/credentials.js';
import {
  describeExistingTaskDefinition,
  loadTaskDefinitionFile,
  planDeployment,
} from '../prepare/preflight.js';
import { clusterNameFromArn, describeService, runningTaskDefinitionArn } from '../aws/ecs-reads.js';
import { diffTaskDefinitions, renderDiffMarkdown } from '../prepare/diff.js';
import { describeImage } from '../prepare/task-definition.js';
import { appSpecTarget } from '../engines/codedeploy/appspec.js';
import { consoleUrl } from '../aws/console-url.js';
import { trafficShiftMinutes } from '../aws/codedeploy-reads.js';
import { awsErrorName } from '../aws/errors.js';
import { describeRules } from '../aws/elbv2-reads.js';
import { IN_FLIGHT_FILTER, listServiceDeployments } from '../engines/ecs/reads.js';
import { ecsStagePlan, listenerRuleProblems, renderEcsStagePlan } from '../prepare/ecs-plan.js';
import { migrationCheck, readMigrationFacts, renderMigrationCheck } from '../prepare/ecs-migration.js';

/** The running revision, the diff against the one to deploy, and the image digest. */
async function taskDefinitionChange(
  clients: AwsClients,
  service: Service,
  next: RegisterTaskDefinitionCommandInput | TaskDefinition,
) {
  const runningArn = runningTaskDefinitionArn(service);
  let running: TaskDefinition | undefined;
  if (runningArn) {
    running = (await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: runningArn })))
      .taskDefinition;
  }
  const diff = diffTaskDefinitions(running, next);
  const digest = (next.containerDefinitions ?? [])
    .map((c) => describeImage(c.image ?? '').digest)
    .find((d): d is string => typeof d === 'string');
  return { runningArn, diff, digest };
}

/** The plan to the log, the job summary and the outputs. */
async function publish(
  rt: AwsRuntime,
  markdown: string,
  change: Awaited<ReturnType<typeof taskDefinitionChange>>,
  controller: 'CODE_DEPLOY' | 'ECS',
  strategy: string,
): Promise<void> {
  rt.info(markdown);
  await rt.writeSummary(markdown);
  rt.setOutput('has-changes', String(change.diff.hasChanges));
  rt.setOutput('running-task-definition-arn', change.runningArn ?? '');
  rt.setOutput('diff-markdown', markdown);
  rt.setOutput('deployment-controller', controller);
  rt.setOutput('strategy', strategy);
  if (change.digest) rt.setOutput('image-digest', change.digest);
}

export async function runPlan(rt: AwsRuntime): Promise<void> {
  const inputs = getDeployInputs(rt.readInput, rt.env);
  const options = getPlanOptions(rt.readInput);
  const credentials = await resolveCredentials(inputs.aws, rt);
  const clients = rt.makeClients({ region: inputs.aws.region, credentials });
  const service = await describeService(clients.ecs, inputs.cluster, inputs.service);
  if ((service.deploymentController?.type ?? 'ECS') === 'ECS') {
    if (options.checkMigration)
      rt.warning(
        `check-migration: service '${inputs.service}' already uses the ECS deployment controller; nothing to migrate.`,
      );
    await planEcsService(rt, inputs, clients, service);
    return;
  }
  const plan = await planDeployment(inputs, clients);
  for (const warning of plan.warnings) rt.warning(warning);

  const next = plan.taskDefinition.definition;
  const { runningArn, diff, digest } = await taskDefinitionChange(clients, plan.service, next);
  const target = appSpecTarget(plan.appSpec);

  const lines: string[] = [];
  lines.push(`## Plan: deploy to \`${plan.clusterName}/${plan.service.serviceName}\``, '');
  lines.push(
    renderDiffMarkdown(diff, {
      deploymentConfig: plan.deploymentConfigName,
      imageDigest: digest,
      service: plan.service.serviceName,
      cluster: plan.clusterName,
    }),
  );
  lines.push('', '### How it will be deployed', '');
  lines.push(`- Running now: \`${runningArn ?? 'nothing'}\``);
  lines.push(
    plan.taskDefinition.kind === 'register'
      ? `- New revision of family \`${plan.taskDefinition.input.family}\` from \`${inputs.taskDefinitionFile}\``
      : `- Existing revision \`${plan.taskDefinition.arn}\``,
  );
  lines.push(
    `- CodeDeploy \`${inputs.application}\` / \`${inputs.deploymentGroup}\`, config \`${plan.deploymentConfigName}\`${plan.routing ? ` (${plan.routing.type}${plan.routing.intervalMinutes ? `, traffic fully shifted after ${trafficShiftMinutes(plan.routing)} min` : ''})` : ''}`,
  );
  lines.push(
    `- AppSpec ${plan.appSpecSource}: production traffic to \`${target.containerName}:${target.containerPort}\`${target.hooks.length ? `; hooks ${target.hooks.map((h) => `${h.event} → \`${h.functionName}\``).join(', ')}` : ''}`,
  );
  if (plan.readyWaitMinutes !== undefined)
    lines.push(
      `- The replacement is held on the test listener up to ${plan.readyWaitMinutes} min before production traffic moves`,
    );
  lines.push(`- Original task set kept ${plan.terminationWaitMinutes} min after the shift`);
  if (plan.activeDeploymentId) {
    lines.push(
      `- ⚠️ A deployment is in flight in the group: [${plan.activeDeploymentId}](${consoleUrl(inputs.aws.region, plan.activeDeploymentId)}) (on-active-deployment: ${inputs.onActiveDeployment})`,
    );
  }
  for (const warning of plan.warnings) lines.push(`- ⚠️ ${warning}`);
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
  await publish(rt, lines.join('\n'), { diff, runningArn, digest }, 'CODE_DEPLOY', '');
}

/** The plan of a service with the ECS deployment controller: the diff, then what ECS will go through. */
async function planEcsService(
  rt: AwsRuntime,
  inputs: DeployInputs,
  clients: AwsClients,
  service: Service,
): Promise<void> {
  const source = inputs.taskDefinitionFile
    ? await loadTaskDefinitionFile(inputs)
    : await describeExistingTaskDefinition(clients, inputs.taskDefinitionArn as string);
  const warnings = source.kind === 'register' ? [...source.warnings] : [];
  const next = source.definition;
  const containers = (next.containerDefinitions ?? []).map((c) => c.name ?? '?');
  if (inputs.containerName && !containers.includes(inputs.containerName)) {
    throw new InputError(
      "input 'container-name'",
      `container '${inputs.containerName}' is not in task definition '${next.family}'; its containers are: ${containers.join(', ')}.`,
      'Set container-name to one of those containers.',
    );
  }
  const { runningArn, diff, digest } = await taskDefinitionChange(clients, service, next);
  const clusterName = clusterNameFromArn(service.clusterArn, inputs.cluster);
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
  let inFlight: string[] = [];
  try {
    const listed = await listServiceDeployments(clients.ecs, rt.clock, {
      cluster: inputs.cluster,
      service: service.serviceName ?? inputs.service,
      status: [...IN_FLIGHT_FILTER],
    });
    inFlight = listed.map((d) => `${d.serviceDeploymentArn ?? '?'} (${d.status})`);
  } catch (error) {
    warnings.push(`Could not list service deployments in flight (${awsErrorName(error)}).`);
  }

  const lines: string[] = [];
  lines.push(`## Plan: deploy to \`${clusterName}/${service.serviceName}\``, '');
  lines.push(
    renderDiffMarkdown(diff, {
      deploymentConfig: `ECS ${stagePlan.strategy}`,
      imageDigest: digest,
      service: service.serviceName ?? inputs.service,
      cluster: clusterName,
    }),
  );
  lines.push('', '### How it will be deployed', '');
  lines.push(`- Running now: \`${runningArn ?? 'nothing'}\``);
  lines.push(
    source.kind === 'register'
      ? `- New revision of family \`${source.input.family}\` from \`${inputs.taskDefinitionFile}\`, then UpdateService`
      : `- Existing revision \`${source.arn}\`, then UpdateService`,
  );
  lines.push(renderEcsStagePlan(service, stagePlan));
  if (inFlight.length) lines.push('', `- ⚠️ A service deployment is in flight: ${inFlight.join(', ')}`);
  if (problems.length) {
    lines.push('', '### Problems (deploy will refuse this, or the deployment would roll back)', '');
    for (const p of problems) lines.push(`- ❌ ${p}`);
  }
  if (warnings.length) lines.push('');
  for (const warning of warnings) lines.push(`- ⚠️ ${warning}`);
  for (const warning of [...warnings, ...problems]) rt.warning(warning);
  await publish(rt, lines.join('\n'), { diff, runningArn, digest }, 'ECS', stagePlan.strategy);
}
