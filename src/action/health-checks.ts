/**
 * The `health-checks` input: what "healthy" means for the new revision while traffic moves to it, in a few
 * lines a workflow author writes by hand. Pure: the text in, the policy out, or an InputError naming the
 * line and how to fix it — before anything is read or changed in AWS.
 *
 *   health-checks: |
 *     error-rate < 1%                 # 5xx / requests of the new revision's target group, over the window
 *     p99 < 800ms                     # the worst complete minute's TargetResponseTime p99 in the window
 *     error-rate <= blue + 0.5pt      # next to the original revision (percentage points)
 *     p90 <= blue * 1.5               # or as a ratio of the original's
 *     unhealthy-hosts < 1             # UnHealthyHostCount, its maximum over the window
 *     min-requests: 100               # settings: `name: value`
 *     window: 3m
 *
 * A check states the healthy condition (only `<` and `<=`: every metric here is better lower). Settings:
 * min-requests (the new revision's requests in the window before anything is judged), window (the complete
 * minutes judged), interval (between evaluations), no-data (what a decision point does without enough
 * data: hold — the default, the deployment waits for a person — or rollback).
 */
import { InputError } from './errors.js';

export type HealthMetric =
  | { kind: 'error-rate' }
  /** TargetResponseTime at this percentile: "p99", "p99.9" */
  | { kind: 'latency'; percentile: string }
  | { kind: 'unhealthy-hosts' };

/** The healthy side of a check: an absolute bound, or one relative to the original revision's value. */
export type HealthBound =
  | { kind: 'absolute'; value: number }
  /** blue + plus, or blue * times (one of them) */
  | { kind: 'relative'; plus?: number; times?: number };

export interface HealthCheck {
  /** the line of the input it was written on (1-based), and its text as written */
  line: number;
  text: string;
  metric: HealthMetric;
  op: '<' | '<=';
  /** in the metric's unit: error-rate percent, latency milliseconds, hosts a count */
  bound: HealthBound;
}

export const NO_DATA_VALUES = ['hold', 'rollback'] as const;
export type NoDataRule = (typeof NO_DATA_VALUES)[number];

export interface HealthPolicy {
  checks: HealthCheck[];
  /** requests of the new revision in the window before a check is judged */
  minRequests: number;
  windowMs: number;
  intervalMs: number;
  /** at a decision point without enough data: hold (wait for a person) or rollback (as a breach) */
  noData: NoDataRule;
}

export const HEALTH_DEFAULTS = {
  minRequests: 50,
  windowMs: 3 * 60_000,
  intervalMs: 60_000,
  noData: 'hold' as NoDataRule,
};

const INPUT = "input 'health-checks'";

/** The metric's name as written, for messages and the summary. */
export function metricName(metric: HealthMetric): string {
  return metric.kind === 'latency' ? metric.percentile : metric.kind;
}

