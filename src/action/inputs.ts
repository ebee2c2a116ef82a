/**
 * The action's inputs, read once, validated and typed. Every other module takes these types and never
 * calls core.getInput itself. Errors name the input and say how to fix it.
 */
import * as core from '@actions/core';
import { InputError } from './errors.js';
import { parseHealthChecks, type HealthPolicy } from './health-checks.js';
import { officialInputNotes } from './official-inputs.js';
import { parseBoolean, parseChoice, parseList, parseNumber, type ReadInput } from './parse.js';
import {
  parseRunTask,
  parseServiceSettings,
  type RunTaskInputs,
  type ServiceSettings,
} from './service-inputs.js';

export { parseBoolean, parseChoice, parseList, parseNumber, type ReadInput };

/** Reads an input the way the runner passes it (INPUT_<NAME>), trimmed. */
export const readActionInput: ReadInput = (name) => core.getInput(name, { trimWhitespace: true });

export const WAIT_UNTIL_VALUES = ['none', 'ready', 'traffic-shifted', 'succeeded'] as const;
export type WaitUntil = (typeof WAIT_UNTIL_VALUES)[number];

export const ON_ACTIVE_DEPLOYMENT_VALUES = ['fail', 'wait', 'stop'] as const;
export type OnActiveDeployment = (typeof ON_ACTIVE_DEPLOYMENT_VALUES)[number];

export const AUTO_ROLLBACK_EVENTS = [
  'DEPLOYMENT_FAILURE',
  'DEPLOYMENT_STOP_ON_ALARM',
  'DEPLOYMENT_STOP_ON_REQUEST',
] as const;
export type AutoRollbackEvent = (typeof AUTO_ROLLBACK_EVENTS)[number];

/**
 * CodeDeploy's limit on a deployment description: "Maximum number of characters in a deployment
 * description: 256" (CodeDeploy User Guide, limits.html; an older guide said 100, and only a comment in the
 * official action says 512). Longer ones get DescriptionTooLongException (docs/aws-behaviours.md).
 */
export const MAX_DESCRIPTION_LENGTH = 256;

/** `text` cut to `max` characters, ending with …, never between the two halves of a surrogate pair. */
export function cutDescription(text: string, max: number = MAX_DESCRIPTION_LENGTH): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
/** Like the official action: the extra wait is capped at six hours. */
export const MAX_WAIT_FOR_MINUTES = 360;

export interface AwsInputs {
  region: string;
  roleToAssume?: string;
  roleSessionName: string;
  roleDurationSeconds: number;
  audience: string;
}

export interface DeployInputs {
  /** path of the task definition file (JSON or YAML), as given */
  taskDefinitionFile?: string;
  /** an already registered revision to deploy as is */
  taskDefinitionArn?: string;
  image?: string;
  containerName?: string;
  containerPort?: number;
  service: string;
  cluster: string;
  /** explicit AppSpec file; undefined means "appspec.yaml if it exists, else generate" */
  appSpecFile?: string;
  application: string;
  deploymentGroup: string;
  deploymentConfig?: string;
  description?: string;
  waitUntil: WaitUntil;
  /** extra minutes on top of the group's ready wait and termination wait */
  waitForMinutes: number;
  /** undefined: the deployment group's own setting applies; [] disables automatic rollback */
  autoRollbackEvents?: AutoRollbackEvent[];
  testCommand?: string;
  testTimeoutMinutes: number;
  /** test-command gets the job's OIDC request variables (it can then assume any role the job's token may) */
  testCommandOidc: boolean;
  rollbackOnCancel: boolean;
  rollbackOnFailure: boolean;
  onActiveDeployment: OnActiveDeployment;
  /** the health checks judged while traffic moves (health-checks); undefined: none */
  healthChecks?: HealthPolicy;
  /** what the UpdateService that deploys carries besides the task definition (the official action's inputs) */
  serviceSettings: ServiceSettings;
  /** run-task: a one-off task on the new revision before the service is updated */
  runTask?: RunTaskInputs;
  /** warnings from reading the inputs (a volume name without its volume, …), for the log */
  warnings: string[];
  aws: AwsInputs;
}

/**
 * No `service`: as the official action, register the task definition (and run run-task) and deploy nothing.
 * The inputs that only mean something for a deployment are left out.
 */
