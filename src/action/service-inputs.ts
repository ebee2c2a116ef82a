/**
 * The official action's inputs that change the service beyond its task definition (force-new-deployment,
 * desired-count, enable-ecs-managed-tags, propagate-tags, service-managed-ebs-volume*) and the one-off task it
 * runs before deploying (run-task and its inputs, wait-for-task-stopped), read and checked before any change.
 * Names, defaults and how each value is sent follow the official action's index.js (src/action/official-inputs.ts
 * names the release); where it would let AWS refuse a value after registering, this refuses it first.
 */
import type {
  CapacityProviderStrategyItem,
  ContainerOverride,
  LaunchType,
  NetworkConfiguration,
  PropagateTags,
  ServiceManagedEBSVolumeConfiguration,
  ServiceVolumeConfiguration,
  Tag,
  TaskVolumeConfiguration,
} from '@aws-sdk/client-ecs';
import { InputError } from './errors.js';
import { parseBoolean, parseChoice, parseJson, parseList, parseNumber, type ReadInput } from './parse.js';

/** What the UpdateService that deploys carries besides the task definition (ECS-controller services). */
export interface ServiceSettings {
  forceNewDeployment: boolean;
  desiredCount?: number;
  enableECSManagedTags?: boolean;
  propagateTags?: PropagateTags;
  volumeConfigurations?: ServiceVolumeConfiguration[];
}

/** The one-off task (RunTask) on the new revision, before the service is updated. */
export interface RunTaskInputs {
  /** RunTask's own fields, cluster and task definition aside */
  request: {
    startedBy: string;
    launchType?: LaunchType;
    capacityProviderStrategy?: CapacityProviderStrategyItem[];
    networkConfiguration?: NetworkConfiguration;
    overrides: { containerOverrides: ContainerOverride[] };
    enableECSManagedTags?: boolean;
    tags: Tag[];
    volumeConfigurations?: TaskVolumeConfiguration[];
  };
  /** wait-for-task-stopped: wait for it and let its essential containers' exit codes decide */
  waitForStop: boolean;
}

export const PROPAGATE_TAGS_VALUES = ['TASK_DEFINITION', 'SERVICE', 'NONE'] as const;
/** RunTask launch types (SDK LaunchType). */
export const LAUNCH_TYPES = ['FARGATE', 'EC2', 'EXTERNAL', 'MANAGED_INSTANCES'] as const;
/** RunTask startedBy: "Up to 128 letters (uppercase and lowercase), numbers, hyphens (-), forward slash (/), and underscores (_)". */
const STARTED_BY = /^[A-Za-z0-9/_-]{1,128}$/;

/** The keys the official action copies from a managed EBS volume object (convertToManagedEbsVolumeObject). */
const EBS_KEYS = [
  'encrypted',
  'filesystemType',
  'iops',
  'kmsKeyId',
  'sizeInGiB',
  'snapshotId',
  'tagSpecifications',
  'throughput',
  'volumeType',
] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonArray(read: ReadInput, name: string, example: string): Record<string, unknown>[] | undefined {
  const value = parseJson(read, name, example);
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every(isObject))
    throw new InputError(`input '${name}'`, 'is not a JSON array of objects.', `Example: ${example}`);
  return value;
}

/**
 * A managed EBS volume from `<prefix>-managed-ebs-volume-name` and `<prefix>-managed-ebs-volume`, as the
 * official action builds it: roleArn required, the known keys copied, throughput only with volumeType gp3;
 * a name without a volume is a warning and sends none.
 */
function managedEbsVolume(
  read: ReadInput,
  prefix: 'service' | 'run-task',
  warnings: string[],
): { name: string; managedEBSVolume: ServiceManagedEBSVolumeConfiguration } | undefined {
  const nameInput = `${prefix}-managed-ebs-volume-name`;
  const volumeInput = `${prefix}-managed-ebs-volume`;
  const name = read(nameInput);
  const example = '{"roleArn": "arn:aws:iam::111122223333:role/ecsInfrastructureRole", "sizeInGiB": 20}';
  const volume = parseJson(read, volumeInput, example);
  if (volume !== undefined && !isObject(volume))
    throw new InputError(`input '${volumeInput}'`, 'is not a JSON object.', `Example: ${example}`);
  if (name === '') {
    if (volume !== undefined && Object.keys(volume).length > 0)
      warnings.push(`Input '${volumeInput}' is ignored: ${nameInput} names no volume to configure.`);
    return undefined;
  }
  if (volume === undefined || Object.keys(volume).length === 0) {
    warnings.push(
      `Input '${nameInput}' is given without ${volumeInput}: no volume configuration is sent (as in the official action).`,
    );
    return undefined;
  }
  if (typeof volume.roleArn !== 'string' || volume.roleArn === '')
    throw new InputError(
      `input '${volumeInput}'`,
      'has no roleArn.',
      'Give roleArn, the infrastructure role ECS uses to manage the volume.',
    );
  const managed: Record<string, unknown> = { roleArn: volume.roleArn };
  for (const key of EBS_KEYS) {
    if (!(key in volume)) continue;
    if (key === 'throughput' && volume.volumeType !== 'gp3') continue;
    managed[key] = volume[key];
  }
  const unknown = Object.keys(volume).filter(
    (k) => k !== 'roleArn' && !(EBS_KEYS as readonly string[]).includes(k),
  );
  if (unknown.length > 0)
    warnings.push(
      `Input '${volumeInput}': ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not sent (the official action copies only roleArn, ${EBS_KEYS.join(', ')}).`,
    );
  if ('throughput' in volume && volume.volumeType !== 'gp3')
    warnings.push(
      `Input '${volumeInput}': throughput is sent only with volumeType gp3 (as in the official action).`,
    );
  return { name, managedEBSVolume: managed as unknown as ServiceManagedEBSVolumeConfiguration };
}

