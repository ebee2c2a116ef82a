/**
 * Every path of the action under the role the reusable workflows give its job (harness JOBS), with the
 * emulator enforcing the policies of infra/github-oidc-roles.yml through IAM's own evaluation and the
 * Service Authorization Reference as data (emulator/iam.ts). Each path runs once, in order, and the last
 * test compares, per role, what the paths used with what the template grants: nothing used is denied,
 * and nothing granted is unused unless the template says why (`# unused: <action>: <reason>`).
 *
 * The build role is not here: its job (build.yml) talks to ECR and a Docker registry, which the emulator
 * does not have; __tests__/unit/workflows/iam-grants.test.ts checks it against the SAR instead.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { IamDecision, RoleKey } from '../../emulator/index.js';
import type { NativeServiceOptions } from '../../emulator/ecs-native/index.js';
import {
  grantedActions,
  OIDC_ROLES_TEMPLATE,
  renderTemplateRoles,
  ROLE_RESOURCES,
  unusedByDesign,
} from '../../emulator/iam-template.js';
import { taskDefinitionFile } from '../../emulator/scenario.js';
import { SECRET_ENV_VALUE, stackParameters, startWorld, type JobName, type World } from './harness.js';
import type { ActionRunResult } from '../../scripts/action-runner.js';

const LONG = 120_000;
const HOLD = { actionOnTimeout: 'STOP_DEPLOYMENT' as const, waitTimeInMinutes: 60 };
const ALL_AT_ONCE = 'CodeDeployDefault.ECSAllAtOnce';
const PAUSE: NativeServiceOptions = {
  strategy: 'BLUE_GREEN',
  lifecycleHooks: [
    {
      targetType: 'PAUSE',
      lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
      timeoutConfiguration: { timeoutInMinutes: 60, action: 'ROLLBACK' },
    },
  ],
};

/** Every IAM decision of every path, with the role key of the role that made the call. */
const decisions: (IamDecision & { key: RoleKey; path: string })[] = [];

let world: World | undefined;
let path = '';
afterEach(async () => {
  if (world) {
    const byName = new Map(Object.entries(world.roles).map(([key, arn]) => [arn.split('/').pop(), key]));
    for (const d of world.emulator.iam.decisions())
      decisions.push({ ...d, key: byName.get(d.role) as RoleKey, path });
    await world.stop();
  }
  world = undefined;
});

async function codeDeployWorld(name: string, service: Parameters<typeof startWorld>[0] = {}): Promise<World> {
  path = name;
  world = await startWorld(service);
  return world;
}

/** A world whose roles are scoped to an ECS-native service, and a deploy of it. */
async function nativeWorld(name: string, o: NativeServiceOptions) {
  path = name;
  const w = (world = await startWorld());
  const s = w.emulator.seed.ecsNativeService({ bakeTimeInMinutes: 1, ...o });
  w.useService(s);
  const file = JSON.stringify(
    taskDefinitionFile({
      family: s.family,
      containerName: s.containerName,
      containerPort: s.containerPort,
      accountId: w.emulator.accountId,
      secretValue: SECRET_ENV_VALUE,
    }),
  );
  const where = { cluster: s.cluster, service: s.service };
  const deploy = (inputs: Record<string, string>, job: JobName) =>
    w.deploy(
      {
        'codedeploy-appspec': undefined,
        ...where,
        'container-name': s.containerName,
        'task-definition': 'native.json',
        ...inputs,
      },
      { job, files: { 'native.json': file } },
    );
  const steer = (entry: 'promote' | 'rollback' | 'plan', inputs: Record<string, string>, job?: JobName) =>
    w.run(
      `dist/${entry}/index.js`,
      { 'aws-region': w.emulator.region, ...inputs },
      { ...(job ? { job } : {}), files: { 'native.json': file } },
    );
  return { w, s, where, deploy, steer };
}

function ok(result: ActionRunResult): ActionRunResult {
  if (result.exitCode !== 0) console.log(result.stdout);
  expect(result.exitCode).toBe(0);
  return result;
}