/** A value in the metric's unit, as the summary and the log write it. */
export function formatMetricValue(metric: HealthMetric, value: number): string {
  if (metric.kind === 'error-rate') return `${round(value, value < 10 ? 2 : 1)} %`;
  if (metric.kind === 'latency')
    return value >= 1000 ? `${round(value / 1000, 2)} s` : `${Math.round(value)} ms`;
  return String(round(value, 1));
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function fail(line: number, text: string, problem: string, fix: string): never {
  throw new InputError(`${INPUT} line ${line} ('${text}')`, problem, fix);
}

const METRIC_HELP =
  'Checks are error-rate, a latency percentile (p50, p90, p99, p99.9) or unhealthy-hosts, e.g. "error-rate < 1%", "p99 < 800ms", "error-rate <= blue + 0.5pt".';

function parseMetric(word: string, line: number, text: string): HealthMetric {
  const w = word.toLowerCase();
  if (w === 'error-rate' || w === '5xx-rate') return { kind: 'error-rate' };
  if (w === 'unhealthy-hosts' || w === 'unhealthy') return { kind: 'unhealthy-hosts' };
  const p = /^p(\d{1,2}(?:\.\d{1,3})?)$/.exec(w);
  if (p) {
    const n = Number(p[1]);
    if (n > 0 && n < 100) return { kind: 'latency', percentile: `p${p[1]}` };
  }
  if (w === 'latency' || w === 'response-time')
    return fail(line, text, `'${word}' needs a percentile.`, 'Write p50, p90 or p99, e.g. "p99 < 800ms".');
  return fail(line, text, `'${word}' is not a metric this action reads.`, METRIC_HELP);
}

/** A value in the metric's unit: "1%" / "0.5pt" for error-rate, "800ms" / "0.8s" for latency, "0" for hosts. */
function parseValue(
  metric: HealthMetric,
  raw: string,
  line: number,
  text: string,
  relative: 'plus' | 'times' | undefined,
): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z%]*)$/i.exec(raw.trim());
  if (!m) return fail(line, text, `'${raw}' is not a number with a unit.`, unitHelp(metric, relative));
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  if (relative === 'times') {
    if (unit !== '')
      return fail(line, text, `'${raw}': a ratio has no unit.`, 'Write e.g. "p99 <= blue * 1.5".');
    if (n <= 0)
      return fail(line, text, `'${raw}': the ratio must be above 0.`, 'Write e.g. "p99 <= blue * 1.5".');
    return n;
  }
  if (metric.kind === 'error-rate') {
    if (relative === 'plus') {
      if (unit === 'pt' || unit === 'pp') return n;
      if (unit === '%')
        return fail(
          line,
          text,
          `'${raw}' is ambiguous next to blue: percent of blue's rate, or percentage points?`,
          'Write "blue + 0.5pt" for percentage points, or "blue * 1.5" for a ratio.',
        );
    } else if (unit === '%') {
      if (n > 100) return fail(line, text, `${raw} is more than 100 %.`, 'Write a rate from 0% to 100%.');
      return n;
    }
    return fail(line, text, `'${raw}' has no unit an error rate takes.`, unitHelp(metric, relative));
  }
  if (metric.kind === 'latency') {
    if (unit === 'ms') return n;
    if (unit === 's') return n * 1000;
    return fail(line, text, `'${raw}' has no unit a latency takes.`, unitHelp(metric, relative));
  }
  if (unit !== '')
    return fail(line, text, `'${raw}': a host count has no unit.`, 'Write e.g. "unhealthy-hosts < 1".');
  return n;
}

function unitHelp(metric: HealthMetric, relative: 'plus' | 'times' | undefined): string {
  if (metric.kind === 'error-rate')
    return relative
      ? 'Write e.g. "error-rate <= blue + 0.5pt".'
      : 'Write a percentage, e.g. "error-rate < 1%".';
  if (metric.kind === 'latency')
    return relative
      ? 'Write e.g. "p99 <= blue + 100ms".'
      : 'Write milliseconds or seconds, e.g. "p99 < 800ms" or "p99 < 0.8s".';
  return 'Write a count, e.g. "unhealthy-hosts < 1".';
}

function parseCheck(line: number, text: string): HealthCheck {
  const m = /^([A-Za-z0-9.-]+)\s*(<=|<|>=|>|==|=|!=)\s*(.+)$/.exec(text);
  if (!m)
    return fail(
      line,
      text,
      'is neither a check (METRIC < VALUE) nor a setting (NAME: VALUE).',
      `${METRIC_HELP} Settings are min-requests, window, interval and no-data, e.g. "window: 3m".`,
    );
  const metric = parseMetric(m[1] as string, line, text);
  const op = m[2] as string;
  if (op !== '<' && op !== '<=')
    return fail(
      line,
      text,
      `'${op}': a check states what healthy is, and every metric here is better lower.`,
      `Use < or <=, e.g. "${metricName(metric)} < ${metric.kind === 'latency' ? '800ms' : metric.kind === 'error-rate' ? '1%' : '1'}".`,
    );
  const right = (m[3] as string).trim();
  const rel = /^blue\s*(?:([+*])\s*(.+))?$/i.exec(right);
  let bound: HealthBound;
  if (rel) {
    if (metric.kind === 'unhealthy-hosts')
      return fail(
        line,
        text,
        'unhealthy-hosts is not compared with blue: the original revision has its own hosts.',
        'Write an absolute bound, e.g. "unhealthy-hosts < 1".',
      );
    if (!rel[1]) bound = { kind: 'relative', plus: 0 };
    else if (rel[1] === '+')
      bound = { kind: 'relative', plus: parseValue(metric, rel[2] as string, line, text, 'plus') };
    else bound = { kind: 'relative', times: parseValue(metric, rel[2] as string, line, text, 'times') };
  } else {
    if (/^green\b/i.test(right))
      return fail(
        line,
        text,
        'compares with green, the revision being judged.',
        'Compare with blue, e.g. "error-rate <= blue + 0.5pt".',
      );
    bound = { kind: 'absolute', value: parseValue(metric, right, line, text, undefined) };
  }
  return { line, text, metric, op, bound };
}

