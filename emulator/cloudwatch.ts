/**
 * CloudWatch for the health checks: `GetMetricData` over the wire the installed SDK v3 client speaks (AWS
 * JSON 1.0, `X-Amz-Target: GraniteServiceVersion20100801.GetMetricData`, query-compatible errors), serving
 * the ALB target-group metrics (namespace AWS/ApplicationELB, dimensions TargetGroup and LoadBalancer) of
 * a traffic model that follows the listener weights of both engines:
 *
 * - after every request the emulator advances, `sample` records which target group each production and
 *   test listener (CodeDeploy) or listener rule (ECS) forwards to with what weight, and which task
 *   definition each target group serves (CodeDeploy task sets; the ECS deployment's source and target
 *   revisions), so weights are known as they were at any virtual time (to within one request);
 * - per minute, a listener carries `productionRpm` or `testRpm` requests, split by its weights; a
 *   revision answers with `errorRate` 5xx and `latencyMs` percentiles, unless it is a bad release;
 * - a minute's points are served only `publishDelayMs` after the minute ends (load balancer data arrive
 *   late); minutes without requests have no RequestCount, TargetResponseTime or 5xx point, and a minute
 *   with requests but no 5xx has no HTTPCode_Target_5XX_Count point (ALB reports counts only when nonzero).
 *
 * `badRelease` makes every task definition registered after it was set answer worse: its error rate, its
 * latency (a factor), unhealthy hosts; `only: 'production'` keeps test traffic healthy (a fault only real
 * traffic meets), `afterMinutes` starts the fault that long after the revision's first production request.
 */
import { ApiError, type JsonHandler } from './protocol.js';
import { findTaskDefinition, type EmulatorState } from './state.js';
import { deploymentsOf, nativeState } from './ecs-native/model.js';

export interface BadRelease {
  /** fraction of requests answered 5xx (0.2 = 20 %) */
  errorRate?: number;
  /** latency multiplied by this */
  latencyFactor?: number;
  unhealthyHosts?: number;
  /** only production traffic meets the fault (test traffic is healthy) */
  only?: 'production';
  /** the fault starts this many minutes after the revision's first production request */
  afterMinutes?: number;
}

export interface TrafficModel {
  /** requests per minute through each production listener or rule (split by its weights) */
  productionRpm: number;
  /** requests per minute through each test listener or rule */
  testRpm: number;
  /** a good revision's 5xx fraction */
  errorRate: number;
  latencyMs: { p50: number; p90: number; p99: number };
  /** how long after a minute ends its points can be read */
  publishDelayMs: number;
  badRelease?: BadRelease & { since: number };
}

export const DEFAULT_TRAFFIC: TrafficModel = {
  productionRpm: 600,
  testRpm: 60,
  errorRate: 0.001,
  latencyMs: { p50: 40, p90: 90, p99: 180 },
  publishDelayMs: 70_000,
};

interface Route {
  kind: 'production' | 'test';
  forward: { targetGroupArn: string; weight: number }[];
}

interface Sample {
  at: number;
  routes: Route[];
  /** target group ARN → task definition ARN it serves */
  revisionOf: Record<string, string>;
}

export class MetricsModel {
  traffic: TrafficModel = { ...DEFAULT_TRAFFIC };
  private readonly samples: Sample[] = [];
  /** task definition → when it first met production traffic */
  private readonly firstProduction = new Map<string, number>();
  /** GetMetricData requests answered, for tests */
  reads = 0;

  constructor(private readonly state: EmulatorState) {}

  set(t: Partial<TrafficModel>): void {
    this.traffic = { ...this.traffic, ...t };
  }

  badRelease(b: BadRelease, now: number): void {
    this.traffic = { ...this.traffic, badRelease: { ...b, since: now } };
  }

