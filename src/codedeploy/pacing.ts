/**
 * How often the action asks AWS, in one place: the watcher's poll plan (fast while anything can change,
 * slow through waits whose end is known), the backoff after a passing AWS fault, and the intervals of
 * the other loops that wait on CodeDeploy (an active deployment to end, a rollback to appear).
 */
import type { TrafficRouting } from '../aws/codedeploy-reads.js';
import { taskSetWeights, type Observation } from './progress.js';

/** While waiting for another deployment in the group to end (on-active-deployment: wait or stop). */
export const ACTIVE_DEPLOYMENT_POLL_MS = 5000;
/** While waiting for CodeDeploy to name the rollback deployment of a failed or stopped one. */
export const ROLLBACK_LOOKUP_POLL_MS = 3000;

/** Pause after the n-th passing AWS fault in a row while following: 2 s doubling to 30 s, ±25 % jitter. */
export function faultBackoffMs(faultCount: number, random: () => number = Math.random): number {
  return Math.min(30_000, 2000 * 2 ** Math.min(faultCount - 1, 4)) * (0.75 + random() / 2);
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
  if (!observation) return { delayMs: 0, readDeployment: true, readTarget: true };
  const status = observation.deployment.status ?? 'Created';
  const refreshDeployment = ctx.now - ctx.deploymentReadAt >= DEPLOYMENT_REFRESH_MS;
  const target = observation.target;

  if (status === 'Created' || status === 'Queued' || !target) {
    return {
      delayMs: ACTIVE_POLL_MS,
      readDeployment: true,
      readTarget: status !== 'Created' && status !== 'Queued',
    };
  }
  if (
    target.status === 'Failed' ||
    (target.status === 'Succeeded' && status !== 'InProgress' && status !== 'Ready')
  ) {
    return { delayMs: ACTIVE_POLL_MS, readDeployment: true, readTarget: false };
  }
  if (target.status === 'Succeeded') {
    const due = terminationDueAt(observation, ctx.terminationWaitMinutes);
    const delayMs = due === undefined ? ACTIVE_POLL_MS : idleUntil(due, ctx.now);
    return { delayMs, readDeployment: true, readTarget: false };
  }
  // Ready by the deployment's own status (read every round here); a target still saying Ready after the
  // deployment moved on is stale and is read again at once below.
  if (status === 'Ready') {
    return { delayMs: READY_POLL_MS, readDeployment: true, readTarget: false };
  }
  const shiftDue = nextShiftDueAt(observation, ctx.routing, ctx.now);
  if (shiftDue !== undefined) {
    const shifted = taskSetWeights(target).some((w) => w.weight > 0 && w.weight < 100);
    if (shifted) {
      return {
        delayMs: idleUntil(shiftDue, ctx.now),
        readDeployment: refreshDeployment,
        readTarget: true,
      };
    }
  }
  return { delayMs: ACTIVE_POLL_MS, readDeployment: refreshDeployment, readTarget: true };
}
