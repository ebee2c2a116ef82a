import { randomString, type EmulatorState, type Service } from '../state.js';
import { productionSteps, type LifecycleStage } from './stages.js';
import {
  type NativeHook,
  type NativeConfig,
  type HookOutcome,
  type NativeService,
  type NativeRevision,
  type HookStatus,
  type HookExecution,
  type Work,
  type Step,
  type NativeDeployment,
  type NativeState,
  nativeState,
  revisionArn,
  deploymentArn,
  ecsSvcId,
  addEvent,
  setStatus,
  isTerminal,
  threshold,
  deploymentsOf,
} from './model.js';
import { launchTasks, tasksOf, stopTasks } from './tasks.js';
import { setForward, networkingProblem } from './traffic.js';

// ───────────────────────────── the timeline ─────────────────────────────

export interface NativeContext {
  state: EmulatorState;
}

function planFor(config: NativeConfig, reconcile: boolean): Step[] {
  const none: Work = { kind: 'none' };
  if (config.strategy === 'ROLLING')
    return [
      { stage: 'PRE_SCALE_UP', work: none, hooks: true },
      { stage: 'SCALE_UP', work: { kind: 'scaleUp' }, hooks: false },
      { stage: 'POST_SCALE_UP', work: none, hooks: true },
      { stage: 'CLEAN_UP', work: { kind: 'cleanUp' }, hooks: false },
    ];
  const steps: Step[] = [];
  if (reconcile) steps.push({ stage: 'RECONCILE_SERVICE', work: none, hooks: true });
  steps.push(
    { stage: 'PRE_SCALE_UP', work: none, hooks: true },
    { stage: 'SCALE_UP', work: { kind: 'scaleUp' }, hooks: false },
    { stage: 'POST_SCALE_UP', work: none, hooks: true },
    { stage: 'TEST_TRAFFIC_SHIFT', work: { kind: 'test', weight: 100 }, hooks: true },
    { stage: 'POST_TEST_TRAFFIC_SHIFT', work: none, hooks: true },
  );
  const weights = productionSteps(config.strategy, config.linearConfiguration, config.canaryConfiguration);
  const stepBakeMin =
    config.strategy === 'LINEAR'
      ? (config.linearConfiguration?.stepBakeTimeInMinutes ?? 6)
      : config.strategy === 'CANARY'
        ? (config.canaryConfiguration?.canaryBakeTimeInMinutes ?? 10)
        : 0;
  for (const w of weights) {
    steps.push({ stage: 'PRE_PRODUCTION_TRAFFIC_SHIFT', work: none, hooks: true });
    steps.push({
      stage: 'PRODUCTION_TRAFFIC_SHIFT',
      work: { kind: 'prod', weight: w },
      hooks: true,
      ...(w < 100 && stepBakeMin > 0 ? { bakeAfterMs: stepBakeMin * 60_000 } : {}),
    });
  }
  steps.push(
    { stage: 'POST_PRODUCTION_TRAFFIC_SHIFT', work: none, hooks: true },
    {
      stage: 'BAKE_TIME',
      work: { kind: 'bake', ms: (config.bakeTimeInMinutes ?? 0) * 60_000 },
      hooks: false,
    },
    { stage: 'CLEAN_UP', work: { kind: 'cleanUp' }, hooks: false },
  );
  return steps;
}

function serviceOfDeployment(ctx: NativeContext, d: NativeDeployment) {
  const ns = nativeState(ctx.state);
  const n = ns.services.get(d.serviceKey);
  const svc = ctx.state.services.get(d.serviceKey);
  if (!n || !svc) throw new Error(`emulator: service ${d.serviceKey} of ${d.arn} vanished`);
  return { ns, n, svc };
}

function recordWeights(d: NativeDeployment, at: number, stage: LifecycleStage): void {
  d.weightHistory.push({ at, stage, production: d.weights.production, test: d.weights.test });
}

