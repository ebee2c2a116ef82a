/**
 * The revision a deploy deploys, for both engines (deploy.ts, deploy-ecs.ts): registered from the task
 * definition file, or the registered one task-definition-arn names; it becomes the task-definition-arn output.
 */
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { AwsRuntime } from '../aws/clients.js';
import type { TaskDefinitionSource } from '../prepare/preflight.js';
import { registerTaskDefinition } from '../engines/codedeploy/creator.js';
import type { DeploymentRecord } from '../record/record.js';

/**
 * Registers the revision (or takes the given one) and outputs its ARN. Given a registered revision the
 * service already runs (`running`), warns with `alreadyRuns(arn)`: what deploying it again does.
 */
export async function revisionToDeploy(
  rt: AwsRuntime,
  ecs: ECSClient,
  source: TaskDefinitionSource,
  running: string | undefined,
  alreadyRuns: (arn: string) => string,
): Promise<string> {
  let arn: string;
  if (source.kind === 'register') {
    const registered = await registerTaskDefinition(ecs, source.input, source.file);
    arn = registered.taskDefinitionArn as string;
    rt.info(`Registered ${arn}`);
  } else {
    arn = source.arn;
    rt.info(`Deploying the registered revision ${arn}`);
    if (running === arn) rt.warning(alreadyRuns(arn));
  }
  rt.setOutput('task-definition-arn', arn);
  return arn;
}

/** The record's images: each container of the revision with its image. */
export function imagesOf(source: TaskDefinitionSource): DeploymentRecord['images'] {
  return (source.definition.containerDefinitions ?? []).map((c) => ({
    container: c.name ?? '?',
    image: c.image ?? '?',
  }));
}
