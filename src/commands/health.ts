/**
 * The health checks while traffic moves, for every engine (the `health-checks` input): a monitor that reads
 * the new and the original revision's target groups from CloudWatch every interval beside the engine's
 * watch (follow.ts), judges each check (engine/health-judge.ts) and tells each evaluation in one log line;
 * at a decision point — before the test gate lets production traffic move, before promote continues — it
 * waits for a verdict. A breach stops the deployment with rollback through the follower's stopAndFollowBack
 * (retry-safe). Not enough data is said as such: never healthy, never a breach (unless no-data: rollback).
 * A read that fails is retried and never becomes a verdict. The words of these verdicts are written here.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { Runtime } from '../action/runtime.js';
import type { AwsClients } from '../aws/clients.js';
import { DeploymentError, InputError, errorMessage } from '../action/errors.js';
import {
  describeCheck,
  describeSettings,
  formatMetricValue,
  formatSpan,
  type HealthCheck,
  type HealthPolicy,
} from '../action/health-checks.js';
import {
  METRIC_SETTLE_MS,
  MINUTE_MS,
  judgedWindow,
  nextMetricReadDelayMs,
  readTargetGroupMinutes,
} from '../aws/cloudwatch-reads.js';
import { awsErrorName, isTransientAwsError, isUnsupportedOrDenied } from '../aws/errors.js';
import type { Follower, RevisionTargets } from '../engine/engine.js';
import { describeVerdict, judge, windowStats, type WindowStats } from '../engine/health-judge.js';
import {
  finalVerdicts,
  mergeMinutes,
  type CheckVerdict,
  type HealthEvaluation,
  type HealthRecord,
} from '../record/health.js';
import { addNote, setVerdict } from '../record/record.js';

export interface HealthBreach {
  verdict: CheckVerdict;
  during: string;
}

type EvaluationResult =
  | { kind: 'judged'; evaluation: HealthEvaluation }
  | { kind: 'waiting'; why: string }
  | { kind: 'fault'; transient: boolean };

/** The new revision's position in traffic, in the words of the log and the summary. */
export function trafficWords(targets: RevisionTargets | undefined): string {
  const p = targets?.productionPercent ?? 0;
  if (p >= 100) return 'the bake at 100 %';
  if (p > 0) return `production ${Number.isInteger(p) ? p : p.toFixed(1)} %`;
  return targets?.testTraffic ? 'test traffic' : 'before traffic';
}

function window(from: number, to: number): string {
  const hm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  return `${hm(from)}–${hm(to)} UTC`;
}

export class HealthMonitor {
  readonly record: HealthRecord;
  private faultsInARow = 0;
  private deniedTold = false;
  private waitingTold?: string;
  private lastTo = 0;
  private readonly checksByLine: Map<number, HealthCheck>;

  constructor(
    private readonly rt: Runtime,
    private readonly cloudwatch: () => CloudWatchClient,
    readonly policy: HealthPolicy,
    private readonly follower: Follower,
  ) {
    this.checksByLine = new Map(policy.checks.map((c) => [c.line, c]));
    const latency = policy.checks.find((c) => c.metric.kind === 'latency')?.metric;
    this.record = follower.record.health ??= {
      checks: policy.checks.map((c) => ({ line: c.line, text: describeCheck(c) })),
      settings: describeSettings(policy),
      minutes: {},
      evaluations: [],
      chartPercentile: latency?.kind === 'latency' ? latency.percentile : 'p99',
      reads: 0,
      faults: 0,
      shifts: [],
    };
  }

  private get named(): string {
    return `${this.follower.engine.noun} ${this.follower.record.deploymentId}`;
  }

  /** when the deployment began, as the engine says (a promoted one began before this run) */
  private since?: number;

  /** The first minute of the deployment: minutes before it belong to what ran before (the baseline). */
  private get startMinute(): number {
    return Math.floor((this.since ?? this.follower.record.startedAt) / MINUTE_MS) * MINUTE_MS;
  }

