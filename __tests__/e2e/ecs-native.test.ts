/**
 * The bundled action (dist/index.js) deploying services with the ECS deployment controller (issue #11)
 * against the emulator's ECS-native model: each strategy, hooks, the test gate, cancel, the bake skipped by
 * traffic-shifted, a deployment already in flight; and the promote and rollback bundles on these services
 * (promote a deployment waiting in its pause hook, by ARN and by service; roll back one in flight; redeploy
 * the previous revision).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  DescribeServicesCommand,
  DescribeServiceDeploymentsCommand,
  ListServiceDeploymentsCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import type { NativeServiceOptions, SeededNativeService } from '../../emulator/ecs-native/index.js';
import { annotations, inspect, nativeDeploy, startWorld, type JobName, type World } from './harness.js';
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
  w.useService(s);
  return { world: w, s, deploy: nativeDeploy(w, s) };
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

describe('ECS-native deployments: failures, the gate, cancel, waits', () => {
  it(
    'a hook that fails: ECS rolls back; the rollback is followed to its end with its reason and stage',
    async () => {
      const n = await nativeWorld({
        strategy: 'BLUE_GREEN',
        lifecycleHooks: [
          {
            hookTargetArn: 'arn:aws:lambda:us-east-1:111111111111:function:smoke',
            lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
          },
        ],
        hookOutcomes: { POST_TEST_TRAFFIC_SHIFT: { fail: 'GET /health returned 503' } },
      });
      const result = await n.deploy({ 'wait-until': 'succeeded' });
      expect(result.exitCode).toBe(1);
      expect(result.outputs['deployment-status']).toBe('ROLLBACK_SUCCESSFUL');
      // the stage is the one the watcher first saw the rollback in: the failing hook's, or (on a loaded
      // machine, one look later) the rollback's own first stage
      expect(result.stdout).toMatch(/↩ rollback started in (POST_)?TEST_TRAFFIC_SHIFT/);
      expect(result.stdout).toMatch(
        /Lambda hook \S+:smoke failed at POST_TEST_TRAFFIC_SHIFT: GET \/health returned 503/,
      );
      expect(result.stdout).toMatch(/▶ rollback /);
      const errors = annotations(result.stdout);
      expect(errors.join('\n')).toMatch(/ended ROLLBACK_SUCCESSFUL/);
      expect(result.summary).toMatch(/Rollback \| from (POST\\_)?TEST\\_TRAFFIC\\_SHIFT/);
      expect(result.state.phase).toBe('done');
    },
    LONG,
  );

  it(
    'the gate passes: test-command runs in the pause hook, then ContinueServiceDeployment',
    async () => {
      const n = await nativeWorld({
        strategy: 'BLUE_GREEN',
        lifecycleHooks: [
          {
            targetType: 'PAUSE',
            lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
            timeoutConfiguration: { timeoutInMinutes: 60, action: 'ROLLBACK' },
          },
        ],
      });
      const result = await n.deploy({
        'wait-until': 'succeeded',
        'test-command': 'echo "gate on $TEST_LISTENER_URL for $ECS_SERVICE_DEPLOYMENT_ARN"',
      });
      expect(result.exitCode).toBe(0);
      expect(result.outputs['deployment-status']).toBe('SUCCESSFUL');
      expect(result.stdout).toMatch(
        /⏸ pause hook \S+ at POST_TEST_TRAFFIC_SHIFT: AWAITING_ACTION until \d\d:\d\d UTC \(then ROLLBACK\)/,
      );
      expect(result.stdout).toMatch(/gate on http:\/\/\S+ for arn:aws:ecs:.*:service-deployment\//);
      const calls = n.world.emulator.calls.map((c) => c.action);
      expect(calls).toContain('ContinueServiceDeployment');
      expect(calls).not.toContain('StopServiceDeployment');
      expect(result.summary).toMatch(/Test-traffic gate/);
    },
    LONG,
  );

  it(
    'the gate fails: StopServiceDeployment ROLLBACK, production never moved, the rollback followed',
    async () => {
      const n = await nativeWorld({
        strategy: 'LINEAR',
        linearConfiguration: { stepPercent: 50, stepBakeTimeInMinutes: 1 },
        lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'] }],
      });
      const result = await n.deploy({
        'wait-until': 'succeeded',
        'test-command': 'echo 2 of 5 failed; exit 3',
      });
      expect(result.exitCode).toBe(1);
      expect(result.outputs['deployment-status']).toBe('ROLLBACK_SUCCESSFUL');
      expect(result.stdout).toMatch(/test-command exited with 3: stopping/);
      const calls = n.world.emulator.calls.map((c) => c.action);
      expect(calls).toContain('StopServiceDeployment');
      expect(calls).not.toContain('ContinueServiceDeployment');
      const arn = result.outputs['deployment-id'] as string;
      const weights = history(n, arn)!.weightHistory.map((w) => w.production);
      expect(Math.max(...weights)).toBe(0);
    },
    LONG,
  );

  it(
    'test-command without a pause hook at POST_TEST_TRAFFIC_SHIFT is refused before any change',
    async () => {
      const n = await nativeWorld({ strategy: 'BLUE_GREEN', lifecycleHooks: [] });
      const result = await n.deploy({ 'test-command': 'true' });
      expect(result.exitCode).toBe(1);
      expect(annotations(result.stdout).join('\n')).toMatch(
        /no PAUSE lifecycle hook at POST_TEST_TRAFFIC_SHIFT/,
      );
      expect(annotations(result.stdout).join('\n')).toMatch(
        /targetType: PAUSE, lifecycleStages: \[POST_TEST_TRAFFIC_SHIFT\]/,
      );
      const calls = n.world.emulator.calls.map((c) => c.action);
      expect(calls).not.toContain('RegisterTaskDefinition');
      expect(calls).not.toContain('UpdateService');
    },
    LONG,
  );

  it(
    'target groups missing from the listener rules are refused before any change (ECS would fail late)',
    async () => {
      const n = await nativeWorld({ strategy: 'BLUE_GREEN', misconfiguration: 'target-groups-not-on-rules' });
      const result = await n.deploy({ 'wait-until': 'succeeded' });
      expect(result.exitCode).toBe(1);
      expect(annotations(result.stdout).join('\n')).toMatch(
        /on neither its production listener rule nor its test listener rule/,
      );
      expect(n.world.emulator.calls.map((c) => c.action)).not.toContain('UpdateService');
    },
    LONG,
  );

  it(
    'traffic-shifted: ends once production traffic is shifted, without waiting through the bake',
    async () => {
      const n = await nativeWorld({ strategy: 'CANARY', bakeTimeInMinutes: 60 });
      const result = await n.deploy({ 'wait-until': 'traffic-shifted' });
      expect(result.exitCode).toBe(0);
      expect(result.outputs['deployment-status']).toBe('IN_PROGRESS');
      expect(result.stdout).toMatch(/▶ BAKE_TIME/);
      expect(result.stdout).toMatch(/reached traffic-shifted/);
      const arn = result.outputs['deployment-id'] as string;
      const d = (
        await inspect(n.world).ecs.send(
          new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }),
        )
      ).serviceDeployments![0]!;
      expect(d.status).toBe('IN_PROGRESS');
      expect(d.lifecycleStage).toBe('BAKE_TIME');
      expect(result.state.phase).toBe('done');
    },
    LONG,
  );

  it(
    'cancel while following: StopServiceDeployment ROLLBACK (rollback-on-cancel)',
    async () => {
      const n = await nativeWorld({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 30 });
      const result = await n.deploy({ 'wait-until': 'succeeded' }, { cancelWhen: /▶ BAKE_TIME/ });
      expect(result.exitCode).not.toBe(0);
      expect(result.stdout).toMatch(/Stopped \S+ with rollback \(rollback-on-cancel\)/);
      expect(n.world.emulator.calls.map((c) => c.action)).toContain('StopServiceDeployment');
      const arn = result.outputs['deployment-id'] as string;
      const d = (
        await inspect(n.world).ecs.send(
          new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }),
        )
      ).serviceDeployments![0]!;
      expect(d.status).toMatch(/^ROLLBACK_/);
      expect(result.state.phase).toBe('done');
    },
    LONG,
  );

  it(
    'a deployment already in flight: fail names it; stop rolls it back and waits for that, then deploys',
    async () => {
      // a long bake keeps the other deployment in flight through two runs of the action on a loaded machine
      const n = await nativeWorld({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 30 });
      const ecs = inspect(n.world).ecs;
      const other = await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: n.s.family,
          containerDefinitions: [
            {
              name: n.s.containerName,
              image: 'web:other',
              portMappings: [{ containerPort: n.s.containerPort }],
            },
          ],
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'awsvpc',
          cpu: '256',
          memory: '512',
        }),
      );
      await ecs.send(
        new UpdateServiceCommand({
          cluster: n.s.cluster,
          service: n.s.service,
          taskDefinition: other.taskDefinition!.taskDefinitionArn,
        }),
      );
      const listed = await ecs.send(
        new ListServiceDeploymentsCommand({
          cluster: n.s.cluster,
          service: n.s.service,
          status: ['PENDING', 'IN_PROGRESS'],
        }),
      );
      const inFlight = listed.serviceDeployments![0]!.serviceDeploymentArn!;

      const refused = await n.deploy({ 'wait-until': 'succeeded' });
      expect(refused.exitCode).toBe(1);
      expect(annotations(refused.stdout).join('\n')).toContain(inFlight);
      expect(refused.stdout).not.toMatch(/Registered /);

      const waited = await n.deploy({ 'wait-until': 'succeeded', 'on-active-deployment': 'stop' });
      expect(waited.exitCode).toBe(0);
      expect(waited.stdout).toMatch(/Stopping the deployment in flight \S+ with rollback/);
      expect(waited.stdout).toMatch(/ended: ROLLBACK_SUCCESSFUL/);
      expect(waited.outputs['deployment-id']).not.toBe(inFlight);
      expect(waited.outputs['deployment-status']).toBe('SUCCESSFUL');
    },
    LONG,
  );

  it(
    "replaced by someone else's deployment: failed, naming the newer one and when; the newer one is left alone",
    async () => {
      const n = await nativeWorld({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 10 });
      const running = n.deploy({ 'wait-until': 'succeeded' });
      // while the action follows its deployment through the bake, someone else deploys the service
      const ours = await until(() =>
        [...n.world.emulator.ecsNative.state().deployments.values()].find(
          (d) => d.serviceKey === `${n.s.cluster}/${n.s.service}` && d.lifecycleStage === 'BAKE_TIME',
        ),
      );
      const theirs = await someoneElseDeploys(n, 'web:theirs');
      const result = await running;

      expect(result.exitCode).toBe(1);
      expect(result.outputs['deployment-id']).toBe(ours.arn);
      expect(result.outputs['deployment-status']).toBe('STOPPED');
      const errors = annotations(result.stdout).join('\n');
      expect(errors).toContain(`Service deployment ${ours.arn} was replaced by service deployment ${theirs}`);
      expect(errors).toMatch(
        /ECS stopped it at \d{4}-\d\d-\d\dT[\d:.]+Z \("Replaced by a new service deployment\."\)/,
      );
      expect(errors).toContain('the newer deployment was left alone (not stopped, not rolled back)');
      // (the summary escapes Markdown: unescape before looking)
      expect(result.summary.replace(/\\(.)/g, '$1')).toContain(
        `was replaced by service deployment ${theirs}`,
      );
      // the action stopped nothing: the newer deployment goes on to its end
      expect(n.world.emulator.calls.map((c) => c.action)).not.toContain('StopServiceDeployment');
      expect((await deploymentOf(n, ours.arn)).statusReason).toBe('Replaced by a new service deployment.');
      const after = await until(async () => {
        const d = await deploymentOf(n, theirs);
        return ['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED'].includes(d.status ?? '')
          ? d
          : undefined;
      }, 90_000);
      expect(after.status).toBe('SUCCESSFUL');
    },
    LONG,
  );

  it(
    'on-active-deployment wait: a deployment that starts while it waits is waited for too, not replaced',
    async () => {
      const n = await nativeWorld({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 10 });
      const first = await someoneElseDeploys(n, 'web:first');
      const running = n.deploy({ 'wait-until': 'succeeded', 'on-active-deployment': 'wait' });
      // once the action waits on the first one, a second one (someone else's) replaces it
      await until(() => n.world.emulator.calls.some((c) => c.action === 'DescribeServiceDeployments'));
      const second = await someoneElseDeploys(n, 'web:second');
      const result = await running;

      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain(`Waiting for the deployment in flight ${first}`);
      expect(result.stdout).toContain(`Waiting for the deployment in flight ${second}`);
      expect((await deploymentOf(n, first)).statusReason).toBe('Replaced by a new service deployment.');
      // the action deployed only once the second one had ended: it replaced neither
      expect((await deploymentOf(n, second)).status).toBe('SUCCESSFUL');
      expect(result.outputs['deployment-status']).toBe('SUCCESSFUL');
    },
    LONG,
  );

  it(
    'the post step rolls back a deployment the main step was killed while following',
    async () => {
      const n = await nativeWorld({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 30 });
      const main = await n.deploy({ 'wait-until': 'succeeded' }, { killWhen: /▶ BAKE_TIME/ });
      expect(main.state.engine).toBe('ecs');
      expect(main.state.phase).toBe('following');
      const post = await n.world.run(
        'dist/index.js',
        { ...n.world.baseInputs, cluster: n.s.cluster, service: n.s.service },
        { workspace: main.workspace, state: main.state },
      );
      expect(post.exitCode).toBe(0);
      expect(post.stdout).toMatch(/stopped it with rollback \(rollback-on-cancel\)/);
      expect(n.world.emulator.calls.map((c) => c.action)).toContain('StopServiceDeployment');
    },
    LONG,
  );

  it(
    'killed while UpdateService is in flight: the post step finds the deployment this run started (service, task definition, time) and stops it with rollback',
    async () => {
      const n = await nativeWorld({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 30 });
      const w = n.world;
      const before = await listed(n);
      // ECS holds the request 3 s before starting the deployment; the main step dies meanwhile.
      w.emulator.faults.set({ slowMs: 3000, only: { service: 'ecs', actions: ['UpdateService'] } });
      const sent = until(() => w.emulator.calls.some((c) => c.action === 'UpdateService'));
      const main = await n.deploy({ 'wait-until': 'succeeded' }, { killOn: sent });
      expect(main.signal).toBe('SIGKILL');
      expect(main.state.phase).toBe('creating');
      expect(main.state.engine).toBe('ecs');
      expect(main.state.deploymentId).toBeUndefined();

      await until(async () => (await listed(n)).length > before.length);
      w.emulator.faults.clear();
      const started = (await listed(n)).filter((arn) => !before.includes(arn));
      expect(started).toHaveLength(1);
      const arn = started[0] as string;

      const post = await w.run(
        'dist/index.js',
        { ...w.baseInputs, cluster: n.s.cluster, service: n.s.service },
        { workspace: main.workspace, state: main.state },
      );
      expect(post.exitCode).toBe(0);
      expect(post.stdout).toContain(`Found ${arn}, created by this run`);
      expect(annotations(post.stdout, 'warning').join('\n')).toMatch(
        /was \w+ after the main step was killed while UpdateService was in flight: stopped it with rollback \(rollback-on-cancel\)/,
      );
      expect(w.emulator.calls.filter((c) => c.action === 'StopServiceDeployment')).toHaveLength(1);
    },
    LONG,
  );

  it(
    "UpdateService's answer lost: the main step fails, and the post step stops the deployment it started (rollback-on-failure)",
    async () => {
      const n = await nativeWorld({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 30 });
      const w = n.world;
      const before = await listed(n);
      w.emulator.faults.set({ loseAnswer: { UpdateService: { times: 10, as: '5xx' } } });
      const main = await n.deploy({ 'wait-until': 'succeeded' });
      expect(main.exitCode).toBe(1);
      expect(main.state.phase).toBe('failed');
      w.emulator.faults.clear();
      // The SDK retried the call: each UpdateService the emulator took started a deployment (the newest
      // replaced the others, as ECS does); one is in flight.
      const started = (await listed(n)).filter((arn) => !before.includes(arn));
      expect(started.length).toBeGreaterThanOrEqual(1);
      const inFlight = async () => {
        const out = await inspect(w).ecs.send(
          new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: started }),
        );
        return (out.serviceDeployments ?? [])
          .filter((d) => d.status === 'PENDING' || d.status === 'IN_PROGRESS')
          .map((d) => d.serviceDeploymentArn);
      };
      const [arn] = await inFlight();
      expect(arn).toBeDefined();
      const post = await w.run(
        'dist/index.js',
        { ...w.baseInputs, cluster: n.s.cluster, service: n.s.service },
        { workspace: main.workspace, state: main.state },
      );
      expect(post.exitCode).toBe(0);
      expect(post.stdout).toContain(`Found ${arn}, created by this run`);
      expect(annotations(post.stdout, 'warning').join('\n')).toMatch(
        /stopped it with rollback \(rollback-on-failure\)/,
      );
      expect(await inFlight()).toEqual([]);
    },
    LONG,
  );

  it(
    'an EXTERNAL controller is refused before any change',
    async () => {
      world = await startWorld();
      const w = world;
      const s = w.emulator.seed.ecsNativeService({ strategy: 'ROLLING', service: 'ext' });
      w.useService(s);
      // the emulator has no EXTERNAL services: flip the controller in its state
      w.emulator.state.services.get(`${s.cluster}/${s.service}`)!.deploymentController = 'EXTERNAL';
      const result = await w.deploy({
        'codedeploy-appspec': undefined,
        cluster: s.cluster,
        service: s.service,
      });
      expect(result.exitCode).toBe(1);
      expect(annotations(result.stdout).join('\n')).toMatch(/uses the EXTERNAL deployment controller/);
      expect(w.emulator.calls.map((c) => c.action)).not.toContain('RegisterTaskDefinition');
    },
    LONG,
  );
});

/** Polls (real time) until `probe` gives a value. */
async function until<T>(probe: () => T | undefined | Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error('until: timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Someone else registers a revision and calls UpdateService; returns the service deployment it started. */
async function someoneElseDeploys(n: NativeWorld, image: string): Promise<string> {
  const ecs = inspect(n.world).ecs;
  const td = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: n.s.family,
      containerDefinitions: [
        { name: n.s.containerName, image, portMappings: [{ containerPort: n.s.containerPort }] },
      ],
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
    }),
  );
  const arn = td.taskDefinition!.taskDefinitionArn!;
  await ecs.send(
    new UpdateServiceCommand({ cluster: n.s.cluster, service: n.s.service, taskDefinition: arn }),
  );
  const state = n.world.emulator.ecsNative.state();
  return until(() =>
    [...state.deployments.values()].find(
      (d) => state.revisions.get(d.targetRevisionArn)?.taskDefinition === arn,
    ),
  ).then((d) => d.arn);
}

