/**
 * The job summary's health section: the checks and their verdicts in a table, and two small Mermaid charts
 * (GitHub renders `xychart-beta` in job summaries) of the error rate and the latency per minute over the
 * deployment for both revisions, with the traffic shifts marked on the minute axis. Only the action's own
 * words and numbers are drawn; check texts go through the kit (escapeMarkdown, code).
 */
import { formatMetricValue } from '../action/health-checks.js';
import type { CheckVerdict, HealthRecord, MinutePoint } from './health.js';
import { finalVerdicts } from './health.js';
import { code, escapeMarkdown } from './summary.js';

const ICONS: Record<CheckVerdict['outcome'], string> = { pass: '✅', breach: '❌', 'no-data': '⚪' };
const WORDS: Record<CheckVerdict['outcome'], string> = {
  pass: 'passed',
  breach: 'failed',
  'no-data': 'not enough data',
};

function hm(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

function unitOf(check: string): 'error-rate' | 'latency' | 'hosts' {
  if (check.startsWith('error-rate')) return 'error-rate';
  if (/^p\d/.test(check)) return 'latency';
  return 'hosts';
}

function valueText(check: string, value: number | undefined): string {
  if (value === undefined) return '—';
  const unit = unitOf(check);
  return unit === 'error-rate'
    ? formatMetricValue({ kind: 'error-rate' }, value)
    : unit === 'latency'
      ? formatMetricValue({ kind: 'latency', percentile: 'p99' }, value)
      : formatMetricValue({ kind: 'unhealthy-hosts' }, value);
}

function verdictRow(v: CheckVerdict): string {
  const window = v.to > v.from ? `${hm(v.from)}–${hm(v.to)} UTC` : '—';
  const detail =
    v.outcome === 'no-data'
      ? escapeMarkdown(v.reason ?? 'no data')
      : `${valueText(v.check, v.value)} against ${valueText(v.check, v.threshold)}${v.against ? ` (${escapeMarkdown(v.against)} ${valueText(v.check, v.reference)})` : ''}`;
  return `| ${code(v.check)} | ${ICONS[v.outcome]} ${WORDS[v.outcome]} | ${detail} | ${v.requests} | ${window} |`;
}

/** Minutes from the first to the last seen, each with its value or 0 (the chart draws no gaps). */
function series(
  minutes: MinutePoint[] | undefined,
  axis: number[],
  value: (p: MinutePoint) => number | undefined,
): number[] {
  const byAt = new Map((minutes ?? []).map((p) => [p.at, p]));
  return axis.map((at) => {
    const p = byAt.get(at);
    const v = p ? value(p) : undefined;
    return v === undefined || !Number.isFinite(v) ? 0 : Math.round(v * 100) / 100;
  });
}

function chart(title: string, yLabel: string, axis: string[], lines: number[][]): string[] {
  const max = Math.max(1, ...lines.flat());
  return [
    '```mermaid',
    '%%{init: {"themeVariables": {"xyChart": {"plotColorPalette": "#2da44e, #0969da"}}}}%%',
    'xychart-beta',
    `  title "${title}"`,
    `  x-axis [${axis.map((a) => `"${a}"`).join(', ')}]`,
    `  y-axis "${yLabel}" 0 --> ${Math.ceil(max * 1.2 * 100) / 100}`,
    ...lines.map((l) => `  line [${l.join(', ')}]`),
    '```',
    '',
  ];
}

export function healthSection(record: { health?: HealthRecord }): string[] {
  const health = record.health;
  if (!health) return [];
  const out = ['### Health checks', ''];
  out.push(`${escapeMarkdown(health.settings)}.`, '');
  out.push('| Check | Verdict | Value against bound | Requests (new) | Window |', '|---|---|---|---|---|');
  for (const v of finalVerdicts(health)) out.push(verdictRow(v));
  out.push('');
  if (health.breach)
    out.push(
      `The check ${code(health.breach.check)} failed during ${escapeMarkdown(health.breach.during)}: the deployment was stopped and rolled back.`,
      '',
    );
  if (health.undecided)
    out.push(
      `Not enough data to judge before ${escapeMarkdown(health.undecided.at)}: the deployment was not let on.`,
      '',
    );

  const green = health.green ? health.minutes[health.green.targetGroupArn] : undefined;
  const blue = health.blue ? health.minutes[health.blue.targetGroupArn] : undefined;
  const ats = [...new Set([...(green ?? []), ...(blue ?? [])].map((p) => p.at))].sort((a, b) => a - b);
  if (ats.length >= 2) {
    const axis = ats.slice(-60);
    const labels = axis.map((at) => {
      const shift = health.shifts.filter((s) => s.at >= at && s.at < at + 60_000).at(-1);
      return shift ? `${hm(at)} ▶${shift.percent}%` : hm(at);
    });
    const rate = (p: MinutePoint) => (p.requests ? ((p.errors ?? 0) / p.requests) * 100 : undefined);
    const latency = (p: MinutePoint) => (p.requests ? p.latency[health.chartPercentile] : undefined);
    out.push(
      `Per minute (UTC), green line: the new revision, blue line: the original; ▶N% marks the minute traffic moved to N % of production; a minute without requests is drawn at 0. The last ${axis.length} minutes read are shown.`,
      '',
    );
    out.push(
      ...chart('5xx error rate (%)', '%', labels, [series(green, axis, rate), series(blue, axis, rate)]),
    );
    out.push(
      ...chart(`${health.chartPercentile} response time (ms)`, 'ms', labels, [
        series(green, axis, latency),
        series(blue, axis, latency),
      ]),
    );
  }
  out.push(
    `${health.reads} GetMetricData reads${health.faults ? `, ${health.faults} failed and retried (never a verdict)` : ''}.`,
    '',
  );
  return out;
}