function enterStep(ctx: NativeContext, d: NativeDeployment, index: number, at: number): void {
  d.index = index;
  const step = d.plan[index];
  if (!step) return finish(ctx, d, at);
  const { ns, n, svc } = serviceOfDeployment(ctx, d);
  d.lifecycleStage = step.stage;
  d.updatedAt = at;
  d.history.push({ stage: step.stage, at, mode: d.mode });
  const t = n.timing;
  const target = ns.revisions.get(d.targetRevisionArn)!;
  const w = step.work;
  let ms = t.stageMs;
  switch (w.kind) {
    case 'none':
      break;
    case 'scaleUp':
      d.requested.target = svc.desiredCount;
      launchTasks(ctx.state, ns, n, target, svc.desiredCount, at, d.ecsId);
      ms = n.failTasks ? t.taskFailMs : t.scaleUpMs;
      break;
    case 'test':
    case 'prod': {
      if (w.kind === 'test' || d.weights.production === 0) {
        const problem = n.loadBalancers.length ? networkingProblem(ctx.state, ns, n) : undefined;
        if (problem) {
          addEvent(n, at, problem);
          return startRollback(ctx, d, at, problem, false);
        }
      }
      const a = n.loadBalancers[0]?.advancedConfiguration;
      if (w.kind === 'test') {
        d.weights.test = w.weight;
        setForward(ctx.state, ns, a?.testListenerRule, d.blueTargetGroupArn, d.greenTargetGroupArn, w.weight);
      } else {
        d.weights.production = w.weight;
        setForward(
          ctx.state,
          ns,
          a?.productionListenerRule,
          d.blueTargetGroupArn,
          d.greenTargetGroupArn,
          w.weight,
        );
      }
      recordWeights(d, at, step.stage);
      ms = t.trafficShiftMs;
      break;
    }
    case 'bake':
      ms = w.ms;
      break;
    case 'cleanUp':
      ms = t.cleanUpMs;
      break;
    case 'rbProd':
    case 'rbTest': {
      const a = n.loadBalancers[0]?.advancedConfiguration;
      if (w.kind === 'rbProd') {
        d.weights.production = 0;
        setForward(ctx.state, ns, a?.productionListenerRule, d.blueTargetGroupArn, d.greenTargetGroupArn, 0);
      } else {
        d.weights.test = 0;
        setForward(ctx.state, ns, a?.testListenerRule, d.blueTargetGroupArn, d.greenTargetGroupArn, 0);
      }
      recordWeights(d, at, step.stage);
      ms = t.rollbackStepMs;
      break;
    }
    case 'rbScaleDown':
      ms = t.rollbackStepMs;
      break;
  }
  d.phase = { kind: 'work', endsAt: at + ms };
}

function finishWork(ctx: NativeContext, d: NativeDeployment, at: number): void {
  const step = d.plan[d.index];
  if (!step) return finish(ctx, d, at);
  const { ns, n } = serviceOfDeployment(ctx, d);
  const w = step.work;
  if (w.kind === 'scaleUp') {
    const pending = tasksOf(ns, d.targetRevisionArn, 'PENDING');
    if (n.failTasks) {
      const f = n.failTasks;
      stopTasks(
        n,
        pending,
        at,
        f.stoppedReason ?? 'Essential container in task exited',
        'EssentialContainerExited',
        {
          exitCode: f.exitCode ?? 1,
          ...(f.reason ? { reason: f.reason } : {}),
        },
      );
      const cb = d.circuitBreaker;
      if (breakerOn(n, d)) {
        cb.failureCount += pending.length;
        if (cb.failureCount >= cb.threshold) {
          cb.status = 'TRIGGERED';
          const reason = `Circuit breaker triggered: ${cb.failureCount} tasks failed to start (threshold ${cb.threshold}).`;
          addEvent(n, at, `(deployment ${d.ecsId}) deployment failed: tasks failed to start.`);
          if (d.config.deploymentCircuitBreaker.rollback) return startRollback(ctx, d, at, reason, false);
          return stopDeployment(ctx, d, at, reason);
        }
      }
      launchTasks(ctx.state, ns, n, ns.revisions.get(d.targetRevisionArn)!, pending.length, at, d.ecsId);
      d.phase = { kind: 'work', endsAt: at + n.timing.taskFailMs };
      d.updatedAt = at;
      return;
    }
    for (const t of pending) {
      t.lastStatus = 'RUNNING';
      t.startedAt = at;
    }
  }
  if (w.kind === 'cleanUp') {
    for (const src of d.sourceRevisionArns)
      stopTasks(
        n,
        tasksOf(ns, src),
        at,
        `Scaling activity initiated by (deployment ${d.ecsId})`,
        'ServiceSchedulerInitiated',
      );
    d.requested.source = 0;
  }
  if (w.kind === 'rbScaleDown') {
    stopTasks(
      n,
      tasksOf(ns, d.targetRevisionArn),
      at,
      `Scaling activity initiated by (deployment ${d.ecsId})`,
      'ServiceSchedulerInitiated',
    );
    d.requested.target = 0;
  }
  d.updatedAt = at;
  startHooks(ctx, d, step, at);
}

