/**
 * What the health checks saw, for the log's last lines and the job summary: the minutes of each revision's
 * target group as CloudWatch gave them, every evaluation with its verdicts, and the breach that stopped the
 * deployment. Plain data, filled by the health monitor (src/commands/health.ts) through the judge
 * (src/engine/health-judge.ts); the summary draws it (record/health-summary.ts).
 */
import type { MetricTarget, MinutePoint } from '../aws/cloudwatch-reads.js';

export type { MetricTarget, MinutePoint };

export type CheckOutcome = 'pass' | 'breach' | 'no-data';

/** One check judged over one window. */
export interface CheckVerdict {
  /** the check's line in the input, and the check as the policy understood it */
  line: number;
  check: string;
  outcome: CheckOutcome;
  /** the new revision's value, in the metric's unit (error-rate %, latency ms, hosts) */
  value?: number;
  /** the bound it was held to (for a relative check: blue's value with the margin) */
  threshold?: number;
  /** what a relative check compared with */
  against?: 'blue' | 'blue before the deployment';
  /** blue's value, for a relative check */
  reference?: number;
  /** the new revision's requests in the window */
  requests: number;
  /** why there was no verdict ("12 requests of the 50 needed") */
  reason?: string;
  /** the window judged: [from, to) */
  from: number;
  to: number;
}

/** One evaluation: one GetMetricData read, each check judged. */
export interface HealthEvaluation {
  at: number;
  /** where the deployment stood ("test traffic", "production 10 %", "bake") */
  during: string;
  from: number;
  to: number;
  green: { requests: number; errorRate?: number; latency?: number };
  blue?: { requests: number; errorRate?: number; latency?: number };
  verdicts: CheckVerdict[];
}

export interface HealthRecord {
  /** the checks as understood, one line each */
  checks: Array<{ line: number; text: string }>;
  settings: string;
  green?: MetricTarget;
  blue?: MetricTarget;
  /** minutes by target group ARN */
  minutes: Record<string, MinutePoint[]>;
  evaluations: HealthEvaluation[];
  /** the breach that stopped the deployment */
  breach?: CheckVerdict & { during: string };
  /** the decision point that could not judge for lack of data */
  undecided?: { at: string; verdicts: CheckVerdict[] };
  /** the percentile the latency chart draws */
  chartPercentile: string;
  reads: number;
  faults: number;
  /** when traffic moved (production share of the new revision, percent) */
  shifts: Array<{ at: number; percent: number }>;
}

/** Adds what a read gave to a target group's minutes: a later read of the same minute replaces it (late data). */
export function mergeMinutes(record: HealthRecord, targetGroupArn: string, points: MinutePoint[]): void {
  const byAt = new Map((record.minutes[targetGroupArn] ?? []).map((p) => [p.at, p]));
  for (const p of points) byAt.set(p.at, p);
  record.minutes[targetGroupArn] = [...byAt.values()].sort((a, b) => a.at - b.at);
}

/** The latest verdict of each check over the deployment: a breach stays, then the last judged verdict, else no data. */
export function finalVerdicts(record: HealthRecord): CheckVerdict[] {
  const out = new Map<number, CheckVerdict>();
  for (const e of record.evaluations)
    for (const v of e.verdicts) {
      const before = out.get(v.line);
      if (before?.outcome === 'breach') continue;
      if (v.outcome === 'no-data' && before && before.outcome !== 'no-data') continue;
      out.set(v.line, v);
    }
  if (record.breach) out.set(record.breach.line, record.breach);
  return record.checks.map(
    (c) =>
      out.get(c.line) ?? {
        line: c.line,
        check: c.text,
        outcome: 'no-data' as const,
        requests: 0,
        reason: 'never evaluated',
        from: 0,
        to: 0,
      },
  );
}