  /** Records the routes and revisions in force at `now`, when they changed. */
  sample(now: number): void {
    const s = this.read(now);
    const last = this.samples.at(-1);
    if (
      last &&
      JSON.stringify(last.routes) === JSON.stringify(s.routes) &&
      JSON.stringify(last.revisionOf) === JSON.stringify(s.revisionOf)
    )
      return;
    this.samples.push(s);
    for (const r of s.routes)
      if (r.kind === 'production')
        for (const f of r.forward) {
          const td = s.revisionOf[f.targetGroupArn];
          if (td && f.weight > 0 && !this.firstProduction.has(td)) this.firstProduction.set(td, now);
        }
  }

  private read(now: number): Sample {
    const { state } = this;
    const routes = new Map<string, Route>();
    const route = (arn: string | undefined, kind: Route['kind'], forward: Route['forward'] | undefined) => {
      if (arn && forward) routes.set(arn, { kind, forward: forward.map((f) => ({ ...f })) });
    };
    const revisionOf: Record<string, string> = {};
    for (const g of state.deploymentGroups.values()) {
      route(g.prodListenerArn, 'production', state.listeners.get(g.prodListenerArn)?.forward);
      if (g.testListenerArn)
        route(g.testListenerArn, 'test', state.listeners.get(g.testListenerArn)?.forward);
    }
    for (const svc of state.services.values())
      if (svc.deploymentController === 'CODE_DEPLOY')
        for (const set of svc.taskSets) revisionOf[set.targetGroupArn] = set.taskDefinition;
    const ns = nativeState(state);
    for (const n of ns.services.values()) {
      for (const lb of n.loadBalancers) {
        const a = lb.advancedConfiguration;
        const forwardOf = (arn: string) => ns.rules.get(arn)?.forward ?? state.listeners.get(arn)?.forward;
        if (a?.productionListenerRule)
          route(a.productionListenerRule, 'production', forwardOf(a.productionListenerRule));
        if (a?.testListenerRule) route(a.testListenerRule, 'test', forwardOf(a.testListenerRule));
      }
      const current = ns.revisions.get(n.currentRevisionArn);
      const tg = current?.loadBalancers[0]?.targetGroupArn;
      if (current && tg) revisionOf[tg] = current.taskDefinition;
      const d = deploymentsOf(ns, n.key).at(-1);
      if (d) {
        const source = d.sourceRevisionArns[0] ? ns.revisions.get(d.sourceRevisionArns[0]) : undefined;
        const target = ns.revisions.get(d.targetRevisionArn);
        if (d.blueTargetGroupArn && source) revisionOf[d.blueTargetGroupArn] = source.taskDefinition;
        if (d.greenTargetGroupArn && target) revisionOf[d.greenTargetGroupArn] = target.taskDefinition;
      }
    }
    return { at: now, routes: [...routes.values()], revisionOf };
  }

  /** The sample in force at `t`; before the first one, the first (the service served before it was seeded). */
  private sampleAt(t: number): Sample | undefined {
    let found: Sample | undefined = this.samples[0];
    for (const s of this.samples) {
      if (s.at > t) break;
      found = s;
    }
    return found;
  }

  /** How a task definition answers at `t` for traffic of `kind`. */
  private behaviour(taskDefinition: string, kind: Route['kind'], t: number) {
    const m = this.traffic;
    const bad = m.badRelease;
    const td = findTaskDefinition(this.state, taskDefinition);
    let isBad = bad !== undefined && td !== undefined && td.registeredAt >= bad.since;
    if (isBad && bad?.only === 'production' && kind !== 'production') isBad = false;
    if (isBad && bad?.afterMinutes !== undefined) {
      const first = this.firstProduction.get(taskDefinition);
      isBad = first !== undefined && t >= first + bad.afterMinutes * 60_000;
    }
    const factor = isBad ? (bad?.latencyFactor ?? 1) : 1;
    return {
      errorRate: isBad && bad?.errorRate !== undefined ? bad.errorRate : m.errorRate,
      latency: {
        p50: m.latencyMs.p50 * factor,
        p90: m.latencyMs.p90 * factor,
        p99: m.latencyMs.p99 * factor,
      },
      unhealthy: isBad ? (bad?.unhealthyHosts ?? 0) : 0,
    };
  }

