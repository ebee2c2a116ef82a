/**
 * CodeDeploy's subject for the stuck-tasks diagnostics (src/engine/stuck-tasks.ts), as pure functions:
 * when an Install counts as stuck, and which task set is the replacement. Sources: docs/aws-behaviours.md.
 */
import type { ECSTarget } from '@aws-sdk/client-codedeploy';
import type { Service, Task, TaskSet } from '@aws-sdk/client-ecs';
import type { TaskGroup } from '../../record/record.js';
import { isTaskOfDefinition, type StuckTasksSubject } from '../../engine/stuck-tasks.js';
import { describeCounts } from '../../record/summary.js';
import { currentLifecycleEvent, type Observation } from './progress.js';

/** How long the lifecycle event in progress has run, and its name; undefined when none is in progress. */
export function eventInProgress(
  target: ECSTarget | undefined,
  now: number,
): { name: string; forMs: number } | undefined {
  const event = currentLifecycleEvent(target);
  if (!event || event.status !== 'InProgress' || !event.lifecycleEventName) return undefined;
  const started = event.startTime instanceof Date ? event.startTime.getTime() : undefined;
  return { name: event.lifecycleEventName, forMs: started === undefined ? 0 : Math.max(0, now - started) };
}

/** Install in progress for longer than the threshold: how long, else undefined. */
export function installStuckForMs(
  target: ECSTarget | undefined,
  now: number,
  thresholdMs: number,
): number | undefined {
  const current = eventInProgress(target, now);
  return current?.name === 'Install' && current.forMs > thresholdMs ? current.forMs : undefined;
}

/**
 * Which task set is the replacement. In order: the one CodeDeploy's target labels Green; the service's
 * task set whose `externalId` is the deployment id (CodeDeploy's [unconfirmed]); the service's
 * non-PRIMARY task set of the deployed task definition; the target's one task set that is not the
 * service's PRIMARY. Counts come from ECS (fresher) when the set is found there, else from the target.
 */
export function findReplacementTaskSet(
  target: ECSTarget | undefined,
  service: Service | undefined,
  deploymentId: string,
  taskDefinitionArn: string,
): TaskGroup | undefined {
  const listed = target?.taskSetsInfo ?? [];
  const sets = service?.taskSets ?? [];
  const primary = sets.find((s) => s.status === 'PRIMARY');
  const id =
    listed.find((s) => s.taskSetLabel === 'Green')?.identifer ??
    sets.find((s) => s.externalId === deploymentId)?.id ??
    sets.find((s) => s.status !== 'PRIMARY' && s.taskDefinition === taskDefinitionArn)?.id ??
    (primary
      ? onlyOne(listed.filter((s) => s.identifer && s.identifer !== primary.id))?.identifer
      : undefined);
  if (!id) return undefined;
  const fromEcs: TaskSet | undefined = sets.find((s) => s.id === id);
  if (fromEcs) {
    return {
      id,
      taskDefinition: fromEcs.taskDefinition,
      desired: fromEcs.computedDesiredCount,
      running: fromEcs.runningCount,
      pending: fromEcs.pendingCount,
      createdAt: fromEcs.createdAt instanceof Date ? fromEcs.createdAt.getTime() : undefined,
    };
  }
  const fromTarget = listed.find((s) => s.identifer === id);
  return {
    id,
    desired: fromTarget?.desiredCount,
    running: fromTarget?.runningCount,
    pending: fromTarget?.pendingCount,
  };
}

function onlyOne<T>(items: T[]): T | undefined {
  return items.length === 1 ? items[0] : undefined;
}

/**
 * "stuck in Install for 40 min (replacement task set 0/2 running, 2 pending)": the lifecycle event in
 * progress and how long it has run, for a timeout's message. Counts only: no text from ECS.
 */
export function describeStuckPhase(
  target: ECSTarget | undefined,
  now: number,
  replacement?: TaskGroup,
): string | undefined {
  const current = eventInProgress(target, now);
  if (!current) return undefined;
  const minutes = Math.floor(current.forMs / 60_000);
  const took = minutes >= 1 ? `${minutes} min` : `${Math.round(current.forMs / 1000)} s`;
  const green =
    current.name === 'Install'
      ? (replacement ?? findReplacementTaskSet(target, undefined, '', ''))
      : undefined;
  return `stuck in ${current.name} for ${took}${green ? ` (replacement task set ${describeCounts(green)})` : ''}`;
}

/** Is this task one of the replacement task set's? By `startedBy` (the task set id), else by its revision and age. */
export function isTaskOf(task: Task, set: TaskGroup): boolean {
  if (task.startedBy) return task.startedBy === set.id;
  return isTaskOfDefinition(task, set);
}

/** CodeDeploy: the Install lifecycle event and its replacement task set. */
export const installSubject: StuckTasksSubject<Observation> = {
  phase: 'Install',
  group: 'replacement task set',
  notFound: 'the replacement task set was not found (CodeDeploy names none, or ECS no longer lists it)',
  stuckForMs: (observation, now, thresholdMs) => installStuckForMs(observation.target, now, thresholdMs),
  inPhaseAtVerdict: (observation, now, failedStep) =>
    failedStep === 'Install' || eventInProgress(observation.target, now)?.name === 'Install',
  findGroup: (observation, service, deploymentId, taskDefinitionArn) =>
    findReplacementTaskSet(observation.target, service, deploymentId, taskDefinitionArn),
  isTaskOf,
  createdAt: (observation) => observation.deployment.createTime?.getTime(),
};
