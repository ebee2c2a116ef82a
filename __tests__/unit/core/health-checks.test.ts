/**
 * The health-checks input (src/action/health-checks.ts), the judge (src/engine/health-judge.ts), the
 * CloudWatch dimensions and the judged window (src/aws/cloudwatch-reads.ts), the summary section
 * (src/record/health-summary.ts).
 */
import { describe, expect, it } from '@jest/globals';
import { parseHealthChecks, type HealthPolicy } from '../../../src/action/health-checks.js';
import { judge, windowStats } from '../../../src/engine/health-judge.js';
import {
  judgedWindow,
  loadBalancerDimension,
  targetGroupDimension,
} from '../../../src/aws/cloudwatch-reads.js';
import { healthSection } from '../../../src/record/health-summary.js';
import type { HealthRecord, MinutePoint } from '../../../src/record/health.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0);
const min = (n: number) => T0 + n * 60_000;

function policy(text: string): HealthPolicy {
  return parseHealthChecks(text) as HealthPolicy;
}

function points(list: Array<[number, number | undefined, number | undefined, number?]>): MinutePoint[] {
  return list.map(([m, requests, errors, p99]) => ({
    at: min(m),
    ...(requests !== undefined ? { requests } : {}),
    ...(errors !== undefined ? { errors } : {}),
    latency: p99 !== undefined ? { p99 } : ({} as Record<string, number>),
  }));
}

describe('health-checks input', () => {
  it('reads checks and settings, with units made canonical', () => {
    const p = policy(
      [
        'error-rate < 1%   # absolute',
        'p99 < 0.8s',
        '',
        'error-rate <= blue + 0.5pt',
        'p90 <= blue * 1.5',
        'unhealthy-hosts < 1',
        'min-requests: 100',
        'window: 5m',
        'interval: 30s',
        'no-data: rollback',
      ].join('\n'),
    );
    expect(p.checks.map((c) => [c.line, c.metric, c.op, c.bound])).toEqual([
      [1, { kind: 'error-rate' }, '<', { kind: 'absolute', value: 1 }],
      [2, { kind: 'latency', percentile: 'p99' }, '<', { kind: 'absolute', value: 800 }],
      [4, { kind: 'error-rate' }, '<=', { kind: 'relative', plus: 0.5 }],
      [5, { kind: 'latency', percentile: 'p90' }, '<=', { kind: 'relative', times: 1.5 }],
      [6, { kind: 'unhealthy-hosts' }, '<', { kind: 'absolute', value: 1 }],
    ]);
    expect([p.minRequests, p.windowMs, p.intervalMs, p.noData]).toEqual([100, 300_000, 30_000, 'rollback']);
  });

  it('has no policy for an empty input, and defaults for settings left out', () => {
    expect(parseHealthChecks('  \n ')).toBeUndefined();
    const p = policy('p99 < 800ms');
    expect([p.minRequests, p.windowMs, p.intervalMs, p.noData]).toEqual([50, 180_000, 60_000, 'hold']);
  });

  it.each([
    [
      'error-rate < 1%\np99 < 800',
      "line 2 ('p99 < 800'): '800' has no unit a latency takes. Write milliseconds",
    ],
    ['error-rate > 1%', "line 1 ('error-rate > 1%'): '>': a check states what healthy is"],
    ['error-rate <= blue + 0.5%', 'is ambiguous next to blue'],
    ['cpu < 80%', "'cpu' is not a metric this action reads"],
    ['latency < 800ms', "'latency' needs a percentile"],
    ['p99 < 800ms\nwindow: 90s', 'the window must be whole minutes'],
    ['p99 < 800ms\nwindow: 3m\nwindow: 4m', 'window is set twice (line 2 too)'],
    ['p99 < 800ms\nthreshold: 3', "'threshold' is not a setting"],
    ['min-requests: 10', 'has settings but no check'],
    ['unhealthy-hosts <= blue', 'unhealthy-hosts is not compared with blue'],
    ['error-rate < 101%', 'is more than 100 %'],
    ['p99 < 800ms\nno-data: pass', "'pass' is not one of hold, rollback"],
  ])('refuses %j naming the line and the fix', (text, message) => {
    expect(() => parseHealthChecks(text)).toThrow(message);
    expect(() => parseHealthChecks(text)).toThrow("input 'health-checks'");
  });
});