function parseDuration(raw: string, line: number, text: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|min|h)?$/i.exec(raw);
  if (!m)
    return fail(line, text, `'${raw}' is not a duration.`, `Write e.g. "${name}: 3m" or "${name}: 90s".`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 'm').toLowerCase();
  return n * (unit === 's' ? 1000 : unit === 'h' ? 3_600_000 : 60_000);
}

const SETTINGS = ['min-requests', 'window', 'interval', 'no-data'] as const;

/**
 * Parses the input. Empty text: no health checks (undefined). Every line is a check, a setting, a comment
 * (#…) or blank; anything else is refused with the line and how to write it.
 */
export function parseHealthChecks(raw: string): HealthPolicy | undefined {
  if (raw.trim() === '') return undefined;
  const policy: HealthPolicy = { checks: [], ...HEALTH_DEFAULTS };
  const seen = new Map<string, number>();
  raw.split(/\r?\n/).forEach((full, i) => {
    const line = i + 1;
    const text = full.replace(/#.*$/, '').trim();
    if (text === '') return;
    const setting = /^([A-Za-z-]+)\s*:\s*(.*)$/.exec(text);
    if (!setting) {
      policy.checks.push(parseCheck(line, text));
      return;
    }
    const name = (setting[1] as string).toLowerCase();
    const value = (setting[2] as string).trim();
    if (!(SETTINGS as readonly string[]).includes(name))
      return fail(
        line,
        text,
        `'${name}' is not a setting.`,
        `Settings are ${SETTINGS.join(', ')}; a check is written without a colon, e.g. "error-rate < 1%".`,
      );
    if (seen.has(name))
      return fail(line, text, `${name} is set twice (line ${seen.get(name)} too).`, 'Keep one of them.');
    seen.set(name, line);
    if (name === 'min-requests') {
      if (!/^\d+$/.test(value))
        return fail(
          line,
          text,
          `'${value}' is not a whole number of requests.`,
          'Write e.g. "min-requests: 100".',
        );
      policy.minRequests = Number(value);
    } else if (name === 'window') {
      const ms = parseDuration(value, line, text, name);
      if (ms < 60_000 || ms > 60 * 60_000 || ms % 60_000 !== 0)
        return fail(
          line,
          text,
          `the window must be whole minutes from 1m to 60m (load balancer metrics come by the minute).`,
          'Write e.g. "window: 3m".',
        );
      policy.windowMs = ms;
    } else if (name === 'interval') {
      const ms = parseDuration(value, line, text, name);
      if (ms < 30_000 || ms > 30 * 60_000)
        return fail(line, text, 'the interval must be from 30s to 30m.', 'Write e.g. "interval: 1m".');
      policy.intervalMs = ms;
    } else {
      const rule = NO_DATA_VALUES.find((v) => v === value.toLowerCase());
      if (!rule)
        return fail(
          line,
          text,
          `'${value}' is not one of ${NO_DATA_VALUES.join(', ')}.`,
          'hold (the default) leaves a deployment without enough data waiting for a person; rollback stops it as if a check had failed.',
        );
      policy.noData = rule;
    }
  });
  if (policy.checks.length === 0)
    throw new InputError(INPUT, 'has settings but no check.', `Add at least one check. ${METRIC_HELP}`);
  return policy;
}

/** "error-rate < 1%" as the policy understood it, for the plan and the summary. */
export function describeCheck(check: HealthCheck): string {
  const name = metricName(check.metric);
  const b = check.bound;
  if (b.kind === 'absolute') return `${name} ${check.op} ${formatMetricValue(check.metric, b.value)}`;
  if (b.times !== undefined) return `${name} ${check.op} blue × ${b.times}`;
  if (!b.plus) return `${name} ${check.op} blue`;
  return `${name} ${check.op} blue + ${check.metric.kind === 'error-rate' ? `${b.plus} pt` : formatMetricValue(check.metric, b.plus)}`;
}

/** "3 min", "90 s" */
export function formatSpan(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`;
}

/** The settings in one sentence, for the plan and the log. */
export function describeSettings(policy: HealthPolicy): string {
  return `judged over the last ${formatSpan(policy.windowMs)} of complete minutes every ${formatSpan(policy.intervalMs)}, once the new revision has ${policy.minRequests} requests in the window; without enough data at a decision point: ${policy.noData}`;
}