  /** One read and judgement of every check; logs one line. */
  async evaluate(signal?: AbortSignal, force = false): Promise<EvaluationResult> {
    const { rt, policy, record } = this;
    const targets = await this.follower.revisionTargets();
    if (!targets)
      return this.waiting("the new revision's target group is not known yet (no replacement tasks yet)");
    record.green = targets.green;
    if (targets.blue) record.blue = targets.blue;
    if (targets.since !== undefined) this.since ??= targets.since;
    this.noteShift(targets);
    const now = rt.clock.now();
    const w = judgedWindow(now, policy.windowMs, METRIC_SETTLE_MS);
    const from = Math.max(w.from, this.startMinute);
    if (w.to <= from)
      return this.waiting(
        `no complete minute since the deployment began yet (load balancer metrics arrive a minute or two after their minute; the action judges a minute ${formatSpan(METRIC_SETTLE_MS)} after it ends)`,
      );
    if (!force && w.to <= this.lastTo)
      return { kind: 'waiting', why: 'no new complete minute since the last evaluation' };
    const baselineTo = this.startMinute;
    const baselineFrom = baselineTo - policy.windowMs;
    const percentiles = [
      ...new Set([
        record.chartPercentile,
        ...policy.checks.flatMap((c) => (c.metric.kind === 'latency' ? [c.metric.percentile] : [])),
      ]),
    ];
    const read = [targets.green, ...(targets.blue ? [targets.blue] : [])];
    let minutes;
    try {
      record.reads++;
      const result = await readTargetGroupMinutes(
        this.cloudwatch(),
        read,
        { percentiles, unhealthy: policy.checks.some((c) => c.metric.kind === 'unhealthy-hosts') },
        baselineFrom,
        w.to,
        signal,
      );
      minutes = result.minutes;
      if (result.partial.length > 0)
        rt.info(`  (GetMetricData answered in part: ${result.partial.join(', ')})`);
    } catch (error) {
      if (signal?.aborted) return { kind: 'waiting', why: 'stopped' };
      return this.fault(error);
    }
    this.faultsInARow = 0;
    for (const [arn, points] of minutes) mergeMinutes(record, arn, points);
    this.lastTo = w.to;
    const green = windowStats(record.minutes[targets.green.targetGroupArn] ?? [], from, w.to);
    const blueMinutes = targets.blue ? (record.minutes[targets.blue.targetGroupArn] ?? []) : undefined;
    const blue = blueMinutes ? windowStats(blueMinutes, from, w.to) : undefined;
    const baseline = blueMinutes ? windowStats(blueMinutes, baselineFrom, baselineTo) : undefined;
    const verdicts = judge(policy, green, blue, baseline);
    const during = this.duringWindow(targets, w.to);
    const evaluation: HealthEvaluation = {
      at: now,
      during,
      from,
      to: w.to,
      green: this.brief(green),
      ...(blue ? { blue: this.brief(blue) } : {}),
      verdicts,
    };
    record.evaluations.push(evaluation);
    rt.info(this.line(evaluation, green, blue));
    return { kind: 'judged', evaluation };
  }

  private brief(s: WindowStats): HealthEvaluation['green'] {
    const latency = s.latency[this.record.chartPercentile];
    return {
      requests: s.requests,
      ...(s.errorRate !== undefined ? { errorRate: s.errorRate } : {}),
      ...(latency !== undefined ? { latency } : {}),
    };
  }

  /** "Health 12:03–12:06 UTC (production 10 %): green 540 requests, 5xx 12.5 %, p99 300 ms | blue … → error-rate …: BREACH; …" */
  private line(e: HealthEvaluation, green: WindowStats, blue?: WindowStats): string {
    const p = this.record.chartPercentile;
    const side = (name: string, s: WindowStats) =>
      `${name} ${s.requests} requests${s.errorRate !== undefined ? `, 5xx ${formatMetricValue({ kind: 'error-rate' }, s.errorRate)}` : ''}${s.latency[p] !== undefined ? `, ${p} ${formatMetricValue({ kind: 'latency', percentile: p }, s.latency[p])}` : ''}`;
    const verdicts = e.verdicts
      .map((v) => {
        const check = this.checksByLine.get(v.line) as HealthCheck;
        const word = v.outcome === 'pass' ? 'pass' : v.outcome === 'breach' ? 'BREACH' : 'no verdict';
        return `${describeVerdict(check, v)}: ${word}`;
      })
      .join('; ');
    return `Health ${window(e.from, e.to)} (${e.during}): ${side('green', green)}${blue ? ` | ${side('blue', blue)}` : ''} → ${verdicts}`;
  }

  private waiting(why: string): EvaluationResult {
    if (this.waitingTold !== why) this.rt.info(`Health checks: waiting — ${why}.`);
    this.waitingTold = why;
    return { kind: 'waiting', why };
  }

  private fault(error: unknown): EvaluationResult {
    const { rt, record } = this;
    record.faults++;
    if (isTransientAwsError(error)) {
      this.faultsInARow++;
      const next = nextMetricReadDelayMs(this.policy.intervalMs, this.faultsInARow);
      rt.info(
        `  (GetMetricData: ${awsErrorName(error)}: ${errorMessage(error)} — passing AWS fault, read again in ${Math.round(next / 1000)}s; no verdict from this read)`,
      );
      return { kind: 'fault', transient: true };
    }
    if (!this.deniedTold)
      rt.warning(
        `Health checks cannot read CloudWatch (GetMetricData: ${awsErrorName(error)}: ${errorMessage(error)}); no verdict until they can${isUnsupportedOrDenied(error) ? ' — the role needs cloudwatch:GetMetricData' : ''}.`,
      );
    this.deniedTold = true;
    return { kind: 'fault', transient: false };
  }