export type RegisterOnlyInputs = Pick<
  DeployInputs,
  | 'taskDefinitionFile'
  | 'taskDefinitionArn'
  | 'image'
  | 'containerName'
  | 'cluster'
  | 'waitForMinutes'
  | 'runTask'
  | 'warnings'
  | 'aws'
> & { service?: undefined };

export function parseAutoRollbackEvents(read: ReadInput): AutoRollbackEvent[] | undefined {
  const raw = read('auto-rollback-events');
  if (raw === '') return undefined;
  if (['none', 'false', 'disabled'].includes(raw.toLowerCase())) return [];
  const events: AutoRollbackEvent[] = [];
  for (const item of parseList(raw)) {
    const event = AUTO_ROLLBACK_EVENTS.find((known) => known === item.toUpperCase());
    if (!event) {
      throw new InputError(
        "input 'auto-rollback-events'",
        `'${item}' is not a CodeDeploy rollback event.`,
        `Use a comma list of ${AUTO_ROLLBACK_EVENTS.join(', ')}, or 'none' to disable automatic rollback.`,
      );
    }
    if (!events.includes(event)) events.push(event);
  }
  return events;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

export function getAwsInputs(
  read: ReadInput = readActionInput,
  env: NodeJS.ProcessEnv = process.env,
): AwsInputs {
  const region = read('aws-region') || env.AWS_REGION || env.AWS_DEFAULT_REGION || '';
  if (region === '') {
    throw new InputError(
      "input 'aws-region'",
      'no AWS region is set.',
      'Set the aws-region input, or AWS_REGION in the job environment.',
    );
  }
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new InputError(
      "input 'aws-region'",
      `'${region}' is not an AWS region name.`,
      'Example: us-east-1.',
    );
  }
  const roleToAssume = read('role-to-assume') || undefined;
  if (roleToAssume !== undefined && !ROLE_ARN.test(roleToAssume)) {
    throw new InputError(
      "input 'role-to-assume'",
      `'${roleToAssume}' is not an IAM role ARN.`,
      'Use the full ARN, e.g. arn:aws:iam::111122223333:role/github-deploy.',
    );
  }
  const roleSessionName = read('role-session-name') || 'GitHubActions';
  if (!SESSION_NAME.test(roleSessionName)) {
    throw new InputError(
      "input 'role-session-name'",
      `'${roleSessionName}' is not a valid session name.`,
      'Use 2 to 64 characters from letters, digits and _+=,.@-',
    );
  }
  return {
    region,
    roleToAssume,
    roleSessionName,
    roleDurationSeconds:
      parseNumber(read, 'role-duration-seconds', { min: 900, max: 43200, integer: true }) ?? 3600,
    audience: read('audience') || 'sts.amazonaws.com',
  };
}

/** The description CodeDeploy shows, cut to the API limit. */
export function deploymentDescription(given: string, env: NodeJS.ProcessEnv = process.env): string {
  let text = given;
  if (text === '') {
    const parts = ['Deployed from GitHub Actions'];
    if (env.GITHUB_REPOSITORY) parts.push(env.GITHUB_REPOSITORY);
    if (env.GITHUB_SHA) parts.push(`commit ${env.GITHUB_SHA.slice(0, 12)}`);
    if (env.GITHUB_RUN_ID) parts.push(`run ${env.GITHUB_RUN_ID}`);
    text = parts.join(' · ');
  }
  return cutDescription(text);
}

/**
 * The service and cluster names from the inputs, which may be names or ARNs as ECS accepts them:
 * `arn:aws:ecs:<region>:<account>:service/<cluster>/<service>` (or the old `service/<service>`) and
 * `arn:aws:ecs:<region>:<account>:cluster/<cluster>`. A service ARN names its cluster; a cluster input
 * that names another one is an error. The names make the CodeDeploy defaults (AppECS-…, DgpECS-…).
 */
export function resolveServiceAndCluster(
  serviceInput: string,
  clusterInput: string | undefined,
): { service: string; cluster: string } {
  let cluster = clusterInput || undefined;
  const clusterArn = cluster ? /^arn:aws[\w-]*:ecs:[^:]*:\d*:cluster\/(.+)$/.exec(cluster) : null;
  if (clusterArn) cluster = clusterArn[1] as string;
  let service = serviceInput;
  const serviceArn = /^arn:aws[\w-]*:ecs:[^:]*:\d*:service\/(?:([^/]+)\/)?([^/]+)$/.exec(serviceInput);
  if (serviceArn) {
    service = serviceArn[2] as string;
    const arnCluster = serviceArn[1];
    if (arnCluster && cluster && arnCluster !== cluster) {
      throw new InputError(
        "inputs 'service' and 'cluster'",
        `disagree: the service ARN is in cluster '${arnCluster}', the cluster input is '${cluster}'.`,
        'Give the cluster the service is in, or leave the cluster input out.',
      );
    }
    cluster ??= arnCluster;
  }
  return { service, cluster: cluster ?? 'default' };
}

