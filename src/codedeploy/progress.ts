/**
 * Pure functions over what the deployment looks like at one moment (an Observation): what changed since
 * the last look, whether the state the user waits for is reached, and when and what to ask AWS next.
 * The watcher (deployment-watcher.ts) does the asking; the reporter (deployment-reporter.ts) the telling.
 */
import type { DeploymentInfo, ECSTarget, ECSTaskSet, LifecycleEvent } from '@aws-sdk/client-codedeploy';
import type { WaitUntil } from './inputs.js';

/** The ECS blue/green lifecycle in order (hookable: BeforeInstall, AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic, AfterAllowTraffic). */
export const LIFECYCLE_EVENTS = [
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'AllowTestTraffic',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic',
] as const;

export const TERMINAL_DEPLOYMENT_STATUSES = ['Succeeded', 'Failed', 'Stopped'];

export interface Observation {
  /** deployment-clock ms when the newest part was read */
  at: number;
  deployment: DeploymentInfo;
  /** undefined until CodeDeploy has started on the service */
  target?: ECSTarget;
}

export interface TaskSetWeight {
  label: string;
  weight: number;
  status?: string;
  desired?: number;
  running?: number;
  pending?: number;
  targetGroup?: string;
}

export type ProgressChange =
  | { type: 'deployment-status'; from?: string; to: string; deployment: DeploymentInfo }
  | { type: 'target-status'; from?: string; to: string }
  | { type: 'event-started'; name: string; event: LifecycleEvent }
  | { type: 'event-finished'; name: string; status: string; event: LifecycleEvent }
  | { type: 'traffic'; weights: TaskSetWeight[] }
  | { type: 'task-sets'; weights: TaskSetWeight[] };

const FINISHED_EVENT_STATUSES = ['Succeeded', 'Failed', 'Skipped'];

export function taskSetWeights(target: ECSTarget | undefined): TaskSetWeight[] {
  return (target?.taskSetsInfo ?? []).map((set: ECSTaskSet) => ({
    label: set.taskSetLabel ?? set.identifer ?? '?',
    weight: set.trafficWeight ?? 0,
    status: set.status,
    desired: set.desiredCount,
    running: set.runningCount,
    pending: set.pendingCount,
    targetGroup: set.targetGroup?.name,
  }));
}

export function describeWeights(weights: TaskSetWeight[]): string {
  return weights
    .map((w) => `${w.label} ${Number.isInteger(w.weight) ? w.weight : w.weight.toFixed(1)}%`)
    .join(' · ');
}

/** "Blue 90% · Green 10%", or undefined before task sets exist. */
export function describeWeightsOf(target: ECSTarget | undefined): string | undefined {
  const weights = taskSetWeights(target);
  return weights.length > 0 ? describeWeights(weights) : undefined;
}

function eventsByName(target: ECSTarget | undefined): Map<string, LifecycleEvent> {
  const map = new Map<string, LifecycleEvent>();
  for (const event of target?.lifecycleEvents ?? []) {
    if (event.lifecycleEventName) map.set(event.lifecycleEventName, event);
  }
  return map;
}

function weightKey(weights: TaskSetWeight[]): string {
  return weights.map((w) => `${w.label}=${w.weight}`).join(',');
}

function countsKey(weights: TaskSetWeight[]): string {
  return weights.map((w) => `${w.label}:${w.status}:${w.desired}/${w.running}/${w.pending}`).join(',');
}

/** What changed between two observations, in lifecycle order. An event that began and ended between two looks yields both changes. */
export function diffObservations(previous: Observation | undefined, next: Observation): ProgressChange[] {
  const changes: ProgressChange[] = [];
  const fromStatus = previous?.deployment.status;
  const toStatus = next.deployment.status;
  const statusChange: ProgressChange | undefined =
    toStatus && toStatus !== fromStatus
      ? { type: 'deployment-status', from: fromStatus, to: toStatus, deployment: next.deployment }
      : undefined;
  // A status the events lead to (Ready, or the end) is told after them; any other change of status first.
  const endsNow =
    toStatus === 'Ready' || toStatus === 'Succeeded' || toStatus === 'Failed' || toStatus === 'Stopped';
  if (statusChange && !endsNow) changes.push(statusChange);
  if (!next.target) {
    if (statusChange && endsNow) changes.push(statusChange);
    return changes;
  }

  const before = eventsByName(previous?.target);
  const after = [...(next.target.lifecycleEvents ?? [])].sort(
    (a, b) => lifecycleIndex(a.lifecycleEventName) - lifecycleIndex(b.lifecycleEventName),
  );
  for (const event of after) {
    const name = event.lifecycleEventName;
    if (!name || !event.status) continue;
    const old = before.get(name);
    const wasStarted = old !== undefined && old.status !== 'Pending' && old.status !== undefined;
    const wasFinished = old?.status !== undefined && FINISHED_EVENT_STATUSES.includes(old.status);
    const isStarted = event.status !== 'Pending';
    const isFinished = FINISHED_EVENT_STATUSES.includes(event.status);
    if (isStarted && !wasStarted && event.status !== 'Skipped') {
      changes.push({ type: 'event-started', name, event });
    }
    if (isFinished && !wasFinished) {
      changes.push({ type: 'event-finished', name, status: event.status, event });
    }
  }

  const targetFrom = previous?.target?.status;
  const targetTo = next.target.status;
  if (targetTo && targetTo !== targetFrom)
    changes.push({ type: 'target-status', from: targetFrom, to: targetTo });

  const weightsBefore = taskSetWeights(previous?.target);
  const weightsAfter = taskSetWeights(next.target);
  if (weightsAfter.length > 0 && weightKey(weightsBefore) !== weightKey(weightsAfter)) {
    changes.push({ type: 'traffic', weights: weightsAfter });
  } else if (weightsAfter.length > 0 && countsKey(weightsBefore) !== countsKey(weightsAfter)) {
    changes.push({ type: 'task-sets', weights: weightsAfter });
  }
  if (statusChange && endsNow) changes.push(statusChange);
  return changes;
}