const withTags = (w: World): string => {
  const td = JSON.parse(w.files['task-definition.json'] as string) as Record<string, unknown>;
  return JSON.stringify({ ...td, tags: [{ key: 'team', value: 'web' }] });
};

describe('CodeDeploy paths, each under its job role', () => {
  it(
    'dev deploy (deploy-dev.yml): register with tags, deploy, follow to the end',
    async () => {
      const w = await codeDeployWorld('dev deploy', {
        service: { deploymentConfig: ALL_AT_ONCE, terminationWaitMinutes: 0 },
      });
      ok(
        await w.deploy(
          { 'wait-until': 'succeeded' },
          { job: 'dev', files: { 'task-definition.json': withTags(w) } },
        ),
      );
    },
    LONG,
  );

  it(
    'dev deploy with run-task (tagged, waited for) and desired-count: RunTask on the new revision, then UpdateService and CreateDeployment',
    async () => {
      const w = await codeDeployWorld('dev deploy + run-task', {
        service: { deploymentConfig: ALL_AT_ONCE, terminationWaitMinutes: 0 },
      });
      ok(
        await w.deploy(
          {
            'wait-until': 'succeeded',
            'run-task': 'true',
            'wait-for-task-stopped': 'true',
            'run-task-subnets': 'subnet-0a1b2c3d',
            'run-task-tags': JSON.stringify([{ key: 'purpose', value: 'migration' }]),
            'desired-count': '2',
          },
          { job: 'dev' },
        ),
      );
    },
    LONG,
  );

  it(
    'prod deploy (deploy-prod.yml) of a registered revision, through the test gate',
    async () => {
      const w = await codeDeployWorld('prod deploy by ARN + gate', {
        service: { readyOption: HOLD, deploymentConfig: ALL_AT_ONCE, terminationWaitMinutes: 0 },
      });
      ok(
        await w.deploy(
          {
            'task-definition': undefined,
            'task-definition-arn': w.seeded.taskDefinitionArn,
            image: undefined,
            'wait-until': 'succeeded',
            'test-command': 'test -n "$TEST_LISTENER_URL"',
          },
          { job: 'prod' },
        ),
      );
    },
    LONG,
  );

  it(
    'prod deploy held in Ready, then the promote job reroutes (deploy-prod.yml with promote-environment)',
    async () => {
      const w = await codeDeployWorld('prod deploy + promote', {
        service: { readyOption: HOLD, deploymentConfig: ALL_AT_ONCE, terminationWaitMinutes: 0 },
      });
      const deployed = ok(await w.deploy({ 'wait-until': 'ready' }, { job: 'prod' }));
      const id = deployed.outputs['codedeploy-deployment-id'] as string;
      ok(
        await w.run('dist/promote/index.js', {
          'aws-region': w.emulator.region,
          'deployment-id': id,
          'wait-until': 'succeeded',
        }),
      );
    },
    LONG,
  );

  it(
    'prod deploy whose gate fails: stopped with rollback, the rollback followed',
    async () => {
      const w = await codeDeployWorld('prod deploy, gate fails', {
        service: { readyOption: HOLD, deploymentConfig: ALL_AT_ONCE },
      });
      const result = await w.deploy({ 'wait-until': 'succeeded', 'test-command': 'exit 3' }, { job: 'prod' });
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toMatch(/exit code 3|exited with 3/);
    },
    LONG,
  );

  it(
    'a stuck Install: the diagnostics read the cluster tasks',
    async () => {
      const w = await codeDeployWorld('stuck install', { service: { autoRollback: true } });
      w.emulator.faults.set({
        stuckInstall: { cycleSeconds: 60, cause: 'container-exits', timeoutMinutes: 5 },
      });
      const result = await w.deploy({ 'wait-until': 'succeeded' }, { job: 'prod' });
      expect(result.exitCode).toBe(1);
      expect(result.stdout).toContain('Stopped task:');
    },
    LONG,
  );

  it(
    'operate.yml in production-reroute: roll back the deployment in flight of the service (promote role)',
    async () => {
      const w = await codeDeployWorld('rollback in flight', {
        service: { readyOption: HOLD, deploymentConfig: ALL_AT_ONCE },
      });
      ok(await w.deploy({ 'wait-until': 'ready' }, { job: 'prod' }));
      ok(
        await w.run('dist/rollback/index.js', {
          'aws-region': w.emulator.region,
          cluster: w.seeded.cluster,
          service: w.seeded.service,
          'wait-until': 'succeeded',
        }),
      );
    },
    LONG,
  );

  it(
    'operate.yml in production: nothing in flight, redeploy the previous revision and deregister (deploy role)',
    async () => {
      const w = await codeDeployWorld('rollback redeploy', {
        service: { deploymentConfig: ALL_AT_ONCE, terminationWaitMinutes: 0 },
      });
      ok(await w.deploy({ 'wait-until': 'succeeded' }, { job: 'prod' }));
      const rolled = ok(
        await w.run(
          'dist/rollback/index.js',
          {
            'aws-region': w.emulator.region,
            cluster: w.seeded.cluster,
            service: w.seeded.service,
            'wait-until': 'succeeded',
            'deregister-rolled-back-revision': 'true',
          },
          { job: 'operateProd' },
        ),
      );
      expect(rolled.outputs['deregistered-task-definition-arn']).toMatch(/:task-definition\/web:2$/);
    },
    LONG,
  );

  it(
    "operate.yml in production: CodeDeploy no longer has the earlier AppSpec, so the family's previous revision",
    async () => {
      const w = await codeDeployWorld('rollback redeploy, family', {
        service: { deploymentConfig: ALL_AT_ONCE, terminationWaitMinutes: 0 },
      });
      ok(await w.deploy({ 'wait-until': 'succeeded' }, { job: 'prod' }));
      // as for a service deployed by other means before: no stored AppSpec to read the earlier revision from
      w.emulator.state.revisions.clear();
      const rolled = ok(
        await w.run(
          'dist/rollback/index.js',
          { 'aws-region': w.emulator.region, cluster: w.seeded.cluster, service: w.seeded.service },
          { job: 'operateProd' },
        ),
      );
      expect(rolled.outputs['task-definition-arn']).toMatch(/:task-definition\/web:1$/);
    },
    LONG,
  );

  it(
    'the plan job (deploy-prod.yml) with a deployment in flight, and check-migration',
    async () => {
      const w = await codeDeployWorld('plan, CodeDeploy', {
        service: { readyOption: HOLD, deploymentConfig: ALL_AT_ONCE },
      });
      ok(await w.deploy({ 'wait-until': 'ready' }, { job: 'prod' }));
      ok(await w.run('dist/plan/index.js', { ...w.baseInputs }));
      ok(await w.run('dist/plan/index.js', { ...w.baseInputs, 'check-migration': 'true' }));
    },
    LONG,
  );
});