/**
 * The deploy inputs. Without `service` (only when `registerOnly` is 'allowed', as the deploy action does): the
 * register-only inputs, refusing this action's own inputs that only mean something for a deployment.
 */
export function getDeployInputs(read?: ReadInput, env?: NodeJS.ProcessEnv): DeployInputs;
export function getDeployInputs(
  read: ReadInput,
  env: NodeJS.ProcessEnv,
  registerOnly: 'allowed',
): DeployInputs | RegisterOnlyInputs;
export function getDeployInputs(
  read: ReadInput = readActionInput,
  env: NodeJS.ProcessEnv = process.env,
  registerOnly?: 'allowed',
): DeployInputs | RegisterOnlyInputs {
  if (read('service') === '' && registerOnly !== 'allowed') {
    throw new InputError("input 'service'", 'is required.', 'Name the ECS service to deploy.');
  }
  const { service, cluster } = resolveServiceAndCluster(read('service'), read('cluster'));
  const source = taskDefinitionInputs(read);
  const warnings: string[] = [];
  const runTask = parseRunTask(read, warnings);
  const waitMinutes = waitForMinutes(read);

  if (service === '') {
    for (const name of DEPLOYMENT_ONLY_INPUTS)
      if (read(name) !== '')
        throw new InputError(
          `input '${name}'`,
          'is given without a service: with no service the action only registers the task definition (and runs run-task), and deploys nothing.',
          `Name the service to deploy, or remove ${name}.`,
        );
    warnings.push(...officialInputNotes(read, 'none'));
    return {
      ...source,
      cluster,
      waitForMinutes: waitMinutes,
      runTask,
      warnings,
      aws: getAwsInputs(read, env),
    };
  }

  const waitForServiceStability = parseBoolean(read, 'wait-for-service-stability', false);
  const waitUntil = parseChoice(
    read,
    'wait-until',
    WAIT_UNTIL_VALUES,
    waitForServiceStability ? 'succeeded' : 'none',
  );

  const testCommand = read('test-command') || undefined;
  return {
    ...source,
    containerPort: parseNumber(read, 'container-port', { min: 1, max: 65535, integer: true }),
    service,
    cluster,
    appSpecFile: read('codedeploy-appspec') || undefined,
    application: read('codedeploy-application') || `AppECS-${cluster}-${service}`,
    deploymentGroup: read('codedeploy-deployment-group') || `DgpECS-${cluster}-${service}`,
    deploymentConfig: read('codedeploy-deployment-config') || undefined,
    description: deploymentDescription(read('codedeploy-deployment-description'), env),
    waitUntil,
    waitForMinutes: waitMinutes,
    autoRollbackEvents: parseAutoRollbackEvents(read),
    testCommand,
    testTimeoutMinutes: parseNumber(read, 'test-timeout-minutes', { min: 0.1, max: 7200 }) ?? 30,
    rollbackOnCancel: parseBoolean(read, 'rollback-on-cancel', true),
    rollbackOnFailure: parseBoolean(read, 'rollback-on-failure', true),
    onActiveDeployment: parseChoice(read, 'on-active-deployment', ON_ACTIVE_DEPLOYMENT_VALUES, 'fail'),
    testCommandOidc: parseBoolean(read, 'test-command-oidc', false),
    healthChecks: parseHealthChecks(read('health-checks')),
    serviceSettings: parseServiceSettings(read, warnings),
    runTask,
    warnings,
    aws: getAwsInputs(read, env),
  };
}

/** This action's own inputs (no action.yml default) that mean something only for a deployment. */
export const DEPLOYMENT_ONLY_INPUTS: readonly string[] = [
  'wait-until',
  'test-command',
  'test-command-oidc',
  'health-checks',
  'auto-rollback-events',
  'container-port',
];

