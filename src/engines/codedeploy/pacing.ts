/**
 * When the CodeDeploy watcher wants to look, in one place: its poll plan (fast while anything can change,
 * slow through waits whose end is known, short reads around a predictable change) and the intervals of the
 * other loops that wait on CodeDeploy (an active deployment to end, a rollback to appear). How fast it may
 * look is the process's rate budget's to say (aws/rate-budget.ts): the plan's wishes are spent within it.
 */
import { trafficShiftMinutes, type TrafficRouting } from '../../aws/codedeploy-reads.js';
import { taskSetWeights, type Observation } from './progress.js';

/** While waiting for another deployment in the group to end (on-active-deployment: wait or stop). */
export const ACTIVE_DEPLOYMENT_POLL_MS = 5000;
/** While waiting for CodeDeploy to name the rollback deployment of a failed or stopped one. */
export const ROLLBACK_LOOKUP_POLL_MS = 3000;

export interface PollContext {
  now: number;
  /** when GetDeployment was last answered (deployment clock ms) */
  deploymentReadAt: number;
  routing?: TrafficRouting;
  terminationWaitMinutes: number;
  /**
   * what the watch waits for: once only AfterAllowTraffic is left, `succeeded` needs the deployment's status
   * alone; the others need the target (for ECS, instanceTerminationWaitTimeStarted is reported to stay
   * false: docs/aws-behaviours.md)
   */
  waitUntil?: string;
}

export interface PollPlan {
  /** how long to wait before the next look */
  delayMs: number;
  readDeployment: boolean;
  readTarget: boolean;
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

/** Interval of the short reads around a change whose moment is known (the verdict within about a second). */
export const SHORT_POLL_MS = 750;
/** Short reads begin this long before the predicted moment … */
export const SHORT_LEAD_MS = 1000;
/** … and end this long after it at the latest; then the pace falls back to ACTIVE_POLL_MS. */
export const SHORT_WINDOW_MS = 10_000;

/**
 * When the next change is predictable, the moment it is due: CodeDeploy then moves within a second or
 * two, and a few short reads bring the verdict without a 4-second poll's delay.
 * - the target succeeded and the deployment is InProgress: the end of the termination wait (at once
 *   when there is none);
 * - a canary or linear AllowTraffic: the final shift (the intermediate ones only log a weight);
 * - an all-at-once shift under way, or a traffic hook event (BeforeAllowTraffic, AfterAllowTraffic)
 *   running: its start (hook-less events take about a second).
 * Anchored on CodeDeploy's own timestamps, so each window is bounded without state of its own.
 */
export function predictedChangeAt(
  observation: Observation,
  routing: TrafficRouting | undefined,
  terminationWaitMinutes: number,
): number | undefined {
  const status = observation.deployment.status;
  const target = observation.target;
  if (status !== 'InProgress' || !target) return undefined;
  if (target.status === 'Succeeded') return terminationDueAt(observation, terminationWaitMinutes);
  if (target.status !== 'InProgress') return undefined;
  const running = target.lifecycleEvents?.find((e) => e.status === 'InProgress');
  const started = timeOf(running?.startTime);
  if (started === undefined) return undefined;
  switch (running?.lifecycleEventName) {
    case 'BeforeAllowTraffic':
    case 'AfterAllowTraffic':
      return started;
    case 'AllowTraffic':
      return started + trafficShiftMinutes(routing) * 60_000;
    default:
      return undefined;
  }
}

/** Whether `now` falls in the short-read window around a predicted change. */
export function inShortReadWindow(dueAt: number | undefined, now: number): boolean {
  return dueAt !== undefined && now >= dueAt - SHORT_LEAD_MS && now <= dueAt + SHORT_WINDOW_MS;
}

/** How long to sleep through a known wait whose end opens a short-read window at `dueAt`. */
function idleUntilShortReads(dueAt: number, now: number): number {
  const untilWindow = dueAt - SHORT_LEAD_MS - now;
  return untilWindow <= 0 ? SHORT_POLL_MS : Math.min(untilWindow, MAX_IDLE_POLL_MS);
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
  if (!observation) return { delayMs: 0, readDeployment: true, readTarget: true };
  const status = observation.deployment.status ?? 'Created';
  const refreshDeployment = ctx.now - ctx.deploymentReadAt >= DEPLOYMENT_REFRESH_MS;
  const target = observation.target;

  if (status === 'Created' || status === 'Queued') {
    // The target too: the watcher reads it only when this round's deployment read shows it started, so
    // the round that first sees InProgress also sees the lifecycle events (one read fewer a deployment).
    return { delayMs: ACTIVE_POLL_MS, readDeployment: true, readTarget: true };
  }
  if (!target) {
    // Started, its target not read yet (a throttled or failed read, or not started on CodeDeploy's side):
    // the target is what is missing; the deployment's status is read again only when it is due, not in
    // every round that retries the target.
    return { delayMs: ACTIVE_POLL_MS, readDeployment: refreshDeployment, readTarget: true };
  }
  if (
    target.status === 'Failed' ||
    (target.status === 'Succeeded' && status !== 'InProgress' && status !== 'Ready')
  ) {
    return { delayMs: ACTIVE_POLL_MS, readDeployment: true, readTarget: false };
  }
  const predicted = predictedChangeAt(observation, ctx.routing, ctx.terminationWaitMinutes);
  const shortReads = inShortReadWindow(predicted, ctx.now);
  if (target.status === 'Succeeded') {
    // Only the deployment's status is still to change: at the end of the termination wait.
    const due = terminationDueAt(observation, ctx.terminationWaitMinutes);
    const delayMs = shortReads
      ? SHORT_POLL_MS
      : due !== undefined && ctx.now < due
        ? idleUntilShortReads(due, ctx.now)
        : ACTIVE_POLL_MS;
    return { delayMs, readDeployment: true, readTarget: false };
  }
  // Ready by the deployment's own status (read every round here); a target still saying Ready after the
  // deployment moved on is stale and is read again at once below.
  if (status === 'Ready') {
    return { delayMs: READY_POLL_MS, readDeployment: true, readTarget: false };
  }
  // Production traffic has moved and only AfterAllowTraffic is left: for `succeeded` the deployment's
  // status is what tells the end, so the rounds read it alone (the watcher reads the target once more
  // when it is final, for the last events).
  const endPhase = target.lifecycleEvents?.some(
    (e) => e.lifecycleEventName === 'AfterAllowTraffic' && e.status === 'InProgress',
  );
  if (endPhase && (ctx.waitUntil ?? 'succeeded') === 'succeeded')
    return { delayMs: shortReads ? SHORT_POLL_MS : ACTIVE_POLL_MS, readDeployment: true, readTarget: false };
  if (shortReads) return { delayMs: SHORT_POLL_MS, readDeployment: refreshDeployment, readTarget: true };
  const shiftDue = nextShiftDueAt(observation, ctx.routing, ctx.now);
  if (shiftDue !== undefined) {
    const shifted = taskSetWeights(target).some((w) => w.weight > 0 && w.weight < 100);
    if (shifted) {
      // the final shift opens a short-read window; an intermediate one is only a weight to log
      const final = predicted !== undefined && shiftDue >= predicted;
      return {
        delayMs: final ? idleUntilShortReads(predicted, ctx.now) : idleUntil(shiftDue, ctx.now),
        readDeployment: refreshDeployment,
        readTarget: true,
      };
    }
  }
  return { delayMs: ACTIVE_POLL_MS, readDeployment: refreshDeployment, readTarget: true };
}
