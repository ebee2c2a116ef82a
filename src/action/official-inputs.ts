/**
 * Every input of the official action, aws-actions/amazon-ecs-deploy-task-definition (names and semantics
 * read from its action.yml and index.js at OFFICIAL_ACTION.tag), and what this action does with each: on a
 * CODE_DEPLOY service, on an ECS-controller service, and with no `service` (register only). The README's
 * "Coming from the official action" table and __tests__/fixtures/official/inputs.json (the official names and
 * their effective defaults) are tested against this list; the warnings and refusals for these inputs are
 * made from it (officialInputNotes).
 */
import { InputError } from './errors.js';
import type { ReadInput } from './inputs.js';

export const OFFICIAL_ACTION = {
  repository: 'aws-actions/amazon-ecs-deploy-task-definition',
  tag: 'v2.6.3',
  commit: 'c465972ecbd160473f22e683363b422a5412a3de',
} as const;

/**
 * same: the official action's behaviour; differs: done, with the difference the note says; ignored: a
 * warning, nothing else (the note says why); refused: the step fails before any change (the note says why).
 */
export type Handling = 'same' | 'differs' | 'ignored' | 'refused';
export type Column = 'codedeploy' | 'ecs' | 'none';
export const COLUMNS: readonly Column[] = ['codedeploy', 'ecs', 'none'];

export interface Treatment {
  handling: Handling;
  /** why (ignored, refused) or how it differs; a sentence without a final period */
  note?: string;
  /** refused: what to do instead */
  fix?: string;
}

export interface OfficialInput {
  name: string;
  /** the value that means "not given" (the official action's effective default, which action.yml declares) */
  off?: string;
  codedeploy: Treatment;
  ecs: Treatment;
  /** no `service`: the official action registers the task definition (and runs run-task) and stops */
  none: Treatment;
}

const same = (note?: string): Treatment => ({ handling: 'same', note });
const differs = (note: string): Treatment => ({ handling: 'differs', note });
const ignored = (note: string): Treatment => ({ handling: 'ignored', note });
const refused = (note: string, fix: string): Treatment => ({ handling: 'refused', note, fix });

const NO_SERVICE = ignored('no service is given, so nothing is deployed (as in the official action)');
const ECS_ONLY = ignored('the service uses the ECS deployment controller (as in the official action)');
const RUN_TASK = { codedeploy: same(), ecs: same(), none: same() };
const EBS_CODEDEPLOY = refused(
  'UpdateService takes no volume configuration on a CODE_DEPLOY service and a CodeDeploy deployment has none either (the official action drops it silently)',
  'Remove it, or move the service to the ECS deployment controller, whose deployments take it.',
);
const SERVICE_UPDATE_CODEDEPLOY = differs(
  'set by an UpdateService of its own right before CreateDeployment, which AWS allows on a CODE_DEPLOY service (the official action ignores it there)',
);

