/**
 * Health checks while traffic moves (issue #19), on both engines against the emulator's CloudWatch (a
 * traffic model that follows the listener weights): a bad release caught during test traffic (before the
 * test gate lets production traffic move), during a canary step, and in the bake (CodeDeploy's termination
 * wait, ECS's bake time); a good release passes its checks; too little traffic is said as such and never
 * judged; a metric read that is throttled is retried and never becomes a verdict.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { taskDefinitionFile } from '../../emulator/scenario.js';
import type { BadRelease, TrafficModel } from '../../emulator/index.js';
import type { ActionRunResult } from '../../scripts/action-runner.js';
import { annotations, inspect, SECRET_ENV_VALUE, startWorld, type World } from './harness.js';

const LONG = 150_000;

let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

type Shape = 'gate' | 'canary' | 'all-at-once';

interface EngineWorld {
  world: World;
  deploy(inputs: Record<string, string>): Promise<ActionRunResult>;
  statusOf(id: string): Promise<string | undefined>;
  rolledBack: RegExp;
  succeeded: string;
}

/** CodeDeploy: a Ready wait with a test listener (gate), the 10 % canary for 5 min, or all at once; 3 min termination wait. */
async function codeDeployWorld(shape: Shape): Promise<EngineWorld> {
  world = await startWorld({
    service: {
      readyOption:
        shape === 'gate'
          ? { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 60 }
          : { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
      deploymentConfig:
        shape === 'canary'
          ? 'CodeDeployDefault.ECSCanary10Percent5Minutes'
          : 'CodeDeployDefault.ECSAllAtOnce',
      autoRollback: true,
      terminationWaitMinutes: 5,
    },
  });
  const w = world;
  return {
    world: w,
    deploy: (inputs) => w.deploy(inputs),
    statusOf: async (id) => (await inspect(w).deployment(id)).status,
    rolledBack: /^Stopped$/,
    succeeded: 'Succeeded',
  };
}

/** ECS: BLUE_GREEN with a pause hook after test traffic (gate), CANARY 10 % for 5 min, or BLUE_GREEN; 5 min bake. */
async function ecsWorld(shape: Shape): Promise<EngineWorld> {
  world = await startWorld();
  const w = world;
  const s = w.emulator.seed.ecsNativeService({
    strategy: shape === 'canary' ? 'CANARY' : 'BLUE_GREEN',
    bakeTimeInMinutes: 5,
    ...(shape === 'canary' ? { canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 } } : {}),
    lifecycleHooks:
      shape === 'gate'
        ? [
            {
              targetType: 'PAUSE',
              lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
              timeoutConfiguration: { timeoutInMinutes: 60, action: 'ROLLBACK' },
            },
          ]
        : [],
  });
  // the roles of the template, for this service
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
  return {
    world: w,
    deploy: (inputs) =>
      w.deploy(
        {
          'codedeploy-appspec': undefined,
          cluster: s.cluster,
          service: s.service,
          'container-name': s.containerName,
          'task-definition': 'native-task-definition.json',
          ...inputs,
        },
        { files: { 'native-task-definition.json': file } },
      ),
    statusOf: async (id) => {
      const { DescribeServiceDeploymentsCommand } = await import('@aws-sdk/client-ecs');
      return (
        await inspect(w).ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [id] }))
      ).serviceDeployments?.[0]?.status;
    },
    rolledBack: /^ROLLBACK_SUCCESSFUL$/,
    succeeded: 'SUCCESSFUL',
  };
}

const ENGINES = [
  ['codedeploy', codeDeployWorld],
  ['ecs', ecsWorld],
] as const;

const CHECKS = [
  'error-rate < 1%',
  'p99 < 800ms',
  'error-rate <= blue + 0.5pt',
  'window: 2m',
  'min-requests: 20',
].join('\n');

function setUp(e: EngineWorld, bad?: BadRelease, traffic?: Partial<TrafficModel>): void {
  if (traffic) e.world.emulator.metrics.set(traffic);
  if (bad) e.world.emulator.metrics.badRelease(bad);
}

/** The evaluation lines of the log. */
function healthLines(result: ActionRunResult): string[] {
  return result.stdout.split('\n').filter((l) => l.startsWith('Health '));
}

