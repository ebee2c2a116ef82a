/**
 * The plan action: everything the deploy action would check, and what would change, with no change in
 * AWS. It diffs the task definition the service runs now against the one about to be registered and
 * writes it to the job summary, so a reviewer sees what they approve before a protected deploy job.
 */
import { DescribeTaskDefinitionCommand, type TaskDefinition } from '@aws-sdk/client-ecs';
import type { AwsRuntime } from '../aws/clients.js';
import { getDeployInputs } from '../action/inputs.js';
import { resolveCredentials } from '../aws/credentials.js';
import { planDeployment } from '../prepare/preflight.js';
import { runningTaskDefinitionArn } from '../aws/ecs-reads.js';
import { diffTaskDefinitions, renderDiffMarkdown } from '../prepare/diff.js';
import { describeImage } from '../prepare/task-definition.js';
import { appSpecTarget } from '../prepare/appspec.js';
import { consoleUrl } from '../aws/console-url.js';
import { trafficShiftMinutes } from '../aws/codedeploy-reads.js';

export async function runPlan(rt: AwsRuntime): Promise<void> {
  const inputs = getDeployInputs(rt.readInput, rt.env);
  const credentials = await resolveCredentials(inputs.aws, rt);
  const clients = rt.makeClients({ region: inputs.aws.region, credentials });
  const plan = await planDeployment(inputs, clients);
  for (const warning of plan.warnings) rt.warning(warning);

  const runningArn = runningTaskDefinitionArn(plan.service);
  let running: TaskDefinition | undefined;
  if (runningArn) {
    running = (await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: runningArn })))
      .taskDefinition;
  }
  const next = plan.taskDefinition.definition;
  const diff = diffTaskDefinitions(running, next);
  const images = (next.containerDefinitions ?? []).map((c) => ({
    name: c.name ?? '?',
    image: c.image ?? '',
  }));
  const digest = images
    .map((i) => describeImage(i.image).digest)
    .find((d): d is string => typeof d === 'string');
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
  const markdown = lines.join('\n');

  rt.info(markdown);
  await rt.writeSummary(markdown);
  rt.setOutput('has-changes', String(diff.hasChanges));
  rt.setOutput('running-task-definition-arn', runningArn ?? '');
  rt.setOutput('diff-markdown', markdown);
  if (digest) rt.setOutput('image-digest', digest);
}
