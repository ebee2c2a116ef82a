/**
 * A model of the pacing under throttling, in virtual time: the action's own CodeDeploy watcher
 * (`watchDeployment`) and rate budget, one per simulated job, against a simulated account — reads throttled
 * at random, or one account-wide token bucket that every job shares. A run of 16 jobs takes a fraction of a
 * second, so a change to the pacing can be judged over hundreds of runs before `npm run bench` measures it
 * on the emulator with real processes (bench/pacing.ts); `__tests__/unit/core/pacing-model.test.ts` holds
 * the issue-18 goals against it.
 *
 * What is modelled and what is not:
 * - Each job: its preflight's CodeDeploy reads (GetApplication, GetDeploymentGroup, GetDeploymentConfig,
 *   ListDeployments) through the SDK's standard retry (up to 10 attempts when throttled, a random backoff
 *   of up to 500 ms × 2^retry, as @smithy/util-retry's throttling delay base), CreateDeployment (not a read),
 *   then the watch until the deployment succeeds. Jobs start within `startSpreadMs` of each other.
 * - The deployment: all at once, no termination wait; Install takes `installMs`, an AfterAllowTestTraffic
 *   hook `hookMs`, every other event about a second, the deployment's status Succeeded 0.5 s after the
 *   target's (CodeDeploy's own order).
 * - Not modelled: the network's round trip (answers are instant), the process's start and exit (the
 *   emulator rows count them ×scale), other services' reads.
 */
import type { CodeDeployClient, DeploymentInfo, ECSTarget, LifecycleEvent } from '@aws-sdk/client-codedeploy';
import type { Clock } from '../src/action/clock.js';
import { watchDeployment } from '../src/engines/codedeploy/watcher.js';
import { LIFECYCLE_EVENTS } from '../src/engines/codedeploy/progress.js';
import { median } from './stats.js';

/** The account: reads throttled at random, or a token bucket shared by every job. */
export type AccountModel =
  { kind: 'random'; throttleRate: number } | { kind: 'bucket'; perMinute: number; burst: number };

export interface ModelOptions {
  account: AccountModel;
  jobs: number;
  /** seed of the run's random numbers (the budget's jitter, the account, the timelines) */
  seed: number;
  /** jobs start within this many ms of each other (default 3000) */
  startSpreadMs?: number;
  /** Install's length (default 30 s, as the emulator's) */
  installMs?: number;
  /** the test-traffic hook's length: [min, max) ms (default [2, 22) s, as bench/pacing.ts) */
  hookMs?: [number, number];
}

export interface JobResult {
  /** ms from the deployment's end (its status Succeeded) to the watch's verdict */
  lagMs: number;
  /** the watch's calls (answered and throttled) per minute, from the deployment's creation to the verdict */
  callsPerMinute: number;
  reached: boolean;
}

export interface ModelResult {
  jobs: JobResult[];
  /** every CodeDeploy read of the account, preflight included */
  reads: number;
  throttled: number;
}

/** mulberry32: a small seeded generator, so a run is the same every time */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
  cancelled: boolean;
}

/** Virtual time for several jobs at once: every sleep is a timer; the earliest timer fires next. */
class Scheduler {
  now = Date.UTC(2026, 11, 6, 12);
  private seq = 0;
  private timers: Timer[] = [];

  clock(): Clock {
    return {
      scale: 1,
      now: () => this.now,
      sleep: (ms, signal) =>
        new Promise<void>((resolve) => {
          if (signal?.aborted || ms <= 0) return resolve();
          const timer: Timer = { at: this.now + ms, seq: this.seq++, resolve, cancelled: false };
          this.timers.push(timer);
          signal?.addEventListener(
            'abort',
            () => {
              timer.cancelled = true;
              resolve();
            },
            { once: true },
          );
        }),
    };
  }

  /** Runs until every job's promise has settled. */
  async run(done: () => boolean): Promise<void> {
    for (;;) {
      // let every chain run until it waits on a timer again
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
      if (done()) return;
      this.timers = this.timers.filter((t) => !t.cancelled);
      if (this.timers.length === 0) throw new Error('pacing model: jobs wait on nothing');
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers.shift() as Timer;
      this.now = Math.max(this.now, next.at);
      next.resolve();
    }
  }
}

class Account {
  private tokens: number;
  private refilledAt: number;
  reads = 0;
  throttled = 0;

  constructor(
    private readonly model: AccountModel,
    private readonly now: () => number,
    private readonly random: () => number,
  ) {
    this.tokens = model.kind === 'bucket' ? model.burst : 0;
    this.refilledAt = now();
  }

  /** Whether a read now passes (and spends the account's token). */
  read(): boolean {
    this.reads++;
    let passes: boolean;
    if (this.model.kind === 'random') passes = this.random() >= this.model.throttleRate;
    else {
      const t = this.now();
      this.tokens = Math.min(
        this.model.burst,
        this.tokens + ((t - this.refilledAt) / 60_000) * this.model.perMinute,
      );
      this.refilledAt = t;
      passes = this.tokens >= 1;
      if (passes) this.tokens -= 1;
    }
    if (!passes) this.throttled++;
    return passes;
  }
}

function throttlingError(): Error {
  const error = new Error('Rate exceeded') as Error & { $metadata: object; $fault: string };
  error.name = 'ThrottlingException';
  error.$fault = 'client';
  error.$metadata = { httpStatusCode: 400 };
  return error;
}

const SECOND = 1000;