/** Seeded answer of a Lambda hook at a stage. */
function lambdaOutcome(
  ctx: NativeContext,
  n: NativeService,
  hook: NativeHook,
  stage: LifecycleStage,
): { ms: number; outcome: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT'; message?: string } {
  const t = n.timing;
  const seeded = n.hookOutcomes[stage];
  const fnName = (hook.hookTargetArn ?? '').split(':').pop()?.split('/').pop() ?? '';
  const resolve = (o: HookOutcome, ms: number): ReturnType<typeof lambdaOutcome> => {
    if (o === 'SUCCEEDED') return { ms, outcome: 'SUCCEEDED' };
    if ('fail' in o) return { ms, outcome: 'FAILED', message: o.fail };
    if (o.inProgressMs > t.lambdaStageLimitMs)
      return {
        ms: t.lambdaStageLimitMs,
        outcome: 'TIMED_OUT',
        message: `Lambda hook ${fnName} returned IN_PROGRESS past the 24-hour stage limit at ${stage}.`,
      };
    return resolve(o.then ?? 'SUCCEEDED', o.inProgressMs);
  };
  if (seeded) return resolve(seeded, t.hookMs);
  const behavior = ctx.state.lambdas.get(fnName);
  if (behavior === undefined)
    return {
      ms: t.stageMs,
      outcome: 'FAILED',
      message: `Function not found: ${hook.hookTargetArn ?? fnName}`,
    };
  if (behavior === 'succeed') return { ms: t.hookMs, outcome: 'SUCCEEDED' };
  if ('delayMs' in behavior) return resolve({ inProgressMs: behavior.delayMs }, t.hookMs);
  return { ms: t.hookMs, outcome: 'FAILED', message: behavior.fail.message };
}

function startHooks(ctx: NativeContext, d: NativeDeployment, step: Step, at: number): void {
  const { n } = serviceOfDeployment(ctx, d);
  d.currentHookIds = [];
  if (step.hooks)
    for (const hook of d.config.lifecycleHooks) {
      if (!hook.lifecycleStages.includes(step.stage)) continue;
      // during a rollback only the Lambda hooks of the traffic-shift stages run again (DG lambda-lifecycle-hooks)
      if (d.mode === 'rollback' && hook.targetType !== 'AWS_LAMBDA') continue;
      const timeoutAction = hook.timeoutConfiguration?.action ?? 'ROLLBACK';
      const exec: HookExecution = {
        hookId: randomString(24, 'abcdefghijklmnopqrstuvwxyz0123456789'),
        targetType: hook.targetType,
        ...(hook.hookTargetArn ? { targetArn: hook.hookTargetArn } : {}),
        stage: step.stage,
        status: hook.targetType === 'PAUSE' ? 'AWAITING_ACTION' : 'IN_PROGRESS',
        startedAt: at,
        timeoutAction,
      };
      if (hook.targetType === 'PAUSE') {
        exec.expiresAt = at + (hook.timeoutConfiguration?.timeoutInMinutes ?? 1440) * 60_000;
        addEvent(
          n,
          at,
          `(deployment ${d.ecsId}) lifecycle hook ${exec.hookId} at ${step.stage} is awaiting action.`,
        );
      } else {
        const o = lambdaOutcome(ctx, n, hook, step.stage);
        exec.dueAt = at + o.ms;
        exec.outcome = o.outcome;
        if (o.message) exec.message = o.message;
      }
      d.hooks.push(exec);
      d.currentHookIds.push(exec.hookId);
    }
  d.phase = { kind: 'hooks', since: at };
}

