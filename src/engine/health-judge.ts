/**
 * The judge of the health checks, engine-neutral and pure: a window of complete minutes of the new
 * revision's target group (and the original's, for relative checks) in, a verdict per check out — pass,
 * breach, or no-data — with the value, the bound and the window. Not enough data is never read as healthy
 * nor as a breach: it is its own outcome, with the reason.
 *
 * What each metric is over a window (docs/health-checks.md):
 * - error-rate: the window's 5xx responses over its requests, in percent (a minute with requests and no
 *   HTTPCode_Target_5XX_Count point had none: the load balancer reports counts only when nonzero);
 * - a latency percentile: the worst complete minute's TargetResponseTime at that percentile;
 * - unhealthy-hosts: the window's highest UnHealthyHostCount.
 */
import type { HealthCheck, HealthPolicy } from '../action/health-checks.js';
import { describeCheck, formatMetricValue } from '../action/health-checks.js';
import type { CheckVerdict, MinutePoint } from '../record/health.js';

/** What a window of minutes of one target group adds up to. */
export interface WindowStats {
  from: number;
  to: number;
  requests: number;
  errors: number;
  /** percent; undefined without requests */
  errorRate?: number;
  /** the worst minute's value at each percentile read, ms */
  latency: Record<string, number>;
  /** the highest UnHealthyHostCount seen, when any point was */
  unhealthy?: number;
}

/** Sums the minutes in [from, to). */
export function windowStats(points: readonly MinutePoint[], from: number, to: number): WindowStats {
  const stats: WindowStats = { from, to, requests: 0, errors: 0, latency: {} };
  for (const p of points) {
    if (p.at < from || p.at >= to) continue;
    if (p.unhealthy !== undefined) stats.unhealthy = Math.max(stats.unhealthy ?? 0, p.unhealthy);
    if (!p.requests) continue;
    stats.requests += p.requests;
    stats.errors += p.errors ?? 0;
    for (const [percentile, ms] of Object.entries(p.latency))
      stats.latency[percentile] = Math.max(stats.latency[percentile] ?? 0, ms);
  }
  if (stats.requests > 0) stats.errorRate = (stats.errors / stats.requests) * 100;
  return stats;
}

function valueOf(check: HealthCheck, stats: WindowStats): number | undefined {
  const m = check.metric;
  if (m.kind === 'error-rate') return stats.errorRate;
  if (m.kind === 'latency') return stats.latency[m.percentile];
  return stats.unhealthy;
}

/**
 * Judges every check of `policy` on the new revision's window. Relative checks compare with blue's same
 * window when blue had enough requests, else with `baseline` (blue's window before the deployment began).
 */
export function judge(
  policy: HealthPolicy,
  green: WindowStats,
  blue?: WindowStats,
  baseline?: WindowStats,
): CheckVerdict[] {
  return policy.checks.map((check) => judgeOne(policy, check, green, blue, baseline));
}

function judgeOne(
  policy: HealthPolicy,
  check: HealthCheck,
  green: WindowStats,
  blue?: WindowStats,
  baseline?: WindowStats,
): CheckVerdict {
  const base = {
    line: check.line,
    check: describeCheck(check),
    requests: green.requests,
    from: green.from,
    to: green.to,
  };
  const noData = (reason: string): CheckVerdict => ({ ...base, outcome: 'no-data', reason });
  if (check.metric.kind === 'unhealthy-hosts') {
    if (green.unhealthy === undefined) return noData('no UnHealthyHostCount data points in the window');
  } else if (green.requests < policy.minRequests)
    return noData(`${green.requests} requests of the ${policy.minRequests} needed, min-requests`);
  const value = valueOf(check, green);
  if (value === undefined)
    return noData(
      `no ${check.metric.kind === 'latency' ? 'TargetResponseTime' : 'data'} points in the window`,
    );

  let threshold: number;
  let against: CheckVerdict['against'];
  let reference: number | undefined;
  const b = check.bound;
  if (b.kind === 'absolute') threshold = b.value;
  else {
    const usable = (s: WindowStats | undefined) =>
      s && s.requests >= policy.minRequests ? valueOf(check, s) : undefined;
    reference = usable(blue);
    against = 'blue';
    if (reference === undefined) {
      reference = usable(baseline);
      against = 'blue before the deployment';
    }
    if (reference === undefined)
      return noData(
        `blue had ${blue?.requests ?? 0} requests in the window${baseline ? ` and ${baseline.requests} before the deployment` : ''} (${policy.minRequests} needed to compare with)`,
      );
    threshold = b.times !== undefined ? reference * b.times : reference + (b.plus ?? 0);
  }
  const pass = check.op === '<' ? value < threshold : value <= threshold;
  return {
    ...base,
    outcome: pass ? 'pass' : 'breach',
    value,
    threshold,
    ...(against ? { against, reference } : {}),
  };
}

/** "error-rate 12.5 % > 1 %" / "p99 240 ms ≤ 800 ms" / "error-rate: not enough data (12 requests of the 50 needed)" */
export function describeVerdict(check: HealthCheck, v: CheckVerdict): string {
  const name = check.metric.kind === 'latency' ? check.metric.percentile : check.metric.kind;
  if (v.outcome === 'no-data' || v.value === undefined || v.threshold === undefined)
    return `${name}: not enough data (${v.reason ?? 'no value'})`;
  const op = v.outcome === 'pass' ? (check.op === '<' ? '<' : '≤') : check.op === '<' ? '≥' : '>';
  const ref =
    v.against && v.reference !== undefined
      ? ` (${v.against} ${formatMetricValue(check.metric, v.reference)})`
      : '';
  return `${name} ${formatMetricValue(check.metric, v.value)} ${op} ${formatMetricValue(check.metric, v.threshold)}${ref}`;
}