  /** Where traffic stood at the end of the judged window (the minutes judged are a few minutes old). */
  private duringWindow(targets: RevisionTargets, to: number): string {
    const shift = this.record.shifts.filter((s) => s.at < to).at(-1);
    if (!shift) return trafficWords({ ...targets, productionPercent: 0 });
    return trafficWords({ ...targets, productionPercent: shift.percent });
  }

  /** A change of the production share, placed when the engine first saw it (else now). */
  private noteShift(targets: RevisionTargets): void {
    const percent = targets.productionPercent ?? 0;
    const last = this.record.shifts.at(-1);
    if (last?.percent === percent) return;
    const at = Math.max(targets.productionPercentSince ?? this.rt.clock.now(), last?.at ?? 0);
    this.record.shifts.push({ at, percent });
  }

  private delay(): number {
    return nextMetricReadDelayMs(this.policy.intervalMs, this.faultsInARow);
  }

  /**
   * Beside a watch: evaluates every interval until `stop` aborts (the watch ended), or a check breaches —
   * then it aborts `stop` itself (ending the watch) and returns the breach.
   */
  async beside(stop: AbortController): Promise<HealthBreach | undefined> {
    const { signal } = stop;
    try {
      while (!signal.aborted) {
        const result = await this.evaluate(signal);
        if (result.kind === 'judged') {
          const breach = result.evaluation.verdicts.find((v) => v.outcome === 'breach');
          if (breach) {
            stop.abort();
            return { verdict: breach, during: result.evaluation.during };
          }
        }
        // between evaluations, look at the engine's last observation often enough to place traffic shifts
        const until =
          this.rt.clock.now() + (result.kind === 'waiting' ? Math.min(this.delay(), 15_000) : this.delay());
        while (!signal.aborted && this.rt.clock.now() < until) {
          await this.rt.clock.sleep(Math.min(10_000, until - this.rt.clock.now()), signal);
          const targets = await this.follower.revisionTargets();
          if (targets) this.noteShift(targets);
        }
      }
    } catch (error) {
      // the monitor never ends a deployment on its own failure: it says so and stops judging
      this.rt.warning(`Health checks stopped: ${errorMessage(error)}`);
    }
    return undefined;
  }

  /**
   * At a decision point: evaluates until every check has a verdict, for at most one window of complete
   * minutes from now. A breach, all passed, or no-data with the last verdicts.
   */
  async decide(): Promise<
    | { kind: 'pass' }
    | { kind: 'breach'; breach: HealthBreach }
    | { kind: 'no-data'; verdicts: CheckVerdict[]; why: string }
  > {
    const { rt, policy } = this;
    const until = rt.clock.now() + policy.windowMs + METRIC_SETTLE_MS + policy.intervalMs;
    let last: CheckVerdict[] = [];
    let why = 'no read succeeded';
    for (;;) {
      const result = await this.evaluate(rt.signal, true);
      if (result.kind === 'judged') {
        last = result.evaluation.verdicts;
        const breach = last.find((v) => v.outcome === 'breach');
        if (breach) return { kind: 'breach', breach: { verdict: breach, during: result.evaluation.during } };
        if (last.every((v) => v.outcome === 'pass')) return { kind: 'pass' };
        why = last
          .filter((v) => v.outcome === 'no-data')
          .map((v) => `${v.check}: ${v.reason ?? 'no data'}`)
          .join('; ');
      } else if (result.kind === 'waiting') why = result.why;
      else why = 'CloudWatch could not be read';
      if (rt.clock.now() >= until || rt.signal.aborted) return { kind: 'no-data', verdicts: last, why };
      await rt.clock.sleep(Math.min(this.delay(), Math.max(1000, until - rt.clock.now())), rt.signal);
    }
  }

  /** The sentence of a breach, with the metric, its value, the bound and the window. */
  breachText(breach: HealthBreach): string {
    const v = breach.verdict;
    const check = this.checksByLine.get(v.line) as HealthCheck;
    return `Health check '${check.text}' failed during ${breach.during}: ${describeVerdict(check, v)} over ${window(v.from, v.to)} (${v.requests} requests of the new revision)`;
  }

