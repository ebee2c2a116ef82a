/**
 * `npm run bench` — how late the action notices the states it waits for, what it costs in API calls,
 * how big the bundle is and how fast it starts. Runs dist/index.js against the local emulator on
 * scripted timelines and writes docs/benchmarks.md. A benchmark, not a test: it never fails on a slow
 * machine.
 *
 *   npm run bench [-- --runs 2 --parallel 1 --scale 15 --out docs/benchmarks.md]
 *
 * Two runs per timeline and one run of the parallel row by default (the timelines' own length on the ×15
 * clock sets the floor: about 4.7 real minutes for two runs of each); `--runs 4 --parallel 2` for
 * tighter medians.
 *
 * Latency is measured in deployment time on the emulator's clock: the moment the state was reached
 * (the deployment's completeTime, the lifecycle event's endTime) to the first GetDeployment /
 * GetDeploymentTarget call after it — the poll that saw it. The clock runs `scale` times faster than
 * real time, so real overheads (process start, loopback round trips) count `scale` times; the
 * numbers are therefore a little pessimistic.
 *
 * For comparison, the official action waits with the SDK waiter waitUntilDeploymentSuccessful
 * (minDelay 15 s, maxDelay 120 s, exponential backoff with jitter, @smithy/core util-waiter). Its
 * latency for the same timelines is computed by replaying that schedule, 1000 draws per timeline.
 */
import { statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  GetDeploymentCommand,
  GetDeploymentTargetCommand,
  CodeDeployClient,
} from '@aws-sdk/client-codedeploy';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { runAction, REPO_ROOT } from '../scripts/action-runner.js';
import { appSpecYaml, githubTrustPolicy, taskDefinitionFile } from '../emulator/scenario.js';
import type { NativeServiceOptions } from '../emulator/ecs-native/index.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '2' },
    scale: { type: 'string', default: '15' },
    out: { type: 'string', default: 'docs/benchmarks.md' },
    only: { type: 'string' },
    parallel: { type: 'string', default: '1' },
    'parallel-scale': { type: 'string', default: '5' },
  },
});
const RUNS = Math.max(1, Number(values.runs));
const SCALE = Number(values.scale);

type Goal = 'ready' | 'traffic-shifted' | 'succeeded';
interface Scenario {
  name: string;
  config: string;
  terminationWaitMinutes: number;
  goal: Goal;
  hold?: boolean;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'canary 10% / 5 min, termination wait 5 min',
    config: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
    terminationWaitMinutes: 5,
    goal: 'succeeded',
  },
  {
    name: 'canary 10% / 5 min, until traffic shifted',
    config: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
    terminationWaitMinutes: 5,
    goal: 'traffic-shifted',
  },
  {
    name: 'linear 10% every 1 min, no termination wait',
    config: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
    terminationWaitMinutes: 0,
    goal: 'succeeded',
  },
  {
    name: 'all at once, termination wait 5 min',
    config: 'CodeDeployDefault.ECSAllAtOnce',
    terminationWaitMinutes: 5,
    goal: 'succeeded',
  },
  {
    name: 'all at once, no termination wait',
    config: 'CodeDeployDefault.ECSAllAtOnce',
    terminationWaitMinutes: 0,
    goal: 'succeeded',
  },
  {
    name: 'held for testing, until ready',
    config: 'CodeDeployDefault.ECSAllAtOnce',
    terminationWaitMinutes: 5,
    goal: 'ready',
    hold: true,
  },
];

const POLL_ACTIONS = new Set(['GetDeployment', 'GetDeploymentTarget', 'BatchGetDeployments']);
const AWS_SERVICES = new Set(['ecs', 'codedeploy', 'elbv2']);

interface RunMeasurement {
  goalLatencyS: number;
  eventLatenciesS: number[];
  callsPerMinute: number;
  calls: number;
  deploymentMinutes: number;
  goalAtS: number;
  realSeconds: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}
const max = (xs: number[]): number => xs.reduce((a, b) => Math.max(a, b), -Infinity);
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');

