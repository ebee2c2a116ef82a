/**
 * How often the ECS engine asks AWS, in one place: the watcher's poll plan and the intervals of the loops
 * that wait for ECS (the started deployment to be listed, an active deployment to end). One
 * DescribeServiceDeployments call per look; ECS's bucket for it (shared with ListServiceDeployments) refills
 * 20 a second per account (THR), so the limit here is the project's own: at most 20 calls a minute.
 */
import { awaitingPauseHook, type EcsObservation } from './progress.js';

/** While anything can change: notices a new state 1.5 s late on average, 3 s at worst, at 20 calls a minute. */
export const ECS_ACTIVE_POLL_MS = 3000;
/** While a pause hook waits for someone (a person, a promote job): only they can move it on. */
export const ECS_PAUSED_POLL_MS = 15_000;
/** During a bake whose end is known, look again this long before it is due. */
export const ECS_WAKE_BEFORE_MS = 6000;
/** Longest sleep during a bake: still notices an alarm rollback or a stop within a minute. */
export const ECS_MAX_IDLE_POLL_MS = 45_000;
/** While waiting for ListServiceDeployments to show the deployment UpdateService started. */
export const ECS_LOOKUP_POLL_MS = 1000;
/** How long ListServiceDeployments may take to show it before the action gives up looking. */
export const ECS_LOOKUP_WITHIN_MS = 60_000;
/** While waiting for another deployment of the service to end (on-active-deployment: wait or stop). */
export const ECS_ACTIVE_DEPLOYMENT_POLL_MS = 5000;

/** When the bake (BAKE_TIME) of this deployment ends, if it is baking: from when the stage was first seen. */
export function bakeEndsAt(observation: EcsObservation): number | undefined {
  const d = observation.deployment;
  if (d.lifecycleStage !== 'BAKE_TIME' || d.status !== 'IN_PROGRESS') return undefined;
  const minutes = d.deploymentConfiguration?.bakeTimeInMinutes;
  if (minutes === undefined || observation.stageSeenAt === undefined) return undefined;
  return observation.stageSeenAt + minutes * 60_000;
}

/** How long to wait before the next look. */
export function nextEcsPollDelay(observation: EcsObservation | undefined, now: number): number {
  if (!observation) return 0;
  const d = observation.deployment;
  if (d.status === 'IN_PROGRESS' && awaitingPauseHook(d)) return ECS_PAUSED_POLL_MS;
  const due = bakeEndsAt(observation);
  if (due !== undefined) {
    const untilWake = due - ECS_WAKE_BEFORE_MS - now;
    if (untilWake > ECS_ACTIVE_POLL_MS) return Math.min(untilWake, ECS_MAX_IDLE_POLL_MS);
  }
  return ECS_ACTIVE_POLL_MS;
}
