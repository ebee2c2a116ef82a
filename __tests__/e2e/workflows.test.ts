/**
 * What a team copies, run: the caller templates (workflows-templates/) and the reusable workflows they
 * call (.github/workflows/), executed job by job with GitHub's own parser and expression engine
 * (__tests__/helpers/workflow-executor.ts) against the emulator, with the roles of
 * infra/github-oidc-roles.yml (their trust policies checked by the emulator's STS against each job's
 * OIDC subject, their policies enforced on every call) and approvals the test gives, withholds or rejects. Each case says which jobs ran,
 * which were skipped, what the workflow put out, and where the deployment ended in the emulator.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeServiceDeploymentsCommand, DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { CodeDeployClient, GetDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { taskDefinitionFile } from '../../emulator/scenario.js';
import { REPO_ROOT } from '../../scripts/action-runner.js';
import { stackParameters } from '../../emulator/jobs.js';
import { WorkflowExecutor, type Approval, type RunResult } from '../helpers/workflow-executor.js';
import { e2eRuntime } from './harness.js';

const LONG = 240_000;
const REPOSITORY = 'acme/web';
/** The application repository's OIDC subject, as docs/from-push-to-production.md has it set up. */
const SUBJECT_CLAIM_KEYS = ['repo', 'context', 'job_workflow_ref'] as const;
const TEST_URL = 'http://test-listener.example:8080';

type Engine = 'codedeploy' | 'ecs';

interface Service {
  cluster: string;
  service: string;
}

interface PipelineWorld {
  emulator: Emulator;
  engine: Engine;
  dev: Service;
  prod: Service;
  /** the task definition the production service ran before */
  prodBefore: string;
  roles: Record<'build' | 'dev' | 'prod' | 'prodPlan' | 'prodPromote', string>;
  vars: Record<string, string>;
  files: Record<string, string>;
  run(
    workflow: string,
    event: Parameters<WorkflowExecutor['run']>[1],
    approvals?: Record<string, Approval>,
  ): Promise<RunResult>;
  stop(): Promise<void>;
}

let world: PipelineWorld | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

const template = (name: string): string =>
  readFileSync(path.join(REPO_ROOT, 'workflows-templates', name), 'utf8');

/** The pipeline template with its commented lines for tests and the second approval switched on. */
function pipelineWith(o: { devTest?: string; prodTest?: string; promote?: boolean }): string {
  let text = template('ecs-blue-green-pipeline.yml');
  const uncomment = (key: string, value?: string) => {
    const re = new RegExp(`^(\\s*)# (${key}): (.*)$`, 'm');
    expect(text).toMatch(re);
    text = text.replace(re, (_m, indent: string, k: string, v: string) => `${indent}${k}: ${value ?? v}`);
  };
  if (o.devTest) uncomment('test-command', o.devTest);
  if (o.promote) {
    uncomment('promote-environment');
    uncomment('promote-role-to-assume');
  }
  if (o.prodTest) {
    uncomment('test-command', o.prodTest);
    uncomment('test-listener-url');
  }
  return text;
}

/** A caller of deploy-prod.yml alone, for an image built before. */
function prodCaller(withLines: Record<string, string>): string {
  return [
    'name: Production',
    'on: workflow_dispatch',
    'permissions: {}',
    'jobs:',
    '  production:',
    '    uses: acme-platform/ecs-codedeploy-action/.github/workflows/deploy-prod.yml@v1',
    '    permissions:',
    '      contents: read',
    '      id-token: write',
    '    with:',
    ...Object.entries(withLines).map(([k, v]) => `      ${k}: ${v}`),
  ].join('\n');
}

const PAUSE_HOOK = {
  lifecycleHooks: [
    {
      targetType: 'PAUSE' as const,
      lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT' as const],
      timeoutConfiguration: { timeoutInMinutes: 120, action: 'ROLLBACK' as const },
    },
  ],
};