/** The task definition to register or deploy, and the image rendered into it. */
function taskDefinitionInputs(
  read: ReadInput,
): Pick<DeployInputs, 'taskDefinitionFile' | 'taskDefinitionArn' | 'image' | 'containerName'> {
  const taskDefinitionFile = read('task-definition') || undefined;
  const taskDefinitionArn = read('task-definition-arn') || undefined;
  if (taskDefinitionFile && taskDefinitionArn) {
    throw new InputError(
      "inputs 'task-definition' and 'task-definition-arn'",
      'are both set.',
      'Give a file to register a new revision, or an ARN to deploy an existing one, not both.',
    );
  }
  if (!taskDefinitionFile && !taskDefinitionArn) {
    throw new InputError(
      "input 'task-definition'",
      'is required.',
      'Give the task definition file, or task-definition-arn to deploy an existing revision.',
    );
  }
  if (
    taskDefinitionArn &&
    !/^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/)?[\w-]{1,255}:\d+$/.test(taskDefinitionArn)
  ) {
    throw new InputError(
      "input 'task-definition-arn'",
      `'${taskDefinitionArn}' is not a task definition revision.`,
      'Use the full ARN (arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION) or FAMILY:REVISION.',
    );
  }

  const image = read('image') || undefined;
  const containerName = read('container-name') || undefined;
  if (image && taskDefinitionArn) {
    throw new InputError(
      "input 'image'",
      'cannot be combined with task-definition-arn: a registered revision is deployed as it is.',
      'Give the task definition file instead, and the image is rendered into a new revision.',
    );
  }
  if (image !== undefined && /\s/.test(image)) {
    throw new InputError(
      "input 'image'",
      `'${image}' is not an image reference.`,
      'Example: 111122223333.dkr.ecr.us-east-1.amazonaws.com/web@sha256:…',
    );
  }
  return { taskDefinitionFile, taskDefinitionArn, image, containerName };
}

/** Warnings for the official action's inputs on a CODE_DEPLOY service; refuses those that cannot apply. */
export function codeDeployInputWarnings(read: ReadInput = readActionInput): string[] {
  return officialInputNotes(read, 'codedeploy');
}

/** The plan sub-action's own input: `check-migration` (read only, CODE_DEPLOY services). */
export function getPlanOptions(read: ReadInput = readActionInput): { checkMigration: boolean } {
  return { checkMigration: parseBoolean(read, 'check-migration', false) };
}

/** This action's own inputs that only the CodeDeploy path reads (the official action's are in official-inputs.ts). */
export const CODEDEPLOY_ONLY_INPUTS: readonly string[] = ['auto-rollback-events', 'container-port'];

/**
 * Warnings for a service with the ECS deployment controller: the CodeDeploy-only inputs (ECS takes its
 * strategy, hooks and rollback settings from the service), and the official action's inputs ignored there.
 */
export function ecsServiceInputWarnings(read: ReadInput = readActionInput): string[] {
  const warnings: string[] = [];
  for (const name of CODEDEPLOY_ONLY_INPUTS)
    if (read(name) !== '')
      warnings.push(
        `Input '${name}' is ignored: the service uses the ECS deployment controller, which takes its strategy, hooks and rollback settings from the service (deploymentConfiguration), not from CodeDeploy.`,
      );
  return [...warnings, ...officialInputNotes(read, 'ecs')];
}

export interface PromoteInputs {
  /** a CodeDeploy id (d-…) or an ECS service deployment ARN; undefined: the service's deployment in flight */
  deploymentId?: string;
  /**
   * without deploymentId: the ECS service whose deployment in flight is promoted (ECS deployment controller
   * only); with it: the service the deployment must belong to (checked before any change)
   */
  service?: string;
  cluster: string;
  /** refuse a deployment whose run mark names another workflow run (require-same-run) */
  requireSameRun: boolean;
  waitUntil: WaitUntil;
  waitForMinutes: number;
  rollbackOnCancel: boolean;
  rollbackOnFailure: boolean;
  /** judged before the continue and while following (health-checks) */
  healthChecks?: HealthPolicy;
  aws: AwsInputs;
}

/** `arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id>` (ECS deployment controller). */
const SERVICE_DEPLOYMENT_ARN =
  /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service-deployment\/[^/]+\/[^/]+\/[^/]+$/;