  /** A breach: stop with rollback (retry-safe, through the follower), the verdict and its annotation; throws. */
  async stopOnBreach(breach: HealthBreach): Promise<never> {
    const { rt, follower } = this;
    const check = this.checksByLine.get(breach.verdict.line) as HealthCheck;
    this.record.breach = { ...breach.verdict, during: breach.during };
    const why = this.breachText(breach);
    rt.info(`✖ ${why}: stopping ${follower.record.deploymentId} with rollback.`);
    const stopped = await follower.stopAndFollowBack(`because health check '${check.text}' failed`, true);
    const text = `${why}; ${this.named.charAt(0).toLowerCase()}${this.named.slice(1)} ${stopped ? 'stopped and rolled back' : 'could not be stopped'}.`;
    setVerdict(follower.record, 'failed', text);
    rt.error(text, { title: `Health check failed: ${check.text}` });
    throw new DeploymentError(text, { reported: true });
  }

  /**
   * Before the action lets traffic move on (the test gate passing, promote continuing): every check must
   * pass. A breach stops it with rollback; not enough data leaves it waiting for a person (no-data: hold)
   * or stops it (no-data: rollback). Throws DeploymentError unless all passed.
   */
  async beforeContinue(what: string): Promise<void> {
    const { rt, follower, policy } = this;
    rt.info(`Health checks before ${what}: ${this.record.checks.map((c) => c.text).join(', ')}.`);
    const decision = await this.decide();
    if (decision.kind === 'pass') {
      rt.info(`Health checks passed before ${what}.`);
      return;
    }
    if (decision.kind === 'breach') return this.stopOnBreach(decision.breach);
    if (rt.signal.aborted)
      throw new DeploymentError(`The run was cancelled while judging health before ${what}.`);
    this.record.undecided = { at: what, verdicts: decision.verdicts };
    const lacking = `Health checks could not judge the new revision before ${what}: not enough data (${decision.why})`;
    if (policy.noData === 'rollback') {
      const stopped = await follower.stopAndFollowBack(
        'because the health checks had not enough data (no-data: rollback)',
        true,
      );
      const text = `${lacking}; no-data is rollback, so ${this.named.charAt(0).toLowerCase()}${this.named.slice(1)} ${stopped ? 'stopped and rolled back' : 'could not be stopped'}.`;
      setVerdict(follower.record, 'failed', text);
      rt.error(text, { title: 'Health checks: not enough data' });
      throw new DeploymentError(text, { reported: true });
    }
    const text = `${lacking}. ${this.named} was left waiting: too little traffic is not a failure of the release, so nothing was rolled back (no-data: hold). Promote it once you have judged it, or roll it back.`;
    setVerdict(follower.record, 'failed', text);
    rt.error(text, { title: 'Health checks: not enough data' });
    throw new DeploymentError(text, { reported: true });
  }

  /** At the verdict: a check never judged is said so (a warning and a note), never counted as healthy. */
  atEnd(): void {
    const unjudged = finalVerdicts(this.record).filter((v) => v.outcome === 'no-data');
    if (unjudged.length === 0) return;
    const text = `Health checks not judged, not enough data: ${unjudged.map((v) => `${v.check} (${v.reason ?? 'no data'})`).join('; ')}.`;
    this.rt.warning(text);
    addNote(this.follower.record, text);
  }
}

/** The monitor for a follower when the user asked for health checks (startFollow's factory). */
export function healthMonitor(
  rt: Runtime,
  clients: Pick<AwsClients, 'cloudwatch'>,
  policy: HealthPolicy | undefined,
): ((follower: Follower) => HealthMonitor) | undefined {
  return policy
    ? (follower) => new HealthMonitor(rt, () => clients.cloudwatch(), policy, follower)
    : undefined;
}

/**
 * Before any change: one GetMetricData call, so that a role without cloudwatch:GetMetricData is refused
 * before the deployment starts. A passing fault is only a warning (the monitor retries its reads).
 */
export async function checkMetricAccess(rt: Runtime, cloudwatch: CloudWatchClient): Promise<void> {
  const now = rt.clock.now();
  try {
    await cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: [
          {
            Id: 'access',
            MetricStat: {
              Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount' },
              Period: 60,
              Stat: 'Sum',
            },
          },
        ],
        StartTime: new Date(now - 5 * MINUTE_MS),
        EndTime: new Date(now),
      }),
    );
  } catch (error) {
    if (isTransientAwsError(error)) {
      rt.info(
        `  (GetMetricData: ${awsErrorName(error)} while checking access — passing AWS fault; the health checks retry their reads)`,
      );
      return;
    }
    throw new InputError(
      "input 'health-checks'",
      `needs CloudWatch's GetMetricData, which failed: ${awsErrorName(error)}: ${errorMessage(error)}.`,
      'Allow cloudwatch:GetMetricData (Resource "*") in the role the action assumes, or remove health-checks.',
    );
  }
}

/** The checks, for the plan and the deploy log. */
export function describeHealthPlan(policy: HealthPolicy): string[] {
  return [
    ...policy.checks.map((c) => `- ${describeCheck(c)} (line ${c.line})`),
    `- ${describeSettings(policy)}`,
  ];
}