export function resolveHook(
  d: NativeDeployment,
  h: HookExecution,
  at: number,
  status: HookStatus,
  passed: boolean,
): void {
  h.status = status;
  h.finishedAt = at;
  h.passed = passed;
  d.updatedAt = at;
}

/** Settle due hooks; when all of the stage's hooks are done, move on (or roll back). Returns true if still waiting. */
function advanceHooks(ctx: NativeContext, d: NativeDeployment, now: number): boolean {
  for (;;) {
    const open = d.hooks.filter((h) => d.currentHookIds.includes(h.hookId) && h.finishedAt === undefined);
    if (!open.length) break;
    const due = (h: HookExecution) => h.dueAt ?? h.expiresAt ?? Infinity;
    const next = open.reduce((a, b) => (due(b) < due(a) ? b : a));
    const at = due(next);
    if (at > now) return true;
    if (next.targetType === 'PAUSE') {
      resolveHook(d, next, at, 'TIMED_OUT', next.timeoutAction === 'CONTINUE');
      next.message = `Pause hook ${next.hookId} at ${next.stage} timed out; timeout action ${next.timeoutAction}.`;
    } else resolveHook(d, next, at, next.outcome ?? 'SUCCEEDED', next.outcome === 'SUCCEEDED');
  }
  const mine = d.hooks.filter((h) => d.currentHookIds.includes(h.hookId));
  const since = d.phase.kind === 'hooks' ? d.phase.since : 0;
  const at = mine.reduce((m, h) => Math.max(m, h.finishedAt ?? 0), since);
  const failed = mine.find((h) => !h.passed);
  const step = d.plan[d.index];
  if (failed) {
    const reason =
      failed.message ??
      (failed.targetType === 'PAUSE'
        ? `Pause hook ${failed.hookId} at ${failed.stage} asked for a rollback.`
        : `Lambda hook ${failed.targetArn ?? ''} returned FAILED at ${failed.stage}.`);
    const full =
      failed.targetType === 'AWS_LAMBDA' && failed.message
        ? `Lambda hook ${failed.targetArn ?? ''} failed at ${failed.stage}: ${failed.message}`
        : reason;
    if (d.mode === 'rollback') {
      finishRollback(ctx, d, at, 'ROLLBACK_FAILED', `Rollback failed: ${full}`);
      return false;
    }
    startRollback(ctx, d, at, full, false);
    return false;
  }
  if (step?.bakeAfterMs) {
    d.phase = { kind: 'stepBake', endsAt: at + step.bakeAfterMs };
    return false;
  }
  enterStep(ctx, d, d.index + 1, at);
  return false;
}

function alarmCheck(ctx: NativeContext, d: NativeDeployment, at: number): boolean {
  const { n } = serviceOfDeployment(ctx, d);
  const a = d.config.alarms;
  if (!a.enable || d.mode !== 'deploy') return false;
  const triggered = a.alarmNames.filter((x) => n.alarmsInAlarm.includes(x));
  if (!triggered.length) return false;
  d.alarms.status = 'TRIGGERED';
  d.alarms.triggeredAlarmNames = triggered;
  const reason = `CloudWatch alarm(s) ${triggered.join(', ')} in ALARM.`;
  if (a.rollback) startRollback(ctx, d, at, reason, false);
  else stopDeployment(ctx, d, at, reason);
  return true;
}

