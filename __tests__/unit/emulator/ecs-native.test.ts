import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
  type ServiceDeployment,
} from '@aws-sdk/client-ecs';
import { DescribeRulesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { startEmulator, type Emulator, type SeededNativeService } from '../../../emulator/index.js';
import type { NativeServiceOptions } from '../../../emulator/ecs-native/index.js';
import { STAGE_ORDER } from '../../../emulator/ecs-native/index.js';
import { clients, rejection, waitFor, type Clients } from './helpers.js';

let emu: Emulator;
let c: Clients;

beforeAll(async () => {
  emu = await startEmulator({ clockScale: 1000 });
  c = clients(emu);
});
afterAll(() => emu.stop());

let seq = 0;
function seed(o: NativeServiceOptions = {}): SeededNativeService {
  seq += 1;
  return emu.seed.ecsNativeService({ service: `svc-${seq}`, bakeTimeInMinutes: 1, ...o });
}

async function newRevision(s: SeededNativeService, tag = 'v2'): Promise<string> {
  const out = await c.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: s.family,
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: [
        {
          name: s.containerName,
          image: `web:${tag}`,
          essential: true,
          portMappings: [{ containerPort: s.containerPort }],
        },
      ],
    }),
  );
  return out.taskDefinition!.taskDefinitionArn!;
}

/** UpdateService, then find the deployment the way the reference doc recommends (§3): created after t0. */
async function deploy(s: SeededNativeService, extra: Record<string, unknown> = {}): Promise<string> {
  const td = await newRevision(s);
  const t0 = new Date(emu.clock.now() - 1);
  await c.ecs.send(
    new UpdateServiceCommand({ cluster: s.cluster, service: s.service, taskDefinition: td, ...extra }),
  );
  const list = await waitFor(
    () =>
      c.ecs.send(
        new ListServiceDeploymentsCommand({
          cluster: s.cluster,
          service: s.service,
          createdAt: { after: t0 },
        }),
      ),
    (o) => (o.serviceDeployments ?? []).length === 1,
  );
  return list.serviceDeployments![0]!.serviceDeploymentArn!;
}

async function describe1(arn: string): Promise<ServiceDeployment> {
  const out = await c.ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }));
  return out.serviceDeployments![0]!;
}

/** Poll to a terminal status, remembering every (status, stage) seen. */
async function follow(arn: string, timeoutMs = 8000) {
  const seen: { status?: string; stage?: string }[] = [];
  const last = await waitFor(
    async () => {
      const d = await describe1(arn);
      const prev = seen[seen.length - 1];
      if (prev?.status !== d.status || prev?.stage !== d.lifecycleStage)
        seen.push({ status: d.status, stage: d.lifecycleStage });
      return d;
    },
    (d) => ['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED'].includes(d.status ?? ''),
    timeoutMs,
  );
  return { last, seen };
}

const stagesOf = (arn: string, mode: 'deploy' | 'rollback' = 'deploy') =>
  emu.ecsNative
    .deployment(arn)!
    .history.filter((h) => h.mode === mode)
    .map((h) => h.stage);

