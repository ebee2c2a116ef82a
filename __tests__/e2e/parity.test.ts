/**
 * Same input, same answer (issue #14): one table of scenarios run on both engines — a service with the
 * CODE_DEPLOY controller (CodeDeploy blue/green, a group holding the replacement in Ready) and one with the
 * ECS controller (ECS blue/green with a pause hook at POST_TEST_TRAFFIC_SHIFT) — asserting the same verdict
 * (the summary heading's icon and sentence), exit code, outputs and deployment-state. Only what the
 * engines name differently (status names, ids) is allowed to differ, and each row says which.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { taskDefinitionFile } from '../../emulator/scenario.js';
import type { ActionRunOptions, ActionRunResult } from '../../scripts/action-runner.js';
import { DescribeServiceDeploymentsCommand } from '@aws-sdk/client-ecs';
import { inspect, SECRET_ENV_VALUE, startWorld, type World, type JobName } from './harness.js';

const LONG = 150_000;

let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

/** One engine's world: the deploy, promote and rollback bundles on one service. */
interface EngineWorld {
  world: World;
  engine: 'codedeploy' | 'ecs';
  deploy(inputs?: Record<string, string | undefined>, options?: ActionRunOptions): Promise<ActionRunResult>;
  /** the promote or rollback bundle, as the job of the workflows that runs it (harness JOBS) */
  steer(
    verb: 'promote' | 'rollback',
    inputs: Record<string, string | undefined>,
    job?: JobName,
  ): Promise<ActionRunResult>;
  /** the deployment's status as the engine reports it now */
  statusOf(id: string): Promise<string | undefined>;
  /** the service inputs of the rollback action's redeploy */
  service: Record<string, string>;
  /** the status names that mean the same on this engine */
  names: { succeeded: string; held: string; rolledBack: RegExp };
}

interface Options {
  failHook?: boolean;
  /** the new tasks never become healthy */
  stuck?: boolean;
  /** minutes CodeDeploy's termination wait or ECS's bake time lasts */
  bake?: number;
}

async function codeDeployWorld(options: Options = {}): Promise<EngineWorld> {
  world = await startWorld({
    service: {
      readyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 60 },
      deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce',
      autoRollback: true,
      terminationWaitMinutes: options.bake ?? 1,
    },
    hooks: options.failHook ? { AfterAllowTestTraffic: 'smoke' } : undefined,
  });
  const w = world;
  if (options.failHook)
    w.emulator.faults.set({ failHook: { event: 'AfterAllowTestTraffic', message: 'smoke test failed' } });
  if (options.stuck) w.emulator.faults.set({ stuckInstall: { cause: 'container-exits', cycleSeconds: 60 } });
  const aws = { 'aws-region': w.emulator.region, 'role-to-assume': w.roleArn };
  return {
    world: w,
    engine: 'codedeploy',
    deploy: (inputs, runOptions) => w.deploy(inputs, runOptions),
    steer: (verb, inputs, job) => w.run(`dist/${verb}/index.js`, { ...aws, ...inputs }, job ? { job } : {}),
    statusOf: async (id) => (await inspect(w).deployment(id)).status,
    service: { cluster: w.seeded.cluster, service: w.seeded.service },
    names: { succeeded: 'Succeeded', held: 'Ready', rolledBack: /^Stopped$|^Failed$/ },
  };
}

async function ecsWorld(options: Options = {}): Promise<EngineWorld> {
  world = await startWorld();
  const w = world;
  const s = w.emulator.seed.ecsNativeService({
    strategy: 'BLUE_GREEN',
    bakeTimeInMinutes: options.bake ?? 1,
    lifecycleHooks: [
      options.failHook
        ? {
            hookTargetArn: 'arn:aws:lambda:us-east-1:111111111111:function:smoke',
            lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
          }
        : {
            targetType: 'PAUSE',
            lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
            timeoutConfiguration: { timeoutInMinutes: 60, action: 'ROLLBACK' },
          },
    ],
    ...(options.failHook ? { hookOutcomes: { POST_TEST_TRAFFIC_SHIFT: { fail: 'smoke test failed' } } } : {}),
    ...(options.stuck ? { failTasks: { exitCode: 1, reason: 'connection refused' } } : {}),
  });
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
  const aws = { 'aws-region': w.emulator.region, 'role-to-assume': w.roleArn };
  return {
    world: w,
    engine: 'ecs',
    deploy: (inputs = {}, runOptions = {}) =>
      w.deploy(
        {
          'codedeploy-appspec': undefined,
          cluster: s.cluster,
          service: s.service,
          'container-name': s.containerName,
          'task-definition': 'native-task-definition.json',
          ...inputs,
        },
        { ...runOptions, files: { 'native-task-definition.json': file, ...runOptions.files } },
      ),
    steer: (verb, inputs, job) => w.run(`dist/${verb}/index.js`, { ...aws, ...inputs }, job ? { job } : {}),
    statusOf: async (id) =>
      (await inspect(w).ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [id] })))
        .serviceDeployments?.[0]?.status,
    service: { cluster: s.cluster, service: s.service },
    names: { succeeded: 'SUCCESSFUL', held: 'IN_PROGRESS', rolledBack: /^ROLLBACK_SUCCESSFUL$/ },
  };
}