function begin(ctx: NativeContext, d: NativeDeployment, at: number): void {
  const { ns, n } = serviceOfDeployment(ctx, d);
  // what runs now (a replaced deployment's new tasks too) is what this one replaces and cleans up
  d.sourceRevisionArns = sourcesOf(ns, n, d.targetRevisionArn);
  d.plan = planFor(d.config, d.sourceRevisionArns.length > 1);
  setStatus(d, 'IN_PROGRESS', at);
  d.startedAt = at;
  d.updatedAt = at;
  d.circuitBreaker.status = breakerOn(n, d) ? 'MONITORING' : 'DISABLED';
  d.alarms.status = d.config.alarms.enable ? 'MONITORING' : 'DISABLED';
  const lb = n.loadBalancers[0];
  const source = d.sourceRevisionArns[0];
  const sourceTg = source ? ns.revisions.get(source)?.loadBalancers[0]?.targetGroupArn : undefined;
  const blue = sourceTg ?? lb?.targetGroupArn;
  const alt = lb?.advancedConfiguration?.alternateTargetGroupArn;
  const green = blue === lb?.targetGroupArn ? alt : lb?.targetGroupArn;
  if (blue) d.blueTargetGroupArn = blue;
  if (green) d.greenTargetGroupArn = green;
  enterStep(ctx, d, 0, at);
}

function finish(ctx: NativeContext, d: NativeDeployment, at: number): void {
  if (d.mode === 'rollback') return finishRollback(ctx, d, at, 'ROLLBACK_SUCCESSFUL');
  const { ns, n, svc } = serviceOfDeployment(ctx, d);
  setStatus(d, 'SUCCESSFUL', at);
  d.finishedAt = at;
  d.updatedAt = at;
  d.phase = { kind: 'done' };
  d.currentHookIds = [];
  if (d.circuitBreaker.status === 'MONITORING') d.circuitBreaker.status = 'MONITORING_COMPLETE';
  if (d.alarms.status === 'MONITORING') d.alarms.status = 'MONITORING_COMPLETE';
  n.currentRevisionArn = d.targetRevisionArn;
  svc.taskDefinition = ns.revisions.get(d.targetRevisionArn)!.taskDefinition;
  // the green target group now serves production; the next deployment comes up on the other one
  const target = ns.revisions.get(d.targetRevisionArn)!;
  if (d.greenTargetGroupArn && target.loadBalancers[0])
    target.loadBalancers = [{ ...target.loadBalancers[0], targetGroupArn: d.greenTargetGroupArn }];
  addEvent(n, at, `(deployment ${d.ecsId}) deployment completed.`);
  addEvent(n, at, 'has reached a steady state.');
}

function finishRollback(
  ctx: NativeContext,
  d: NativeDeployment,
  at: number,
  status: 'ROLLBACK_SUCCESSFUL' | 'ROLLBACK_FAILED',
  reason?: string,
): void {
  const { ns, n, svc } = serviceOfDeployment(ctx, d);
  setStatus(d, status, at);
  if (reason) d.statusReason = reason;
  d.finishedAt = at;
  d.updatedAt = at;
  d.phase = { kind: 'done' };
  d.currentHookIds = [];
  if (status === 'ROLLBACK_SUCCESSFUL') {
    const src = d.sourceRevisionArns[0];
    if (src) {
      n.currentRevisionArn = src;
      svc.taskDefinition = ns.revisions.get(src)!.taskDefinition;
    }
    addEvent(n, at, `(deployment ${d.ecsId}) deployment rolled back.`);
  }
}

function stopDeployment(ctx: NativeContext, d: NativeDeployment, at: number, reason: string): void {
  const { n } = serviceOfDeployment(ctx, d);
  for (const h of d.hooks) if (h.finishedAt === undefined) resolveHook(d, h, at, 'FAILED', false);
  setStatus(d, 'STOPPED', at);
  d.statusReason = reason;
  d.stoppedAt = at;
  d.finishedAt = at;
  d.updatedAt = at;
  d.phase = { kind: 'done' };
  d.currentHookIds = [];
  addEvent(n, at, `(deployment ${d.ecsId}) deployment stopped: ${reason}`);
}

/** Whether the circuit breaker watches this deployment's tasks (NativeReadings.circuitBreakerBlueGreen). */
function breakerOn(n: NativeService, d: NativeDeployment): boolean {
  if (!d.config.deploymentCircuitBreaker.enable) return false;
  return d.config.strategy === 'ROLLING' || n.readings.circuitBreakerBlueGreen === 'developer-guide';
}

