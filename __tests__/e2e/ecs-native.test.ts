/**
 * The bundled action (dist/index.js) deploying services with the ECS deployment controller (issue #11)
 * against the emulator's ECS-native model: each strategy, hooks, the test gate, cancel, the bake skipped by
 * traffic-shifted, a deployment already in flight.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  DescribeServicesCommand,
  DescribeServiceDeploymentsCommand,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { NativeServiceOptions, SeededNativeService } from '../../emulator/ecs-native.js';
import { taskDefinitionFile } from '../../emulator/scenario.js';
import { annotations, inspect, SECRET_ENV_VALUE, startWorld, type World } from './harness.js';
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
}

async function nativeWorld(o: NativeServiceOptions, clockScale = 60): Promise<NativeWorld> {
  world = await startWorld({ clockScale });
  const w = world;
  const s = w.emulator.seed.ecsNativeService({ bakeTimeInMinutes: 2, ...o });
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
  };
}

async function describeNative(n: NativeWorld) {
  const out = await inspect(n.world).ecs.send(
    new DescribeServicesCommand({ cluster: n.s.cluster, services: [n.s.service] }),
  );
  return out.services![0]!;
}

function history(n: NativeWorld, arn: string) {
  return n.world.emulator.ecsNative.deployment(arn);
}

describe('ECS-native deployments: each strategy to SUCCESSFUL', () => {
  it.each([
    ['BLUE_GREEN', {}, ['100%']],
    ['LINEAR', { linearConfiguration: { stepPercent: 50, stepBakeTimeInMinutes: 1 } }, ['50%', '100%']],
    ['CANARY', { canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 1 } }, ['10%', '100%']],
  ] as const)(
    '%s: UpdateService with the task definition alone, the deployment found and followed stage by stage',
    async (strategy, extra, steps) => {
      const n = await nativeWorld({ strategy, ...extra });
      const before = await describeNative(n);
      const result = await n.deploy({ 'wait-until': 'succeeded' });
      if (result.exitCode !== 0) console.log(result.stdout);
      expect(result.exitCode).toBe(0);
      const arn = result.outputs['deployment-id'] as string;
      expect(arn).toMatch(/:service-deployment\/demo\/web-/);
      expect(result.outputs['codedeploy-deployment-id']).toBeUndefined();
      expect(result.outputs['deployment-status']).toBe('SUCCESSFUL');
      expect(result.state.engine).toBe('ecs');
      // only the task definition changed: the service's other settings are as they were
      const after = await describeNative(n);
      expect(after.taskDefinition).toBe(result.outputs['task-definition-arn']);
      expect(after.deploymentConfiguration).toEqual(before.deploymentConfiguration);
      expect(after.desiredCount).toBe(before.desiredCount);
      expect(after.loadBalancers).toEqual(before.loadBalancers);
      expect(n.world.emulator.calls.filter((c) => c.action === 'UpdateService')).toHaveLength(1);
      expect(n.world.emulator.calls.map((c) => c.action)).not.toContain('CreateDeployment');
      // every stage of the deployment, in order, in the log
      const stages = history(n, arn)!
        .history.filter((h) => h.mode === 'deploy')
        .map((h) => h.stage);
      const logged = [...result.stdout.matchAll(/(?:▶|✔) ([A-Z_]+)/g)].map((m) => m[1]);
      for (const stage of new Set(stages)) expect(logged).toContain(stage);
      for (const step of steps)
        expect(result.stdout).toMatch(new RegExp(`⇄ traffic .*production new ${step}`));
      expect(result.stdout).toMatch(
        /bake time: both revisions run, production on the new one, until \d\d:\d\d UTC \(2 min\)/,
      );
      expect(result.stdout).toMatch(/new revision: 2\/2 running/);
      expect(result.summary).toMatch(
        new RegExp(`ECS ${strategy === 'BLUE_GREEN' ? 'blue/green' : strategy.toLowerCase()} deployment of`),
      );
      expect(result.summary).toMatch(/### Lifecycle stages/);
      expect(result.summary).not.toMatch(/Lifecycle events/);
    },
    LONG,
  );

  it(
    'ROLLING: task counts and the circuit breaker to SUCCESSFUL',
    async () => {
      const n = await nativeWorld({
        strategy: 'ROLLING',
        deploymentCircuitBreaker: { enable: true, rollback: true },
      });
      const result = await n.deploy({ 'wait-until': 'succeeded' });
      expect(result.exitCode).toBe(0);
      expect(result.outputs['deployment-status']).toBe('SUCCESSFUL');
      expect(result.stdout).toMatch(/new revision: 2\/2 running/);
      expect(result.stdout).toMatch(/circuit breaker MONITORING/);
      expect(result.stdout).not.toMatch(/⇄ traffic/);
    },
    LONG,
  );
});