  /** One minute [start, start + 60 s) of one target group, integrated over 5-second steps. */
  minute(targetGroupArn: string, start: number) {
    const steps = 12;
    let requests = 0;
    let errors = 0;
    let latencyWeighted = { p50: 0, p90: 0, p99: 0 };
    let unhealthy = 0;
    let served = false;
    for (let i = 0; i < steps; i++) {
      const t = start + (i + 0.5) * (60_000 / steps);
      const s = this.sampleAt(t);
      if (!s) continue;
      const td = s.revisionOf[targetGroupArn];
      if (!td) continue;
      served = true;
      for (const r of s.routes) {
        const total = r.forward.reduce((sum, f) => sum + f.weight, 0);
        const share =
          total > 0 ? (r.forward.find((f) => f.targetGroupArn === targetGroupArn)?.weight ?? 0) / total : 0;
        if (share <= 0) continue;
        const n =
          ((r.kind === 'production' ? this.traffic.productionRpm : this.traffic.testRpm) / steps) * share;
        const b = this.behaviour(td, r.kind, t);
        requests += n;
        errors += n * b.errorRate;
        latencyWeighted = {
          p50: latencyWeighted.p50 + n * b.latency.p50,
          p90: latencyWeighted.p90 + n * b.latency.p90,
          p99: latencyWeighted.p99 + n * b.latency.p99,
        };
      }
      unhealthy = Math.max(unhealthy, this.behaviour(td, 'production', t).unhealthy);
    }
    const count = Math.round(requests);
    return {
      served,
      requests: count,
      errors: Math.round(errors),
      latencySeconds:
        requests > 0
          ? {
              p50: latencyWeighted.p50 / requests / 1000,
              p90: latencyWeighted.p90 / requests / 1000,
              p99: latencyWeighted.p99 / requests / 1000,
            }
          : undefined,
      unhealthy,
    };
  }
}

const LB_DIM = /^app\/[^/]+\/[^/]+$/;