/** One deployment's timeline: each event's start and end, ms after its creation. */
function timeline(installMs: number, hookMs: number): { name: string; start: number; end: number }[] {
  const lengths: Record<string, number> = { Install: installMs, AfterAllowTestTraffic: hookMs };
  let t = SECOND;
  return LIFECYCLE_EVENTS.map((name) => {
    const start = t;
    t += lengths[name] ?? SECOND;
    return { name, start, end: t };
  });
}

export async function runPacingModel(options: ModelOptions): Promise<ModelResult> {
  const random = seeded(options.seed);
  const scheduler = new Scheduler();
  const account = new Account(options.account, () => scheduler.now, random);
  const realRandom = Math.random;
  // the budget's jitter draws from Math.random: seeded for the run
  Math.random = random;
  const results: JobResult[] = [];
  let settled = 0;
  try {
    const jobs = Array.from({ length: options.jobs }, async (): Promise<void> => {
      const clock = scheduler.clock();
      await clock.sleep(random() * (options.startSpreadMs ?? 3000));
      // the preflight's reads, through the SDK's standard retry
      for (let op = 0; op < 4; op++) {
        for (let attempt = 0; attempt < 10 && !account.read(); attempt++)
          await clock.sleep(Math.floor(random() * Math.min(20_000, 500 * 2 ** attempt)));
        await clock.sleep(50);
      }
      const createdAt = scheduler.now;
      const [hookMin, hookMax] = options.hookMs ?? [2000, 22_000];
      const events = timeline(options.installMs ?? 30_000, hookMin + random() * (hookMax - hookMin));
      const targetEnd = (events.at(-1) as { end: number }).end;
      const endedAt = createdAt + targetEnd + 500;
      let calls = 0;
      const answer = (command: { constructor: { name: string } }): unknown => {
        calls++;
        const passes = account.read();
        if (!passes) throw throttlingError();
        const t = scheduler.now - createdAt;
        if (command.constructor.name === 'GetDeploymentCommand') {
          const info: DeploymentInfo = {
            deploymentId: 'd-MODEL',
            status: scheduler.now >= endedAt ? 'Succeeded' : t >= 500 ? 'InProgress' : 'Created',
            createTime: new Date(createdAt),
            ...(scheduler.now >= endedAt ? { completeTime: new Date(endedAt) } : {}),
          };
          return { deploymentInfo: info };
        }
        if (t < SECOND) {
          const error = new Error('not started');
          error.name = 'DeploymentNotStartedException';
          throw Object.assign(error, { $metadata: { httpStatusCode: 400 }, $fault: 'client' });
        }
        const lifecycleEvents: LifecycleEvent[] = events.map((e) => ({
          lifecycleEventName: e.name,
          status: t >= e.end ? 'Succeeded' : t >= e.start ? 'InProgress' : 'Pending',
          ...(t >= e.start ? { startTime: new Date(createdAt + e.start) } : {}),
          ...(t >= e.end ? { endTime: new Date(createdAt + e.end) } : {}),
        }));
        const target: ECSTarget = {
          deploymentId: 'd-MODEL',
          targetId: 'bench:svc',
          status: t >= targetEnd ? 'Succeeded' : 'InProgress',
          lastUpdatedAt: new Date(scheduler.now),
          lifecycleEvents,
        };
        return { deploymentTarget: { ecsTarget: target } };
      };
      const codedeploy = {
        send: async (command: { constructor: { name: string } }) => answer(command),
      } as unknown as CodeDeployClient;
      const outcome = await watchDeployment({
        codedeploy,
        deploymentId: 'd-MODEL',
        targetId: 'bench:svc',
        waitUntil: 'succeeded',
        clock,
        deadline: createdAt + 30 * 60_000,
        terminationWaitMinutes: 0,
        routing: { type: 'AllAtOnce' },
        onChange: () => undefined,
      });
      results.push({
        lagMs: scheduler.now - endedAt,
        callsPerMinute: calls / Math.max((scheduler.now - createdAt) / 60_000, 1 / 60),
        reached: outcome.kind === 'reached',
      });
    });
    for (const job of jobs)
      void job.then(
        () => settled++,
        (error: unknown) => {
          settled++;
          throw error;
        },
      );
    await scheduler.run(() => settled === options.jobs);
    await Promise.all(jobs);
  } finally {
    Math.random = realRandom;
  }
  return { jobs: results, reads: account.reads, throttled: account.throttled };
}

export interface ModelSummary {
  runs: number;
  throttledShare: number;
  lagMedianS: number;
  lagWorstS: number;
  callsPerMinuteMedian: number;
  callsPerMinuteMost: number;
  notReached: number;
}

/** `runs` seeded runs of one world, summed up. */
export async function summarizePacingModel(
  options: Omit<ModelOptions, 'seed'>,
  runs: number,
  firstSeed = 1,
): Promise<ModelSummary> {
  const all: ModelResult[] = [];
  for (let i = 0; i < runs; i++) all.push(await runPacingModel({ ...options, seed: firstSeed + i }));
  const jobs = all.flatMap((r) => r.jobs);
  const lags = jobs.map((j) => j.lagMs / 1000);
  const rates = jobs.map((j) => j.callsPerMinute);
  return {
    runs,
    throttledShare: all.reduce((n, r) => n + r.throttled, 0) / all.reduce((n, r) => n + r.reads, 0),
    lagMedianS: median(lags),
    lagWorstS: Math.max(...lags),
    callsPerMinuteMedian: median(rates),
    callsPerMinuteMost: Math.max(...rates),
    notReached: jobs.filter((j) => !j.reached).length,
  };
}