describe('ECS-native paths, each under its job role', () => {
  it(
    'dev deploy with the test gate in the pause hook: continued',
    async () => {
      const n = await nativeWorld('native dev deploy + gate', PAUSE);
      ok(
        await n.deploy({ 'wait-until': 'succeeded', 'test-command': 'test -n "$TEST_LISTENER_URL"' }, 'dev'),
      );
    },
    LONG,
  );

  it(
    'prod deploy whose gate fails: StopServiceDeployment, the rollback followed',
    async () => {
      const n = await nativeWorld('native prod deploy, gate fails', PAUSE);
      const result = await n.deploy({ 'wait-until': 'succeeded', 'test-command': 'exit 3' }, 'prod');
      expect(result.exitCode).toBe(1);
    },
    LONG,
  );

  it(
    'prod deploy held in its pause hook, the plan job sees it, the promote job continues it by service',
    async () => {
      const n = await nativeWorld('native plan + promote', PAUSE);
      ok(await n.deploy({ 'wait-until': 'ready' }, 'prod'));
      ok(
        await n.steer('plan', {
          ...n.where,
          'task-definition': 'native.json',
          'container-name': n.s.containerName,
          image: n.w.image,
        }),
      );
      ok(await n.steer('promote', { ...n.where, 'wait-until': 'succeeded' }));
    },
    LONG,
  );

  it(
    'operate.yml in production-reroute: roll back the deployment in flight (promote role)',
    async () => {
      const n = await nativeWorld('native rollback in flight', PAUSE);
      const deployed = ok(await n.deploy({ 'wait-until': 'ready' }, 'prod'));
      ok(
        await n.steer('rollback', {
          'deployment-id': deployed.outputs['deployment-id'] as string,
          'wait-until': 'succeeded',
        }),
      );
    },
    LONG,
  );

  it(
    'operate.yml in production: redeploy the previous revision and deregister (deploy role)',
    async () => {
      const n = await nativeWorld('native rollback redeploy', { strategy: 'BLUE_GREEN' });
      ok(await n.deploy({ 'wait-until': 'succeeded' }, 'prod'));
      ok(
        await n.steer(
          'rollback',
          { ...n.where, 'wait-until': 'succeeded', 'deregister-rolled-back-revision': 'true' },
          'operateProd',
        ),
      );
    },
    LONG,
  );
});

