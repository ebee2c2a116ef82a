/**
 * Why an ECS service deployment's new tasks do not start (issue #11), as pure functions: when a scale-up
 * counts as stuck, and which stopped tasks are the target revision's. The same threshold, reads and
 * reasons as a stuck CodeDeploy Install (src/engine/stuck-tasks.ts reads).
 *
 * A scale-up is the stage SCALE_UP; ROLLING reports no stage (ECS-DG deployment-type-ecs [U]), so there
 * it is the time the target revision runs fewer tasks than requested. Tasks are the target revision's
 * when they run the deployed task definition and were created after the deployment: ECS starts a
 * service's tasks with `startedBy` `ecs-svc/…` (the deployment's, not the revision's), so it cannot tell.
 */
import type { TaskGroup } from '../../record/record.js';
import { isTaskOfDefinition, type StuckTasksSubject } from '../../engine/stuck-tasks.js';
import { isEcsDeploymentInFlight, isRollingBack, type EcsObservation } from './progress.js';

/** Is the target revision being scaled up: the stage SCALE_UP, or (no stage) fewer running than requested. */
export function inScaleUp(observation: EcsObservation): boolean {
  const d = observation.deployment;
  if (d.lifecycleStage !== undefined) return d.lifecycleStage === 'SCALE_UP';
  const t = d.targetServiceRevision;
  return (t?.runningTaskCount ?? 0) < (t?.requestedTaskCount ?? 0);
}

/** The scale-up in progress for longer than the threshold (since its stage was first seen): how long, else undefined. */
export function scaleUpStuckForMs(
  observation: EcsObservation,
  now: number,
  thresholdMs: number,
): number | undefined {
  const d = observation.deployment;
  if (!isEcsDeploymentInFlight(d.status) || isRollingBack(d) || !inScaleUp(observation)) return undefined;
  const forMs = Math.max(0, now - (observation.stageSeenAt ?? observation.at));
  return forMs > thresholdMs ? forMs : undefined;
}

/**
 * At a failed, rolled-back or timed-out verdict: was it the scale-up? The circuit breaker triggered (it
 * counts tasks that fail to start), the rollback started in SCALE_UP, the last forward stage was SCALE_UP,
 * or the deployment is still scaling up.
 */
export function failedInScaleUp(observation: EcsObservation, failedStep: string | undefined): boolean {
  const d = observation.deployment;
  return (
    d.deploymentCircuitBreaker?.status === 'TRIGGERED' ||
    failedStep === 'SCALE_UP' ||
    observation.lastForwardStage === 'SCALE_UP' ||
    (!isRollingBack(d) && inScaleUp(observation))
  );
}

/** The target revision as the group of tasks: its counts from the service deployment, the deployed task definition. */
export function targetRevisionGroup(
  observation: EcsObservation,
  taskDefinitionArn: string,
): TaskGroup | undefined {
  const d = observation.deployment;
  const t = d.targetServiceRevision;
  if (!t?.arn) return undefined;
  return {
    id: t.arn.split('/').pop() ?? t.arn,
    taskDefinition: taskDefinitionArn,
    desired: t.requestedTaskCount,
    running: t.runningTaskCount,
    pending: t.pendingTaskCount,
    createdAt: d.createdAt instanceof Date ? d.createdAt.getTime() : undefined,
  };
}

/** ECS: the scale-up of the target revision. */
export const scaleUpSubject: StuckTasksSubject<EcsObservation> = {
  phase: 'scale-up',
  group: 'target revision',
  notFound: 'the target revision was not found (the service deployment names none)',
  stuckForMs: scaleUpStuckForMs,
  inPhaseAtVerdict: (observation, _now, failedStep) => failedInScaleUp(observation, failedStep),
  findGroup: (observation, _service, _deploymentId, taskDefinitionArn) =>
    targetRevisionGroup(observation, taskDefinitionArn),
  isTaskOf: isTaskOfDefinition,
  createdAt: (observation) =>
    observation.deployment.createdAt instanceof Date ? observation.deployment.createdAt.getTime() : undefined,
};
