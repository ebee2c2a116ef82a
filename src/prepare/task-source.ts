/**
 * The task definition a deployment deploys, for every engine, read and checked before the first change in
 * AWS: from a file in the workspace (cleaned, the image rendered), or a registered revision by ARN.
 */
import {
  DescribeTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import type { AwsClients } from '../aws/clients.js';
import type { DeployInputs } from '../action/inputs.js';
import { InputError, errorMessage } from '../action/errors.js';
import { isAwsError } from '../aws/errors.js';
import { readUserFile, parseJsonOrYaml } from './files.js';
import { checkReadyToRegister, cleanTaskDefinition, renderImage } from './task-definition.js';

export type TaskDefinitionSource =
  | {
      kind: 'register';
      file: string;
      input: RegisterTaskDefinitionCommandInput;
      /** the same as input: what is deployed, for both kinds */
      definition: RegisterTaskDefinitionCommandInput;
      removedFields: string[];
      warnings: string[];
    }
  | { kind: 'existing'; arn: string; definition: TaskDefinition };

export async function loadTaskDefinitionFile(
  inputs: Pick<DeployInputs, 'taskDefinitionFile' | 'image' | 'containerName'>,
): Promise<TaskDefinitionSource> {
  const file = inputs.taskDefinitionFile as string;
  const { path, text } = await readUserFile('task-definition', file);
  const { input, removedFields, warnings } = cleanTaskDefinition(parseJsonOrYaml(text, file), file);
  let rendered = input;
  if (inputs.image) {
    let containerName = inputs.containerName;
    if (!containerName) {
      const names = (input.containerDefinitions ?? []).map((c) => c.name ?? '?');
      if (names.length !== 1) {
        throw new InputError(
          "input 'container-name'",
          `is required with 'image' because ${file} has ${names.length} containers (${names.join(', ')}).`,
          'Name the container whose image to replace.',
        );
      }
      containerName = names[0] as string;
    }
    rendered = renderImage(input, containerName, inputs.image);
  }
  checkReadyToRegister(rendered, file);
  return { kind: 'register', file: path, input: rendered, definition: rendered, removedFields, warnings };
}

export async function describeExistingTaskDefinition(
  clients: AwsClients,
  arn: string,
): Promise<TaskDefinitionSource> {
  try {
    const response = await clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }));
    const definition = response.taskDefinition;
    if (!definition?.taskDefinitionArn) throw new Error('no task definition returned');
    if (definition.status && definition.status !== 'ACTIVE') {
      throw new InputError(
        `input 'task-definition-arn'`,
        `${arn} is ${definition.status}.`,
        'Deploy an ACTIVE revision.',
      );
    }
    return { kind: 'existing', arn: definition.taskDefinitionArn, definition };
  } catch (error) {
    if (error instanceof InputError) throw error;
    if (isAwsError(error, 'ClientException', 'InvalidParameterException')) {
      throw new InputError(
        `input 'task-definition-arn'`,
        `${arn} does not exist: ${errorMessage(error)}`,
        'Check the revision and region.',
      );
    }
    throw error;
  }
}