async function seed(emulator: Emulator, scenario: Scenario) {
  const seeded = emulator.seed.blueGreenService({
    deploymentConfig: scenario.config,
    terminationWaitMinutes: scenario.terminationWaitMinutes,
    readyOption: scenario.hold
      ? { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 60 }
      : { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
  });
  // A hook of random length: each run's transitions fall at a different point of the action's poll cycle.
  emulator.seed.lambda('bench-smoke-test', { delayMs: 2000 + Math.floor(Math.random() * 20_000) });
  const role = emulator.seed.role({
    name: 'bench-deploy',
    trustPolicy: githubTrustPolicy(emulator.accountId, 'repo:acme/web:*'),
  });
  emulator.oidc.setClaims({ repository: 'acme/web', sub: 'repo:acme/web:ref:refs/heads/main' });
  return { seeded, role };
}

function timeOf(d: Date | undefined): number | undefined {
  return d ? d.getTime() : undefined;
}

type Seeded = ReturnType<Emulator['seed']['blueGreenService']>;

/** One deploy job, run as the runner runs dist/index.js. */
function deploy(emulator: Emulator, roleArn: string, seeded: Seeded, goal: Goal, hook: string) {
  return runAction({
    env: emulator.env(),
    inputs: {
      'aws-region': emulator.region,
      'role-to-assume': roleArn,
      cluster: seeded.cluster,
      service: seeded.service,
      'task-definition-arn': seeded.taskDefinitionArn,
      'codedeploy-appspec': 'appspec.yaml',
      'wait-until': goal,
    },
    files: {
      'appspec.yaml': appSpecYaml(seeded.containerName, seeded.containerPort, {
        AfterAllowTestTraffic: hook,
      }),
    },
    timeoutMs: 15 * 60_000,
  });
}

/** The bench's own CodeDeploy client, to read the deployments' times once the jobs are done. */
function benchClient(emulator: Emulator): CodeDeployClient {
  const env = emulator.env();
  return new CodeDeployClient({
    region: emulator.region,
    endpoint: emulator.url,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
    },
  });
}