/** Roll back within the same service deployment (its status becomes ROLLBACK_*). */
export function startRollback(
  ctx: NativeContext,
  d: NativeDeployment,
  at: number,
  reason: string,
  requested: boolean,
): void {
  for (const h of d.hooks) if (h.finishedAt === undefined) resolveHook(d, h, at, 'FAILED', false);
  d.currentHookIds = [];
  const source = d.sourceRevisionArns[0];
  if (!source) return stopDeployment(ctx, d, at, `${reason} (no earlier revision to roll back to)`);
  d.rollback = {
    reason,
    startedAt: at,
    serviceRevisionArn: source,
    ...(d.lifecycleStage ? { stage: d.lifecycleStage } : {}),
  };
  d.statusReason = reason;
  d.updatedAt = at;
  d.mode = 'rollback';
  const plan: Step[] = [];
  if (d.weights.production > 0)
    plan.push({ stage: 'PRODUCTION_TRAFFIC_SHIFT', work: { kind: 'rbProd' }, hooks: true });
  if (d.weights.test > 0) plan.push({ stage: 'TEST_TRAFFIC_SHIFT', work: { kind: 'rbTest' }, hooks: true });
  plan.push({ stage: 'CLEAN_UP', work: { kind: 'rbScaleDown' }, hooks: false });
  d.plan = plan;
  d.index = 0;
  if (requested) {
    setStatus(d, 'ROLLBACK_REQUESTED', at);
    const { n } = serviceOfDeployment(ctx, d);
    d.phase = { kind: 'request', until: at + n.timing.requestMs, then: 'rollback' };
    return;
  }
  setStatus(d, 'ROLLBACK_IN_PROGRESS', at);
  enterStep(ctx, d, 0, at);
}

/** The text ECS gives a deployment a newer one replaced (list-service-deployments in kayac/ecspresso#929, #899). */
export const REPLACED_REASON = 'Replaced by a new service deployment.';

/**
 * A second deployment of a service does not queue: when it starts, the one in flight (PENDING or
 * IN_PROGRESS) ends STOPPED with REPLACED_REASON, about 10 ms later (kayac/ecspresso#929, #899: ROLLING
 * services; BLUE_GREEN, LINEAR and CANARY are modelled the same way, [U]). A deployment being undone
 * (ROLLBACK_*, STOP_REQUESTED) is not replaced: the newer one starts when it ends ([U]).
 */
export function advanceDeployment(ctx: NativeContext, d: NativeDeployment, now: number): void {
  const ns = nativeState(ctx.state);
  const mine = deploymentsOf(ns, d.serviceKey);
  const newer = mine[mine.indexOf(d) + 1];
  if (newer && !isTerminal(d.status)) {
    const { n } = serviceOfDeployment(ctx, d);
    const startsAt = newer.createdAt + n.timing.startDelayMs;
    if (now >= startsAt) {
      run(ctx, d, startsAt);
      if (d.status === 'PENDING' || d.status === 'IN_PROGRESS') {
        stopDeployment(ctx, d, startsAt + n.timing.replacedAfterMs, REPLACED_REASON);
        d.replacedBy = newer.arn;
        return;
      }
    }
  }
  run(ctx, d, now);
}