/** enable-ecs-managed-tags: undefined when not given (nothing is sent). */
function managedTags(read: ReadInput): boolean | undefined {
  return read('enable-ecs-managed-tags') === ''
    ? undefined
    : parseBoolean(read, 'enable-ecs-managed-tags', false);
}

export function parseServiceSettings(read: ReadInput, warnings: string[]): ServiceSettings {
  const volume = managedEbsVolume(read, 'service', warnings);
  const propagate = read('propagate-tags');
  return {
    forceNewDeployment: parseBoolean(read, 'force-new-deployment', false),
    desiredCount: parseNumber(read, 'desired-count', {
      min: 0,
      max: Number.POSITIVE_INFINITY,
      integer: true,
    }),
    enableECSManagedTags: managedTags(read),
    propagateTags:
      propagate === '' ? undefined : parseChoice(read, 'propagate-tags', PROPAGATE_TAGS_VALUES, 'NONE'),
    volumeConfigurations: volume ? [volume] : undefined,
  };
}

/** Whether the settings change the service beyond its task definition. */
export function changesService(settings: ServiceSettings): boolean {
  return (
    settings.forceNewDeployment ||
    settings.desiredCount !== undefined ||
    settings.enableECSManagedTags !== undefined ||
    settings.propagateTags !== undefined ||
    settings.volumeConfigurations !== undefined
  );
}

/** run-task and its inputs; undefined when run-task is not true. */
export function parseRunTask(read: ReadInput, warnings: string[]): RunTaskInputs | undefined {
  if (!parseBoolean(read, 'run-task', false)) return undefined;
  const startedBy = read('run-task-started-by') || 'GitHub-Actions';
  if (!STARTED_BY.test(startedBy))
    throw new InputError(
      "input 'run-task-started-by'",
      `'${startedBy}' is not a RunTask startedBy.`,
      'Use up to 128 letters, numbers, hyphens, forward slashes and underscores.',
    );
  const strategy = jsonArray(
    read,
    'run-task-capacity-provider-strategy',
    '[{"capacityProvider": "FARGATE_SPOT", "weight": 1}]',
  );
  for (const item of strategy ?? [])
    if (typeof item.capacityProvider !== 'string' || item.capacityProvider === '')
      throw new InputError(
        "input 'run-task-capacity-provider-strategy'",
        'has an item without capacityProvider.',
        'Each item names its capacityProvider (and optionally weight and base).',
      );
  // As the official action: the launch type only without a capacity provider strategy.
  const hasStrategy = strategy !== undefined && strategy.length > 0;
  const launchType = hasStrategy
    ? undefined
    : parseChoice(read, 'run-task-launch-type', LAUNCH_TYPES, 'FARGATE');
  if (
    hasStrategy &&
    read('run-task-launch-type') !== '' &&
    read('run-task-launch-type').toUpperCase() !== 'FARGATE'
  )
    warnings.push(
      "Input 'run-task-launch-type' is not sent: run-task-capacity-provider-strategy is given, and RunTask takes one or the other (as in the official action).",
    );

  const subnets = parseList(read('run-task-subnets'));
  const securityGroups = parseList(read('run-task-security-groups'));
  if (securityGroups.length > 0 && subnets.length === 0)
    throw new InputError(
      "input 'run-task-security-groups'",
      'is given without run-task-subnets: RunTask needs the subnets of a network configuration.',
      'Give run-task-subnets too.',
    );
  const assignPublicIp = parseChoice(
    read,
    'run-task-assign-public-IP',
    ['ENABLED', 'DISABLED'] as const,
    'DISABLED',
  );
  const networkConfiguration: NetworkConfiguration | undefined =
    subnets.length > 0
      ? {
          awsvpcConfiguration: {
            subnets,
            ...(securityGroups.length > 0 ? { securityGroups } : {}),
            assignPublicIp,
          },
        }
      : undefined;

  const overrides =
    jsonArray(
      read,
      'run-task-container-overrides',
      '[{"name": "web", "command": ["npm", "run", "migrate"]}]',
    ) ?? [];
  for (const item of overrides)
    if (typeof item.name !== 'string' || item.name === '')
      throw new InputError(
        "input 'run-task-container-overrides'",
        'has an override without a container name.',
        'Each override names the container it overrides: {"name": "web", "command": [...]}.',
      );
  const tags = jsonArray(read, 'run-task-tags', '[{"key": "purpose", "value": "migration"}]') ?? [];
  for (const tag of tags)
    if (
      typeof tag.key !== 'string' ||
      tag.key === '' ||
      (tag.value !== undefined && typeof tag.value !== 'string')
    )
      throw new InputError(
        "input 'run-task-tags'",
        'has a tag that is not {"key": "…", "value": "…"}.',
        'Example: [{"key": "purpose", "value": "migration"}]',
      );
  const volume = managedEbsVolume(read, 'run-task', warnings);
  return {
    request: {
      startedBy,
      ...(launchType ? { launchType } : {}),
      ...(hasStrategy
        ? { capacityProviderStrategy: strategy as unknown as CapacityProviderStrategyItem[] }
        : {}),
      ...(networkConfiguration ? { networkConfiguration } : {}),
      overrides: { containerOverrides: overrides as ContainerOverride[] },
      ...(managedTags(read) !== undefined ? { enableECSManagedTags: managedTags(read) } : {}),
      tags: tags as Tag[],
      ...(volume ? { volumeConfigurations: [volume as TaskVolumeConfiguration] } : {}),
    },
    waitForStop: parseBoolean(read, 'wait-for-task-stopped', false),
  };
}