const ENGINES = [
  ['codedeploy', codeDeployWorld],
  ['ecs', ecsWorld],
] as const;

/** The summary's heading: its icon and the words before the service. */
function heading(result: ActionRunResult): string {
  return (result.summary.split('\n')[0] ?? '').replace(/ (ECS \S+ )?(deployment|Rollback) of .*$/, '');
}

/** The verdict sentence (bold, second paragraph of the summary), with the engine's id made generic. */
function verdict(result: ActionRunResult, id: string | undefined): string {
  const line = (result.summary.split('\n').find((l) => l.startsWith('**')) ?? '').replace(/\\/g, '');
  return (id ? line.split(id).join('<id>') : line).replace(
    /^\*\*(Service deployment|Deployment) /,
    '**<deployment> ',
  );
}

function expectIdOutputs(e: EngineWorld, result: ActionRunResult): string {
  const id = result.outputs['deployment-id'] as string;
  expect(id).toMatch(e.engine === 'codedeploy' ? /^d-/ : /:service-deployment\//);
  if (e.engine === 'codedeploy') expect(result.outputs['codedeploy-deployment-id']).toBe(id);
  else expect(result.outputs['codedeploy-deployment-id']).toBeUndefined();
  return id;
}

describe.each(ENGINES)('same input, same answer: %s', (engine, start) => {
  it(
    'deploy to succeeded through the test gate: ✅, exit 0, deployment-state succeeded, every output',
    async () => {
      const e = await start();
      const result = await e.deploy({ 'wait-until': 'succeeded', 'test-command': 'true' });
      expect(result.exitCode).toBe(0);
      const id = expectIdOutputs(e, result);
      expect(result.outputs['task-definition-arn']).toMatch(/:task-definition\/web(-blue-green)?:2$/);
      expect(result.outputs['deployment-status']).toBe(e.names.succeeded);
      expect(result.outputs['deployment-state']).toBe('succeeded');
      expect(heading(result)).toBe('## ✅');
      expect(verdict(result, id)).toBe('**<deployment> <id> succeeded.**');
      expect(await e.statusOf(id)).toBe(e.names.succeeded);
    },
    LONG,
  );

  it(
    'deploy to ready: held for a promote, ✅ reached, exit 0, deployment-state held',
    async () => {
      const e = await start();
      const result = await e.deploy({ 'wait-until': 'ready' });
      expect(result.exitCode).toBe(0);
      const id = expectIdOutputs(e, result);
      expect(result.outputs['deployment-status']).toBe(e.names.held);
      expect(result.outputs['deployment-state']).toBe('held');
      expect(heading(result)).toBe('## ✅');
      expect(verdict(result, id)).toMatch(
        /^\*\*<deployment> <id> reached ready: it waits in .*\. Promote it \(the promote action\) or roll it back\.\*\*$/,
      );
    },
    LONG,
  );

  it(
    'wait-until none: started and not followed, 🚀, exit 0, the phase done for the post step',
    async () => {
      const e = await start();
      const result = await e.deploy({ 'wait-until': 'none' });
      expect(result.exitCode).toBe(0);
      const id = expectIdOutputs(e, result);
      expect(['pending', 'in-progress']).toContain(result.outputs['deployment-state']);
      expect(heading(result)).toBe('## 🚀');
      expect(verdict(result, id)).toBe('**<deployment> <id> started; not followed (wait-until: none).**');
      expect(result.state.phase).toBe('done');
    },
    LONG,
  );

  it(
    'a hook that fails: ❌, exit 1, rolled back, deployment-state rolled-back',
    async () => {
      const e = await start({ failHook: true });
      const result = await e.deploy({ 'wait-until': 'succeeded' });
      expect(result.exitCode).toBe(1);
      const id = expectIdOutputs(e, result);
      expect(result.outputs['deployment-state']).toBe('rolled-back');
      expect(heading(result)).toBe('## ❌');
      expect(verdict(result, id)).toMatch(/^\*\*<deployment> <id> failed in [A-Za-z_]+\.\*\*$/);
      expect(result.summary).toContain('smoke test failed');
      expect(result.state.phase).toBe('done');
    },
    LONG,
  );

  it(
    'cancel while following: 🛑, rollback-on-cancel stops it, nothing left for the post step',
    async () => {
      const e = await start({ bake: 30 });
      const result = await e.deploy(
        { 'wait-until': 'succeeded', 'test-command': 'true' },
        {
          cancelWhen: e.engine === 'codedeploy' ? /Production traffic is on the replacement/ : /▶ BAKE_TIME/,
        },
      );
      expect(result.exitCode).not.toBe(0);
      const id = result.outputs['deployment-id'] as string;
      expect(heading(result)).toBe('## 🛑');
      expect(verdict(result, id)).toMatch(/^\*\*The run was cancelled while following <id> \(.*\)\.\*\*$/);
      expect(result.stdout).toContain(`Stopped ${id} with rollback (rollback-on-cancel)`);
      expect(['stopped', 'rolling-back', 'rolled-back']).toContain(result.outputs['deployment-state']);
      expect(result.state.phase).toBe('done');
    },
    LONG,
  );

  it(
    'timeout: ⏱️, exit 1, the budget explained, rollback-on-failure stops it',
    async () => {
      const e = await start({ stuck: true });
      const result = await e.deploy({
        'wait-until': 'succeeded',
        'test-command': 'true',
        'wait-for-minutes': '1',
      });
      expect(result.exitCode).toBe(1);
      const id = result.outputs['deployment-id'] as string;
      expect(heading(result)).toBe('## ⏱️');
      expect(verdict(result, id)).toMatch(
        /^\*\*Timed out waiting for the hold where test-command runs: .*\*\*$/,
      );
      expect(result.stdout).toContain(
        `Stopped ${id} with rollback because the wait timed out (rollback-on-failure)`,
      );
    },
    LONG,
  );

  it(
    'promote a held deployment: ✅ succeeded, the same outputs on both engines',
    async () => {
      const e = await start();
      const deployed = await e.deploy({ 'wait-until': 'ready' });
      const id = deployed.outputs['deployment-id'] as string;
      const promoted = await e.steer('promote', { 'deployment-id': id, 'wait-until': 'succeeded' });
      expect(promoted.exitCode).toBe(0);
      expect(expectIdOutputs(e, promoted)).toBe(id);
      expect(promoted.outputs['deployment-status']).toBe(e.names.succeeded);
      expect(promoted.outputs['deployment-state']).toBe('succeeded');
      expect(heading(promoted)).toBe('## ✅');
      expect(verdict(promoted, id)).toBe('**<deployment> <id> succeeded.**');
    },
    LONG,
  );

  it(
    'promote with wait-until none: continued and not followed, 🚀, exit 0',
    async () => {
      const e = await start();
      const deployed = await e.deploy({ 'wait-until': 'ready' });
      const id = deployed.outputs['deployment-id'] as string;
      const promoted = await e.steer('promote', { 'deployment-id': id, 'wait-until': 'none' });
      expect(promoted.exitCode).toBe(0);
      expect(heading(promoted)).toBe('## 🚀');
      expect(verdict(promoted, id)).toBe(
        '**<deployment> <id> was continued; not followed (wait-until: none).**',
      );
    },
    LONG,
  );

  it(
    'rollback of a deployment in flight: stopped and followed back, exit 0, deployment-state rolled-back',
    async () => {
      const e = await start();
      const deployed = await e.deploy({ 'wait-until': 'ready' });
      const id = deployed.outputs['deployment-id'] as string;
      const rolled = await e.steer('rollback', { 'deployment-id': id, 'wait-until': 'succeeded' });
      expect(rolled.exitCode).toBe(0);
      expect(rolled.outputs['deployment-id']).toBe(id);
      expect(rolled.outputs['deployment-state']).toBe('rolled-back');
      expect(rolled.outputs['deployment-status']).toMatch(e.names.rolledBack);
      expect(heading(rolled)).toBe('## ✅');
      expect(verdict(rolled, id)).toMatch(
        /^\*\*<deployment> <id> rolled back \(.*\): the service runs its previous revision\.\*\*$/,
      );
    },
    LONG,
  );

  it(
    'rollback of a finished deployment: the previous revision redeployed, held for a promote like any deployment of the service',
    async () => {
      const e = await start({ bake: 0 });
      const deployed = await e.deploy({ 'wait-until': 'succeeded', 'test-command': 'true' });
      expect(deployed.exitCode).toBe(0);
      // operate.yml in production: redeploying is a new deployment, which only the deploy role may start
      const rolled = await e.steer('rollback', { ...e.service, 'wait-until': 'ready' }, 'operateProd');
      expect(rolled.exitCode).toBe(0);
      expect(rolled.outputs['task-definition-arn']).toMatch(/:task-definition\/web(-blue-green)?:1$/);
      const id = expectIdOutputs(e, rolled);
      expect(id).not.toBe(deployed.outputs['deployment-id']);
      expect(rolled.outputs['deployment-state']).toBe('held');
      expect(heading(rolled)).toBe('## ✅');
      expect(verdict(rolled, id)).toMatch(/^\*\*<deployment> <id> reached ready: it waits in /);
    },
    LONG,
  );
});