describe('the judge', () => {
  const p = policy('error-rate < 1%\np99 < 800ms\nerror-rate <= blue + 0.5pt\nmin-requests: 50\nwindow: 3m');

  it('sums the window: missing 5xx points count 0 when there were requests, latency is the worst minute', () => {
    const stats = windowStats(
      points([
        [0, 40, undefined, 200],
        [1, 60, 3, 900],
        [2, undefined, undefined],
        [3, 100, 50, 100],
      ]),
      min(0),
      min(3),
    );
    expect(stats).toEqual({
      from: min(0),
      to: min(3),
      requests: 100,
      errors: 3,
      errorRate: 3,
      latency: { p99: 900 },
    });
  });

  it('passes, breaches, and compares with blue in the same window', () => {
    const green = windowStats(
      points([
        [0, 100, 2, 300],
        [1, 100, 0, 300],
      ]),
      min(0),
      min(2),
    );
    const blue = windowStats(
      points([
        [0, 900, 9, 300],
        [1, 900, 9, 300],
      ]),
      min(0),
      min(2),
    );
    const v = judge(p, green, blue);
    // 2 of 200 is 1 %: not below 1 %; blue's 1 % + 0.5 pt = 1.5 %
    expect(v.map((x) => [x.outcome, x.value, x.threshold])).toEqual([
      ['breach', 1, 1],
      ['pass', 300, 800],
      ['pass', 1, 1.5],
    ]);
    expect(v[2]?.against).toBe('blue');
    expect(v[2]?.reference).toBe(1);
  });

  it('says not enough data below min-requests, never pass nor breach, with the reason', () => {
    const green = windowStats(points([[0, 10, 10, 5000]]), min(0), min(3));
    const v = judge(p, green);
    expect(v.map((x) => x.outcome)).toEqual(['no-data', 'no-data', 'no-data']);
    expect(v[0]?.reason).toBe('10 requests of the 50 needed, min-requests');
  });

  it('falls back on blue before the deployment when blue has no traffic left, else no data', () => {
    const green = windowStats(points([[5, 100, 1, 100]]), min(5), min(6));
    const emptyBlue = windowStats([], min(5), min(6));
    const baseline = windowStats(points([[0, 600, 6, 100]]), min(0), min(3));
    const withBaseline = judge(p, green, emptyBlue, baseline)[2];
    expect([withBaseline?.outcome, withBaseline?.against, withBaseline?.threshold]).toEqual([
      'pass',
      'blue before the deployment',
      1.5,
    ]);
    const without = judge(p, green, emptyBlue)[2];
    expect(without?.outcome).toBe('no-data');
    expect(without?.reason).toMatch(/^blue had 0 requests in the window/);
  });
});

describe('CloudWatch dimensions and the judged window', () => {
  it('derives TargetGroup and LoadBalancer from ARNs (load balancer, listener, listener rule)', () => {
    expect(
      targetGroupDimension('arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/web-blue/0123abcd'),
    ).toBe('targetgroup/web-blue/0123abcd');
    for (const arn of [
      'arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/web/50dc6c495c0c9188',
      'arn:aws:elasticloadbalancing:us-east-1:1:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2',
      'arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee',
    ])
      expect(loadBalancerDimension(arn)).toBe('app/web/50dc6c495c0c9188');
  });

  it('judges only minutes that ended at least the settle delay ago', () => {
    expect(judgedWindow(min(10) + 30_000, 180_000, 120_000)).toEqual({ from: min(5), to: min(8) });
  });
});

describe('the summary section', () => {
  it('draws both revisions per minute with the shift marked, and escapes nothing it did not write', () => {
    const record: HealthRecord = {
      checks: [{ line: 1, text: 'error-rate < 1 %' }],
      settings: 'judged over the last 3 min',
      green: { targetGroupArn: 'g' },
      blue: { targetGroupArn: 'b' },
      minutes: {
        g: points([
          [1, 100, 20, 300],
          [2, 100, 10, 300],
        ]),
        b: points([
          [1, 900, 9, 200],
          [2, 800, 0, 200],
        ]),
      },
      evaluations: [],
      breach: {
        line: 1,
        check: 'error-rate < 1 %',
        outcome: 'breach',
        value: 15,
        threshold: 1,
        requests: 200,
        from: min(1),
        to: min(3),
        during: 'production 10 %',
      },
      chartPercentile: 'p99',
      reads: 3,
      faults: 1,
      shifts: [{ at: min(2) + 5000, percent: 10 }],
    };
    const text = healthSection({ health: record }).join('\n');
    expect(text).toContain('| `error-rate < 1 %` | ❌ failed | 15 % against 1 % | 200 | 12:01–12:03 UTC |');
    expect(text).toContain('x-axis ["12:01", "12:02 ▶10%"]');
    expect(text).toContain('line [20, 10]');
    expect(text).toContain('line [1, 0]');
    expect(text).toContain('line [300, 300]');
    expect(text).toContain('3 GetMetricData reads, 1 failed and retried (never a verdict).');
  });
});
