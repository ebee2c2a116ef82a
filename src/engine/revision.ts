/**
 * The task definition revision a deployment deploys, for every engine: registered from the task definition
 * file, or the registered one task-definition-arn names; it becomes the task-definition-arn output. And
 * its withdrawal: deregistering a revision this run registered when the engine certainly refused to
 * deploy it, or the revision a rollback rolled back (deregister-rolled-back-revision).
 */
import {
  DeregisterTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { Runtime } from '../action/runtime.js';
import { InputError, errorMessage } from '../action/errors.js';
import { isAwsError } from '../aws/errors.js';
import type { TaskDefinitionSource } from '../prepare/task-source.js';
import type { DeploymentRecord } from '../record/record.js';

/**
 * Registers the task definition from `file`. ECS refusing it (ClientException, InvalidParameterException:
 * ECS API model, RegisterTaskDefinition errors) is an InputError carrying ECS's message: nothing was
 * registered, and the fix is in the file.
 */
export async function registerTaskDefinition(
  ecs: ECSClient,
  input: RegisterTaskDefinitionCommandInput,
  file?: string,
): Promise<TaskDefinition> {
  try {
    const response = await ecs.send(new RegisterTaskDefinitionCommand(input));
    if (!response.taskDefinition?.taskDefinitionArn)
      throw new Error('RegisterTaskDefinition returned no ARN');
    return response.taskDefinition;
  } catch (error) {
    if (isAwsError(error, 'ClientException', 'InvalidParameterException')) {
      throw new InputError(
        `ECS refused the task definition from ${file ?? `family '${input.family}'`}`,
        errorMessage(error),
        'Fix the task definition and run again; nothing was registered or deployed.',
      );
    }
    throw new Error(`Registering task definition family '${input.family}' failed: ${errorMessage(error)}`, {
      cause: error,
    });
  }
}

/**
 * Registers the revision (or takes the given one) and returns its ARN. Given a registered revision the
 * service already runs (`running`), warns with `alreadyRuns(arn)` (if any): what deploying it again does.
 */
export async function revisionToDeploy(
  rt: Runtime,
  ecs: ECSClient,
  source: TaskDefinitionSource,
  running: string | undefined,
  alreadyRuns: (arn: string) => string | undefined,
): Promise<string> {
  if (source.kind === 'register') {
    const registered = await registerTaskDefinition(ecs, source.input, source.file);
    const arn = registered.taskDefinitionArn as string;
    rt.info(`Registered ${arn}`);
    return arn;
  }
  rt.info(`Deploying the registered revision ${source.arn}`);
  const warning = running === source.arn ? alreadyRuns(source.arn) : undefined;
  if (warning) rt.warning(warning);
  return source.arn;
}

/**
 * The engine refused the deployment: the revision this run registered would be left behind, registered
 * but never deployed. Deregister it when the refusal is certain (`refused`); when the outcome is unknown
 * (a 5xx or a lost answer), a deployment may exist that uses it, so it stays and the log says so.
 */
export async function withdrawRegisteredRevision(
  rt: Runtime,
  ecs: ECSClient,
  taskDefinitionArn: string,
  refused: boolean,
  error: unknown,
  engineLabel: string,
): Promise<void> {
  if (!refused) {
    rt.warning(
      `${taskDefinitionArn} stays registered: the outcome of the request to ${engineLabel} is unknown (${errorMessage(error)}), and a deployment may use it.`,
    );
    return;
  }
  try {
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }));
    rt.info(
      `Deregistered ${taskDefinitionArn}, which this run registered, since ${engineLabel} refused the deployment.`,
    );
  } catch (deregisterError) {
    rt.warning(
      `${taskDefinitionArn} stays registered but not deployed: deregistering it failed (${errorMessage(deregisterError)}).`,
    );
  }
}

/** deregister-rolled-back-revision: the revision a rollback rolled back. */
export async function deregisterRevision(ecs: ECSClient, arn: string): Promise<void> {
  await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn }));
}

/** The record's images: each container of the revision with its image. */
export function imagesOf(source: TaskDefinitionSource): DeploymentRecord['images'] {
  return (source.definition.containerDefinitions ?? []).map((c) => ({
    container: c.name ?? '?',
    image: c.image ?? '?',
  }));
}