export function lifecycleIndex(name: string | undefined): number {
  const index = LIFECYCLE_EVENTS.indexOf((name ?? '') as (typeof LIFECYCLE_EVENTS)[number]);
  return index === -1 ? LIFECYCLE_EVENTS.length : index;
}

function eventStatus(observation: Observation, name: string): string | undefined {
  return observation.target?.lifecycleEvents?.find((e) => e.lifecycleEventName === name)?.status;
}

export type GoalState = 'reached' | 'failed' | 'pending';

/**
 * Whether the state the user waits for is reached.
 * - ready: the replacement task set is up behind the test listener (status Ready, or the test-traffic
 *   phase is over when the group does not wait for reroute);
 * - traffic-shifted: AfterAllowTraffic succeeded (production traffic is on the replacement);
 * - succeeded: the deployment succeeded (after the termination wait).
 * A failed or stopped deployment is 'failed' whatever the goal.
 * With `holdsReplacement` (the group's ready option is STOP_DEPLOYMENT), 'ready' means the deployment
 * status Ready (or a later state): the test phase being over is not enough, since CodeDeploy flips the
 * status to Ready a moment after it.
 */
export function evaluateGoal(
  waitUntil: WaitUntil,
  observation: Observation,
  holdsReplacement = false,
): GoalState {
  const status = observation.deployment.status;
  if (status === 'Failed' || status === 'Stopped') return 'failed';
  if (waitUntil === 'none') return 'reached';
  if (status === 'Succeeded') return 'reached';
  if (waitUntil === 'succeeded') return 'pending';

  const targetStatus = observation.target?.status;
  // Without a readable target, the termination wait starting says the same: traffic has moved.
  const trafficShifted =
    targetStatus === 'Succeeded' ||
    eventStatus(observation, 'AfterAllowTraffic') === 'Succeeded' ||
    observation.deployment.instanceTerminationWaitTimeStarted === true;
  if (waitUntil === 'traffic-shifted') return trafficShifted ? 'reached' : 'pending';

  // ready
  if (status === 'Ready' || trafficShifted) return 'reached';
  if (holdsReplacement) return 'pending';
  if (targetStatus === 'Ready') return 'reached';
  const testPhaseDone = ['Succeeded', 'Skipped'].includes(
    eventStatus(observation, 'AfterAllowTestTraffic') ?? '',
  );
  const beforeAllowStarted = !['Pending', undefined].includes(eventStatus(observation, 'BeforeAllowTraffic'));
  return testPhaseDone || beforeAllowStarted ? 'reached' : 'pending';
}

export interface TrafficRouting {
  type: 'AllAtOnce' | 'TimeBasedCanary' | 'TimeBasedLinear';
  /** minutes between shifts (canary interval or linear interval) */
  intervalMinutes?: number;
  percentage?: number;
}

/** Minutes CodeDeploy needs to shift all traffic with this config (0 for all-at-once). */
export function trafficShiftMinutes(routing: TrafficRouting | undefined): number {
  if (!routing?.intervalMinutes) return 0;
  if (routing.type === 'TimeBasedCanary') return routing.intervalMinutes;
  if (routing.type === 'TimeBasedLinear') {
    const steps = Math.ceil(100 / Math.max(1, routing.percentage ?? 10));
    return routing.intervalMinutes * Math.max(0, steps - 1);
  }
  return 0;
}

export interface PollContext {
  now: number;
  /** when GetDeployment was last answered (deployment clock ms) */
  deploymentReadAt: number;
  routing?: TrafficRouting;
  terminationWaitMinutes: number;
}

export interface PollPlan {
  /** how long to wait before the next look */
  delayMs: number;
  readDeployment: boolean;
  readTarget: boolean;
  /** for the log: why this pace */
  reason: string;
}