/** Runs the promote or rollback bundle with the world's region and the role of its job (harness JOBS). */
function steer(
  n: NativeWorld,
  entry: 'promote' | 'rollback',
  inputs: Record<string, string>,
  job?: JobName,
): Promise<ActionRunResult> {
  return n.world.run(
    `dist/${entry}/index.js`,
    { 'aws-region': n.world.emulator.region, 'role-to-assume': n.world.roleArn, ...inputs },
    job ? { job } : {},
  );
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

      const promoted = await steer(n, 'promote', {
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
      const promoted = await steer(n, 'promote', {
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

      const rolled = await steer(n, 'rollback', { 'deployment-id': arn });
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

      const rolled = await steer(
        n,
        'rollback',
        {
          service: n.s.service,
          cluster: n.s.cluster,
          'wait-until': 'succeeded',
          'deregister-rolled-back-revision': 'true',
        },
        // operate.yml in production: redeploying is a new deployment, which only the deploy role may start
        'operateProd',
      );
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

/** ROLLING with the circuit breaker on, and every new task stopping (emulator failTasks) */
const TASKS_FAIL: NativeServiceOptions = {
  strategy: 'ROLLING',
  deploymentCircuitBreaker: { enable: true, rollback: true },
  failTasks: { exitCode: 137, reason: 'OutOfMemoryError' },
};

describe('a scale-up whose new tasks fail', () => {
  it(
    'the circuit breaker rolls back; the log and the summary tell the stopped reason and exit code once',
    async () => {
      const n = await nativeWorld(TASKS_FAIL);
      const result = await n.deploy({ 'wait-until': 'succeeded' });
      expect(result.exitCode).toBe(1);
      expect(result.outputs['deployment-status']).toBe('ROLLBACK_SUCCESSFUL');
      expect(result.stdout).toMatch(/At the verdict, what ECS says about the target revision:/);
      const reason = `Stopped task: Essential container in task exited (EssentialContainerExited) — container ${n.s.containerName}: exit code 137, OutOfMemoryError`;
      expect(result.stdout.split(reason).length - 1).toBe(1);
      // untrusted text from ECS is never a workflow command
      const lines = result.stdout.split('\n').filter((l) => l.includes('exit code 137'));
      expect(lines.every((l) => !l.startsWith('::'))).toBe(true);
      expect(result.summary).toMatch(/### Why the new revision's tasks do not start/);
      expect(result.summary.split('exit code 137, OutOfMemoryError').length - 1).toBe(1);
      expect(result.summary).toMatch(/Service event: .*deployment failed: tasks failed to start/);
    },
    LONG,
  );

  it.each([
    ['developer-guide', /ended ROLLBACK_SUCCESSFUL\.[\s\S]*Circuit breaker triggered/],
    ['api-reference', /Timed out waiting for succeeded: status IN_PROGRESS, stage SCALE_UP/],
  ] as const)(
    'BLUE_GREEN with the circuit breaker, as the %s reads it: the action fails either way and leaves the old revision serving',
    async (reading, verdict) => {
      const n = await nativeWorld({
        ...TASKS_FAIL,
        strategy: 'BLUE_GREEN',
        readings: { circuitBreakerBlueGreen: reading },
      });
      const result = await n.deploy({ 'wait-until': 'succeeded', 'wait-for-minutes': '3' });
      expect(result.exitCode).toBe(1);
      expect(annotations(result.stdout).join('\n')).toMatch(verdict);
      expect(result.outputs['deployment-status']).toBe('ROLLBACK_SUCCESSFUL');
      expect(result.stdout).toContain('exit code 137, OutOfMemoryError');
      // the breaker stopped it, or the action did (rollback-on-failure) once its wait was over
      expect(n.world.emulator.calls.some((c) => c.action === 'StopServiceDeployment')).toBe(
        reading === 'api-reference',
      );
      expect(await runningTaskDefinition(n)).toBe(n.s.taskDefinitionArn);
    },
    LONG,
  );
});

/** The service deployments of the seeded service, as ECS lists them. */
async function listed(n: NativeWorld): Promise<string[]> {
  const out = await inspect(n.world).ecs.send(
    new ListServiceDeploymentsCommand({ cluster: n.s.cluster, service: n.s.service }),
  );
  return (out.serviceDeployments ?? []).map((d) => d.serviceDeploymentArn as string);
}
