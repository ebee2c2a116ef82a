/**
 * The plan action, for every engine: everything the deploy action would check, and what would change, with
 * no change in AWS. It diffs the task definition the service runs now against the one about to be
 * registered and writes it to the job summary, so a reviewer sees what they approve before a protected
 * deploy job; the engine adds how it will be deployed (CodeDeploy: the group, config and AppSpec, and with
 * `check-migration` what the service lacks for ECS blue/green; ECS: the strategy, stages, hooks, steps and
 * bakes, and the listener rules' problems).
 */
import {
  DescribeTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { AwsClients, AwsRuntime } from '../aws/clients.js';
import { getDeployInputs, getPlanOptions } from '../action/inputs.js';
import { describeHealthPlan } from './health.js';
import { resolveCredentials } from '../aws/credentials.js';
import { describeService, runningTaskDefinitionArn } from '../aws/ecs-reads.js';
import type { EngineContext } from '../engine/engine.js';
import { engineForService } from '../engines/index.js';
import { diffTaskDefinitions, renderDiffMarkdown } from '../prepare/diff.js';
import { describeImage } from '../prepare/task-definition.js';
import { code, escapeMarkdown } from '../record/summary.js';

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

export async function runPlan(rt: AwsRuntime): Promise<void> {
  const inputs = getDeployInputs(rt.readInput, rt.env);
  const options = getPlanOptions(rt.readInput);
  const credentials = await resolveCredentials(inputs.aws, rt);
  const clients = rt.makeClients({ region: inputs.aws.region, credentials });
  const ctx: EngineContext = { rt, clients, region: inputs.aws.region };
  const service = await describeService(clients.ecs, inputs.cluster, inputs.service);
  const engine = engineForService(service, `${inputs.cluster}/${inputs.service}`);
  const part = await engine.plan(ctx, inputs, service, options);
  const source = part.taskDefinition;
  const { runningArn, diff, digest } = await taskDefinitionChange(clients, service, source.definition);
  const serviceName = service.serviceName ?? inputs.service;

  const lines: string[] = [];
  lines.push(`## Plan: deploy to ${code(`${part.cluster}/${serviceName}`)}`, '');
  lines.push(
    renderDiffMarkdown(diff, {
      deploymentConfig: part.config,
      imageDigest: digest,
      service: serviceName,
      cluster: part.cluster,
    }),
  );
  lines.push('', '### How it will be deployed', '');
  lines.push(`- Running now: ${code(runningArn ?? 'nothing')}`);
  lines.push(
    source.kind === 'register'
      ? `- New revision of family ${code(source.input.family ?? '?')} from ${code(inputs.taskDefinitionFile ?? '?')}`
      : `- Existing revision ${code(source.arn)}`,
  );
  lines.push(...part.lines);
  if (inputs.healthChecks) {
    lines.push('', '### Health checks while traffic moves', '');
    for (const line of describeHealthPlan(inputs.healthChecks)) lines.push(escapeMarkdown(line));
  }
  if (part.problems.length) {
    lines.push('', '### Problems (deploy will refuse this, or the deployment would roll back)', '');
    for (const problem of part.problems) lines.push(`- ❌ ${escapeMarkdown(problem)}`);
  }
  if (part.warnings.length) lines.push('');
  for (const warning of part.warnings) lines.push(`- ⚠️ ${escapeMarkdown(warning)}`);
  for (const warning of [...part.warnings, ...part.problems]) rt.warning(warning);

  const markdown = lines.join('\n');
  rt.info(markdown);
  await rt.writeSummary(markdown);
  rt.setOutput('has-changes', String(diff.hasChanges));
  rt.setOutput('running-task-definition-arn', runningArn ?? '');
  rt.setOutput('diff-markdown', markdown);
  rt.setOutput('deployment-controller', engine.controller);
  rt.setOutput('strategy', part.strategy);
  if (digest) rt.setOutput('image-digest', digest);
}
