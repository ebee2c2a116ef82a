/**
 * Pure functions over what an ECS service deployment looks like at one moment (an EcsObservation): the
 * stages in order with their positions, what changed since the last look, and whether the state the user
 * waits for is reached. The watcher (watcher.ts) does the asking, paced by pacing.ts; the reporter
 * (report/ecs-reporter.ts) the telling. Sources: docs/ecs-native.md (SDK `ServiceDeployment`, ECS
 * Developer Guide "blue-green-deployment-how-it-works", "pause-lifecycle-hooks").
 */
import type { DeploymentLifecycleHookDetail, ServiceDeployment } from '@aws-sdk/client-ecs';
import type { WaitUntil } from '../../action/inputs.js';

/**
 * BLUE_GREEN, LINEAR and CANARY run these stages in this order (DG blue-green-deployment-how-it-works).
 * PRE_PRODUCTION_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT recur at each LINEAR/CANARY step.
 * PRE_PRODUCTION_TRAFFIC_SHIFT is missing from the SDK's stage enum (3.1164.0) but reported: stages are
 * strings here, and an unknown one is told as it comes.
 */
export const ECS_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRE_PRODUCTION_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
  'BAKE_TIME',
  'CLEAN_UP',
] as const;

/** Stages that run once, whatever the strategy: the ones a deployment skipped between two looks are told as passed. */
const SKIPPABLE_UNLESS_CONFIGURED = new Set(['RECONCILE_SERVICE']);

/** SDK `ServiceDeploymentStatus`: the ones that end a deployment. */
export const TERMINAL_STATUSES = ['SUCCESSFUL', 'STOPPED', 'ROLLBACK_SUCCESSFUL', 'ROLLBACK_FAILED'];
/** The deployment is being undone: a rollback or a stop is under way (DG service-deployment). */
export const UNDOING_STATUSES = ['STOP_REQUESTED', 'ROLLBACK_REQUESTED', 'ROLLBACK_IN_PROGRESS'];

export function isEcsDeploymentInFlight(status: string | undefined): boolean {
  return !TERMINAL_STATUSES.includes(status ?? 'PENDING');
}

/** A stage's position in ECS_STAGES; an unknown stage sorts after every known one. */
export function stagePosition(stage: string | undefined): number {
  const index = ECS_STAGES.indexOf((stage ?? '') as (typeof ECS_STAGES)[number]);
  return index === -1 ? ECS_STAGES.length : index;
}

export interface EcsObservation {
  /** deployment-clock ms when it was read */
  at: number;
  deployment: ServiceDeployment;
  /** when the current stage was first seen (deployment-clock ms): the start of a bake */
  stageSeenAt?: number;
  /** the last stage of the deployment itself (not of its rollback), for the stage a rollback started in */
  lastForwardStage?: string;
}

export interface RevisionCounts {
  arn?: string;
  requested: number;
  running: number;
  pending: number;
}

export type EcsChange =
  | { type: 'status'; from?: string; to: string; reason?: string }
  | { type: 'stage-started'; stage: string; rollback: boolean }
  | { type: 'stage-finished'; stage: string; rollback: boolean }
  /** stages that began and ended between two looks */
  | { type: 'stages-passed'; stages: string[] }
  | { type: 'traffic'; test?: number; production?: number }
  | { type: 'tasks'; target: RevisionCounts; source: RevisionCounts[] }
  | {
      type: 'hook';
      hookId: string;
      stage?: string;
      targetType?: string;
      targetArn?: string;
      status: string;
      expiresAt?: Date;
    }
  | { type: 'circuit-breaker'; status: string; failureCount?: number; threshold?: number }
  | { type: 'alarms'; status: string; triggered: string[] }
  | { type: 'rollback-started'; reason?: string; stage?: string; startedAt?: Date };

export function isRollingBack(deployment: ServiceDeployment): boolean {
  const status = deployment.status ?? '';
  return status.startsWith('ROLLBACK_') || (status !== 'SUCCESSFUL' && deployment.rollback !== undefined);
}

function counts(summary: ServiceDeployment['targetServiceRevision']): RevisionCounts {
  return {
    arn: summary?.arn,
    requested: summary?.requestedTaskCount ?? 0,
    running: summary?.runningTaskCount ?? 0,
    pending: summary?.pendingTaskCount ?? 0,
  };
}

function countsKey(d: ServiceDeployment): string {
  return [d.targetServiceRevision, ...(d.sourceServiceRevisions ?? [])]
    .map((r) => `${r?.requestedTaskCount}/${r?.runningTaskCount}/${r?.pendingTaskCount}`)
    .join(',');
}

/** Test and production weight of the target revision (undefined for ROLLING, which has none). */
export function targetWeights(d: ServiceDeployment): { test?: number; production?: number } {
  return {
    test: d.targetServiceRevision?.requestedTestTrafficWeight,
    production: d.targetServiceRevision?.requestedProductionTrafficWeight,
  };
}