function run(ctx: NativeContext, d: NativeDeployment, now: number): void {
  const ns = nativeState(ctx.state);
  for (let guard = 0; guard < 10_000; guard++) {
    const p = d.phase;
    switch (p.kind) {
      case 'done':
        return;
      case 'pending': {
        const mine = deploymentsOf(ns, d.serviceKey);
        const earlier = mine.slice(0, mine.indexOf(d));
        // the older ones first: one in flight when this one starts is replaced by it
        for (const o of earlier) advanceDeployment(ctx, o, now);
        // one being undone goes on to its end first ([U])
        if (earlier.some((o) => !isTerminal(o.status))) return;
        const { n } = serviceOfDeployment(ctx, d);
        const undoneEnd = earlier
          .filter((o) => o.replacedBy === undefined)
          .reduce((m, o) => Math.max(m, o.finishedAt ?? 0), 0);
        const at = Math.max(d.createdAt + n.timing.startDelayMs, undoneEnd);
        if (now < at) return;
        begin(ctx, d, at);
        continue;
      }
      case 'request': {
        if (now < p.until) return;
        if (p.then === 'stop') {
          stopDeployment(ctx, d, p.until, d.statusReason ?? 'Stopped by StopServiceDeployment (ABORT).');
          return;
        }
        setStatus(d, 'ROLLBACK_IN_PROGRESS', p.until);
        enterStep(ctx, d, 0, p.until);
        continue;
      }
      case 'work': {
        if (now < p.endsAt) return;
        if (alarmCheck(ctx, d, p.endsAt)) continue;
        finishWork(ctx, d, p.endsAt);
        continue;
      }
      case 'hooks': {
        if (advanceHooks(ctx, d, now)) return;
        continue;
      }
      case 'stepBake': {
        if (now < p.endsAt) return;
        if (alarmCheck(ctx, d, p.endsAt)) continue;
        enterStep(ctx, d, d.index + 1, p.endsAt);
        continue;
      }
    }
  }
}

export function advanceNative(state: EmulatorState, now: number): void {
  const ctx = { state };
  for (const d of nativeState(state).deployments.values()) advanceDeployment(ctx, d, now);
}

// ───────────────────────────── creating deployments ─────────────────────────────

export function newRevision(
  state: EmulatorState,
  ns: NativeState,
  svc: Service,
  n: NativeService,
  taskDefinition: string,
  at: number,
): NativeRevision {
  const rev: NativeRevision = {
    arn: revisionArn(state, svc),
    serviceKey: n.key,
    taskDefinition,
    createdAt: at,
    loadBalancers: n.loadBalancers.map((lb) => ({ ...lb })),
    launchType: svc.launchType,
    platformVersion: svc.platformVersion,
    networkConfiguration: svc.networkConfiguration,
  };
  ns.revisions.set(rev.arn, rev);
  return rev;
}

/** The revisions a deployment to `target` replaces: the current one first, then any other with live tasks. */
function sourcesOf(ns: NativeState, n: NativeService, target: string): string[] {
  const active = new Set(
    [...ns.tasks.values()]
      .filter((t) => t.serviceKey === n.key && t.lastStatus !== 'STOPPED')
      .map((t) => t.revisionArn),
  );
  active.add(n.currentRevisionArn);
  active.delete(target);
  return [n.currentRevisionArn, ...[...active].filter((a) => a !== n.currentRevisionArn)];
}

export function createDeployment(
  state: EmulatorState,
  ns: NativeState,
  svc: Service,
  n: NativeService,
  rev: NativeRevision,
  at: number,
): NativeDeployment {
  const ecsId = ecsSvcId();
  n.ecsIds[rev.arn] = ecsId;
  const sources = sourcesOf(ns, n, rev.arn);
  const d: NativeDeployment = {
    arn: deploymentArn(state, svc),
    ecsId,
    serviceKey: n.key,
    status: 'PENDING',
    createdAt: at,
    updatedAt: at,
    sourceRevisionArns: sources,
    targetRevisionArn: rev.arn,
    requested: { target: 0, source: svc.desiredCount },
    weights: { production: 0, test: 0 },
    config: structuredClone(n.config),
    hooks: [],
    currentHookIds: [],
    circuitBreaker: {
      status: 'DISABLED',
      failureCount: 0,
      threshold: threshold(n.config, svc.desiredCount),
    },
    alarms: { status: 'DISABLED', alarmNames: [...n.config.alarms.alarmNames], triggeredAlarmNames: [] },
    plan: planFor(n.config, sources.length > 1),
    index: 0,
    mode: 'deploy',
    phase: { kind: 'pending' },
    statusHistory: [{ status: 'PENDING', at }],
    history: [],
    weightHistory: [],
  };
  ns.deployments.set(d.arn, d);
  return d;
}