function requireDeploymentId(read: ReadInput, required: boolean): string | undefined {
  const id = read('deployment-id');
  if (id === '') {
    if (required)
      throw new InputError(
        "input 'deployment-id'",
        'is required.',
        "Pass the deploy step's deployment-id output (or codedeploy-deployment-id); for a service with the ECS deployment controller, 'service' (and 'cluster') names its deployment in flight instead.",
      );
    return undefined;
  }
  if (!/^d-[A-Z0-9]{6,}$/.test(id) && !SERVICE_DEPLOYMENT_ARN.test(id)) {
    throw new InputError(
      "input 'deployment-id'",
      `'${id}' is not a CodeDeploy deployment id nor an ECS service deployment ARN.`,
      "It looks like d-XXXXXXXXX (CodeDeploy) or arn:aws:ecs:<region>:<account>:service-deployment/<cluster>/<service>/<id> (the deploy step's deployment-id output).",
    );
  }
  return id;
}

/** Any larger value is capped at MAX_WAIT_FOR_MINUTES, as the official action does (never an error). */
function waitForMinutes(read: ReadInput): number {
  return Math.min(
    parseNumber(read, 'wait-for-minutes', { min: 0, max: Number.POSITIVE_INFINITY }) ?? 30,
    MAX_WAIT_FOR_MINUTES,
  );
}

/** A promoted deployment is past Ready by definition: waiting for 'ready' would end at once. */
function promoteWaitUntil(read: ReadInput): WaitUntil {
  const waitUntil = parseChoice(read, 'wait-until', WAIT_UNTIL_VALUES, 'traffic-shifted');
  if (waitUntil === 'ready') {
    throw new InputError(
      "input 'wait-until'",
      "is 'ready', which a promoted deployment has already passed.",
      "Use 'traffic-shifted' (the default), 'succeeded', or 'none'.",
    );
  }
  return waitUntil;
}

export function getPromoteInputs(
  read: ReadInput = readActionInput,
  env: NodeJS.ProcessEnv = process.env,
): PromoteInputs {
  const resolved = resolveServiceAndCluster(read('service'), read('cluster'));
  const service = resolved.service || undefined;
  const deploymentId = requireDeploymentId(read, !service);
  return {
    deploymentId,
    service,
    cluster: resolved.cluster,
    requireSameRun: parseBoolean(read, 'require-same-run', true),
    waitUntil: promoteWaitUntil(read),
    waitForMinutes: waitForMinutes(read),
    rollbackOnCancel: parseBoolean(read, 'rollback-on-cancel', true),
    rollbackOnFailure: parseBoolean(read, 'rollback-on-failure', true),
    healthChecks: parseHealthChecks(read('health-checks')),
    aws: getAwsInputs(read, env),
  };
}

export interface RollbackInputs {
  deploymentId?: string;
  service?: string;
  cluster: string;
  application?: string;
  deploymentGroup?: string;
  /** codedeploy-application or codedeploy-deployment-group was given: the service is rolled back through CodeDeploy */
  codeDeployNamed: boolean;
  waitUntil: WaitUntil;
  waitForMinutes: number;
  deregisterRolledBackRevision: boolean;
  /** refuse a deployment whose run mark names another workflow run (require-same-run) */
  requireSameRun: boolean;
  aws: AwsInputs;
}

export function getRollbackInputs(
  read: ReadInput = readActionInput,
  env: NodeJS.ProcessEnv = process.env,
): RollbackInputs {
  const deploymentId = requireDeploymentId(read, false);
  const resolved = resolveServiceAndCluster(read('service'), read('cluster'));
  const service = resolved.service || undefined;
  const cluster = resolved.cluster;
  if (!deploymentId && !service) {
    throw new InputError(
      "inputs 'deployment-id' and 'service'",
      'are both empty.',
      'Give the deployment to roll back, or the service (and cluster) whose deployment group to roll back.',
    );
  }
  return {
    deploymentId,
    service,
    cluster,
    application: read('codedeploy-application') || (service ? `AppECS-${cluster}-${service}` : undefined),
    deploymentGroup:
      read('codedeploy-deployment-group') || (service ? `DgpECS-${cluster}-${service}` : undefined),
    codeDeployNamed: read('codedeploy-application') !== '' || read('codedeploy-deployment-group') !== '',
    waitUntil: parseChoice(read, 'wait-until', WAIT_UNTIL_VALUES, 'traffic-shifted'),
    waitForMinutes: waitForMinutes(read),
    deregisterRolledBackRevision: parseBoolean(read, 'deregister-rolled-back-revision', false),
    requireSameRun: parseBoolean(read, 'require-same-run', true),
    aws: getAwsInputs(read, env),
  };
}
