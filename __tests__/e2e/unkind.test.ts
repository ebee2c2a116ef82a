/**
 * When AWS answers late or not at all (issue #9, parts 1–4), end to end on the bundles against the
 * emulator's switches (emulator/unkind.ts; docs/aws-behaviours.md): lost answers to steering calls,
 * rollbacks named late, failures first seen after the fact, and the test-traffic gate on real timing.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { annotations, appSpecYaml, inspect, startWorld, type World } from './harness.js';

const LONG = 120_000;
const HOLD = { actionOnTimeout: 'STOP_DEPLOYMENT' as const, waitTimeInMinutes: 60 };
const ALL_AT_ONCE = 'CodeDeployDefault.ECSAllAtOnce';

let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

function awsInputs(w: World): Record<string, string> {
  return { 'aws-region': w.emulator.region, 'role-to-assume': w.roleArn };
}

function calls(w: World, action: string): number {
  return w.emulator.calls.filter((c) => c.action === action).length;
}

/** A world whose deployment waits in Ready (deployed with wait-until: ready); then the switches are set. */
async function heldInReady(faults: Parameters<World['emulator']['faults']['set']>[0]): Promise<string> {
  world = await startWorld({ service: { readyOption: HOLD, deploymentConfig: ALL_AT_ONCE } });
  const deployed = await world.deploy({ 'wait-until': 'ready' });
  world.emulator.faults.set(faults);
  return deployed.outputs['codedeploy-deployment-id'] as string;
}