describe('ECS-native deployments', () => {
  it('BLUE_GREEN: UpdateService returns no deployment id; the deployment walks every stage to SUCCESSFUL', async () => {
    // a ten-minute start delay (configurable durations) keeps it PENDING while we look it up
    const s = seed({ strategy: 'BLUE_GREEN', timing: { startDelayMs: 600_000 } });
    const td = await newRevision(s);
    const t0 = new Date(emu.clock.now() - 1);
    const upd = await c.ecs.send(
      new UpdateServiceCommand({ cluster: s.cluster, service: s.service, taskDefinition: td }),
    );
    expect(upd.service?.deploymentConfiguration?.strategy).toBe('BLUE_GREEN');
    expect(upd.service?.deploymentController?.type).toBe('ECS');
    expect(Object.keys(upd).sort()).toEqual(['$metadata', 'service']);
    const listed = await c.ecs.send(
      new ListServiceDeploymentsCommand({ cluster: s.cluster, service: s.service, createdAt: { after: t0 } }),
    );
    expect(listed.serviceDeployments).toHaveLength(1);
    const brief = listed.serviceDeployments![0]!;
    expect(brief.serviceDeploymentArn).toMatch(
      new RegExp(`^arn:aws:ecs:us-east-1:111111111111:service-deployment/${s.cluster}/${s.service}/[\\w-]+$`),
    );
    expect(brief.status).toBe('PENDING');
    const revs = await c.ecs.send(
      new DescribeServiceRevisionsCommand({ serviceRevisionArns: [brief.targetServiceRevisionArn!] }),
    );
    expect(revs.serviceRevisions?.[0]?.taskDefinition).toBe(td);
    expect(revs.serviceRevisions?.[0]?.serviceRevisionArn).toMatch(/:service-revision\/.+\/\d+$/);

    const { last, seen } = await follow(brief.serviceDeploymentArn!);
    expect(last.status).toBe('SUCCESSFUL');
    expect(last.finishedAt).toBeInstanceOf(Date);
    expect(stagesOf(brief.serviceDeploymentArn!)).toEqual([
      'PRE_SCALE_UP',
      'SCALE_UP',
      'POST_SCALE_UP',
      'TEST_TRAFFIC_SHIFT',
      'POST_TEST_TRAFFIC_SHIFT',
      'PRE_PRODUCTION_TRAFFIC_SHIFT',
      'PRODUCTION_TRAFFIC_SHIFT',
      'POST_PRODUCTION_TRAFFIC_SHIFT',
      'BAKE_TIME',
      'CLEAN_UP',
    ]);
    // what a poller saw is in stage order (stages may be skipped between polls)
    const positions = seen.filter((x) => x.stage).map((x) => STAGE_ORDER.indexOf(x.stage as never));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(seen[0]?.status).toBe('PENDING');
    expect(seen.some((x) => x.status === 'IN_PROGRESS')).toBe(true);
    expect(last.targetServiceRevision).toMatchObject({
      arn: brief.targetServiceRevisionArn,
      requestedTaskCount: 2,
      runningTaskCount: 2,
      pendingTaskCount: 0,
      requestedProductionTrafficWeight: 100,
      requestedTestTrafficWeight: 100,
    });
    expect(last.sourceServiceRevisions?.[0]).toMatchObject({
      arn: s.serviceRevisionArn,
      requestedTaskCount: 0,
      runningTaskCount: 0,
    });
    expect(last.deploymentCircuitBreaker?.status).toBe('DISABLED');
    expect(emu.ecsNative.rule(s.productionListenerRuleArn)?.forward).toEqual([
      { targetGroupArn: s.targetGroupArns[0], weight: 0 },
      { targetGroupArn: s.targetGroupArns[1], weight: 100 },
    ]);
    const svc = (await c.ecs.send(new DescribeServicesCommand({ cluster: s.cluster, services: [s.service] })))
      .services![0]!;
    expect(svc.taskDefinition).toBe(td);
    expect(svc.currentServiceDeployment).toBe(brief.serviceDeploymentArn);
    expect(svc.deployments).toHaveLength(1);
    expect(svc.deployments?.[0]).toMatchObject({
      status: 'PRIMARY',
      rolloutState: 'COMPLETED',
      taskDefinition: td,
    });
    expect(svc.deployments?.[0]?.id).toMatch(/^ecs-svc\/\d{19}$/);
    expect(svc.events?.[0]?.message).toBe(`(service ${s.service}) has reached a steady state.`);
  });

  it('LINEAR: production weights move step by step with a bake after each step but the last', async () => {
    const s = seed({
      strategy: 'LINEAR',
      linearConfiguration: { stepPercent: 34, stepBakeTimeInMinutes: 2 },
    });
    const arn = await deploy(s);
    const { last, seen } = await follow(arn);
    expect(last.status).toBe('SUCCESSFUL');
    const d = emu.ecsNative.deployment(arn)!;
    const prod = d.weightHistory.filter((w) => w.stage === 'PRODUCTION_TRAFFIC_SHIFT');
    expect(prod.map((w) => w.production)).toEqual([34, 68, 100]);
    expect(prod[1]!.at - prod[0]!.at).toBeGreaterThanOrEqual(2 * 60_000);
    expect(prod[2]!.at - prod[1]!.at).toBeGreaterThanOrEqual(2 * 60_000);
    const stages = stagesOf(arn);
    expect(stages.filter((x) => x === 'PRE_PRODUCTION_TRAFFIC_SHIFT')).toHaveLength(3);
    expect(stages.filter((x) => x === 'PRODUCTION_TRAFFIC_SHIFT')).toHaveLength(3);
    // the bake after the last step is BAKE_TIME, not a step bake: CLEAN_UP starts bakeTimeInMinutes after it
    const bake = d.history.find((h) => h.stage === 'BAKE_TIME')!;
    const clean = d.history.find((h) => h.stage === 'CLEAN_UP')!;
    expect(clean.at - bake.at).toBe(60_000);
    expect(seen.some((x) => x.stage === 'PRODUCTION_TRAFFIC_SHIFT')).toBe(true);
  });

  it('LINEAR: a poller sees an intermediate production weight', async () => {
    const s = seed({
      strategy: 'LINEAR',
      linearConfiguration: { stepPercent: 50, stepBakeTimeInMinutes: 3 },
    });
    const arn = await deploy(s);
    const mid = await waitFor(
      () => describe1(arn),
      (d) => d.targetServiceRevision?.requestedProductionTrafficWeight === 50,
    );
    expect(mid.sourceServiceRevisions?.[0]?.requestedProductionTrafficWeight).toBe(50);
    expect(mid.status).toBe('IN_PROGRESS');
    expect((await follow(arn)).last.status).toBe('SUCCESSFUL');
  });

  it('CANARY: canaryPercent, then the canary bake, then 100', async () => {
    const s = seed({
      strategy: 'CANARY',
      canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 3 },
    });
    const arn = await deploy(s);
    expect((await follow(arn)).last.status).toBe('SUCCESSFUL');
    const prod = emu.ecsNative
      .deployment(arn)!
      .weightHistory.filter((w) => w.stage === 'PRODUCTION_TRAFFIC_SHIFT');
    expect(prod.map((w) => w.production)).toEqual([10, 100]);
    expect(prod[1]!.at - prod[0]!.at).toBeGreaterThanOrEqual(3 * 60_000);
  });

  it('ROLLING: no lifecycleStage and no weights on the wire; new tasks up, old ones down', async () => {
    const s = seed({ strategy: 'ROLLING' });
    const arn = await deploy(s);
    const { last, seen } = await follow(arn);
    expect(last.status).toBe('SUCCESSFUL');
    expect(seen.every((x) => x.stage === undefined)).toBe(true);
    expect(stagesOf(arn)).toEqual(['PRE_SCALE_UP', 'SCALE_UP', 'POST_SCALE_UP', 'CLEAN_UP']);
    expect(last.targetServiceRevision?.requestedProductionTrafficWeight).toBeUndefined();
    expect(last.targetServiceRevision?.runningTaskCount).toBe(2);
    const stopped = await c.ecs.send(
      new ListTasksCommand({ cluster: s.cluster, serviceName: s.service, desiredStatus: 'STOPPED' }),
    );
    expect(stopped.taskArns).toHaveLength(2);
    const tasks = await c.ecs.send(new DescribeTasksCommand({ cluster: s.cluster, tasks: stopped.taskArns }));
    expect(tasks.tasks?.[0]?.stoppedReason).toMatch(
      /^Scaling activity initiated by \(deployment ecs-svc\/\d+\)$/,
    );
    expect(tasks.tasks?.[0]?.taskDefinitionArn).toBe(s.taskDefinitionArn);
  });

  it('BAKE_TIME: both revisions run, green has all production traffic, the deployment is IN_PROGRESS', async () => {
    const s = seed({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 30 });
    const arn = await deploy(s);
    const d = await waitFor(
      () => describe1(arn),
      (x) => x.lifecycleStage === 'BAKE_TIME',
    );
    expect(d.status).toBe('IN_PROGRESS');
    expect(d.targetServiceRevision).toMatchObject({
      runningTaskCount: 2,
      requestedProductionTrafficWeight: 100,
    });
    expect(d.sourceServiceRevisions?.[0]).toMatchObject({
      runningTaskCount: 2,
      requestedProductionTrafficWeight: 0,
    });
    const rec = emu.ecsNative.deployment(arn)!;
    const bake = rec.history.find((h) => h.stage === 'BAKE_TIME')!;
    expect(emu.clock.now() - bake.at).toBeLessThan(30 * 60_000);
  });

  it('a FAILED Lambda hook rolls the same deployment back, with reason and the stage it started in', async () => {
    const s = seed({
      strategy: 'BLUE_GREEN',
      lifecycleHooks: [
        {
          hookTargetArn: 'arn:aws:lambda:us-east-1:111111111111:function:smoke',
          lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
        },
      ],
      hookOutcomes: { POST_TEST_TRAFFIC_SHIFT: { fail: 'GET /health returned 503' } },
    });
    const arn = await deploy(s);
    const { last, seen } = await follow(arn);
    expect(last.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(seen[seen.length - 1]?.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(emu.ecsNative.deployment(arn)!.statusHistory.map((x) => x.status)).toEqual([
      'PENDING',
      'IN_PROGRESS',
      'ROLLBACK_IN_PROGRESS',
      'ROLLBACK_SUCCESSFUL',
    ]);
    expect(last.rollback?.reason).toContain('GET /health returned 503');
    expect(last.rollback?.reason).toContain('POST_TEST_TRAFFIC_SHIFT');
    expect(last.rollback?.serviceRevisionArn).toBe(s.serviceRevisionArn);
    expect(last.rollback?.startedAt).toBeInstanceOf(Date);
    expect(emu.ecsNative.deployment(arn)!.rollback?.stage).toBe('POST_TEST_TRAFFIC_SHIFT');
    expect(stagesOf(arn, 'rollback')).toEqual(['TEST_TRAFFIC_SHIFT', 'CLEAN_UP']);
    expect(last.targetServiceRevision?.runningTaskCount).toBe(0);
    expect(last.sourceServiceRevisions?.[0]?.runningTaskCount).toBe(2);
    const svc = (await c.ecs.send(new DescribeServicesCommand({ cluster: s.cluster, services: [s.service] })))
      .services![0]!;
    expect(svc.taskDefinition).toBe(s.taskDefinitionArn);
    expect(emu.ecsNative.rule(s.testListenerRuleArn!)?.forward[1]).toEqual({
      targetGroupArn: s.targetGroupArns[1],
      weight: 0,
    });
  });

  it('a PAUSE hook waits with a hookId and expiresAt until ContinueServiceDeployment', async () => {
    const s = seed({
      strategy: 'BLUE_GREEN',
      lifecycleHooks: [
        {
          targetType: 'PAUSE',
          lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
          timeoutConfiguration: { timeoutInMinutes: 600, action: 'ROLLBACK' },
        },
      ],
    });
    const arn = await deploy(s);
    const paused = await waitFor(
      () => describe1(arn),
      (d) => d.lifecycleHookDetails?.[0]?.status === 'AWAITING_ACTION',
    );
    expect(paused.status).toBe('IN_PROGRESS');
    expect(paused.lifecycleStage).toBe('POST_TEST_TRAFFIC_SHIFT');
    const hook = paused.lifecycleHookDetails![0]!;
    expect(hook).toMatchObject({ targetType: 'PAUSE', timeoutAction: 'ROLLBACK' });
    const started = emu.ecsNative.deployment(arn)!.hooks[0]!.startedAt;
    expect(hook.expiresAt!.getTime()).toBe(started + 600 * 60_000);
    await new Promise((r) => setTimeout(r, 200)); // 200 virtual seconds: still waiting
    expect((await describe1(arn)).lifecycleStage).toBe('POST_TEST_TRAFFIC_SHIFT');
    const wrong = await rejection(
      c.ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: arn, hookId: 'nope' })),
    );
    expect(wrong.name).toBe('InvalidParameterException');
    const out = await c.ecs.send(
      new ContinueServiceDeploymentCommand({
        serviceDeploymentArn: arn,
        hookId: hook.hookId!,
        action: 'CONTINUE',
      }),
    );
    expect(out.serviceDeploymentArn).toBe(arn);
    expect((await follow(arn)).last.status).toBe('SUCCESSFUL');
    expect(emu.ecsNative.deployment(arn)!.hooks[0]!.status).toBe('SUCCEEDED');
  });

  it('a PAUSE hook that expires applies its timeout action ROLLBACK', async () => {
    const s = seed({
      strategy: 'CANARY',
      lifecycleHooks: [
        {
          targetType: 'PAUSE',
          lifecycleStages: ['POST_SCALE_UP'],
          timeoutConfiguration: { timeoutInMinutes: 1 },
        },
      ],
    });
    const arn = await deploy(s);
    const { last } = await follow(arn);
    expect(last.status).toBe('ROLLBACK_SUCCESSFUL');
    const rec = emu.ecsNative.deployment(arn)!;
    expect(rec.hooks[0]!.status).toBe('TIMED_OUT');
    expect(rec.hooks[0]!.finishedAt! - rec.hooks[0]!.startedAt).toBe(60_000);
    expect(rec.rollback?.stage).toBe('POST_SCALE_UP');
  });

  it('StopServiceDeployment(ROLLBACK) during the bake rolls the same deployment back; a second stop conflicts', async () => {
    // a slower rollback (configurable durations) so that a poller sees its statuses
    const s = seed({
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 120,
      timing: { requestMs: 300_000, rollbackStepMs: 200_000 },
    });
    const arn = await deploy(s);
    await waitFor(
      () => describe1(arn),
      (d) => d.lifecycleStage === 'BAKE_TIME',
    );
    const out = await c.ecs.send(
      new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }),
    );
    expect(out.serviceDeploymentArn).toBe(arn);
    expect((await describe1(arn)).status).toBe('ROLLBACK_REQUESTED');
    const { last, seen } = await follow(arn);
    expect(last.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(seen.map((x) => x.status)).toEqual(
      expect.arrayContaining(['ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_SUCCESSFUL']),
    );
    const mid = seen.find((x) => x.status === 'ROLLBACK_IN_PROGRESS');
    expect(mid?.stage).toBe('PRODUCTION_TRAFFIC_SHIFT');
    expect(last.rollback?.reason).toBe('Rollback requested by StopServiceDeployment.');
    expect(emu.ecsNative.deployment(arn)!.rollback?.stage).toBe('BAKE_TIME');
    expect(stagesOf(arn, 'rollback')).toEqual(['PRODUCTION_TRAFFIC_SHIFT', 'TEST_TRAFFIC_SHIFT', 'CLEAN_UP']);
    const again = await rejection(
      c.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn })),
    );
    expect(again.name).toBe('ConflictException');
  });

  it('circuit breaker: failing tasks are counted, stopped with exit codes, and the deployment rolls back', async () => {
    const s = seed({
      strategy: 'ROLLING',
      deploymentCircuitBreaker: { enable: true, rollback: true },
      failTasks: { exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' },
    });
    const arn = await deploy(s);
    const { last } = await follow(arn);
    expect(last.status).toBe('ROLLBACK_SUCCESSFUL');
    expect(last.deploymentCircuitBreaker).toEqual({ status: 'TRIGGERED', failureCount: 4, threshold: 3 });
    expect(last.rollback?.reason).toMatch(/Circuit breaker/);
    const stopped = await c.ecs.send(
      new ListTasksCommand({ cluster: s.cluster, serviceName: s.service, desiredStatus: 'STOPPED' }),
    );
    const tasks = await c.ecs.send(new DescribeTasksCommand({ cluster: s.cluster, tasks: stopped.taskArns }));
    const failed = tasks.tasks!.filter((t) => t.stopCode === 'EssentialContainerExited');
    expect(failed).toHaveLength(4);
    expect(failed[0]).toMatchObject({
      stoppedReason: 'Essential container in task exited',
      lastStatus: 'STOPPED',
    });
    expect(failed[0]!.containers?.[0]).toMatchObject({
      exitCode: 137,
      reason: 'OutOfMemoryError: Container killed due to memory usage',
    });
    const running = await c.ecs.send(new ListTasksCommand({ cluster: s.cluster, serviceName: s.service }));
    expect(running.taskArns).toHaveLength(2);
    const svc = (await c.ecs.send(new DescribeServicesCommand({ cluster: s.cluster, services: [s.service] })))
      .services![0]!;
    expect(svc.events?.map((e) => e.message)).toContain(
      `(service ${s.service}) (deployment ${emu.ecsNative.deployment(arn)!.ecsId}) deployment failed: tasks failed to start.`,
    );
  });

  it('circuit breaker without rollback: STOPPED, and deployments[] shows the rollout FAILED', async () => {
    const s = seed({
      strategy: 'ROLLING',
      deploymentCircuitBreaker: {
        enable: true,
        rollback: false,
        thresholdConfiguration: { type: 'COUNT', value: 2 },
      },
      failTasks: { exitCode: 1 },
    });
    const arn = await deploy(s);
    const { last } = await follow(arn);
    expect(last.status).toBe('STOPPED');
    expect(last.stoppedAt).toBeInstanceOf(Date);
    expect(last.deploymentCircuitBreaker).toMatchObject({ status: 'TRIGGERED', threshold: 2 });
    const svc = (await c.ecs.send(new DescribeServicesCommand({ cluster: s.cluster, services: [s.service] })))
      .services![0]!;
    expect(svc.deployments?.[0]).toMatchObject({ status: 'PRIMARY', rolloutState: 'FAILED', failedTasks: 2 });
  });

  it.each([
    ['developer-guide', 'ROLLBACK_SUCCESSFUL', 'TRIGGERED'],
    ['api-reference', 'IN_PROGRESS', 'DISABLED'],
  ] as const)(
    'circuit breaker with BLUE_GREEN, as the %s reads it: %s, breaker %s',
    async (reading, status, breaker) => {
      const s = seed({
        strategy: 'BLUE_GREEN',
        deploymentCircuitBreaker: { enable: true, rollback: true },
        failTasks: { exitCode: 1 },
        readings: { circuitBreakerBlueGreen: reading },
      });
      const arn = await deploy(s);
      // long enough for the breaker (threshold 3) to trip twice over: 4 failed tasks every 15 s
      await waitFor(
        () => describe1(arn),
        (d) => d.status !== 'PENDING' && emu.clock.now() - d.createdAt!.getTime() > 120_000,
      );
      const d = await describe1(arn);
      expect(d.status).toBe(status);
      expect(d.deploymentCircuitBreaker?.status).toBe(breaker);
      if (reading === 'api-reference') {
        // ECS keeps replacing the failing tasks at SCALE_UP; only a timeout or a stop ends it
        expect(d.lifecycleStage).toBe('SCALE_UP');
        const stopped = await c.ecs.send(
          new ListTasksCommand({ cluster: s.cluster, serviceName: s.service, desiredStatus: 'STOPPED' }),
        );
        expect(stopped.taskArns!.length).toBeGreaterThan(4);
        // end it, so that the next tests' snapshots hold still
        await c.ecs.send(
          new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: 'ROLLBACK' }),
        );
        expect((await follow(arn)).last.status).toBe('ROLLBACK_SUCCESSFUL');
      }
    },
  );

  it('BLUE_GREEN without bakeTimeInMinutes: the API reference reading rejects it, the CloudFormation one bakes 2160 min', async () => {
    const s = seed({ strategy: 'ROLLING', bakeTimeInMinutes: null });
    const before = emu.snapshot();
    const refused = await rejection(
      c.ecs.send(
        new UpdateServiceCommand({
          cluster: s.cluster,
          service: s.service,
          deploymentConfiguration: { strategy: 'BLUE_GREEN' },
        }),
      ),
    );
    expect(refused.name).toBe('InvalidParameterException');
    expect(refused.message).toMatch(
      /You must provide this parameter when you use the BLUE_GREEN deployment strategy/,
    );
    expect(emu.snapshot()).toBe(before);
    // LINEAR is not BLUE_GREEN: the API reference does not require it there
    await c.ecs.send(
      new UpdateServiceCommand({
        cluster: s.cluster,
        service: s.service,
        deploymentConfiguration: { strategy: 'LINEAR' },
      }),
    );
    const t = seed({
      strategy: 'ROLLING',
      bakeTimeInMinutes: null,
      readings: { missingBakeTime: 'cloudformation' },
    });
    const upd = await c.ecs.send(
      new UpdateServiceCommand({
        cluster: t.cluster,
        service: t.service,
        deploymentConfiguration: { strategy: 'BLUE_GREEN' },
      }),
    );
    expect(upd.service?.deploymentConfiguration?.bakeTimeInMinutes).toBe(2160);
    const given = seed({ strategy: 'ROLLING', bakeTimeInMinutes: null });
    const ok = await c.ecs.send(
      new UpdateServiceCommand({
        cluster: given.cluster,
        service: given.service,
        deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 0 },
      }),
    );
    expect(ok.service?.deploymentConfiguration).toMatchObject({
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 0,
    });
  });

  it.each([
    ['target-groups-not-on-rules', /Both targetGroup and alternateTargetGroup must be associated/],
    ['missing-role', /roleArn is missing/],
    ['missing-advanced-configuration', /has no advancedConfiguration/],
  ] as const)(
    'a misconfigured service (%s) is accepted by UpdateService and fails late',
    async (kind, message) => {
      const s = seed({ strategy: 'BLUE_GREEN', misconfiguration: kind });
      const arn = await deploy(s);
      const { last } = await follow(arn);
      expect(last.status).toBe('ROLLBACK_SUCCESSFUL');
      expect(last.statusReason).toMatch(message);
      expect(emu.ecsNative.deployment(arn)!.rollback?.stage).toBe('TEST_TRAFFIC_SHIFT');
      expect(stagesOf(arn).slice(0, 3)).toEqual(['PRE_SCALE_UP', 'SCALE_UP', 'POST_SCALE_UP']);
    },
  );

  it.each(['ROLLING', 'BLUE_GREEN'] as const)(
    '%s: a second UpdateService replaces the deployment in flight (STOPPED, "Replaced by a new service deployment.")',
    async (strategy) => {
      // ROLLING has no bake: a longer scale-up keeps the first one in flight on a loaded machine
      const s = seed({
        strategy,
        bakeTimeInMinutes: 10,
        ...(strategy === 'ROLLING' ? { timing: { scaleUpMs: 120_000 } } : {}),
      });
      const first = await deploy(s);
      await waitFor(
        () => describe1(first),
        (d) => d.status === 'IN_PROGRESS' && (strategy === 'ROLLING' || d.lifecycleStage === 'BAKE_TIME'),
      );
      const second = await deploy(s);
      const { last: replaced } = await follow(first);
      expect(replaced.status).toBe('STOPPED');
      expect(replaced.statusReason).toBe('Replaced by a new service deployment.');
      expect(emu.ecsNative.deployment(first)!.replacedBy).toBe(second);
      const { last: newer } = await follow(second);
      expect(newer.status).toBe('SUCCESSFUL');
      // the older one ends about 10 ms after the newer one starts (kayac/ecspresso#929)
      expect(replaced.finishedAt!.getTime() - newer.startedAt!.getTime()).toBe(10);
      // the newer one took over the replaced one's new tasks and stopped them at CLEAN_UP
      const firstTarget = emu.ecsNative.deployment(first)!.targetRevisionArn;
      expect(newer.sourceServiceRevisions?.map((r) => r.arn)).toContain(firstTarget);
      const running = await c.ecs.send(new ListTasksCommand({ cluster: s.cluster, serviceName: s.service }));
      const described = await c.ecs.send(
        new DescribeTasksCommand({ cluster: s.cluster, tasks: running.taskArns! }),
      );
      expect(new Set(described.tasks!.map((t) => t.taskDefinitionArn))).toEqual(
        new Set([emu.ecsNative.state().revisions.get(newer.targetServiceRevision!.arn!)!.taskDefinition]),
      );
      // ListServiceDeployments shows both, the older one STOPPED with its reason
      const listed = await c.ecs.send(
        new ListServiceDeploymentsCommand({ cluster: s.cluster, service: s.service }),
      );
      expect(listed.serviceDeployments?.find((b) => b.serviceDeploymentArn === first)).toMatchObject({
        status: 'STOPPED',
        statusReason: 'Replaced by a new service deployment.',
      });
    },
  );

  it('a deployment being rolled back is not replaced: the newer one starts when the rollback ends', async () => {
    const s = seed({ strategy: 'BLUE_GREEN', bakeTimeInMinutes: 10 });
    const first = await deploy(s);
    await waitFor(
      () => describe1(first),
      (d) => d.lifecycleStage === 'BAKE_TIME',
    );
    await c.ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: first, stopType: 'ROLLBACK' }));
    const second = await deploy(s);
    const { last: rolledBack } = await follow(first);
    expect(rolledBack.status).toBe('ROLLBACK_SUCCESSFUL');
    const { last: newer } = await follow(second);
    expect(newer.status).toBe('SUCCESSFUL');
    expect(newer.startedAt!.getTime()).toBeGreaterThanOrEqual(rolledBack.finishedAt!.getTime());
  });

  it('ListServiceDeployments filters by createdAt and status, newest first', async () => {
    const s = seed({ strategy: 'ROLLING' });
    const first = await deploy(s);
    await follow(first);
    emu.ecsNative.setTiming(s.cluster, s.service, { scaleUpMs: 3_600_000 }); // the second stays IN_PROGRESS
    const between = new Date(emu.clock.now());
    await new Promise((r) => setTimeout(r, 5));
    const second = await deploy(s);
    const all = await c.ecs.send(
      new ListServiceDeploymentsCommand({ cluster: s.cluster, service: s.service }),
    );
    expect(all.serviceDeployments?.map((d) => d.serviceDeploymentArn)).toEqual([
      second,
      first,
      s.initialDeploymentArn,
    ]);
    const after = await c.ecs.send(
      new ListServiceDeploymentsCommand({
        cluster: s.cluster,
        service: s.service,
        createdAt: { after: between },
      }),
    );
    expect(after.serviceDeployments?.map((d) => d.serviceDeploymentArn)).toEqual([second]);
    const before = await c.ecs.send(
      new ListServiceDeploymentsCommand({
        cluster: s.cluster,
        service: s.service,
        createdAt: { before: between },
      }),
    );
    expect(before.serviceDeployments?.map((d) => d.serviceDeploymentArn)).toEqual([
      first,
      s.initialDeploymentArn,
    ]);
    const ok = await c.ecs.send(
      new ListServiceDeploymentsCommand({ cluster: s.cluster, service: s.service, status: ['SUCCESSFUL'] }),
    );
    expect(ok.serviceDeployments?.map((d) => d.serviceDeploymentArn)).toContain(first);
    expect(ok.serviceDeployments?.map((d) => d.serviceDeploymentArn)).not.toContain(second);
  });

  it('a stale currentServiceDeployment (switch) still names the previous deployment for a while', async () => {
    const s = seed({ strategy: 'BLUE_GREEN', staleCurrentDeploymentMs: 10 * 60_000, bakeTimeInMinutes: 30 });
    const arn = await deploy(s);
    const svc = (await c.ecs.send(new DescribeServicesCommand({ cluster: s.cluster, services: [s.service] })))
      .services![0]!;
    expect(svc.currentServiceDeployment).toBe(s.initialDeploymentArn);
    const later = await waitFor(
      () => c.ecs.send(new DescribeServicesCommand({ cluster: s.cluster, services: [s.service] })),
      (o) => o.services?.[0]?.currentServiceDeployment === arn,
    );
    expect(later.services?.[0]?.deployments?.map((d) => d.status)).toEqual(['PRIMARY', 'ACTIVE']);
  });

  it('rejects a PAUSE hook at PRODUCTION_TRAFFIC_SHIFT before changing anything', async () => {
    const s = seed({ strategy: 'LINEAR' });
    const before = emu.snapshot();
    const e = await rejection(
      c.ecs.send(
        new UpdateServiceCommand({
          cluster: s.cluster,
          service: s.service,
          taskDefinition: s.taskDefinitionArn,
          forceNewDeployment: true,
          deploymentConfiguration: {
            lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['PRODUCTION_TRAFFIC_SHIFT'] }],
          },
        }),
      ),
    );
    expect(e.name).toBe('InvalidParameterException');
    expect(e.message).toContain('lifecycleHooks[0].lifecycleStages: PRODUCTION_TRAFFIC_SHIFT');
    expect(emu.snapshot()).toBe(before);
  });
});