async function pipelineWorld(
  engine: Engine,
  o: { prodHolds?: boolean; devHolds?: boolean; prodConfig?: string } = {},
): Promise<PipelineWorld> {
  const emulator = await startEmulator({ clockScale: 60, requireKnownCredentials: true });
  // The stacks of infra/github-oidc-roles.yml, the dev one (build and dev deploy roles) for cluster dev, the
  // production one (deploy, plan, promote) for cluster prod: their trust and their policies, IAM enforced.
  const stack = (cluster: string, create: Record<string, string>) =>
    emulator.seed.templateRoles(
      stackParameters(emulator.accountId, { cluster, service: 'web', family: 'web' }, create),
    );
  const devStack = stack('dev', { CreateProdDeployRole: 'false', CreateProdPlanRole: 'false' });
  const prodStack = stack('prod', { CreateBuildRole: 'false', CreateDevDeployRole: 'false' });
  const roles = {
    build: devStack.build!.arn,
    dev: devStack.dev!.arn,
    prod: prodStack.prod!.arn,
    prodPlan: prodStack.prodPlan!.arn,
    prodPromote: prodStack.prodPromote!.arn,
  };
  const seed = (cluster: string, holds: boolean) =>
    engine === 'codedeploy'
      ? emulator.seed.blueGreenService({
          cluster,
          service: 'web',
          family: 'web',
          containerName: 'web',
          deploymentConfig:
            cluster === 'prod' && o.prodConfig ? o.prodConfig : 'CodeDeployDefault.ECSAllAtOnce',
          terminationWaitMinutes: cluster === 'prod' && o.prodConfig ? 30 : 1,
          readyOption: holds
            ? { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 120 }
            : { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
        })
      : emulator.seed.ecsNativeService({
          cluster,
          service: 'web',
          family: 'web',
          containerName: 'web',
          strategy: 'BLUE_GREEN',
          bakeTimeInMinutes: 1,
          ...(holds ? PAUSE_HOOK : { lifecycleHooks: [] }),
        });
  seed('dev', o.devHolds ?? false);
  const prod = seed('prod', o.prodHolds ?? true);
  const files = {
    Dockerfile: 'FROM public.ecr.aws/nginx/nginx:1.27\n',
    'deploy/task-definition.json': JSON.stringify(
      taskDefinitionFile({
        family: 'web',
        containerName: 'web',
        containerPort: prod.containerPort,
        accountId: emulator.accountId,
        secretValue: 'not-a-secret-e2e',
      }),
      null,
      2,
    ),
  };
  const vars = {
    AWS_REGION: emulator.region,
    ECR_REPOSITORY: 'web',
    BUILD_ROLE_ARN: roles.build,
    DEV_DEPLOY_ROLE_ARN: roles.dev,
    PROD_PLAN_ROLE_ARN: roles.prodPlan,
    PROD_DEPLOY_ROLE_ARN: roles.prod,
    PROD_PROMOTE_ROLE_ARN: roles.prodPromote,
    PROD_TEST_URL: TEST_URL,
  };
  const executors: WorkflowExecutor[] = [];
  return {
    emulator,
    engine,
    dev: { cluster: 'dev', service: 'web' },
    prod: { cluster: 'prod', service: 'web' },
    prodBefore: prod.taskDefinitionArn,
    roles,
    vars,
    files,
    async run(workflow, event, approvals = {}) {
      const executor = new WorkflowExecutor({
        emulator,
        repository: REPOSITORY,
        files,
        vars,
        protectedEnvironments: ['production', 'production-reroute'],
        approvals,
        node: e2eRuntime().path,
        subjectClaimKeys: SUBJECT_CLAIM_KEYS,
      });
      executors.push(executor);
      return executor.run(workflow, event);
    },
    async stop() {
      for (const e of executors) await e.close();
      await emulator.stop();
    },
  };
}

/** Which jobs ran, by path (approval-held ones included), to compare whole. */
function ran(r: RunResult): Record<string, string> {
  return r.results;
}

function explain(r: RunResult): string {
  return `${r.log}\n--- errors:\n${r.errors.join('\n')}\n--- warnings:\n${r.warnings.join('\n')}\n${r.jobs
    .flatMap((j) =>
      j.steps.filter((s) => s.outcome === 'failure').map((s) => `### ${j.path} ${s.name}\n${s.stdout}`),
    )
    .join('\n')}`;
}

function expectRun(r: RunResult, results: Record<string, string>): void {
  const actual = ran(r);
  if (JSON.stringify(actual) !== JSON.stringify({ ...actual, ...results })) console.log(explain(r));
  expect(actual).toMatchObject(results);
}

function clients(w: PipelineWorld) {
  const env = w.emulator.env();
  const config = {
    region: w.emulator.region,
    endpoint: w.emulator.url,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
    maxAttempts: 1,
  };
  return { ecs: new ECSClient(config), codedeploy: new CodeDeployClient(config) };
}

/** The deployment's status and the task definition the service runs, read from the emulator. */
async function endState(w: PipelineWorld, s: Service, deploymentId: string) {
  const { ecs, codedeploy } = clients(w);
  const svc = (await ecs.send(new DescribeServicesCommand({ cluster: s.cluster, services: [s.service] })))
    .services?.[0];
  const running =
    svc?.taskSets?.find((t) => t.status === 'PRIMARY')?.taskDefinition ?? svc?.taskDefinition ?? '';
  if (w.engine === 'codedeploy') {
    const d = (await codedeploy.send(new GetDeploymentCommand({ deploymentId }))).deploymentInfo;
    return { status: d?.status, running, rollback: d?.rollbackInfo?.rollbackDeploymentId };
  }
  const d = (await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [deploymentId] })))
    .serviceDeployments?.[0];
  return {
    status: d?.status,
    running,
    stage: d?.lifecycleStage,
    productionWeight: Math.max(
      0,
      ...(w.emulator.ecsNative.deployment(deploymentId)?.weightHistory ?? []).map((h) => h.production ?? 0),
    ),
  };
}

/** The value once it is terminal (Succeeded/SUCCESSFUL or another end), within a minute of real time. */
async function eventually(read: () => Promise<string | undefined>): Promise<string | undefined> {
  const until = Date.now() + 60_000;
  for (;;) {
    const value = await read();
    if (
      !['InProgress', 'IN_PROGRESS', 'Created', 'Ready', 'PENDING'].includes(value ?? '') ||
      Date.now() > until
    )
      return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The role (by name) whose credentials made each call of this action. */
function callersOf(w: PipelineWorld, action: string): string[] {
  return w.emulator.calls
    .filter((c) => c.action === action)
    .map(
      (c) => w.emulator.state.credentials.get(c.accessKeyId ?? '')?.arn.split('/')[1] ?? `(${c.accessKeyId})`,
    );
}

const HELD = { codedeploy: 'Ready', ecs: 'IN_PROGRESS' } as const;
const SUCCEEDED = { codedeploy: 'Succeeded', ecs: 'SUCCESSFUL' } as const;
const ID = {
  codedeploy: /^d-[A-Z0-9]{9}$/,
  ecs: /^arn:aws:ecs:[^:]+:\d{12}:service-deployment\/prod\/web\//,
} as const;
const CONTINUE = { codedeploy: 'ContinueDeployment', ecs: 'ContinueServiceDeployment' } as const;

// The test job proves where it runs: no way to ask for an OIDC token, no AWS credentials, the URL given.
const PASSING_TEST =
  'test -z "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" && test -z "${AWS_ACCESS_KEY_ID:-}" && test "$TEST_LISTENER_URL" = "' +
  TEST_URL +
  '" && test -n "$DEPLOYMENT_ID" && echo "tested $DEPLOYMENT_ID"';
// The same, with the URL the deploy action's test-listener-url output gave (no test-listener-url input).
const PASSING_TEST_OUTPUT_URL =
  'test -z "${ACTIONS_ID_TOKEN_REQUEST_URL:-}" && test -z "${AWS_ACCESS_KEY_ID:-}" && echo "$TEST_LISTENER_URL" | grep -Eq "^http://[^/]+:[0-9]+$" && test -n "$DEPLOYMENT_ID" && echo "tested $DEPLOYMENT_ID"';
const FAILING_TEST = 'echo "GET / answered 503"; exit 1';

describe.each(['codedeploy', 'ecs'] as const)('%s: build → dev → production', (engine) => {
  it(
    'plan, approval, tests in their own job, second approval, promote: production on the built image',
    async () => {
      world = await pipelineWorld(engine, { devHolds: true });
      const w = world;
      w.files['.github/workflows/deploy.yml'] = pipelineWith({
        devTest: "echo 'dev gate on $TEST_LISTENER_URL'",
        promote: true,
        prodTest: `'${PASSING_TEST}'`,
      });
      const r = await w.run(
        '.github/workflows/deploy.yml',
        { name: 'push' },
        {
          production: 'approve',
          'production-reroute': 'approve',
        },
      );
      expectRun(r, {
        'build/build': 'success',
        build: 'success',
        'dev/deploy/deploy': 'success',
        dev: 'success',
        'production/plan': 'success',
        'production/deploy/deploy': 'success',
        'production/test': 'success',
        'production/promote': 'success',
        'production/rollback': 'skipped',
        production: 'success',
      });
      expect(r.conclusion).toBe('success');
      expect(r.warnings).toEqual([]);
      const image = r.job('build').outputs.image as string;
      expect(image).toMatch(
        new RegExp(
          `^${w.emulator.accountId}\\.dkr\\.ecr\\.${w.emulator.region}\\.amazonaws\\.com/web@sha256:[0-9a-f]{64}$`,
        ),
      );
      // the approvals asked, and who had an OIDC token
      expect(r.job('production/deploy/deploy')).toMatchObject({
        environment: 'production',
        approval: 'approved',
        idToken: true,
      });
      expect(r.job('production/promote')).toMatchObject({
        environment: 'production-reroute',
        approval: 'approved',
        idToken: true,
      });
      expect(r.job('production/test')).toMatchObject({ idToken: false });
      expect(r.job('production/test').steps.find((s) => s.name === 'Test')?.stdout).toMatch(/tested \S+/);
      // the workflow's outputs, engine-neutral
      const out = r.job('production').outputs;
      expect(out['deployment-id']).toMatch(ID[engine]);
      expect(out['deployment-state']).toBe('succeeded');
      expect(r.job('dev').outputs['deployment-state']).toBe('succeeded');
      // the emulator: the built image runs in production, continued by the promote role only
      const end = await endState(w, w.prod, out['deployment-id'] as string);
      expect(end.status).toBe(SUCCEEDED[engine]);
      expect(end.running).toBe(r.job('production').outputs['task-definition-arn']);
      const { ecs } = clients(w);
      const td = await ecs.send(
        new (await import('@aws-sdk/client-ecs')).DescribeTaskDefinitionCommand({
          taskDefinition: end.running,
        }),
      );
      expect(td.taskDefinition?.containerDefinitions?.[0]?.image).toBe(image);
      expect(callersOf(w, CONTINUE[engine])).toEqual(
        // dev: the deploy step's own gate continued it; production: the promote job
        ['github-deploy-web-dev', 'github-promote-web-production'],
      );
    },
    LONG,
  );
});

/** The ECS service deployment of cluster/web waiting in a pause hook, once there is one. */
async function pausedDeployment(w: PipelineWorld, cluster: string, timeoutMs = 120_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    w.emulator.tick();
    const d = [...w.emulator.ecsNative.state().deployments.values()].find(
      (x) =>
        x.serviceKey === `${cluster}/web` &&
        x.status === 'IN_PROGRESS' &&
        x.hooks.some((h) => h.targetType === 'PAUSE' && h.status === 'AWAITING_ACTION'),
    );
    if (d) return d.arn;
    if (Date.now() > until) throw new Error(`no deployment of ${cluster}/web waits in a pause hook`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('the pipeline template as it comes (copied by hand)', () => {
  it(
    'a push to main runs it (another branch does not); one approval; services that do not hold go straight through',
    async () => {
      world = await pipelineWorld('codedeploy', { prodHolds: false });
      const w = world;
      w.files['.github/workflows/deploy.yml'] = template('ecs-blue-green-pipeline.yml');
      const other = await new WorkflowExecutor({
        emulator: w.emulator,
        repository: REPOSITORY,
        ref: 'refs/heads/feature',
        files: w.files,
        subjectClaimKeys: SUBJECT_CLAIM_KEYS,
      }).run('.github/workflows/deploy.yml', { name: 'push' });
      expect(other.triggered).toBe(false);

      const r = await w.run('.github/workflows/deploy.yml', { name: 'push' }, { production: 'approve' });
      expect(r.triggered).toBe(true);
      expectRun(r, {
        build: 'success',
        'dev/deploy/deploy': 'success',
        'production/plan': 'success',
        'production/deploy/deploy': 'success',
        'production/test': 'skipped',
        'production/promote': 'skipped',
        'production/rollback': 'skipped',
      });
      expect(r.conclusion).toBe('success');
      expect(r.warnings).toEqual([]);
      const out = r.job('production').outputs;
      expect(out['deployment-id']).toMatch(ID.codedeploy);
      expect(out['deployment-state']).toBe('succeeded');
      const end = await endState(w, w.prod, out['deployment-id'] as string);
      expect(end.status).toBe('Succeeded');
      expect(end.running).toBe(out['task-definition-arn']);
      expect(w.emulator.calls.map((c) => c.action)).not.toContain('ContinueDeployment');
    },
    LONG,
  );

  it(
    'an ECS service that pauses every deployment (as infra/example-ecs-bluegreen-service.yml): dev and production wait until the operate template promotes them',
    async () => {
      world = await pipelineWorld('ecs', { devHolds: true, prodHolds: true });
      const w = world;
      w.files['.github/workflows/deploy.yml'] = template('ecs-blue-green-pipeline.yml');
      w.files['.github/workflows/operate.yml'] = template('ecs-blue-green-operate.yml');
      const pipeline = w.run('.github/workflows/deploy.yml', { name: 'push' }, { production: 'approve' });
      const promoted: string[] = [];
      for (const [cluster, environment] of [
        ['dev', 'dev'],
        ['prod', 'production-reroute'],
      ] as const) {
        const arn = await pausedDeployment(w, cluster);
        const o = await w.run(
          '.github/workflows/operate.yml',
          operate({ operation: 'promote', environment, 'deployment-id': '', service: 'web' }),
          { 'production-reroute': 'approve' },
        );
        expectRun(o, { 'operate/operate': 'success' });
        expect(o.job('operate').outputs['deployment-id']).toBe(arn);
        promoted.push(arn);
      }
      const r = await pipeline;
      expectRun(r, {
        build: 'success',
        'dev/deploy/deploy': 'success',
        'production/deploy/deploy': 'success',
        'production/test': 'skipped',
        'production/promote': 'skipped',
      });
      expect(r.job('dev').outputs['deployment-id']).toBe(promoted[0]);
      const out = r.job('production').outputs;
      expect(out['deployment-id']).toBe(promoted[1]);
      expect(out['deployment-state']).toBe('succeeded');
      expect((await endState(w, w.prod, promoted[1] as string)).status).toBe('SUCCESSFUL');
      expect(callersOf(w, 'ContinueServiceDeployment')).toEqual([
        'github-deploy-web-dev',
        'github-promote-web-production',
      ]);
    },
    LONG,
  );
});

/** deploy-prod.yml called with the second approval (and tests when given), for the world's image. */
function prodInputs(w: PipelineWorld, extra: Record<string, string> = {}): Record<string, string> {
  return {
    image: `${w.emulator.accountId}.dkr.ecr.${w.emulator.region}.amazonaws.com/web@sha256:${'ab'.repeat(32)}`,
    'aws-region': '${{ vars.AWS_REGION }}',
    'plan-role-to-assume': '${{ vars.PROD_PLAN_ROLE_ARN }}',
    'role-to-assume': '${{ vars.PROD_DEPLOY_ROLE_ARN }}',
    cluster: 'prod',
    service: 'web',
    'task-definition': 'deploy/task-definition.json',
    'container-name': 'web',
    'promote-environment': 'production-reroute',
    'promote-role-to-assume': '${{ vars.PROD_PROMOTE_ROLE_ARN }}',
    ...extra,
  };
}

const operate = (inputs: Record<string, string>) => ({ name: 'workflow_dispatch' as const, inputs });

describe.each(['codedeploy', 'ecs'] as const)('%s: production held for the second approval', (engine) => {
  it(
    'the tests pass but the second approval is withheld: production traffic does not move; operate.yml promotes it later',
    async () => {
      world = await pipelineWorld(engine);
      const w = world;
      // no test-listener-url input: the test job takes the deploy action's test-listener-url output
      w.files['.github/workflows/prod.yml'] = prodCaller(
        prodInputs(w, { 'test-command': `'${PASSING_TEST_OUTPUT_URL}'` }),
      );
      const r = await w.run(
        '.github/workflows/prod.yml',
        { name: 'workflow_dispatch' },
        { production: 'approve' },
      );
      expectRun(r, {
        'production/plan': 'success',
        'production/deploy/deploy': 'success',
        'production/test': 'success',
        'production/promote': 'waiting',
        'production/rollback': 'skipped',
      });
      expect(r.status).toBe('waiting');
      expect(r.job('production/promote').approval).toBe('withheld');
      const deploy = r.job('production/deploy/deploy').outputs;
      const id = deploy['deployment-id'] as string;
      expect(id).toMatch(ID[engine]);
      expect(deploy['deployment-state']).toBe('held');
      const held = await endState(w, w.prod, id);
      expect(held.status).toBe(HELD[engine]);
      // (an ECS service names its new task definition as soon as UpdateService is called: the weights tell)
      if (engine === 'codedeploy') expect(held.running).toBe(w.prodBefore);
      else expect(held).toMatchObject({ stage: 'POST_TEST_TRAFFIC_SHIFT', productionWeight: 0 });
      expect(w.emulator.calls.map((c) => c.action)).not.toContain(CONTINUE[engine]);

      // Later, by hand: the operate template, in production-reroute (the promote role)
      w.files['.github/workflows/operate.yml'] = template('ecs-blue-green-operate.yml');
      const o = await w.run(
        '.github/workflows/operate.yml',
        operate({
          operation: 'promote',
          environment: 'production-reroute',
          'deployment-id': id,
          service: 'web',
        }),
        { 'production-reroute': 'approve' },
      );
      expectRun(o, { 'operate/operate': 'success', operate: 'success' });
      // operate.yml follows to traffic-shifted by default: production is on the new revision, the
      // termination wait (CodeDeploy) or the bake (ECS) goes on without the job
      expect(o.job('operate').outputs).toMatchObject({
        'deployment-id': id,
        'deployment-state': 'in-progress',
      });
      const shifted = await endState(w, w.prod, id);
      if (engine === 'codedeploy') expect(shifted.running).toBe(deploy['task-definition-arn']);
      else expect(shifted.productionWeight).toBe(100);
      expect(callersOf(w, CONTINUE[engine])).toEqual(['github-promote-web-production']);
      expect(await eventually(async () => (await endState(w, w.prod, id)).status)).toBe(SUCCEEDED[engine]);
    },
    LONG,
  );

  it(
    'the tests fail: the rollback job stops the held deployment; production never moved; the run fails',
    async () => {
      world = await pipelineWorld(engine);
      const w = world;
      w.files['.github/workflows/prod.yml'] = prodCaller(
        prodInputs(w, { 'test-command': `'${FAILING_TEST}'`, 'test-listener-url': TEST_URL }),
      );
      const r = await w.run(
        '.github/workflows/prod.yml',
        { name: 'workflow_dispatch' },
        {
          production: 'approve',
          'production-reroute': 'approve',
        },
      );
      expectRun(r, {
        'production/plan': 'success',
        'production/deploy/deploy': 'success',
        'production/test': 'failure',
        'production/promote': 'skipped',
        'production/rollback': 'success',
        production: 'failure',
      });
      expect(r.conclusion).toBe('failure');
      const out = r.job('production').outputs;
      expect(out['deployment-id']).toMatch(ID[engine]);
      expect(out['deployment-state']).toBe('rolled-back');
      const end = await endState(w, w.prod, out['deployment-id'] as string);
      expect(end.status).toBe(engine === 'codedeploy' ? 'Stopped' : 'ROLLBACK_SUCCESSFUL');
      expect(end.running).toBe(w.prodBefore);
      if (engine === 'ecs') expect(end.productionWeight).toBe(0);
      expect(w.emulator.calls.map((c) => c.action)).not.toContain(CONTINUE[engine]);
      expect(callersOf(w, engine === 'codedeploy' ? 'StopDeployment' : 'StopServiceDeployment')).toEqual([
        'github-promote-web-production',
      ]);
    },
    LONG,
  );

  it(
    'operate.yml rolls back a held deployment in production (the deploy role, the production approval)',
    async () => {
      world = await pipelineWorld(engine);
      const w = world;
      w.files['.github/workflows/prod.yml'] = prodCaller(prodInputs(w));
      const r = await w.run(
        '.github/workflows/prod.yml',
        { name: 'workflow_dispatch' },
        { production: 'approve' },
      );
      expectRun(r, {
        'production/deploy/deploy': 'success',
        'production/test': 'skipped',
        'production/promote': 'waiting',
      });
      const id = r.job('production/deploy/deploy').outputs['deployment-id'] as string;

      w.files['.github/workflows/operate.yml'] = template('ecs-blue-green-operate.yml');
      const o = await w.run(
        '.github/workflows/operate.yml',
        operate({ operation: 'rollback', environment: 'production', 'deployment-id': id, service: 'web' }),
        { production: 'approve' },
      );
      expectRun(o, { 'operate/operate': 'success' });
      expect(o.job('operate/operate')).toMatchObject({ environment: 'production', approval: 'approved' });
      expect(o.job('operate').outputs).toMatchObject({
        'deployment-id': id,
        'deployment-state': 'rolled-back',
      });
      const end = await endState(w, w.prod, id);
      expect(end.status).toBe(engine === 'codedeploy' ? 'Stopped' : 'ROLLBACK_SUCCESSFUL');
      expect(end.running).toBe(w.prodBefore);
    },
    LONG,
  );
});

describe('production refusals', () => {
  it(
    'the production approval is rejected: the deploy job fails without running, the jobs after it are skipped, nothing changes',
    async () => {
      world = await pipelineWorld('ecs');
      const w = world;
      w.files['.github/workflows/prod.yml'] = prodCaller(
        prodInputs(w, { 'test-command': `'${PASSING_TEST}'`, 'test-listener-url': TEST_URL }),
      );
      const r = await w.run(
        '.github/workflows/prod.yml',
        { name: 'workflow_dispatch' },
        {
          production: 'reject',
          'production-reroute': 'approve',
        },
      );
      expectRun(r, {
        'production/plan': 'success',
        'production/deploy/deploy': 'failure',
        'production/deploy': 'failure',
        'production/test': 'skipped',
        'production/promote': 'skipped',
        'production/rollback': 'skipped',
        production: 'failure',
      });
      expect(r.job('production/deploy/deploy').approval).toBe('rejected');
      expect(r.job('production/deploy/deploy').steps).toEqual([]);
      expect(r.conclusion).toBe('failure');
      expect(r.job('production').outputs['deployment-id']).toBe('');
      const actions = w.emulator.calls.map((c) => c.action);
      for (const a of ['RegisterTaskDefinition', 'UpdateService', 'CreateDeployment'])
        expect(actions).not.toContain(a);
    },
    LONG,
  );

  it(
    'test-command without promote-environment is refused by the plan job, before anything is deployed',
    async () => {
      world = await pipelineWorld('codedeploy');
      const w = world;
      w.files['.github/workflows/prod.yml'] = prodCaller(
        prodInputs(w, {
          'test-command': `'${PASSING_TEST}'`,
          'promote-environment': "''",
          'promote-role-to-assume': "''",
        }),
      );
      const r = await w.run(
        '.github/workflows/prod.yml',
        { name: 'workflow_dispatch' },
        { production: 'approve' },
      );
      expectRun(r, {
        'production/plan': 'failure',
        'production/deploy': 'skipped',
        'production/promote': 'skipped',
      });
      expect(r.errors.join('\n')).toMatch(/test-command needs promote-environment/);
      expect(w.emulator.calls).toEqual([]);
    },
    LONG,
  );

  it(
    'a second approval asked for a group that does not hold: the deploy step refuses wait-until ready before any change',
    async () => {
      world = await pipelineWorld('codedeploy', {
        prodHolds: false,
        prodConfig: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      });
      const w = world;
      w.files['.github/workflows/prod.yml'] = prodCaller(prodInputs(w));
      const r = await w.run(
        '.github/workflows/prod.yml',
        { name: 'workflow_dispatch' },
        {
          production: 'approve',
          'production-reroute': 'approve',
        },
      );
      expectRun(r, {
        'production/deploy/deploy': 'failure',
        'production/promote': 'skipped',
        'production/rollback': 'skipped',
      });
      expect(r.errors.join('\n')).toMatch(
        /does not hold the replacement task set for validation, so 'wait-until: ready' would not find it held/,
      );
      const steps = r.job('production/deploy/deploy').steps;
      // nothing moved, so there is nothing for the workflow's own check to roll back
      expect(steps.find((s) => s.name === 'Roll back the deployment that was not held')?.outcome).not.toBe(
        'success',
      );
      expect(w.emulator.calls.map((c) => c.action)).not.toContain('CreateDeployment');
      const { ecs } = clients(w);
      const prod = (
        await ecs.send(new DescribeServicesCommand({ cluster: w.prod.cluster, services: [w.prod.service] }))
      ).services?.[0];
      expect(prod?.taskSets?.find((t) => t.status === 'PRIMARY')?.taskDefinition).toBe(w.prodBefore);
    },
    LONG,
  );
});
