/**
 * `npm run bench` — how late the action notices the states it waits for, what it costs in API calls,
 * how big the bundle is and how fast it starts. Runs dist/index.js against the local emulator on
 * scripted timelines and writes docs/benchmarks.md. A benchmark, not a test: it never fails on a slow
 * machine.
 *
 *   npm run bench [-- --runs 2 --parallel 1 --noisy-runs 3 --scale 15 --rows timelines,native,noisy,shared,startup
 *                    --only <name part> --out docs/benchmarks.md]
 *
 * Two runs per timeline and one run of each shared-account row by default (the timelines' own length on the
 * ×15 clock sets the floor); `--runs 4 --parallel 2` for tighter medians. `--rows` runs only some groups of
 * rows (the machine is shared: run what a change needs) and `--only` only the timelines whose name contains
 * the text; write a partial run to another file with `--out`. The pacing rows (noisy and shared account)
 * are in bench/pacing.ts.
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
import { readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
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
import { pacingSection } from './pacing.js';
import { firstLineMs } from './cold-start.js';
import { f1, max, median } from './stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '2' },
    scale: { type: 'string', default: '15' },
    out: { type: 'string', default: 'docs/benchmarks.md' },
    only: { type: 'string' },
    parallel: { type: 'string', default: '1' },
    'parallel-scale': { type: 'string', default: '5' },
    'noisy-runs': { type: 'string', default: '3' },
    rows: { type: 'string' },
  },
});
const RUNS = Math.max(1, Number(values.runs));
const ROWS = values.rows?.split(',').map((r) => r.trim());
const wants = (group: string): boolean => !ROWS || ROWS.includes(group);
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
  const scenarios = !wants('timelines')
    ? []
    : values.only
      ? SCENARIOS.filter((s) => s.name.includes(values.only as string))
      : SCENARIOS;
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
  const native = wants('native') ? await nativeRows() : undefined;
  const pacing = await pacingSection({
    scale: Number(values['parallel-scale']),
    noisyRuns: Math.max(1, Number(values['noisy-runs'])),
    sharedRuns: Math.max(1, Number(values.parallel)),
    rows: ROWS?.filter((r) => r === 'noisy' || r === 'shared'),
  });
  const startup = wants('startup') ? await startupMs() : [];
  const distFiles = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? distFiles(path.join(dir, e.name)) : [path.join(dir, e.name)],
    );
  const distBytes = distFiles(path.join(REPO_ROOT, 'dist')).reduce((n, f) => n + statSync(f).size, 0);
  const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;
  const bundle = `\`dist/action/index.js\` (every entry point) ${mb(statSync(path.join(REPO_ROOT, 'dist/action/index.js')).size)}; all of \`dist/\` ${mb(distBytes)}`;
  const coldStart: number[] = [];
  if (wants('startup'))
    for (let i = 0; i < 20; i++) coldStart.push(await firstLineMs(path.join(REPO_ROOT, 'dist/index.js')));
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
    ...pacing,
    '',
    `**Bundle:** ${bundle}.`,
    `**Runtime** of this \`npm run bench\`: ${f1((Date.now() - benchStarted) / 60_000)} min. It runs ${RUNS} run(s) per timeline, ${values['noisy-runs']} of each noisy-account row and ${values.parallel} of each shared-account row; the timelines' own length on the ×${SCALE} clock is most of it. \`--runs 4 --parallel 2\` gives tighter medians.`,
    `**Start-up** (spawn of \`node dist/index.js\` to its first AWS call, real time, 5 runs): median ${f1(median(startup))} ms, worst ${f1(max(startup))} ms. **Cold start** (spawn to its first line on stdout, 20 runs; \`npx tsx bench/cold-start.ts\` compares builds): median ${f1(median(coldStart))} ms, worst ${f1(max(coldStart))} ms.`,
    '',
  ].join('\n');
  const out = path.resolve(REPO_ROOT, values.out as string);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, md);
  console.log(`\n${md}\nWritten to ${path.relative(REPO_ROOT, out)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