async function measure(scenario: Scenario): Promise<RunMeasurement> {
  const emulator = await startEmulator({ clockScale: SCALE });
  try {
    const { seeded, role } = await seed(emulator, scenario);
    const started = Date.now();
    const result = await deploy(emulator, role.arn, seeded, scenario.goal, 'bench-smoke-test');
    const realSeconds = (Date.now() - started) / 1000;
    if (result.exitCode !== 0)
      throw new Error(`${scenario.name}: the action failed\n${result.stdout.slice(-3000)}`);
    const id = result.outputs['codedeploy-deployment-id'] as string;
    const client = benchClient(emulator);
    const info = (await client.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo;
    const target = (
      await client.send(
        new GetDeploymentTargetCommand({ deploymentId: id, targetId: `${seeded.cluster}:${seeded.service}` }),
      )
    ).deploymentTarget?.ecsTarget;
    const events = target?.lifecycleEvents ?? [];
    const eventEnd = (name: string): number | undefined =>
      timeOf(events.find((e) => e.lifecycleEventName === name)?.endTime);
    const reachedAt =
      scenario.goal === 'succeeded'
        ? timeOf(info?.completeTime)
        : scenario.goal === 'traffic-shifted'
          ? eventEnd('AfterAllowTraffic')
          : eventEnd('AfterAllowTestTraffic');
    const createdAt = timeOf(info?.createTime);
    if (reachedAt === undefined || createdAt === undefined)
      throw new Error(`${scenario.name}: no transition time for ${scenario.goal}`);
    const calls = emulator.calls.filter((c) => AWS_SERVICES.has(c.service));
    const polls = calls.filter((c) => POLL_ACTIONS.has(c.action));
    const firstPollAfter = (t: number): number | undefined => polls.find((c) => c.at >= t)?.at;
    const detectedAt = firstPollAfter(reachedAt);
    if (detectedAt === undefined) throw new Error(`${scenario.name}: no poll after the goal was reached`);
    const eventLatenciesS = events
      .map((e) => timeOf(e.endTime))
      .filter((t): t is number => t !== undefined && t <= reachedAt)
      .map((t) => ((firstPollAfter(t) ?? t) - t) / 1000);
    const during = calls.filter((c) => c.at >= createdAt && c.at <= detectedAt);
    const minutes = (detectedAt - createdAt) / 60_000;
    return {
      goalLatencyS: (detectedAt - reachedAt) / 1000,
      eventLatenciesS,
      callsPerMinute: during.length / Math.max(minutes, 1 / 60),
      calls: during.length,
      deploymentMinutes: minutes,
      goalAtS: (reachedAt - createdAt) / 1000,
      realSeconds,
    };
  } finally {
    await emulator.stop();
  }
}

/** The official action's waiter: first check at once, then delays drawn as @smithy util-waiter does. */
function officialWaiterLatency(
  reachedAfterS: number,
  draws = 1000,
): { median: number; worst: number; callsPerMinute: number } {
  const minDelay = 15;
  const maxDelay = 120;
  const ceiling = Math.log(maxDelay / minDelay) / Math.log(2) + 1;
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const latencies: number[] = [];
  const rates: number[] = [];
  for (let d = 0; d < draws; d++) {
    let t = 0;
    let attempt = 0;
    let polls = 1;
    while (t < reachedAfterS) {
      attempt++;
      const delay =
        attempt > ceiling
          ? maxDelay
          : minDelay + random() * (Math.min(minDelay * 2 ** (attempt - 1), maxDelay) - minDelay);
      t += delay;
      polls++;
    }
    latencies.push(t - reachedAfterS);
    rates.push(polls / Math.max(t / 60, 1 / 60));
  }
  return { median: median(latencies), worst: max(latencies), callsPerMinute: median(rates) };
}

/** Issue #9 part 6: one account, many deployments at once, CodeDeploy's read limit shared by all. */
const PARALLEL_SERVICES = 12;
const PARALLEL_LIMIT_PER_MINUTE = 40;
const PARALLEL_RUNS = Math.max(0, Number(values.parallel));
/**
 * A slower clock for this row: twelve node processes share the machine's cores, and at ×15 their start-up
 * and CPU wait would spread the jobs over minutes of deployment time, so they would hardly overlap.
 */
const PARALLEL_SCALE = Number(values['parallel-scale']);

interface ParallelMeasurement {
  spuriousFailures: number;
  goalLatenciesS: number[];
  callsPerMinute: number[];
  passed: number;
  throttled: number;
  minutes: number[];
  realSeconds: number;
}

/**
 * Twelve all-at-once deployments without termination wait (the densest polling) started together, one
 * emulator, a token bucket of 40 reads a minute (burst 40) for the whole account. Each job is told from
 * the others by its access key (its own role session); its CreateDeployment call names the deployment.
 */
async function measureParallel(): Promise<ParallelMeasurement> {
  const emulator = await startEmulator({ clockScale: PARALLEL_SCALE });
  try {
    const role = emulator.seed.role({
      name: 'bench-deploy',
      trustPolicy: githubTrustPolicy(emulator.accountId, 'repo:acme/web:*'),
    });
    emulator.oidc.setClaims({ repository: 'acme/web', sub: 'repo:acme/web:ref:refs/heads/main' });
    const services = Array.from({ length: PARALLEL_SERVICES }, (_, i) => {
      const hook = `bench-smoke-test-${i}`;
      emulator.seed.lambda(hook, { delayMs: 2000 + Math.floor(Math.random() * 20_000) });
      const seeded = emulator.seed.blueGreenService({
        cluster: 'bench',
        service: `svc-${i}`,
        family: `svc-${i}`,
        deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce',
        terminationWaitMinutes: 0,
        readyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
      });
      return { seeded, hook };
    });
    emulator.faults.set({
      rateLimit: { perMinute: PARALLEL_LIMIT_PER_MINUTE, burst: PARALLEL_LIMIT_PER_MINUTE, scope: 'reads' },
    });
    const started = Date.now();
    const results = await Promise.all(
      services.map(({ seeded, hook }) => deploy(emulator, role.arn, seeded, 'succeeded', hook)),
    );
    const realSeconds = (Date.now() - started) / 1000;
    const limits = emulator.rateLimit.stats();
    emulator.faults.set({ rateLimit: undefined });

    const client = benchClient(emulator);
    const calls = emulator.calls.filter((c) => AWS_SERVICES.has(c.service));
    const creates = calls.filter((c) => c.action === 'CreateDeployment' && c.status === 200);
    const measurement: ParallelMeasurement = {
      spuriousFailures: results.filter((r) => r.exitCode !== 0).length,
      goalLatenciesS: [],
      callsPerMinute: [],
      passed: limits.passed,
      throttled: limits.throttled,
      minutes: [],
      realSeconds,
    };
    for (const [i, result] of results.entries()) {
      if (result.exitCode !== 0) {
        console.log(`  svc-${i} failed:\n${result.stdout.slice(-1500)}`);
        continue;
      }
      const id = result.outputs['codedeploy-deployment-id'] as string;
      const info = (await client.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo;
      const createdAt = timeOf(info?.createTime);
      const reachedAt = timeOf(info?.completeTime);
      if (createdAt === undefined || reachedAt === undefined) continue;
      // the job's access key: the one whose CreateDeployment came at the deployment's createTime
      const create = creates.reduce((best, c) =>
        Math.abs(c.at - createdAt) < Math.abs(best.at - createdAt) ? c : best,
      );
      const own = calls.filter((c) => c.accessKeyId === create.accessKeyId);
      const seen = own.find((c) => POLL_ACTIONS.has(c.action) && c.status === 200 && c.at >= reachedAt);
      if (!seen) continue;
      const during = own.filter((c) => c.at >= createdAt && c.at <= seen.at);
      const minutes = (seen.at - createdAt) / 60_000;
      measurement.goalLatenciesS.push((seen.at - reachedAt) / 1000);
      measurement.callsPerMinute.push(during.length / Math.max(minutes, 1 / 60));
      measurement.minutes.push(minutes);
    }
    return measurement;
  } finally {
    await emulator.stop();
  }
}

async function startupMs(): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const emulator = await startEmulator({ clockScale: 1 });
    try {
      const { seeded, role } = await seed(emulator, SCENARIOS[4] as Scenario);
      const started = Date.now();
      await runAction({
        env: emulator.env(),
        inputs: {
          'aws-region': emulator.region,
          'role-to-assume': role.arn,
          cluster: seeded.cluster,
          service: 'not-there',
          'task-definition-arn': seeded.taskDefinitionArn,
        },
      });
      const first = emulator.calls.find((c) => c.service !== 'oidc');
      if (first) samples.push(first.at - started);
    } finally {
      await emulator.stop();
    }
  }
  return samples;
}

