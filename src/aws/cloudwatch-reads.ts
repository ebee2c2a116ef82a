/**
 * The health checks' reads of CloudWatch: one GetMetricData call per evaluation for every metric of both
 * revisions' target groups (batched queries, 1-minute periods, ScanBy TimestampAscending, every NextToken
 * page read), and the dimensions derived from ARNs. Only reads; errors are the caller's to judge (a
 * passing fault is retried, never a verdict: src/commands/health.ts).
 *
 * Pacing: these reads have their own knob, `METRIC_READ_PACING`, apart from the watchers' (the deployment
 * reads). The health monitor asks `nextMetricReadDelayMs` when to read next; a per-process read budget can
 * take this over by replacing that one function.
 */
import {
  GetMetricDataCommand,
  type CloudWatchClient,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { faultBackoffMs } from './retry.js';

/** One complete minute of one target group (deployment-clock ms of the minute's start). */
export interface MinutePoint {
  at: number;
  /** RequestCount Sum: absent when the load balancer reported no request that minute */
  requests?: number;
  /** HTTPCode_Target_5XX_Count Sum: absent when none (a minute with requests and no point counts 0) */
  errors?: number;
  /** TargetResponseTime at each percentile read, in milliseconds */
  latency: Record<string, number>;
  /** UnHealthyHostCount Maximum */
  unhealthy?: number;
}

/** A target group as the CloudWatch dimensions name it. */
export interface MetricTarget {
  targetGroupArn: string;
  /** the load balancer's ARN (or a listener's or listener rule's), for the LoadBalancer dimension */
  loadBalancerArn?: string;
}

/**
 * The pace of metric reads: at most one GetMetricData call per `minGapMs` while judging (the interval the
 * user chose is longer or equal), no SDK retries on top (`attempts` 1: the monitor backs off itself after
 * a fault, `faultBackoffMs`), and at most `maxPages` pages per read.
 */
export const METRIC_READ_PACING = { minGapMs: 30_000, attempts: 1, maxPages: 20 };

/** When to read next: the interval after a read that passed, the fault backoff after the n-th fault in a row. */
export function nextMetricReadDelayMs(intervalMs: number, faultsInARow: number): number {
  if (faultsInARow > 0) return faultBackoffMs(faultsInARow);
  return Math.max(METRIC_READ_PACING.minGapMs, intervalMs);
}

/** ALB metrics: period of one minute, the load balancer's resolution. */
export const MINUTE_MS = 60_000;

/** `arn:…:targetgroup/<name>/<id>` → the TargetGroup dimension `targetgroup/<name>/<id>`. */
export function targetGroupDimension(arn: string): string | undefined {
  return /:(targetgroup\/[^/]+\/[^/]+)$/.exec(arn)?.[1];
}

/**
 * The LoadBalancer dimension `app/<name>/<id>` from a load balancer, listener or listener rule ARN
 * (`…:loadbalancer/app/n/id`, `…:listener/app/n/id/l`, `…:listener-rule/app/n/id/l/r`).
 */
export function loadBalancerDimension(arn: string | undefined): string | undefined {
  return arn
    ? /:(?:loadbalancer|listener|listener-rule)\/((?:app|net)\/[^/]+\/[^/]+)/.exec(arn)?.[1]
    : undefined;
}

/** Which statistics of a target group a read asks for. */
export interface MetricWanted {
  /** TargetResponseTime percentiles: "p50", "p99" */
  percentiles: string[];
  unhealthy: boolean;
}

/** The queries of one target group: ids are `<prefix>_<what>` (lowercase first, as CloudWatch requires). */
function queriesFor(prefix: string, target: MetricTarget, wanted: MetricWanted): MetricDataQuery[] {
  const tg = targetGroupDimension(target.targetGroupArn) ?? target.targetGroupArn;
  const lb = loadBalancerDimension(target.loadBalancerArn);
  const dimensions = [
    { Name: 'TargetGroup', Value: tg },
    ...(lb ? [{ Name: 'LoadBalancer', Value: lb }] : []),
  ];
  const q = (id: string, metric: string, stat: string): MetricDataQuery => ({
    Id: `${prefix}_${id}`,
    MetricStat: {
      Metric: { Namespace: 'AWS/ApplicationELB', MetricName: metric, Dimensions: dimensions },
      Period: MINUTE_MS / 1000,
      Stat: stat,
    },
    ReturnData: true,
  });
  return [
    q('requests', 'RequestCount', 'Sum'),
    q('errors', 'HTTPCode_Target_5XX_Count', 'Sum'),
    ...wanted.percentiles.map((p) => q(`lat_${p.replace('.', '_')}`, 'TargetResponseTime', p)),
    ...(wanted.unhealthy ? [q('unhealthy', 'UnHealthyHostCount', 'Maximum')] : []),
  ];
}

export interface MetricRead {
  /** minutes by target group ARN, oldest first */
  minutes: Map<string, MinutePoint[]>;
  /** GetMetricData calls made (pages) */
  calls: number;
  /** queries CloudWatch could not answer in full (StatusCode PartialData / Forbidden / InternalError) */
  partial: string[];
}

/**
 * Reads the complete minutes [from, to) of each target group in one GetMetricData request (more pages when
 * CloudWatch paginates). Throws what the SDK throws: the caller tells a passing fault from a refusal.
 */
export async function readTargetGroupMinutes(
  cloudwatch: CloudWatchClient,
  targets: MetricTarget[],
  wanted: MetricWanted,
  from: number,
  to: number,
  signal?: AbortSignal,
): Promise<MetricRead> {
  const queries = targets.flatMap((t, i) => queriesFor(`t${i}`, t, wanted));
  const points = new Map<string, Map<number, MinutePoint>>();
  const partial: string[] = [];
  let token: string | undefined;
  let calls = 0;
  do {
    calls++;
    const out = await cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: new Date(from),
        EndTime: new Date(to),
        ScanBy: 'TimestampAscending',
        ...(token ? { NextToken: token } : {}),
      }),
      { abortSignal: signal },
    );
    for (const result of out.MetricDataResults ?? []) {
      const m = /^t(\d+)_(.+)$/.exec(result.Id ?? '');
      const target = m ? targets[Number(m[1])] : undefined;
      if (!m || !target) continue;
      if (result.StatusCode && result.StatusCode !== 'Complete')
        partial.push(`${result.Id} ${result.StatusCode}`);
      const byAt = points.get(target.targetGroupArn) ?? new Map<number, MinutePoint>();
      points.set(target.targetGroupArn, byAt);
      const what = m[2] as string;
      (result.Timestamps ?? []).forEach((ts, i) => {
        const value = result.Values?.[i];
        if (value === undefined || !(ts instanceof Date)) return;
        const at = ts.getTime();
        // only whole minutes inside the window asked for
        if (at < from || at >= to) return;
        const point = byAt.get(at) ?? { at, latency: {} };
        byAt.set(at, point);
        if (what === 'requests') point.requests = value;
        else if (what === 'errors') point.errors = value;
        else if (what === 'unhealthy') point.unhealthy = value;
        else if (what.startsWith('lat_')) point.latency[what.slice(4).replace('_', '.')] = value * 1000;
      });
    }
    token = out.NextToken;
  } while (token && calls < METRIC_READ_PACING.maxPages);
  const minutes = new Map<string, MinutePoint[]>();
  for (const t of targets)
    minutes.set(
      t.targetGroupArn,
      [...(points.get(t.targetGroupArn)?.values() ?? [])].sort((a, b) => a.at - b.at),
    );
  return { minutes, calls, partial };
}

/**
 * The complete minutes that can be judged at `now`: [to - window, to), where `to` is the start of the
 * newest minute that ended at least `settleMs` ago — load balancer data points arrive a minute or two
 * after their minute ends, so a younger minute may still grow.
 */
export function judgedWindow(now: number, windowMs: number, settleMs: number): { from: number; to: number } {
  const to = Math.floor((now - settleMs) / MINUTE_MS) * MINUTE_MS;
  return { from: to - windowMs, to };
}

/** How long after its end a minute is read as complete. */
export const METRIC_SETTLE_MS = 2 * MINUTE_MS;