describe('the controller switch CODE_DEPLOY → ECS', () => {
  it('refuses UpdateService(taskDefinition) on a CODE_DEPLOY service, then migrates and deploys with BLUE_GREEN', async () => {
    const bg = emu.seed.blueGreenService({ cluster: 'mig', service: 'web' });
    const td = (
      await c.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: bg.family,
          containerDefinitions: [{ name: 'web', image: 'web:v2', portMappings: [{ containerPort: 8080 }] }],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
    const refused = await rejection(
      c.ecs.send(new UpdateServiceCommand({ cluster: 'mig', service: 'web', taskDefinition: td })),
    );
    expect(refused.name).toBe('InvalidParameterException');
    expect(refused.message).toMatch(/CODE_DEPLOY deployment controller/);

    const rule = emu.ecsNative.listenerRule(bg.prodListenerArn, bg.targetGroupArns);
    const role = emu.seed.role({ name: 'ecs-infra', trustPolicy: {} }).arn;
    const t0 = new Date(emu.clock.now() - 1);
    const upd = await c.ecs.send(
      new UpdateServiceCommand({
        cluster: 'mig',
        service: 'web',
        taskDefinition: td,
        deploymentController: { type: 'ECS' },
        deploymentConfiguration: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 1 },
        loadBalancers: [
          {
            targetGroupArn: bg.targetGroupArns[0],
            containerName: 'web',
            containerPort: 8080,
            advancedConfiguration: {
              alternateTargetGroupArn: bg.targetGroupArns[1],
              productionListenerRule: rule,
              roleArn: role,
            },
          },
        ],
      }),
    );
    expect(upd.service?.deploymentController?.type).toBe('ECS');
    expect(upd.service?.taskSets).toEqual([]);
    const list = await c.ecs.send(
      new ListServiceDeploymentsCommand({ cluster: 'mig', service: 'web', createdAt: { after: t0 } }),
    );
    const { last } = await follow(list.serviceDeployments![0]!.serviceDeploymentArn!);
    expect(last.status).toBe('SUCCESSFUL');
    expect(last.sourceServiceRevisions?.[0]?.runningTaskCount).toBe(0);
    const back = await rejection(
      c.ecs.send(
        new UpdateServiceCommand({
          cluster: 'mig',
          service: 'web',
          deploymentController: { type: 'CODE_DEPLOY' },
        }),
      ),
    );
    expect(back.name).toBe('InvalidParameterException');
  });

  it('takes a deploymentConfiguration-only UpdateService on a CODE_DEPLOY service (API reference UpdateService)', async () => {
    emu.seed.blueGreenService({ cluster: 'cdcfg', service: 'web' });
    const upd = await c.ecs.send(
      new UpdateServiceCommand({
        cluster: 'cdcfg',
        service: 'web',
        deploymentConfiguration: { maximumPercent: 150, minimumHealthyPercent: 50 },
        desiredCount: 3,
        healthCheckGracePeriodSeconds: 30,
      }),
    );
    expect(upd.service?.deploymentController?.type).toBe('CODE_DEPLOY');
    expect(upd.service?.deploymentConfiguration).toMatchObject({
      maximumPercent: 150,
      minimumHealthyPercent: 50,
    });
    expect(upd.service?.desiredCount).toBe(3);
    const described = await c.ecs.send(new DescribeServicesCommand({ cluster: 'cdcfg', services: ['web'] }));
    expect(described.services?.[0]?.deploymentConfiguration?.maximumPercent).toBe(150);
    // no deployment started, no task set added: CodeDeploy still owns the deployments
    expect(described.services?.[0]?.taskSets).toHaveLength(1);
    // what only a CodeDeploy deployment may change is still refused
    const network = await rejection(
      c.ecs.send(
        new UpdateServiceCommand({
          cluster: 'cdcfg',
          service: 'web',
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
        }),
      ),
    );
    expect(network.name).toBe('InvalidParameterException');
    expect(network.message).toMatch(
      /networkConfiguration on services with a CODE_DEPLOY deployment controller/,
    );
  });

  it('refuses the switch while the service has more than one task set', async () => {
    const bg = emu.seed.blueGreenService({ cluster: 'mig2', service: 'web' });
    const svc = emu.state.services.get('mig2/web')!;
    svc.taskSets.push({ ...svc.taskSets[0]!, id: 'ecs-svc/2', status: 'ACTIVE' });
    const e = await rejection(
      c.ecs.send(
        new UpdateServiceCommand({
          cluster: bg.cluster,
          service: 'web',
          deploymentController: { type: 'ECS' },
        }),
      ),
    );
    expect(e.message).toBe(
      'Updating the deployment controller is not supported when there are multiple tasksets in the service.',
    );
    expect(svc.deploymentController).toBe('CODE_DEPLOY');
  });
});