/** ECS-native timelines (issue #11): the action following ECS's own service deployments. */
interface NativeScenario {
  name: string;
  options: NativeServiceOptions;
  goal: Goal;
}

const NATIVE_SCENARIOS: NativeScenario[] = [
  {
    name: 'ECS blue/green, bake 5 min',
    options: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5 },
    goal: 'succeeded',
  },
  {
    name: 'ECS blue/green, bake 5 min, until traffic shifted',
    options: { strategy: 'BLUE_GREEN', bakeTimeInMinutes: 5 },
    goal: 'traffic-shifted',
  },
  {
    name: 'ECS linear 25% every 1 min, bake 2 min',
    options: {
      strategy: 'LINEAR',
      bakeTimeInMinutes: 2,
      linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 1 },
    },
    goal: 'succeeded',
  },
  {
    name: 'ECS canary 10% / 5 min, bake 2 min',
    options: {
      strategy: 'CANARY',
      bakeTimeInMinutes: 2,
      canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 5 },
    },
    goal: 'succeeded',
  },
  {
    name: 'ECS blue/green, pause hook, until ready',
    options: {
      strategy: 'BLUE_GREEN',
      bakeTimeInMinutes: 5,
      lifecycleHooks: [{ targetType: 'PAUSE', lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'] }],
    },
    goal: 'ready',
  },
  { name: 'ECS rolling', options: { strategy: 'ROLLING' }, goal: 'succeeded' },
];

async function measureNative(scenario: NativeScenario): Promise<RunMeasurement> {
  const emulator = await startEmulator({ clockScale: SCALE });
  try {
    const s = emulator.seed.ecsNativeService({ service: 'bench', ...scenario.options });
    const role = emulator.seed.role({
      name: 'github-deploy-bench',
      trustPolicy: githubTrustPolicy(emulator.accountId, 'repo:acme/web:environment:bench'),
    });
    emulator.oidc.setClaims({
      repository: 'acme/web',
      environment: 'bench',
      sub: 'repo:acme/web:environment:bench',
    });
    const started = Date.now();
    const result = await runAction({
      env: emulator.env(),
      inputs: {
        'aws-region': emulator.region,
        'role-to-assume': role.arn,
        cluster: s.cluster,
        service: s.service,
        'task-definition': 'task-definition.json',
        'wait-until': scenario.goal,
      },
      files: {
        'task-definition.json': JSON.stringify(
          taskDefinitionFile({
            family: s.family,
            containerName: s.containerName,
            containerPort: s.containerPort,
            accountId: emulator.accountId,
            secretValue: 'bench-not-a-secret',
          }),
        ),
      },
      timeoutMs: 15 * 60_000,
    });
    const realSeconds = (Date.now() - started) / 1000;
    if (result.exitCode !== 0)
      throw new Error(`${scenario.name}: the action failed\n${result.stdout.slice(-3000)}`);
    const d = emulator.ecsNative.deployment(result.outputs['deployment-id'] as string);
    if (!d) throw new Error(`${scenario.name}: no deployment`);
    const stageAt = (stage: string): number | undefined =>
      d.history.find((h) => h.stage === stage && h.mode === 'deploy')?.at;
    const reachedAt =
      scenario.goal === 'succeeded'
        ? d.statusHistory.find((x) => x.status === 'SUCCESSFUL')?.at
        : scenario.goal === 'traffic-shifted'
          ? scenario.options.strategy === 'ROLLING'
            ? undefined
            : stageAt('BAKE_TIME')
          : stageAt('POST_TEST_TRAFFIC_SHIFT');
    const createdAt = d.statusHistory[0]?.at;
    if (reachedAt === undefined || createdAt === undefined)
      throw new Error(`${scenario.name}: no transition time for ${scenario.goal}`);
    const calls = emulator.calls.filter((c) => AWS_SERVICES.has(c.service));
    const polls = calls.filter((c) => c.action === 'DescribeServiceDeployments');
    const firstPollAfter = (t: number): number | undefined => polls.find((c) => c.at >= t)?.at;
    const detectedAt = firstPollAfter(reachedAt);
    if (detectedAt === undefined) throw new Error(`${scenario.name}: no poll after the goal was reached`);
    const stageLatenciesS = d.history
      .filter((h) => h.at <= reachedAt)
      .map((h) => ((firstPollAfter(h.at) ?? h.at) - h.at) / 1000);
    const during = calls.filter((c) => c.at >= createdAt && c.at <= detectedAt);
    const minutes = (detectedAt - createdAt) / 60_000;
    return {
      goalLatencyS: (detectedAt - reachedAt) / 1000,
      eventLatenciesS: stageLatenciesS,
      callsPerMinute: during.length / Math.max(minutes, 1 / 60),
      calls: during.length,
      deploymentMinutes: minutes,
      goalAtS: (reachedAt - createdAt) / 1000,
      realSeconds,
    };
  } finally {
    await emulator.stop();
  }
}

/** The ECS-native rows, in the same columns (lifecycle events: the stages' starts). */
async function nativeRows(): Promise<{ rows: string[]; goal: number[]; stages: number[]; rates: number[] }> {
  const scenarios = values.only
    ? NATIVE_SCENARIOS.filter((s) => s.name.includes(values.only as string))
    : NATIVE_SCENARIOS;
  const out = { rows: [] as string[], goal: [] as number[], stages: [] as number[], rates: [] as number[] };
  for (const scenario of scenarios) {
    const runs: RunMeasurement[] = [];
    for (let i = 0; i < RUNS; i++) {
      const m = await measureNative(scenario);
      runs.push(m);
      console.log(
        `${scenario.name} #${i + 1}: noticed ${scenario.goal} ${f1(m.goalLatencyS)} s late, ${f1(m.callsPerMinute)} calls/min (${m.calls} calls over ${f1(m.deploymentMinutes)} min), ${f1(m.realSeconds)} s real`,
      );
    }
    const goal = runs.map((r) => r.goalLatencyS);
    const stages = runs.flatMap((r) => r.eventLatenciesS);
    const rates = runs.map((r) => r.callsPerMinute);
    out.goal.push(...goal);
    out.stages.push(...stages);
    out.rates.push(...rates);
    out.rows.push(
      `| ${scenario.name} | \`${scenario.goal}\` | ${f1(median(runs.map((r) => r.deploymentMinutes)))} | ${f1(median(goal))} | ${f1(max(goal))} | ${f1(median(stages))} | ${f1(max(stages))} | ${f1(median(rates))} | does not follow ECS stages |`,
    );
  }
  return out;
}

async function main(): Promise<void> {
  const benchStarted = Date.now();
  const scenarios = values.only ? SCENARIOS.filter((s) => s.name.includes(values.only as string)) : SCENARIOS;
  const rows: string[] = [];
  const allGoal: number[] = [];
  const allEvents: number[] = [];
  const allRates: number[] = [];
  for (const scenario of scenarios) {
    const runs: RunMeasurement[] = [];
    for (let i = 0; i < RUNS; i++) {
      const m = await measure(scenario);
      runs.push(m);
      console.log(
        `${scenario.name} #${i + 1}: noticed ${scenario.goal} ${f1(m.goalLatencyS)} s late, ${f1(m.callsPerMinute)} calls/min (${m.calls} calls over ${f1(m.deploymentMinutes)} min), ${f1(m.realSeconds)} s real`,
      );
    }
    const goal = runs.map((r) => r.goalLatencyS);
    const events = runs.flatMap((r) => r.eventLatenciesS);
    const rates = runs.map((r) => r.callsPerMinute);
    allGoal.push(...goal);
    allEvents.push(...events);
    allRates.push(...rates);
    const official =
      scenario.goal === 'succeeded' ? officialWaiterLatency(median(runs.map((r) => r.goalAtS))) : undefined;
    rows.push(
      `| ${scenario.name} | \`${scenario.goal}\` | ${f1(median(runs.map((r) => r.deploymentMinutes)))} | ${f1(median(goal))} | ${f1(max(goal))} | ${f1(median(events))} | ${f1(max(events))} | ${f1(median(rates))} | ${official ? `${f1(official.median)} / ${f1(official.worst)} s, ${f1(official.callsPerMinute)} calls/min` : 'waits for Succeeded only'} |`,
    );
  }
  const native = await nativeRows();
  const parallel: ParallelMeasurement[] = [];
  const runParallel = !values.only || values.only === 'parallel';
  for (let i = 0; i < (runParallel ? PARALLEL_RUNS : 0); i++) {
    const m = await measureParallel();
    parallel.push(m);
    console.log(
      `${PARALLEL_SERVICES} deployments at once #${i + 1}: ${m.spuriousFailures} failed, goal noticed ${f1(median(m.goalLatenciesS))} s median / ${f1(max(m.goalLatenciesS))} s worst, ${f1(median(m.callsPerMinute))} calls/min per deployment (${f1(max(m.callsPerMinute))} at most), ${m.throttled} of ${m.passed + m.throttled} reads throttled, ${f1(m.realSeconds)} s real`,
    );
  }
  const parallelLatencies = parallel.flatMap((m) => m.goalLatenciesS);
  const parallelRates = parallel.flatMap((m) => m.callsPerMinute);
  const parallelPassed = parallel.reduce((n, m) => n + m.passed, 0);
  const parallelThrottled = parallel.reduce((n, m) => n + m.throttled, 0);
  const parallelRows =
    parallel.length === 0
      ? []
      : [
          '',
          `### ${PARALLEL_SERVICES} deployments at once in one account, limit ${PARALLEL_LIMIT_PER_MINUTE} calls/min`,
          '',
          `${PARALLEL_SERVICES} services deployed all at once (no termination wait, a test-traffic hook of 2–22 s each) by ${PARALLEL_SERVICES} jobs started together against one emulator whose account-wide token bucket lets ${PARALLEL_LIMIT_PER_MINUTE} CodeDeploy reads a minute through (burst ${PARALLEL_LIMIT_PER_MINUTE}, \`rateLimit\` scope \`reads\`); ${parallel.length} run(s), emulator clock ×${PARALLEL_SCALE} (twelve processes share the cores: at ×${SCALE} their start-up alone would spread them over minutes of deployment time). Goal noticed: completeTime to the first read that passed after it.`,
          '',
          '| Row | Spurious failures | Minutes per deployment, median | Goal noticed, median s | worst s | AWS calls / min per deployment, median | most | Share of CodeDeploy reads throttled |',
          '|---|---:|---:|---:|---:|---:|---:|---:|',
          `| ${PARALLEL_SERVICES} deployments at once in one account, limit ${PARALLEL_LIMIT_PER_MINUTE} calls/min | ${parallel.reduce((n, m) => n + m.spuriousFailures, 0)} of ${parallel.length * PARALLEL_SERVICES} | ${f1(median(parallel.flatMap((m) => m.minutes)))} | ${f1(median(parallelLatencies))} | ${f1(max(parallelLatencies))} | ${f1(median(parallelRates))} | ${f1(max(parallelRates))} | ${((100 * parallelThrottled) / Math.max(1, parallelPassed + parallelThrottled)).toFixed(0)} % (${parallelThrottled} of ${parallelPassed + parallelThrottled}) |`,
          '',
          'Goals: 0 spurious failures; at most 20 calls a minute per deployment.',
          '',
          "The watcher's reads make one attempt each and it paces itself after throttling (×2 per throttled read up to 30 s, ±25 % jitter, easing back as reads pass). Measured once on 2026-12-01 (2 runs) with the SDK's standard retries left on those reads (5 attempts): no failure either, but 53 % of reads throttled (262 of 496), 13 calls/min per deployment (23.2 at most) and the goal noticed 5.0–9.7 s median, 48.5 s worst.",
        ];
  const startup = await startupMs();
  const bundles = [
    'dist/index.js',
    'dist/promote/index.js',
    'dist/rollback/index.js',
    'dist/plan/index.js',
  ].map((f) => `\`${f}\` ${(statSync(path.join(REPO_ROOT, f)).size / 1024 / 1024).toFixed(2)} MB`);

  const md = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)} (Node ${process.version}, ${RUNS} run(s) per timeline, emulator clock ×${SCALE}).`,
    "Latency: from the moment the deployment reached a state (on the emulator's clock) to the poll that saw it.",
    'Real overheads (process start, loopback round trips) count ×' +
      SCALE +
      ' on the scaled clock, so these numbers are pessimistic.',
    '',
    "| Timeline | Waits until | Minutes | Goal noticed, median s | worst s | Each lifecycle event noticed, median s | worst s | AWS calls / min | Official action's waiter (median / worst, calls/min) |",
    '|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    `**All timelines:** goal noticed ${f1(median(allGoal))} s median, ${f1(max(allGoal))} s worst; lifecycle events ${f1(median(allEvents))} s median, ${f1(max(allEvents))} s worst; ${f1(median(allRates))} AWS calls per minute (median), ${f1(max(allRates))} at most.`,
    '',
    'Goal: notice within 1.5 s median on a single deployment (3 s median and 5 s worst per timeline), at most 20 calls a minute.',
    'Short reads (issue #9 part 6: every 0.75 s from 1 s before a predictable change to 10 s after it — the end of the termination wait, the final shift, the traffic events of an all-at-once shift) took the goal-noticed median from 2.1 s to under 1 s on the timelines that end at such a moment (bench of 2026-11-30: 2.1 s median, 3.9 s worst over all timelines). A held deployment becomes Ready when the test hook ends, which no timer predicts: it stays at the 4 s pace.',
    ...parallelRows,
    ...(native && native.rows.length > 0
      ? [
          '',
          '## ECS-native service deployments',
          '',
          "One DescribeServiceDeployments a look (3 s while anything can change, 15 s in a pause hook, asleep through a bake whose end is known). 'Each lifecycle event' is each stage's start.",
          '',
          "| Timeline | Waits until | Minutes | Goal noticed, median s | worst s | Each stage noticed, median s | worst s | AWS calls / min | Official action's waiter |",
          '|---|---|---:|---:|---:|---:|---:|---:|---|',
          ...native.rows,
          '',
          `**ECS-native timelines:** goal noticed ${f1(median(native.goal))} s median, ${f1(max(native.goal))} s worst; stages ${f1(median(native.stages))} s median, ${f1(max(native.stages))} s worst; ${f1(median(native.rates))} AWS calls per minute (median), ${f1(max(native.rates))} at most.`,
        ]
      : []),
    '',
    `**Bundle:** ${bundles.join(', ')}.`,
    `**Runtime** of this \`npm run bench\`: ${f1((Date.now() - benchStarted) / 60_000)} min. It runs ${RUNS} run(s) per timeline (4 before the parallel row was added) and ${PARALLEL_RUNS} of the parallel row to stay near 5 minutes on a 2-core machine: the timelines' own length on the ×${SCALE} clock is most of it. \`--runs 4 --parallel 2\` gives tighter medians.`,
    `**Start-up** (spawn of \`node dist/index.js\` to its first AWS call, real time, 5 runs): median ${f1(median(startup))} ms, worst ${f1(max(startup))} ms.`,
    '',
  ].join('\n');
  const out = path.join(REPO_ROOT, values.out as string);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, md);
  console.log(`\n${md}\nWritten to ${path.relative(REPO_ROOT, out)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
