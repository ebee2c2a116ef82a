/**
 * The promote and rollback bundles (dist/promote, dist/rollback) on services with the ECS deployment
 * controller (issue #11), against the emulator's ECS-native model: promote a deployment waiting in its pause
 * hook (by ARN and by service), roll back a deployment in flight, redeploy the previous revision.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { DescribeServiceDeploymentsCommand, DescribeServicesCommand } from '@aws-sdk/client-ecs';
import type { NativeServiceOptions, SeededNativeService } from '../../emulator/ecs-native.js';
import { taskDefinitionFile } from '../../emulator/scenario.js';
import { inspect, SECRET_ENV_VALUE, startWorld, type World } from './harness.js';
import type { ActionRunOptions, ActionRunResult } from '../../scripts/action-runner.js';

const LONG = 120_000;

let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

interface NativeWorld {
  world: World;
  s: SeededNativeService;
  deploy(inputs?: Record<string, string | undefined>, options?: ActionRunOptions): Promise<ActionRunResult>;
  run(entry: 'promote' | 'rollback', inputs: Record<string, string>): Promise<ActionRunResult>;
}

async function nativeWorld(o: NativeServiceOptions): Promise<NativeWorld> {
  world = await startWorld({ clockScale: 60 });
  const w = world;
  const s = w.emulator.seed.ecsNativeService({ bakeTimeInMinutes: 1, ...o });
  const file = JSON.stringify(
    taskDefinitionFile({
      family: s.family,
      containerName: s.containerName,
      containerPort: s.containerPort,
      accountId: w.emulator.accountId,
      secretValue: SECRET_ENV_VALUE,
    }),
  );
  return {
    world: w,
    s,
    deploy: (inputs = {}, options = {}) =>
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
      ),
    run: (entry, inputs) =>
      w.run(`dist/${entry}/index.js`, {
        'aws-region': w.emulator.region,
        'role-to-assume': w.roleArn,
        ...inputs,
      }),
  };
}

async function deploymentOf(n: NativeWorld, arn: string) {
  const out = await inspect(n.world).ecs.send(
    new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }),
  );
  return out.serviceDeployments![0]!;
}

async function runningTaskDefinition(n: NativeWorld): Promise<string | undefined> {
  const out = await inspect(n.world).ecs.send(
    new DescribeServicesCommand({ cluster: n.s.cluster, services: [n.s.service] }),
  );
  return out.services![0]!.taskDefinition;
}

const PAUSE = {
  lifecycleHooks: [
    {
      targetType: 'PAUSE' as const,
      lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT' as const],
      timeoutConfiguration: { timeoutInMinutes: 60, action: 'ROLLBACK' as const },
    },
  ],
};

describe('promote: a deployment waiting in its pause hook at POST_TEST_TRAFFIC_SHIFT', () => {
  it.each([['by ARN'], ['by service']])(
    '%s: ContinueServiceDeployment, followed to SUCCESSFUL',
    async (how) => {
      const n = await nativeWorld({ strategy: 'BLUE_GREEN', ...PAUSE });
      const deployed = await n.deploy({ 'wait-until': 'ready' });
      expect(deployed.exitCode).toBe(0);
      const arn = deployed.outputs['deployment-id'] as string;
      expect((await deploymentOf(n, arn)).lifecycleHookDetails?.[0]?.status).toBe('AWAITING_ACTION');

      const promoted = await n.run('promote', {
        ...(how === 'by ARN' ? { 'deployment-id': arn } : { service: n.s.service, cluster: n.s.cluster }),
        'wait-until': 'succeeded',
      });
      if (promoted.exitCode !== 0) console.log(promoted.stdout);
      expect(promoted.exitCode).toBe(0);
      expect(promoted.outputs['deployment-id']).toBe(arn);
      expect(promoted.outputs['deployment-status']).toBe('SUCCESSFUL');
      expect(promoted.stdout).toMatch(/Continuing \S+ from its pause hook \S+ at POST_TEST_TRAFFIC_SHIFT/);
      expect(promoted.stdout).toMatch(/✔ PRODUCTION_TRAFFIC_SHIFT/);
      expect(n.world.emulator.calls.filter((c) => c.action === 'ContinueServiceDeployment')).toHaveLength(1);
      expect((await deploymentOf(n, arn)).status).toBe('SUCCESSFUL');
      expect(promoted.summary).toMatch(/Promoted: pause hook/);
    },
    LONG,
  );

  it(
    'a deployment not waiting in a pause: refused with the stage it is in, nothing continued',
    async () => {
      const n = await nativeWorld({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 30 });
      const deployed = await n.deploy({ 'wait-until': 'traffic-shifted' });
      expect(deployed.exitCode).toBe(0);
      const promoted = await n.run('promote', {
        'deployment-id': deployed.outputs['deployment-id'] as string,
      });
      expect(promoted.exitCode).toBe(1);
      expect(promoted.stdout).toMatch(/at stage BAKE_TIME, not waiting in a pause hook/);
      expect(n.world.emulator.calls.map((c) => c.action)).not.toContain('ContinueServiceDeployment');
    },
    LONG,
  );
});

describe('rollback on an ECS-controlled service', () => {
  it(
    'a deployment in flight: StopServiceDeployment ROLLBACK, followed to ROLLBACK_SUCCESSFUL',
    async () => {
      const n = await nativeWorld({ strategy: 'BLUE_GREEN', ...PAUSE });
      const before = await runningTaskDefinition(n);
      const deployed = await n.deploy({ 'wait-until': 'ready' });
      expect(deployed.exitCode).toBe(0);
      const arn = deployed.outputs['deployment-id'] as string;

      const rolled = await n.run('rollback', { 'deployment-id': arn });
      if (rolled.exitCode !== 0) console.log(rolled.stdout);
      expect(rolled.exitCode).toBe(0);
      expect(rolled.outputs['deployment-id']).toBe(arn);
      expect(rolled.outputs['deployment-status']).toBe('ROLLBACK_SUCCESSFUL');
      expect(rolled.outputs['rollback-status']).toBe('ROLLBACK_SUCCESSFUL');
      expect(n.world.emulator.calls.map((c) => c.action)).toContain('StopServiceDeployment');
      expect((await deploymentOf(n, arn)).status).toBe('ROLLBACK_SUCCESSFUL');
      expect(await runningTaskDefinition(n)).toBe(before);
      expect(rolled.summary).toMatch(/rolled back \(ROLLBACK\\_SUCCESSFUL/);
    },
    LONG,
  );

  it(
    'nothing in flight: redeploys the previous revision with UpdateService and follows it',
    async () => {
      const n = await nativeWorld({ strategy: 'BLUE_GREEN' });
      const before = await runningTaskDefinition(n);
      const deployed = await n.deploy({ 'wait-until': 'succeeded' });
      expect(deployed.exitCode).toBe(0);
      const deployedTd = deployed.outputs['task-definition-arn'] as string;
      expect(await runningTaskDefinition(n)).toBe(deployedTd);

      const rolled = await n.run('rollback', {
        service: n.s.service,
        cluster: n.s.cluster,
        'wait-until': 'succeeded',
        'deregister-rolled-back-revision': 'true',
      });
      if (rolled.exitCode !== 0) console.log(rolled.stdout);
      expect(rolled.exitCode).toBe(0);
      expect(rolled.outputs['task-definition-arn']).toBe(before);
      expect(rolled.outputs['deployment-id']).not.toBe(deployed.outputs['deployment-id']);
      expect(rolled.outputs['deployment-id']).toMatch(/:service-deployment\//);
      expect(rolled.outputs['deployment-status']).toBe('SUCCESSFUL');
      expect(rolled.outputs['deregistered-task-definition-arn']).toBe(deployedTd);
      expect(rolled.stdout).toMatch(/redeploying the previous revision \S+ \(the source revision of/);
      expect(await runningTaskDefinition(n)).toBe(before);
      expect(n.world.emulator.calls.map((c) => c.action)).not.toContain('CreateDeployment');
    },
    LONG,
  );
});