export const OFFICIAL_INPUTS: readonly OfficialInput[] = [
  {
    name: 'task-definition',
    codedeploy: differs('empty strings and lists you write are kept (the official action drops them)'),
    ecs: differs('empty strings and lists you write are kept (the official action drops them)'),
    none: differs('empty strings and lists you write are kept (the official action drops them)'),
  },
  {
    name: 'desired-count',
    codedeploy: SERVICE_UPDATE_CODEDEPLOY,
    ecs: same('sent in the UpdateService that deploys'),
    none: NO_SERVICE,
  },
  {
    name: 'service',
    codedeploy: same(),
    ecs: same(),
    none: same('without it the task definition is registered (and run-task run), nothing deployed'),
  },
  { name: 'cluster', off: 'default', codedeploy: same(), ecs: same(), none: same() },
  {
    name: 'wait-for-service-stability',
    off: 'false',
    codedeploy: same('true waits until the deployment succeeded (wait-until: succeeded)'),
    ecs: same('true waits until the deployment succeeded (wait-until: succeeded)'),
    none: NO_SERVICE,
  },
  {
    name: 'wait-for-minutes',
    off: '30',
    codedeploy: differs(
      "counted on top of the group's ready wait, the config's traffic shift and the termination wait, each counted only when the wait goes past it",
    ),
    ecs: differs("counted on top of the strategy's bake time and steps"),
    none: same('bounds wait-for-task-stopped'),
  },
  {
    name: 'wait-max-delay-seconds',
    codedeploy: ignored('polling adapts to the deployment and to throttling by itself'),
    ecs: ignored('polling adapts to the deployment and to throttling by itself'),
    none: ignored('polling adapts to the deployment and to throttling by itself'),
  },
  {
    name: 'codedeploy-appspec',
    codedeploy: differs('without it appspec.yaml, .yml or .json is used if there, else one is generated'),
    ecs: ECS_ONLY,
    none: NO_SERVICE,
  },
  { name: 'codedeploy-application', codedeploy: same(), ecs: ECS_ONLY, none: NO_SERVICE },
  { name: 'codedeploy-deployment-group', codedeploy: same(), ecs: ECS_ONLY, none: NO_SERVICE },
  {
    name: 'codedeploy-deployment-description',
    codedeploy: differs(
      "cut to CodeDeploy's 256 characters with this run's mark appended; without it the repository, commit and run",
    ),
    ecs: ECS_ONLY,
    none: NO_SERVICE,
  },
  { name: 'codedeploy-deployment-config', codedeploy: same(), ecs: ECS_ONLY, none: NO_SERVICE },
  {
    name: 'force-new-deployment',
    off: 'false',
    codedeploy: same('nothing to send: every CodeDeploy deployment starts a new task set'),
    ecs: same(
      'sent in the UpdateService that deploys; with the revision the service runs, it starts a deployment',
    ),
    none: NO_SERVICE,
  },
  {
    name: 'service-managed-ebs-volume-name',
    codedeploy: EBS_CODEDEPLOY,
    ecs: same('sent in the UpdateService that deploys (volumeConfigurations)'),
    none: NO_SERVICE,
  },
  {
    name: 'service-managed-ebs-volume',
    codedeploy: EBS_CODEDEPLOY,
    ecs: same('sent in the UpdateService that deploys (volumeConfigurations)'),
    none: NO_SERVICE,
  },
  {
    name: 'run-task',
    off: 'false',
    codedeploy: same('the task runs on the new revision before the deployment starts'),
    ecs: same('the task runs on the new revision before the deployment starts'),
    none: same('the task runs on the new revision'),
  },
  { name: 'run-task-container-overrides', ...RUN_TASK },
  { name: 'run-task-security-groups', ...RUN_TASK },
  { name: 'run-task-subnets', ...RUN_TASK },
  { name: 'run-task-assign-public-IP', off: 'DISABLED', ...RUN_TASK },
  { name: 'run-task-capacity-provider-strategy', ...RUN_TASK },
  { name: 'run-task-launch-type', off: 'FARGATE', ...RUN_TASK },
  { name: 'run-task-started-by', off: 'GitHub-Actions', ...RUN_TASK },
  { name: 'run-task-tags', ...RUN_TASK },
  { name: 'run-task-managed-ebs-volume-name', ...RUN_TASK },
  { name: 'run-task-managed-ebs-volume', ...RUN_TASK },
  {
    name: 'wait-for-task-stopped',
    off: 'false',
    codedeploy: differs(
      'the essential containers decide: a non-zero exit code, or none (the task did not start), fails the step before any deployment, naming the container, its exit code and the stopped reason (the official action fails on any container)',
    ),
    ecs: differs(
      'the essential containers decide: a non-zero exit code, or none (the task did not start), fails the step before any deployment, naming the container, its exit code and the stopped reason (the official action fails on any container)',
    ),
    none: differs(
      'the essential containers decide: a non-zero exit code, or none (the task did not start), fails the step, naming the container, its exit code and the stopped reason (the official action fails on any container)',
    ),
  },
  {
    name: 'enable-ecs-managed-tags',
    codedeploy: SERVICE_UPDATE_CODEDEPLOY,
    ecs: same('sent in the UpdateService that deploys, and to RunTask'),
    none: same('sent to RunTask'),
  },
  {
    name: 'propagate-tags',
    codedeploy: SERVICE_UPDATE_CODEDEPLOY,
    ecs: same('sent in the UpdateService that deploys'),
    none: NO_SERVICE,
  },
  {
    name: 'keep-null-value-keys',
    codedeploy: ignored('empty strings and lists are kept anyway; null values and empty objects are dropped'),
    ecs: ignored('empty strings and lists are kept anyway; null values and empty objects are dropped'),
    none: ignored('empty strings and lists are kept anyway; null values and empty objects are dropped'),
  },
  {
    name: 'max-retries',
    off: '3',
    codedeploy: ignored('retries of throttled or failed AWS calls are built in'),
    ecs: ignored('retries of throttled or failed AWS calls are built in'),
    none: ignored('retries of throttled or failed AWS calls are built in'),
  },
];

/** The input was given a value (not empty, not the value that means "off"). */
export function isGiven(read: ReadInput, input: Pick<OfficialInput, 'name' | 'off'>): boolean {
  const raw = read(input.name);
  return raw !== '' && (input.off === undefined || raw.toLowerCase() !== input.off.toLowerCase());
}

const WHERE: Record<Column, string> = {
  codedeploy: 'on a CODE_DEPLOY service',
  ecs: 'on a service with the ECS deployment controller',
  none: 'without a service',
};

/**
 * The warnings for the official action's inputs that are given a value and ignored in `column`; the first
 * one refused there throws (before any change in AWS).
 */
export function officialInputNotes(read: ReadInput, column: Column): string[] {
  const warnings: string[] = [];
  for (const input of OFFICIAL_INPUTS) {
    const treatment = input[column];
    if (!isGiven(read, input)) continue;
    if (treatment.handling === 'refused')
      throw new InputError(
        `input '${input.name}'`,
        `cannot be used ${WHERE[column]}: ${treatment.note}.`,
        treatment.fix,
      );
    if (treatment.handling === 'ignored')
      warnings.push(`Input '${input.name}' is ignored ${WHERE[column]}: ${treatment.note}.`);
  }
  return warnings;
}