function hookKey(h: DeploymentLifecycleHookDetail): string {
  return `${h.hookId}:${h.status}`;
}

/**
 * Fills the observation's bookkeeping from the one before: when the current stage was first seen, and the
 * last stage of the deployment itself (a rollback moves weights back through earlier stages).
 */
export function carryOver(previous: EcsObservation | undefined, next: EcsObservation): EcsObservation {
  const stage = next.deployment.lifecycleStage;
  const sameStage = previous !== undefined && previous.deployment.lifecycleStage === stage;
  return {
    ...next,
    stageSeenAt: sameStage ? (previous.stageSeenAt ?? previous.at) : next.at,
    lastForwardStage:
      stage && !isRollingBack(next.deployment) ? stage : (previous?.lastForwardStage ?? undefined),
  };
}

/**
 * What changed between two observations, in the order it happened. Stages are compared by position, not
 * equality: they can be skipped between reads (ESP wait.go); a move back to PRE_PRODUCTION_TRAFFIC_SHIFT is
 * the next LINEAR/CANARY step; a stage seen during a rollback belongs to the rollback.
 */
export function diffEcsObservations(previous: EcsObservation | undefined, next: EcsObservation): EcsChange[] {
  const changes: EcsChange[] = [];
  const before = previous?.deployment;
  const after = next.deployment;
  const fromStatus = before?.status;
  const toStatus = after.status;
  const ends = toStatus !== undefined && TERMINAL_STATUSES.includes(toStatus);
  const statusChange: EcsChange | undefined =
    toStatus && toStatus !== fromStatus
      ? { type: 'status', from: fromStatus, to: toStatus, reason: after.statusReason }
      : undefined;
  if (statusChange && !ends) changes.push(statusChange);

  const wasRollingBack = before ? isRollingBack(before) : false;
  const rollingBack = isRollingBack(after);
  if (rollingBack && !wasRollingBack) {
    changes.push({
      type: 'rollback-started',
      reason: after.rollback?.reason ?? after.statusReason,
      stage: previous?.lastForwardStage ?? before?.lifecycleStage,
      startedAt: after.rollback?.startedAt,
    });
  }

  const fromStage = before?.lifecycleStage;
  const toStage = after.lifecycleStage;
  if (fromStage !== toStage || (ends && fromStage && !TERMINAL_STATUSES.includes(fromStatus ?? ''))) {
    if (fromStage && (fromStage !== toStage || ends))
      changes.push({ type: 'stage-finished', stage: fromStage, rollback: wasRollingBack });
    if (!rollingBack) {
      const from = fromStage ? stagePosition(fromStage) : stagePosition('PRE_SCALE_UP') - 1;
      // At the end, the last stage seen is over too.
      const to = toStage
        ? stagePosition(toStage) + (ends ? 1 : 0)
        : after.status === 'SUCCESSFUL'
          ? ECS_STAGES.length
          : from;
      const passed = ECS_STAGES.slice(from + 1, Math.min(to, ECS_STAGES.length)).filter(
        (s) => !SKIPPABLE_UNLESS_CONFIGURED.has(s),
      );
      // Only a deployment with stages (not ROLLING) passes them; a LINEAR step going back is no skip.
      const hasStages = fromStage !== undefined || toStage !== undefined;
      if (hasStages && passed.length > 0 && to > from)
        changes.push({ type: 'stages-passed', stages: passed });
    }
    if (toStage && toStage !== fromStage && !ends)
      changes.push({ type: 'stage-started', stage: toStage, rollback: rollingBack });
  }

  const hooksBefore = new Set((before?.lifecycleHookDetails ?? []).map(hookKey));
  for (const hook of after.lifecycleHookDetails ?? []) {
    if (!hook.hookId || !hook.status || hooksBefore.has(hookKey(hook))) continue;
    changes.push({
      type: 'hook',
      hookId: hook.hookId,
      stage: toStage,
      targetType: hook.targetType,
      targetArn: hook.targetArn,
      status: hook.status,
      expiresAt: hook.expiresAt,
    });
  }

  const w0 = before ? targetWeights(before) : {};
  const w1 = targetWeights(after);
  if (
    (w1.test !== undefined || w1.production !== undefined) &&
    (w0.test !== w1.test || w0.production !== w1.production)
  )
    changes.push({ type: 'traffic', ...w1 });

  if (!before || countsKey(before) !== countsKey(after)) {
    if (after.targetServiceRevision)
      changes.push({
        type: 'tasks',
        target: counts(after.targetServiceRevision),
        source: (after.sourceServiceRevisions ?? []).map(counts),
      });
  }

  const cb = after.deploymentCircuitBreaker;
  const cb0 = before?.deploymentCircuitBreaker;
  if (
    cb?.status &&
    cb.status !== 'DISABLED' &&
    (cb.status !== cb0?.status || cb.failureCount !== cb0?.failureCount)
  )
    changes.push({
      type: 'circuit-breaker',
      status: cb.status,
      failureCount: cb.failureCount,
      threshold: cb.threshold,
    });

  const alarms = after.alarms;
  const alarms0 = before?.alarms;
  const triggered = alarms?.triggeredAlarmNames ?? [];
  if (
    alarms?.status &&
    alarms.status !== 'DISABLED' &&
    (alarms.status !== alarms0?.status || triggered.join() !== (alarms0?.triggeredAlarmNames ?? []).join())
  )
    changes.push({ type: 'alarms', status: alarms.status, triggered });

  if (statusChange && ends) changes.push(statusChange);
  return changes;
}