describe('ELBv2 DescribeRules', () => {
  it('by ListenerArn: every rule of that listener, then its default rule; by RuleArns: those rules; never both', async () => {
    const s = seed();
    const byListener = await c.elb.send(new DescribeRulesCommand({ ListenerArn: s.prodListenerArn }));
    const rules = byListener.Rules ?? [];
    expect(rules.map((r) => r.RuleArn)).toContain(s.productionListenerRuleArn);
    expect(rules.at(-1)).toMatchObject({ IsDefault: true, Priority: 'default' });
    expect(rules.filter((r) => r.IsDefault)).toHaveLength(1);
    // the test listener's rule is not the production listener's
    if (s.testListenerRuleArn) expect(rules.map((r) => r.RuleArn)).not.toContain(s.testListenerRuleArn);
    const byArn = await c.elb.send(new DescribeRulesCommand({ RuleArns: [s.productionListenerRuleArn] }));
    expect(byArn.Rules?.map((r) => r.RuleArn)).toEqual([s.productionListenerRuleArn]);
    const both = await rejection(
      c.elb.send(
        new DescribeRulesCommand({ ListenerArn: s.prodListenerArn, RuleArns: [s.productionListenerRuleArn] }),
      ),
    );
    expect(both.name).toBe('ValidationError');
    const unknown = await rejection(
      c.elb.send(new DescribeRulesCommand({ ListenerArn: `${s.prodListenerArn}-gone` })),
    );
    expect(unknown.name).toBe('ListenerNotFoundException');
  });
});

describe('UpdateService retried', () => {
  it('with the task definition the service is set to: no second deployment (the first goes on); forceNewDeployment starts one', async () => {
    const s = seed({ bakeTimeInMinutes: 30 });
    const td = await newRevision(s, 'retried');
    const update = (extra: Record<string, unknown> = {}) =>
      c.ecs.send(
        new UpdateServiceCommand({ cluster: s.cluster, service: s.service, taskDefinition: td, ...extra }),
      );
    const listed = async () =>
      (await c.ecs.send(new ListServiceDeploymentsCommand({ cluster: s.cluster, service: s.service })))
        .serviceDeployments ?? [];
    const before = (await listed()).length;
    await update();
    await update(); // the retry of a call whose answer was lost
    const after = await listed();
    expect(after).toHaveLength(before + 1);
    expect(after[0]?.status).toMatch(/PENDING|IN_PROGRESS/);
    await update({ forceNewDeployment: true });
    expect(await listed()).toHaveLength(before + 2);
  });
});