/** GetMetricData (API reference GetMetricData; docs/aws-behaviours.md): the ALB target-group metrics. */
export function cloudwatchHandlers(state: EmulatorState, model: MetricsModel): Record<string, JsonHandler> {
  return {
    GetMetricData: (input, ctx) => {
      model.reads++;
      const queries = input.MetricDataQueries;
      if (!Array.isArray(queries) || queries.length === 0)
        throw new ApiError('ValidationError', 'The parameter MetricDataQueries is required.');
      if (queries.length > 500)
        throw new ApiError(
          'ValidationError',
          'The collection MetricDataQueries must not have a size greater than 500.',
        );
      const start = typeof input.StartTime === 'number' ? input.StartTime * 1000 : NaN;
      const end = typeof input.EndTime === 'number' ? input.EndTime * 1000 : NaN;
      if (!Number.isFinite(start) || !Number.isFinite(end))
        throw new ApiError('ValidationError', 'The parameters StartTime and EndTime are required.');
      if (end <= start)
        throw new ApiError(
          'ValidationError',
          'The parameter StartTime must be less than the parameter EndTime.',
        );
      const descending = input.ScanBy !== 'TimestampAscending';
      const maxDatapoints = typeof input.MaxDatapoints === 'number' ? input.MaxDatapoints : 100_800;
      const ids = new Set<string>();
      const results = queries.map((raw) => {
        const q = raw as {
          Id?: string;
          MetricStat?: {
            Metric?: {
              Namespace?: string;
              MetricName?: string;
              Dimensions?: { Name?: string; Value?: string }[];
            };
            Period?: number;
            Stat?: string;
          };
        };
        if (!q.Id || !/^[a-z][a-zA-Z0-9_]*$/.test(q.Id))
          throw new ApiError(
            'ValidationError',
            `Invalid metric data query id: ${q.Id ?? '(none)'}. The id must start with a lowercase letter.`,
          );
        if (ids.has(q.Id))
          throw new ApiError(
            'ValidationError',
            `The value ${q.Id} for parameter MetricDataQueries.member.Id is duplicated.`,
          );
        ids.add(q.Id);
        const stat = q.MetricStat;
        const period = stat?.Period ?? 60;
        const metric = stat?.Metric;
        const dims = new Map((metric?.Dimensions ?? []).map((d) => [d.Name, d.Value]));
        const timestamps: number[] = [];
        const values: number[] = [];
        const tgDim = dims.get('TargetGroup');
        const lbDim = dims.get('LoadBalancer');
        const tg = tgDim
          ? [...state.targetGroups.values()].find((g) => g.arn.endsWith(`:${tgDim}`))
          : undefined;
        // ALB publishes target-group metrics with both dimensions: a query without LoadBalancer matches no series
        const matches =
          metric?.Namespace === 'AWS/ApplicationELB' &&
          tg !== undefined &&
          lbDim !== undefined &&
          LB_DIM.test(lbDim) &&
          dims.size === 2;
        if (matches && period % 60 === 0) {
          const first = Math.ceil(start / 60_000) * 60_000;
          for (let t = first; t < end; t += period * 1000) {
            if (t + period * 1000 + model.traffic.publishDelayMs > ctx.now) break;
            let requests = 0;
            let errors = 0;
            let latency: Record<string, number> | undefined;
            let unhealthy: number | undefined;
            for (let m = t; m < t + period * 1000; m += 60_000) {
              const minute = model.minute(tg.arn, m);
              if (minute.served) unhealthy = Math.max(unhealthy ?? 0, minute.unhealthy);
              if (minute.requests > 0) {
                requests += minute.requests;
                errors += minute.errors;
                latency ??= {};
                for (const [p, s] of Object.entries(minute.latencySeconds ?? {}))
                  latency[p] = Math.max(latency[p] ?? 0, s);
              }
            }
            const name = metric?.MetricName;
            let value: number | undefined;
            if (name === 'RequestCount' && requests > 0) value = requests;
            else if (name === 'HTTPCode_Target_5XX_Count' && errors > 0) value = errors;
            else if (name === 'TargetResponseTime' && latency) {
              const s = stat?.Stat ?? 'Average';
              value = s === 'Average' ? latency.p50 : latency[s];
            } else if (name === 'UnHealthyHostCount' && unhealthy !== undefined) value = unhealthy;
            if (value !== undefined) {
              timestamps.push(t / 1000);
              values.push(value);
            }
          }
        }
        if (descending) {
          timestamps.reverse();
          values.reverse();
        }
        return {
          Id: q.Id,
          Label: metric?.MetricName ?? q.Id,
          Timestamps: timestamps,
          Values: values,
          StatusCode: 'Complete',
        };
      });
      // pagination: at most maxDatapoints points per page, NextToken = the offset to go on from
      const offset = typeof input.NextToken === 'string' ? Number(input.NextToken) : 0;
      let skip = Number.isFinite(offset) ? offset : 0;
      let room = maxDatapoints;
      let consumed = 0;
      const page = results.map((r) => {
        const take = Math.max(0, Math.min(r.Values.length - skip, room));
        const from = Math.min(skip, r.Values.length);
        skip = Math.max(0, skip - r.Values.length);
        room -= take;
        consumed += from + take;
        return {
          ...r,
          Timestamps: r.Timestamps.slice(from, from + take),
          Values: r.Values.slice(from, from + take),
          StatusCode: from + take < r.Values.length ? 'PartialData' : 'Complete',
        };
      });
      const total = results.reduce((sum, r) => sum + r.Values.length, 0);
      return {
        MetricDataResults: page,
        ...(consumed < total ? { NextToken: String(consumed) } : {}),
        Messages: [],
      };
    },
  };
}