/** The pause hook the deployment waits in, if it does. */
export function awaitingPauseHook(d: ServiceDeployment): DeploymentLifecycleHookDetail | undefined {
  return d.lifecycleHookDetails?.find((h) => h.status === 'AWAITING_ACTION');
}

export type EcsGoalState = 'reached' | 'failed' | 'pending';

/**
 * What a follow waits for: the user's wait-until, 'gate' (the deployment waits in a pause hook at
 * POST_TEST_TRAFFIC_SHIFT: the test command's moment), or 'end' (any terminal status: a rollback followed
 * to its end).
 */
export type EcsGoal = WaitUntil | 'gate' | 'end';

/**
 * Whether the state the user waits for is reached (docs/ecs-native.md):
 * - ready: test traffic is on the new revision and the POST_TEST_TRAFFIC_SHIFT hooks are done (a later
 *   stage), or the deployment waits in a pause hook;
 * - traffic-shifted: production traffic fully shifted (BAKE_TIME or CLEAN_UP): no runner minutes for the bake;
 * - succeeded: SUCCESSFUL.
 * ROLLING has no stages on the wire: ready and traffic-shifted are reached when the new revision runs
 * all its requested tasks; succeeded waits for the circuit breaker's verdict (SUCCESSFUL).
 * A deployment that turns to a stop or a rollback is 'failed' whatever the goal (but 'end').
 */
export function evaluateEcsGoal(goal: EcsGoal, observation: EcsObservation, strategy: string): EcsGoalState {
  const d = observation.deployment;
  const status = d.status ?? 'PENDING';
  if (goal === 'end') return TERMINAL_STATUSES.includes(status) ? 'reached' : 'pending';
  if (
    status !== 'SUCCESSFUL' &&
    (TERMINAL_STATUSES.includes(status) || UNDOING_STATUSES.includes(status) || isRollingBack(d))
  )
    return 'failed';
  if (goal === 'none' || status === 'SUCCESSFUL') return 'reached';
  if (goal === 'succeeded' || status === 'PENDING') return 'pending';
  const position = stagePosition(d.lifecycleStage);
  const known = d.lifecycleStage !== undefined;
  if (goal === 'gate') {
    if (!known) return 'pending';
    if (d.lifecycleStage === 'POST_TEST_TRAFFIC_SHIFT' && awaitingPauseHook(d)) return 'reached';
    // The gate's moment has passed (or never comes): the caller tells which.
    return position > stagePosition('POST_TEST_TRAFFIC_SHIFT') && position < ECS_STAGES.length
      ? 'reached'
      : 'pending';
  }
  if (strategy === 'ROLLING' || !known) {
    if (strategy !== 'ROLLING') return 'pending';
    const target = d.targetServiceRevision;
    const requested = target?.requestedTaskCount ?? 0;
    return requested > 0 && (target?.runningTaskCount ?? 0) >= requested ? 'reached' : 'pending';
  }
  if (goal === 'traffic-shifted')
    return position >= stagePosition('BAKE_TIME') && position < ECS_STAGES.length ? 'reached' : 'pending';
  // ready
  if (awaitingPauseHook(d)) return 'reached';
  return position > stagePosition('POST_TEST_TRAFFIC_SHIFT') && position < ECS_STAGES.length
    ? 'reached'
    : 'pending';
}

/** "IN_PROGRESS, PRODUCTION_TRAFFIC_SHIFT, production 25 %, test 100 %": where the deployment is, in words. */
export function describeEcsPosition(d: ServiceDeployment | undefined): string {
  if (!d) return 'ECS had not answered yet';
  const parts = [`status ${d.status ?? '?'}`];
  if (d.lifecycleStage) parts.push(`stage ${d.lifecycleStage}`);
  const w = targetWeights(d);
  if (w.production !== undefined)
    parts.push(`production ${w.production}% / test ${w.test ?? 0}% on the new revision`);
  const t = d.targetServiceRevision;
  if (t) parts.push(`new revision ${t.runningTaskCount ?? 0}/${t.requestedTaskCount ?? 0} running`);
  const hook = awaitingPauseHook(d);
  if (hook) parts.push(`waiting in pause hook ${hook.hookId}`);
  return parts.join(', ');
}