/** Interval while something can change at any moment: notices a new state 2 s late on average, 4 s at worst, at ~15 calls a minute. */
export const ACTIVE_POLL_MS = 4000;
/** While the deployment waits on a known timer, look again this long before it is due. */
export const WAKE_BEFORE_MS = 6000;
/** Longest sleep during a known wait: still notices a stop or an alarm rollback within a minute. */
export const MAX_IDLE_POLL_MS = 45_000;
/** Read GetDeployment at least this often even while only the target is changing. */
export const DEPLOYMENT_REFRESH_MS = 30_000;
/**
 * While the deployment sits in Ready waiting for someone to reroute traffic (a person in the console, a
 * promote job): only its status can change, and a human's click needs no 4-second watch.
 */
export const READY_POLL_MS = 15_000;

function idleUntil(dueAt: number, now: number): number {
  const untilWake = dueAt - WAKE_BEFORE_MS - now;
  if (untilWake <= ACTIVE_POLL_MS) return ACTIVE_POLL_MS;
  return Math.min(untilWake, MAX_IDLE_POLL_MS);
}

function timeOf(value: Date | undefined): number | undefined {
  return value instanceof Date ? value.getTime() : undefined;
}

/** When the next traffic shift of a canary or linear deployment is due, if AllowTraffic is under way. */
export function nextShiftDueAt(
  observation: Observation,
  routing: TrafficRouting | undefined,
  now: number,
): number | undefined {
  if (!routing?.intervalMinutes || routing.type === 'AllAtOnce') return undefined;
  const allowTraffic = observation.target?.lifecycleEvents?.find(
    (e) => e.lifecycleEventName === 'AllowTraffic',
  );
  const started = timeOf(allowTraffic?.startTime);
  if (allowTraffic?.status !== 'InProgress' || started === undefined) return undefined;
  const interval = routing.intervalMinutes * 60_000;
  const steps = Math.max(1, Math.ceil((now - started) / interval));
  return started + steps * interval;
}

/** When the termination wait ends, if production traffic is shifted and the original task set is kept. */
export function terminationDueAt(
  observation: Observation,
  terminationWaitMinutes: number,
): number | undefined {
  if (observation.target?.status !== 'Succeeded' || observation.deployment.status !== 'InProgress')
    return undefined;
  const afterAllow = observation.target.lifecycleEvents?.find(
    (e) => e.lifecycleEventName === 'AfterAllowTraffic',
  );
  const shiftedAt = timeOf(afterAllow?.endTime) ?? timeOf(observation.target.lastUpdatedAt);
  if (shiftedAt === undefined) return undefined;
  return shiftedAt + terminationWaitMinutes * 60_000;
}

/** What to read next and when: fast while anything can change, slow through waits whose end is known. */
export function planNextPoll(observation: Observation | undefined, ctx: PollContext): PollPlan {
  if (!observation) return { delayMs: 0, readDeployment: true, readTarget: true, reason: 'first look' };
  const status = observation.deployment.status ?? 'Created';
  const refreshDeployment = ctx.now - ctx.deploymentReadAt >= DEPLOYMENT_REFRESH_MS;
  const target = observation.target;

  if (status === 'Created' || status === 'Queued' || !target) {
    return {
      delayMs: ACTIVE_POLL_MS,
      readDeployment: true,
      readTarget: status !== 'Created' && status !== 'Queued',
      reason: 'starting',
    };
  }
  if (
    target.status === 'Failed' ||
    (target.status === 'Succeeded' && status !== 'InProgress' && status !== 'Ready')
  ) {
    return { delayMs: ACTIVE_POLL_MS, readDeployment: true, readTarget: false, reason: 'settling' };
  }
  if (target.status === 'Succeeded') {
    const due = terminationDueAt(observation, ctx.terminationWaitMinutes);
    const delayMs = due === undefined ? ACTIVE_POLL_MS : idleUntil(due, ctx.now);
    return { delayMs, readDeployment: true, readTarget: false, reason: 'termination wait' };
  }
  // Ready by the deployment's own status (read every round here); a target still saying Ready after the
  // deployment moved on is stale and is read again at once below.
  if (status === 'Ready') {
    return { delayMs: READY_POLL_MS, readDeployment: true, readTarget: false, reason: 'ready wait' };
  }
  const shiftDue = nextShiftDueAt(observation, ctx.routing, ctx.now);
  if (shiftDue !== undefined) {
    const shifted = taskSetWeights(target).some((w) => w.weight > 0 && w.weight < 100);
    if (shifted) {
      return {
        delayMs: idleUntil(shiftDue, ctx.now),
        readDeployment: refreshDeployment,
        readTarget: true,
        reason: 'traffic interval',
      };
    }
  }
  return { delayMs: ACTIVE_POLL_MS, readDeployment: refreshDeployment, readTarget: true, reason: 'active' };
}

/** The event that failed, if any, with its diagnostics. */
export function failedLifecycleEvent(target: ECSTarget | undefined): LifecycleEvent | undefined {
  return target?.lifecycleEvents?.find((e) => e.status === 'Failed');
}

/** The event running now, or the next one to run. */
export function currentLifecycleEvent(target: ECSTarget | undefined): LifecycleEvent | undefined {
  const events = target?.lifecycleEvents ?? [];
  return events.find((e) => e.status === 'InProgress') ?? events.find((e) => e.status === 'Pending');
}