/** Deploys without following, then waits (on the emulator's clock) until CodeDeploy shows it ended. */
async function deployAndLetItEnd(w: World): Promise<string> {
  const result = await w.deploy({ 'wait-until': 'none' });
  expect(result.exitCode).toBe(0);
  const id = result.outputs['codedeploy-deployment-id'] as string;
  for (let i = 0; i < 200; i++) {
    const status = (await inspect(w).deployment(id)).status;
    if (status === 'Failed' || status === 'Stopped' || status === 'Succeeded') return id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${id} did not end`);
}

describe('part 1: a steering call whose answer is lost', () => {
  it.each(['5xx', 'drop'] as const)(
    'ContinueDeployment after the gate passed (answer lost as %s): the retry is refused, the read-back shows traffic moving, the deploy succeeds',
    async (as) => {
      world = await startWorld({ service: { readyOption: HOLD, deploymentConfig: ALL_AT_ONCE } });
      world.emulator.faults.set({ loseAnswer: { ContinueDeployment: { times: 1, as } } });
      const result = await world.deploy({ 'wait-until': 'succeeded', 'test-command': 'true' });
      expect(result.exitCode).toBe(0);
      const id = result.outputs['codedeploy-deployment-id'] as string;
      expect((await inspect(world).deployment(id)).status).toBe('Succeeded');
      // the lost answer and at least one retry that met the changed state
      expect(calls(world, 'ContinueDeployment')).toBeGreaterThanOrEqual(2);
      expect(result.stdout).toContain('the continue took effect');
      expect(annotations(result.stdout)).toEqual([]);
    },
    LONG,
  );

  it(
    'promote: a lost ContinueDeployment answer does not fail the job while traffic moves',
    async () => {
      const id = await heldInReady({ loseAnswer: { ContinueDeployment: { times: 1, as: '5xx' } } });
      if (!world) throw new Error('no world');
      const promoted = await world.run('dist/promote/index.js', {
        ...awsInputs(world),
        'deployment-id': id,
        'wait-until': 'succeeded',
      });
      expect(promoted.exitCode).toBe(0);
      expect(promoted.outputs['deployment-status']).toBe('Succeeded');
      expect(promoted.stdout).toContain('the continue took effect');
    },
    LONG,
  );

  it(
    'rollback: a lost StopDeployment answer whose retry meets "already completed" is a stop, and its rollback is followed',
    async () => {
      const id = await heldInReady({ loseAnswer: { StopDeployment: { times: 1, as: '5xx' } } });
      if (!world) throw new Error('no world');
      const rolled = await world.run('dist/rollback/index.js', {
        ...awsInputs(world),
        'deployment-id': id,
        'wait-until': 'succeeded',
      });
      expect(rolled.exitCode).toBe(0);
      expect(calls(world, 'StopDeployment')).toBeGreaterThanOrEqual(2);
      expect(rolled.stdout).toContain('the stop took effect');
      const rollbackId = rolled.outputs['rollback-deployment-id'] as string;
      expect(rollbackId).toMatch(/^d-/);
      expect(rolled.outputs['rollback-status']).toBe('Succeeded');
      expect(await inspect(world).runningTaskDefinition()).toMatch(/:task-definition\/web:1$/);
    },
    LONG,
  );

  it(
    'a failing test-command whose StopDeployment answer is dropped: the rollback is still followed',
    async () => {
      world = await startWorld({ service: { readyOption: HOLD, deploymentConfig: ALL_AT_ONCE } });
      world.emulator.faults.set({ loseAnswer: { StopDeployment: { times: 1, as: 'drop' } } });
      const result = await world.deploy({ 'wait-until': 'succeeded', 'test-command': 'exit 3' });
      expect(result.exitCode).toBe(1);
      const id = result.outputs['codedeploy-deployment-id'] as string;
      const rollbackId = (await inspect(world).deployment(id)).rollbackInfo?.rollbackDeploymentId as string;
      expect(rollbackId).toMatch(/^d-/);
      expect(result.stdout).toContain(`Rollback ${rollbackId}: Succeeded`);
      expect(result.stdout).not.toContain('had already completed');
    },
    LONG,
  );
});

describe('part 2: a rollback named late (StopDeployment answers Pending)', () => {
  it(
    'rollback: waits past the old 30 s for the stop to land and follows the rollback',
    async () => {
      const id = await heldInReady({ stopPending: { delaySeconds: 75 } });
      if (!world) throw new Error('no world');
      const rolled = await world.run('dist/rollback/index.js', {
        ...awsInputs(world),
        'deployment-id': id,
        'wait-until': 'succeeded',
      });
      expect(rolled.exitCode).toBe(0);
      expect(rolled.stdout).not.toContain('had not moved');
      expect(rolled.outputs['deployment-status']).toBe('Stopped');
      expect(rolled.outputs['rollback-deployment-id']).toMatch(/^d-/);
      expect(rolled.outputs['rollback-status']).toBe('Succeeded');
    },
    LONG,
  );

  it(
    'a failing test-command: the rollback that appears 75 s after the stop is followed',
    async () => {
      world = await startWorld({ service: { readyOption: HOLD, deploymentConfig: ALL_AT_ONCE } });
      world.emulator.faults.set({ stopPending: { delaySeconds: 75 } });
      const result = await world.deploy({ 'wait-until': 'succeeded', 'test-command': 'exit 3' });
      expect(result.exitCode).toBe(1);
      const id = result.outputs['codedeploy-deployment-id'] as string;
      const rollbackId = (await inspect(world).deployment(id)).rollbackInfo?.rollbackDeploymentId as string;
      expect(rollbackId).toMatch(/^d-/);
      expect(result.stdout).toContain(`Rollback ${rollbackId}: Succeeded`);
      expect(result.outputs['deployment-status']).toBe('Stopped');
    },
    LONG,
  );
});

describe('part 3: a failure first seen after the fact', () => {
  const failFast = {
    failHook: { event: 'AfterInstall' as const, message: 'migration 42 failed', afterMs: 300 },
  };

  it(
    'promote of a deployment that already failed reports its failed event and diagnostics',
    async () => {
      world = await startWorld({ service: { readyOption: HOLD, deploymentConfig: ALL_AT_ONCE } });
      world.emulator.faults.set(failFast);
      const id = await deployAndLetItEnd(world);
      expect((await inspect(world).deployment(id)).status).toBe('Failed');
      const promoted = await world.run('dist/promote/index.js', { ...awsInputs(world), 'deployment-id': id });
      expect(promoted.exitCode).toBe(1);
      const errors = annotations(promoted.stdout).join('\n');
      expect(errors).toContain('Lifecycle event AfterInstall failed');
      expect(errors).toContain('migration 42 failed');
      expect(calls(world, 'ContinueDeployment')).toBe(0);
    },
    LONG,
  );

  it(
    'rollback given a deployment that already failed reports why it failed',
    async () => {
      world = await startWorld({ service: { deploymentConfig: ALL_AT_ONCE } });
      world.emulator.faults.set(failFast);
      const id = await deployAndLetItEnd(world);
      const rolled = await world.run('dist/rollback/index.js', { ...awsInputs(world), 'deployment-id': id });
      // nothing in flight and no service given: refused, but the failure is told first
      expect(rolled.exitCode).toBe(1);
      const warnings = annotations(rolled.stdout, 'warning').join('\n');
      expect(warnings).toContain('Lifecycle event AfterInstall failed');
      expect(warnings).toContain('migration 42 failed');
    },
    LONG,
  );

  it(
    'on-active-deployment wait: the deployment waited for failed; its failure is told as a warning and the job deploys',
    async () => {
      world = await startWorld({
        service: {
          deploymentConfig: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
          terminationWaitMinutes: 0,
        },
      });
      // the first deployment runs a hook that fails after the 5-minute canary; the second one's AppSpec has none
      world.emulator.seed.lambda('migrate', { fail: { message: 'migration 42 failed' } });
      const { containerName, containerPort } = world.seeded;
      const first = await world.deploy(
        { 'wait-until': 'none' },
        {
          files: {
            'appspec.yaml': appSpecYaml(containerName, containerPort, { AfterAllowTraffic: 'migrate' }),
          },
        },
      );
      const firstId = first.outputs['codedeploy-deployment-id'] as string;
      const result = await world.deploy({
        'wait-until': 'succeeded',
        'on-active-deployment': 'wait',
        image: `${world.image.split('@')[0]}:v2`,
      });
      expect(result.exitCode).toBe(0);
      expect((await inspect(world).deployment(firstId)).status).toBe('Failed');
      const warnings = annotations(result.stdout, 'warning').join('\n');
      expect(warnings).toContain(`CodeDeploy deployment ${firstId} Failed`);
      expect(warnings).toContain('migration 42 failed');
      expect(annotations(result.stdout)).toEqual([]);
    },
    LONG,
  );

  it(
    'deploy: a hook that fails within a second is reported with its diagnostics',
    async () => {
      world = await startWorld({ service: { deploymentConfig: ALL_AT_ONCE } });
      world.emulator.faults.set(failFast);
      const result = await world.deploy({ 'wait-until': 'succeeded' });
      expect(result.exitCode).toBe(1);
      const errors = annotations(result.stdout).join('\n');
      expect(errors).toContain('Lifecycle event AfterInstall failed');
      expect(errors).toContain('migration 42 failed');
    },
    LONG,
  );
});

describe('part 4: the test-traffic gate on real timing', () => {
  it(
    'a group without a test listener that lists 6 events: the gate runs and traffic is rerouted',
    async () => {
      world = await startWorld({
        service: { readyOption: HOLD, deploymentConfig: ALL_AT_ONCE, withTestListener: false },
      });
      world.emulator.faults.set({ omitTestTrafficEvents: true });
      const result = await world.deploy({
        'wait-until': 'succeeded',
        'test-command': 'echo "gate ran for $CODEDEPLOY_DEPLOYMENT_ID"',
      });
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain('gate ran for d-');
      expect(result.stdout).not.toMatch(/AllowTestTraffic/);
      expect(annotations(result.stdout)).toEqual([]);
    },
    LONG,
  );

  it(
    'warns when test-timeout-minutes is longer than what is left of the ready wait',
    async () => {
      world = await startWorld({
        service: {
          readyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 5 },
          deploymentConfig: ALL_AT_ONCE,
        },
      });
      const result = await world.deploy({
        'wait-until': 'succeeded',
        'test-command': 'true',
        'test-timeout-minutes': '30',
      });
      expect(result.exitCode).toBe(0);
      const warnings = annotations(result.stdout, 'warning').join('\n');
      expect(warnings).toMatch(
        /test-timeout-minutes is 30 but about [0-5] min of the 5-minute ready wait are left/,
      );
    },
    LONG,
  );

  it(
    'the ready wait expires while the tests run: a clear verdict, and the rollback followed',
    async () => {
      world = await startWorld({
        clockScale: 60,
        service: {
          readyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 1 },
          deploymentConfig: ALL_AT_ONCE,
        },
      });
      // 3 s of real time is 3 virtual minutes at scale 60: longer than the 1-minute ready wait
      const result = await world.deploy({ 'wait-until': 'succeeded', 'test-command': 'sleep 3' });
      expect(result.exitCode).toBe(1);
      const errors = annotations(result.stdout).join('\n');
      expect(errors).toContain('The ready wait expired while the tests ran; CodeDeploy stopped deployment');
      expect(errors).not.toMatch(/DeploymentAlreadyCompletedException: The deployment/);
      const id = result.outputs['codedeploy-deployment-id'] as string;
      const rollbackId = (await inspect(world).deployment(id)).rollbackInfo?.rollbackDeploymentId as string;
      expect(rollbackId).toMatch(/^d-/);
      expect(result.stdout).toContain(`Rollback ${rollbackId}: Succeeded`);
    },
    LONG,
  );

  it(
    'task sets without taskSetLabel are named Blue and Green by role, never by their ecs-svc id alone',
    async () => {
      world = await startWorld({
        service: {
          deploymentConfig: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
          terminationWaitMinutes: 0,
        },
      });
      world.emulator.faults.set({ omitTaskSetLabel: true });
      const result = await world.deploy({ 'wait-until': 'succeeded' });
      expect(result.exitCode).toBe(0);
      const traffic = result.stdout.split('\n').filter((l) => l.includes('⇄ traffic'));
      expect(traffic.length).toBeGreaterThan(0);
      expect(traffic.join('\n')).toMatch(/Blue 90% · Green 10%|Green 10%/);
      expect(traffic.join('\n')).not.toContain('ecs-svc/');
    },
    LONG,
  );
});
