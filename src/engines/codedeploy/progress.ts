/**
 * Pure functions over what the deployment looks like at one moment (an Observation): what changed since
 * the last look, and whether the state the user waits for is reached.
 * The watcher (watcher.ts) does the asking, paced by pacing.ts; the reporter (report/reporter.ts) the telling.
 */
import type { TaskSetWeight } from '../../record/record.js';
import type { DeploymentInfo, ECSTarget, ECSTaskSet, LifecycleEvent } from '@aws-sdk/client-codedeploy';
import type { WaitUntil } from '../../action/inputs.js';

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

export interface Observation {
  /** deployment-clock ms when the newest part was read */
  at: number;
  deployment: DeploymentInfo;
  /** undefined until CodeDeploy has started on the service */
  target?: ECSTarget;
}

export type { TaskSetWeight };

export type ProgressChange =
  | { type: 'deployment-status'; from?: string; to: string; deployment: DeploymentInfo }
  | { type: 'target-status'; from?: string; to: string }
  | { type: 'event-started'; name: string; event: LifecycleEvent }
  | { type: 'event-finished'; name: string; status: string; event: LifecycleEvent }
  | { type: 'traffic'; weights: TaskSetWeight[] }
  | { type: 'task-sets'; weights: TaskSetWeight[] };

const FINISHED_EVENT_STATUSES = ['Succeeded', 'Failed', 'Skipped'];

/**
 * Blue or Green for a task set that comes without `taskSetLabel` (an optional member; issue #9, part 4).
 * CodeDeploy's ECSTaskSet names no task definition, so the role is read from the ECS task set status:
 * the original task set is PRIMARY until production traffic has shifted (AllowTraffic succeeded, or the
 * target Succeeded), when CodeDeploy makes the replacement PRIMARY; the other one is ACTIVE. See
 * docs/aws-behaviours.md ("Task sets without taskSetLabel").
 */
export function taskSetRole(set: ECSTaskSet, target: ECSTarget | undefined): 'Blue' | 'Green' {
  if (set.taskSetLabel === 'Blue' || set.taskSetLabel === 'Green') return set.taskSetLabel;
  const shifted =
    target?.status === 'Succeeded' ||
    target?.lifecycleEvents?.some(
      (e) => e.lifecycleEventName === 'AllowTraffic' && e.status === 'Succeeded',
    ) === true;
  const primary = set.status === 'PRIMARY';
  return primary === shifted ? 'Green' : 'Blue';
}

export function taskSetWeights(target: ECSTarget | undefined): TaskSetWeight[] {
  return (target?.taskSetsInfo ?? []).map((set: ECSTaskSet) => ({
    label: set.taskSetLabel ?? taskSetRole(set, target),
    id: set.identifer,
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

/** The event that failed, if any, with its diagnostics. */
export function failedLifecycleEvent(target: ECSTarget | undefined): LifecycleEvent | undefined {
  return target?.lifecycleEvents?.find((e) => e.status === 'Failed');
}

/** The event running now, or the next one to run. */
export function currentLifecycleEvent(target: ECSTarget | undefined): LifecycleEvent | undefined {
  const events = target?.lifecycleEvents ?? [];
  return events.find((e) => e.status === 'InProgress') ?? events.find((e) => e.status === 'Pending');
}

/**
 * CodeDeploy's final state says production traffic never moved to the replacement: the target is read
 * and its AllowTraffic event never ran (Pending or Skipped). Anything else (no target, AllowTraffic
 * started) does not say so.
 */
export function trafficNeverMoved(target: ECSTarget | undefined): boolean {
  const allow = target?.lifecycleEvents?.find((e) => e.lifecycleEventName === 'AllowTraffic');
  return allow?.status === 'Pending' || allow?.status === 'Skipped';
}