describe.each(ENGINES)('health checks: %s', (engine, start) => {
  it(
    'a bad release is caught during test traffic, before the test gate lets production traffic move',
    async () => {
      const e = await start('gate');
      setUp(e, { errorRate: 0.2 });
      const result = await e.deploy({
        'wait-until': 'succeeded',
        'test-command': 'true',
        'health-checks': CHECKS,
      });
      expect(result.exitCode).toBe(1);
      const id = result.outputs['deployment-id'] as string;
      const [error] = annotations(result.stdout);
      expect(error).toMatch(
        /Health check 'error-rate < 1%' failed during test traffic: error-rate 20 % ≥ 1 % over \d\d:\d\d–\d\d:\d\d UTC \(\d+ requests of the new revision\)/,
      );
      expect(error).toMatch(/stopped and rolled back/);
      expect(await e.statusOf(id)).toMatch(e.rolledBack);
      // production traffic never reached the new revision: no evaluation was made after a production shift
      expect(healthLines(result).every((l) => !/production \d/.test(l))).toBe(true);
      expect(result.summary).toContain('### Health checks');
      expect(result.summary).toMatch(/\| `error-rate < 1 %` \| ❌ failed \| 20 % against 1 % \|/);
    },
    LONG,
  );

  it(
    'a bad release is caught during a canary step, with 10 % of production on it',
    async () => {
      const e = await start('canary');
      setUp(e, { errorRate: 0.15, only: 'production' });
      const result = await e.deploy({ 'wait-until': 'succeeded', 'health-checks': CHECKS });
      expect(result.exitCode).toBe(1);
      const id = result.outputs['deployment-id'] as string;
      const [error] = annotations(result.stdout);
      expect(error).toMatch(
        /Health check '[^']+' failed during production 10 %: error-rate [\d.]+ % (≥ 1 %|> [\d.]+ % \(blue)/,
      );
      expect(await e.statusOf(id)).toMatch(e.rolledBack);
      // the chart of the deployment, with the shift to 10 % marked
      expect(result.summary).toContain('xychart-beta');
      expect(result.summary).toMatch(/▶10%/);
    },
    LONG,
  );

  it(
    'a bad release is caught in the bake, after all production traffic moved to it',
    async () => {
      const e = await start('all-at-once');
      setUp(e, { latencyFactor: 10, only: 'production' });
      const result = await e.deploy({ 'wait-until': 'succeeded', 'health-checks': CHECKS });
      expect(result.exitCode).toBe(1);
      const id = result.outputs['deployment-id'] as string;
      const [error] = annotations(result.stdout);
      // the breach is named after the phase at the end of its window, placed by when the engine first saw
      // the shift (not by when the monitor asked, which lags on a loaded runner)
      expect(error).toMatch(
        /Health check 'p99 < 800ms' failed during the bake at 100 %: p99 [\d.]+ s ≥ 800 ms/,
      );
      expect(await e.statusOf(id)).toMatch(e.rolledBack);
    },
    LONG,
  );

  it(
    'a good release passes its checks: one log line per evaluation, the table and the charts',
    async () => {
      const e = await start('canary');
      const result = await e.deploy({ 'wait-until': 'succeeded', 'health-checks': CHECKS });
      expect(result.exitCode).toBe(0);
      expect(result.outputs['deployment-status']).toBe(e.succeeded);
      const lines = healthLines(result);
      expect(lines.length).toBeGreaterThanOrEqual(3);
      expect(
        lines.some((l) =>
          /\(production 10 %\): green \d+ requests, 5xx [\d.]+ %, p99 180 ms \| blue \d+ requests/.test(l),
        ),
      ).toBe(true);
      expect(lines.some((l) => /error-rate [\d.]+ % < 1 %: pass; p99 180 ms < 800 ms: pass/.test(l))).toBe(
        true,
      );
      expect(result.summary).toMatch(/\| `error-rate < 1 %` \| ✅ passed \|/);
      expect(result.summary).toMatch(/\| `p99 < 800 ms` \| ✅ passed \|/);
      expect(result.summary.match(/```mermaid/g)?.length).toBe(2);
      expect(annotations(result.stdout, 'warning')).toEqual([]);
    },
    LONG,
  );

  it(
    'promote judges the held revision first: a breach stops it with rollback instead of continuing',
    async () => {
      const e = await start('gate');
      setUp(e, { errorRate: 0.2 });
      const held = await e.deploy({ 'wait-until': 'ready' });
      expect(held.outputs['deployment-state']).toBe('held');
      const id = held.outputs['deployment-id'] as string;
      const result = await e.world.run('dist/promote/index.js', {
        'aws-region': e.world.emulator.region,
        'role-to-assume': e.world.roleArn,
        'deployment-id': id,
        'health-checks': CHECKS,
      });
      expect(result.exitCode).toBe(1);
      expect(annotations(result.stdout)[0]).toMatch(
        /Health check 'error-rate < 1%' failed during test traffic: error-rate 20 % ≥ 1 %.*stopped and rolled back/,
      );
      expect(result.stdout).toContain('Health checks before promote continues');
      expect(await e.statusOf(id)).toMatch(e.rolledBack);
      // the continue was never sent: no reroute, no ContinueServiceDeployment CONTINUE, no production evaluation
      expect(result.stdout).not.toMatch(
        /\(ContinueDeployment READY_WAIT\)|\(ContinueServiceDeployment CONTINUE\)/,
      );
      expect(healthLines(result).every((l) => !/production \d/.test(l))).toBe(true);
    },
    LONG,
  );

  it(
    'too little traffic is reported as not enough data, never as healthy and never as a breach',
    async () => {
      const e = await start('gate');
      setUp(e, { errorRate: 0.5 }, { testRpm: 1, productionRpm: 3 });
      const result = await e.deploy({
        'wait-until': 'succeeded',
        'test-command': 'true',
        'health-checks': CHECKS,
      });
      expect(result.exitCode).toBe(1);
      const id = result.outputs['deployment-id'] as string;
      const [error] = annotations(result.stdout);
      expect(error).toMatch(
        /Health checks could not judge the new revision before the test gate lets production traffic move: not enough data \(.*requests of the 20 needed/,
      );
      expect(error).toMatch(/nothing was rolled back \(no-data: hold\)/);
      // left waiting for a person, not rolled back, not let on
      expect(result.outputs['deployment-state']).toBe('held');
      expect(await e.statusOf(id)).not.toMatch(e.rolledBack);
      expect(result.summary).toMatch(/⚪ not enough data/);
      expect(result.summary).not.toMatch(/✅ passed/);
    },
    LONG,
  );

  it(
    'a throttled metric read is retried and never becomes a verdict',
    async () => {
      const e = await start('canary');
      e.world.emulator.faults.set({
        throttleRate: 0.4,
        serverErrorRate: 0.2,
        only: { service: 'cloudwatch' },
      });
      const result = await e.deploy({ 'wait-until': 'succeeded', 'health-checks': CHECKS });
      expect(result.exitCode).toBe(0);
      const throttled = e.world.emulator.calls.filter(
        (c) => c.service === 'cloudwatch' && c.error === 'Throttling',
      );
      expect(throttled.length).toBeGreaterThan(0);
      expect(result.stdout).toMatch(
        /GetMetricData: Throttling: Rate exceeded — passing AWS fault, read again in \d+s; no verdict from this read/,
      );
      expect(result.summary).toMatch(/GetMetricData reads, \d+ failed and retried \(never a verdict\)/);
      expect(result.summary).not.toMatch(/❌/);
    },
    LONG,
  );
});

describe('health checks: refused before any change', () => {
  it('names the line and how to fix it', async () => {
    world = await startWorld();
    const before = world.emulator.snapshot();
    const result = await world.deploy({
      'wait-until': 'succeeded',
      'health-checks': 'error-rate < 1%\np99 < 800',
    });
    expect(result.exitCode).toBe(1);
    expect(annotations(result.stdout)[0]).toMatch(
      /input 'health-checks' line 2 \('p99 < 800'\): '800' has no unit a latency takes\. Write milliseconds or seconds/,
    );
    expect(world.emulator.snapshot()).toBe(before);
    expect(world.emulator.calls.filter((c) => c.service === 'cloudwatch')).toEqual([]);
  });
});
