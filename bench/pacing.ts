/**
 * The pacing rows of `npm run bench` (issue 18): how the action paces its reads when AWS throttles.
 *
 * - A noisy account: half of all reads of the engine's service throttled at random (emulator switch
 *   `throttleRate` 0.5, restricted to that service's Describe/Get/List/BatchGet operations), one short
 *   deployment (CodeDeploy: all at once without hooks or termination wait; ECS-native: rolling).
 * - A shared account: 8 and 16 CodeDeploy deployments at once (all at once, no termination wait, a
 *   test-traffic hook of 2–22 s each) whose jobs share one account-wide token bucket of 40 CodeDeploy reads
 *   a minute (burst 40, `rateLimit` scope `reads`).
 *
 * Each row reports the share of the engine's reads throttled (every read of the account, preflight included),
 * the AWS calls per deployment per minute (every call after the deployment was created — CreateDeployment or
 * UpdateService excluded — up to the job's exit, over the minutes from the deployment's creation to that
 * exit) and the seconds from the end of the deployment to the action's exit, all on the emulator's clock
 * (simulated seconds: real overheads such as process exit count ×scale).
 */
import * as codedeploySdk from '@aws-sdk/client-codedeploy';
import * as ecsSdk from '@aws-sdk/client-ecs';
import { GetDeploymentCommand, CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { startEmulator, type Emulator } from '../emulator/index.js';
import { runAction, type ActionRunResult } from '../scripts/action-runner.js';
import { appSpecYaml, githubTrustPolicy, taskDefinitionFile } from '../emulator/scenario.js';
import { f1, max, median } from './stats.js';

export interface PacingOptions {
  /** emulator clock scale of these rows */
  scale: number;
  /** runs of each noisy-account row */
  noisyRuns: number;
  /** runs of each shared-account row */
  sharedRuns: number;
  /** which rows: 'noisy', 'shared' (both when undefined) */
  rows?: string[];
}

/** One job's figures. */
interface JobFigures {
  /** end of the deployment → the action's exit, simulated seconds */
  exitAfterEndS: number;
  callsPerMinute: number;
  failed: boolean;
}

interface RowFigures {
  name: string;
  jobs: JobFigures[];
  reads: number;
  throttledReads: number;
  realSeconds: number;
}

/** Every read operation of a service, from the SDK's own command list. */
function readOperations(sdk: Record<string, unknown>, prefix: RegExp): string[] {
  return Object.keys(sdk)
    .filter((name) => name.endsWith('Command') && prefix.test(name))
    .map((name) => name.slice(0, -'Command'.length));
}
const CODEDEPLOY_READS = readOperations(codedeploySdk, /^(Get|List|BatchGet)/);
const ECS_READS = readOperations(ecsSdk, /^(Describe|List)/);

const THROTTLE_ERRORS = new Set(['ThrottlingException', 'Throttling']);

function readShare(
  emulator: Emulator,
  service: 'codedeploy' | 'ecs',
  reads: string[],
): { reads: number; throttled: number } {
  const own = emulator.calls.filter((c) => c.service === service && reads.includes(c.action));
  return { reads: own.length, throttled: own.filter((c) => THROTTLE_ERRORS.has(c.error ?? '')).length };
}

function role(emulator: Emulator): { arn: string } {
  const r = emulator.seed.role({
    name: 'bench-deploy',
    trustPolicy: githubTrustPolicy(emulator.accountId, 'repo:acme/web:*'),
  });
  emulator.oidc.setClaims({ repository: 'acme/web', sub: 'repo:acme/web:ref:refs/heads/main' });
  return r;
}

/** Runs a job and notes the emulator's clock when its process has exited. */
async function timed(
  emulator: Emulator,
  run: Promise<ActionRunResult>,
): Promise<{ result: ActionRunResult; exitAt: number }> {
  const result = await run;
  return { result, exitAt: emulator.clock.now() };
}

function codedeployJob(
  emulator: Emulator,
  roleArn: string,
  seeded: ReturnType<Emulator['seed']['blueGreenService']>,
  hook: string | undefined,
): Promise<ActionRunResult> {
  return runAction({
    env: emulator.env(),
    inputs: {
      'aws-region': emulator.region,
      'role-to-assume': roleArn,
      cluster: seeded.cluster,
      service: seeded.service,
      'task-definition-arn': seeded.taskDefinitionArn,
      'codedeploy-appspec': 'appspec.yaml',
      'wait-until': 'succeeded',
    },
    files: {
      'appspec.yaml': appSpecYaml(
        seeded.containerName,
        seeded.containerPort,
        hook ? { AfterAllowTestTraffic: hook } : {},
      ),
    },
    timeoutMs: 20 * 60_000,
  });
}

/** The CodeDeploy figures of finished jobs: each job is told from the others by its access key. */
async function codedeployFigures(
  emulator: Emulator,
  runs: { result: ActionRunResult; exitAt: number }[],
): Promise<JobFigures[]> {
  const env = emulator.env();
  const client = new CodeDeployClient({
    region: emulator.region,
    endpoint: emulator.url,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID as string,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
    },
  });
  const calls = emulator.calls.filter((c) => c.service !== 'oidc' && c.service !== 'sts');
  const creates = calls.filter((c) => c.action === 'CreateDeployment' && c.status === 200);
  const figures: JobFigures[] = [];
  for (const { result, exitAt } of runs) {
    const id = result.outputs['codedeploy-deployment-id'];
    if (result.exitCode !== 0 || !id) {
      console.log(`  a job failed:\n${result.stdout.slice(-1500)}`);
      figures.push({ exitAfterEndS: NaN, callsPerMinute: NaN, failed: true });
      continue;
    }
    const info = (await client.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo;
    const createdAt = info?.createTime?.getTime() as number;
    const endedAt = info?.completeTime?.getTime() as number;
    const create = creates.reduce((best, c) =>
      Math.abs(c.at - createdAt) < Math.abs(best.at - createdAt) ? c : best,
    );
    const own = calls.filter(
      (c) => c.accessKeyId === create.accessKeyId && c.at > create.at && c.at <= exitAt,
    );
    figures.push({
      exitAfterEndS: (exitAt - endedAt) / 1000,
      callsPerMinute: own.length / Math.max((exitAt - createdAt) / 60_000, 1 / 60),
      failed: false,
    });
  }
  return figures;
}

/** Half of all CodeDeploy reads throttled at random; one short deployment. */
async function noisyCodeDeploy(scale: number): Promise<RowFigures> {
  const emulator = await startEmulator({ clockScale: scale });
  try {
    const r = role(emulator);
    const seeded = emulator.seed.blueGreenService({
      deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce',
      terminationWaitMinutes: 0,
      readyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
    });
    emulator.faults.set({ throttleRate: 0.5, only: { service: 'codedeploy', actions: CODEDEPLOY_READS } });
    const started = Date.now();
    const run = await timed(emulator, codedeployJob(emulator, r.arn, seeded, undefined));
    const realSeconds = (Date.now() - started) / 1000;
    emulator.faults.set({ throttleRate: 0, only: undefined });
    const share = readShare(emulator, 'codedeploy', CODEDEPLOY_READS);
    return {
      name: 'noisy account, CodeDeploy',
      jobs: await codedeployFigures(emulator, [run]),
      reads: share.reads,
      throttledReads: share.throttled,
      realSeconds,
    };
  } finally {
    await emulator.stop();
  }
}

/** Half of all ECS reads throttled at random; one rolling ECS-native deployment. */
async function noisyEcsNative(scale: number): Promise<RowFigures> {
  const emulator = await startEmulator({ clockScale: scale });
  try {
    const r = role(emulator);
    const s = emulator.seed.ecsNativeService({ service: 'bench', strategy: 'ROLLING' });
    emulator.faults.set({ throttleRate: 0.5, only: { service: 'ecs', actions: ECS_READS } });
    const started = Date.now();
    const { result, exitAt } = await timed(
      emulator,
      runAction({
        env: emulator.env(),
        inputs: {
          'aws-region': emulator.region,
          'role-to-assume': r.arn,
          cluster: s.cluster,
          service: s.service,
          'task-definition': 'task-definition.json',
          'wait-until': 'succeeded',
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
        timeoutMs: 20 * 60_000,
      }),
    );
    const realSeconds = (Date.now() - started) / 1000;
    emulator.faults.set({ throttleRate: 0, only: undefined });
    const share = readShare(emulator, 'ecs', ECS_READS);
    const jobs: JobFigures[] = [];
    const d =
      result.exitCode === 0
        ? emulator.ecsNative.deployment(result.outputs['deployment-id'] as string)
        : undefined;
    const createdAt = d?.statusHistory[0]?.at;
    const endedAt = d?.statusHistory.find((x) => x.status === 'SUCCESSFUL')?.at;
    if (!d || createdAt === undefined || endedAt === undefined) {
      console.log(`  the ECS-native job failed:\n${result.stdout.slice(-1500)}`);
      jobs.push({ exitAfterEndS: NaN, callsPerMinute: NaN, failed: true });
    } else {
      const update = emulator.calls.find((c) => c.action === 'UpdateService' && c.status === 200);
      const own = emulator.calls.filter(
        (c) =>
          c.service !== 'oidc' && c.service !== 'sts' && c.at > (update?.at ?? createdAt) && c.at <= exitAt,
      );
      jobs.push({
        exitAfterEndS: (exitAt - endedAt) / 1000,
        callsPerMinute: own.length / Math.max((exitAt - createdAt) / 60_000, 1 / 60),
        failed: false,
      });
    }
    return {
      name: 'noisy account, ECS-native',
      jobs,
      reads: share.reads,
      throttledReads: share.throttled,
      realSeconds,
    };
  } finally {
    await emulator.stop();
  }
}

export const SHARED_LIMIT_PER_MINUTE = 40;

/** `count` CodeDeploy deployments at once under one account-wide bucket of 40 reads a minute. */
async function sharedAccount(scale: number, count: number): Promise<RowFigures> {
  const emulator = await startEmulator({ clockScale: scale });
  try {
    const r = role(emulator);
    const services = Array.from({ length: count }, (_, i) => {
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
      rateLimit: { perMinute: SHARED_LIMIT_PER_MINUTE, burst: SHARED_LIMIT_PER_MINUTE, scope: 'reads' },
    });
    const started = Date.now();
    const runs = await Promise.all(
      services.map(({ seeded, hook }) => timed(emulator, codedeployJob(emulator, r.arn, seeded, hook))),
    );
    const realSeconds = (Date.now() - started) / 1000;
    const limits = emulator.rateLimit.stats();
    emulator.faults.set({ rateLimit: undefined });
    return {
      name: `${count} deployments at once, ${SHARED_LIMIT_PER_MINUTE} reads a minute`,
      jobs: await codedeployFigures(emulator, runs),
      reads: limits.passed + limits.throttled,
      throttledReads: limits.throttled,
      realSeconds,
    };
  } finally {
    await emulator.stop();
  }
}

function row(name: string, figures: RowFigures[]): string {
  const jobs = figures.flatMap((f) => f.jobs);
  const ok = jobs.filter((j) => !j.failed);
  const reads = figures.reduce((n, f) => n + f.reads, 0);
  const throttled = figures.reduce((n, f) => n + f.throttledReads, 0);
  const exits = ok.map((j) => j.exitAfterEndS);
  const rates = ok.map((j) => j.callsPerMinute);
  return `| ${name} | ${figures.length} | ${jobs.length - ok.length} of ${jobs.length} | ${((100 * throttled) / Math.max(1, reads)).toFixed(0)} % (${throttled} of ${reads}) | ${f1(median(rates))} | ${f1(max(rates))} | ${f1(median(exits))} | ${f1(max(exits))} |`;
}

/** Runs the selected pacing rows and returns their Markdown section. */
export async function pacingSection(options: PacingOptions): Promise<string[]> {
  const wants = (r: string): boolean => !options.rows || options.rows.includes(r);
  const rows: string[] = [];
  const log = (f: RowFigures): void => {
    const ok = f.jobs.filter((j) => !j.failed);
    console.log(
      `${f.name}: ${f.throttledReads} of ${f.reads} reads throttled, exit ${f1(median(ok.map((j) => j.exitAfterEndS)))} s median / ${f1(max(ok.map((j) => j.exitAfterEndS)))} s worst after the end, ${f1(median(ok.map((j) => j.callsPerMinute)))} calls/min per deployment, ${f.jobs.length - ok.length} failed, ${f1(f.realSeconds)} s real`,
    );
  };
  if (wants('noisy')) {
    for (const [name, measure] of [
      ['Noisy account (half of CodeDeploy reads throttled), CodeDeploy all at once', noisyCodeDeploy],
      ['Noisy account (half of ECS reads throttled), ECS-native rolling', noisyEcsNative],
    ] as const) {
      const figures: RowFigures[] = [];
      for (let i = 0; i < options.noisyRuns; i++) {
        const f = await measure(options.scale);
        log(f);
        figures.push(f);
      }
      rows.push(row(name, figures));
    }
  }
  if (wants('shared')) {
    for (const count of [8, 16]) {
      const figures: RowFigures[] = [];
      for (let i = 0; i < options.sharedRuns; i++) {
        const f = await sharedAccount(options.scale, count);
        log(f);
        figures.push(f);
      }
      rows.push(
        row(`${count} deployments at once, ${SHARED_LIMIT_PER_MINUTE} CodeDeploy reads a minute`, figures),
      );
    }
  }
  if (rows.length === 0) return [];
  return [
    '',
    '## Pacing under throttling',
    '',
    `Emulator clock ×${options.scale}; figures in simulated seconds (real overheads such as a process's start and exit count ×${options.scale}). Throttled share: the engine's reads the account throttled, preflight included. Calls per deployment per minute: every AWS call of the job after CreateDeployment / UpdateService up to its exit, over the minutes from the deployment's creation to that exit. Exit after the end: from the deployment's end (completeTime; the SUCCESSFUL status for ECS) to the moment the job's process had exited.`,
    '',
    '| Row | Runs | Failed jobs | Reads throttled | Calls / min per deployment, median | most | Exit after the end, median s | worst s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ];
}