describe('infra/github-oidc-roles.yml against what the paths used', () => {
  const text = readFileSync(OIDC_ROLES_TEMPLATE, 'utf8');
  const roles = renderTemplateRoles({
    accountId: '111111111111',
    region: 'us-east-1',
    parameters: stackParameters('111111111111', { cluster: 'c', service: 's', family: 'f' }),
  });
  /** The roles that share a policy are compared together: dev and prod attach DeployPolicy. */
  const GROUPS: { keys: RoleKey[]; resources: string[] }[] = [
    { keys: ['dev', 'prod'], resources: [ROLE_RESOURCES.dev, ROLE_RESOURCES.prod, 'DeployPolicy'] },
    { keys: ['prodPromote'], resources: [ROLE_RESOURCES.prodPromote] },
    { keys: ['prodPlan'], resources: [ROLE_RESOURCES.prodPlan] },
  ];

  it('every path ran under its role, and nothing any of them called was denied', () => {
    if (process.env.IAM_PATHS_DEBUG) {
      const byPath = new Map<string, Set<string>>();
      for (const d of decisions) {
        const k = `${d.path} [${d.key}]`;
        if (!byPath.has(k)) byPath.set(k, new Set());
        byPath.get(k)!.add(d.action);
      }
      console.log([...byPath].map(([k, v]) => `${k}: ${[...v].sort().join(' ')}`).join('\n'));
    }
    expect(decisions.length).toBeGreaterThan(100);
    expect(new Set(decisions.map((d) => d.key))).toEqual(new Set(['dev', 'prod', 'prodPromote', 'prodPlan']));
    expect(
      decisions.filter((d) => !d.allowed).map((d) => `${d.path}: ${d.role} ${d.action} on ${d.resource}`),
    ).toEqual([]);
  });

  it.each(GROUPS.map((g) => [g.keys.join(' and '), g] as const))(
    '%s: everything granted is used, or the template says why not',
    (_name, group) => {
      const granted = grantedActions(roles[group.keys[0] as RoleKey]!.policies);
      for (const k of group.keys) expect(grantedActions(roles[k]!.policies)).toEqual(granted);
      const used = new Set(decisions.filter((d) => group.keys.includes(d.key)).map((d) => d.action));
      const why = unusedByDesign(text, group.resources);
      const unused = granted.filter((a) => !used.has(a));
      expect(unused.filter((a) => !why.has(a))).toEqual([]);
      // a reason for an action the paths do use, or one the role is not granted, is stale
      expect([...why.keys()].filter((a) => used.has(a) || !granted.includes(a))).toEqual([]);
      expect([...used].filter((a) => !granted.includes(a))).toEqual([]);
    },
  );
});
