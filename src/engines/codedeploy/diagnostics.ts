/**
 * Why a replacement task set does not become healthy (issue #9 part 5), as pure functions: when an
 * Install counts as stuck, which task set is the replacement, and the distinct reasons ECS gives (stopped
 * tasks' `stoppedReason` and container exit codes, service events). The reads are in aws/ecs-reads.ts;
 * commands/stuck-install.ts decides when to read and tells what is new. Sources: docs/aws-behaviours.md.
 *
 * Every text taken from ECS here is untrusted: it is flattened to one line and capped, and it is only
 * ever printed with `info` (never as an annotation) and escaped in the job summary.
 */
import type { ECSTarget } from '@aws-sdk/client-codedeploy';
import type { Service, Task, TaskSet } from '@aws-sdk/client-ecs';
import { currentLifecycleEvent, type Observation } from './progress.js';

/**
 * Install counts as stuck once it has run longer than 3 minutes plus the service's health check grace
 * period. There is no history of the group's usual Install to compare with: a healthy ECS Install takes
 * a minute or two (tasks placed, images pulled, targets registered), and ELB health checks are not
 * counted during the grace period, so past that point something keeps the tasks from becoming healthy.
 */
export const STUCK_INSTALL_BASE_MS = 3 * 60_000;

/** How often, at most, the stuck-Install diagnostics are read again while Install goes on. */
export const DIAGNOSE_EVERY_MS = 60_000;

/** At most this many distinct reasons are kept (the rest are counted as not shown). */
export const MAX_REASONS = 20;

/** Untrusted text longer than this is cut. */
const MAX_TEXT = 400;

export function stuckInstallThresholdMs(healthCheckGracePeriodSeconds: number | undefined): number {
  return STUCK_INSTALL_BASE_MS + Math.max(0, healthCheckGracePeriodSeconds ?? 0) * 1000;
}

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

/** The replacement task set and its counts. */
export interface ReplacementTaskSet {
  id: string;
  taskDefinition?: string;
  desired?: number;
  running?: number;
  pending?: number;
  /** when ECS created it (ms), to tell its tasks from older ones when a task carries no startedBy */
  createdAt?: number;
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
): ReplacementTaskSet | undefined {
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
  replacement?: ReplacementTaskSet,
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

/** "0/2 running, 2 pending" (what is known). */
export function describeCounts(set: ReplacementTaskSet): string {
  const running = set.running === undefined ? undefined : `${set.running}/${set.desired ?? '?'} running`;
  const pending = set.pending ? `${set.pending} pending` : undefined;
  return [running, pending].filter(Boolean).join(', ') || 'counts unknown';
}

/** One line, no control characters, capped: untrusted text as the log and the summary may show it. */
export function oneLine(text: string): string {
  const flat = text
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > MAX_TEXT ? `${flat.slice(0, MAX_TEXT - 1)}…` : flat;
}

/** Is this task one of the replacement task set's? By `startedBy` (the task set id), else by its revision and age. */
export function isTaskOf(task: Task, set: ReplacementTaskSet): boolean {
  if (task.startedBy) return task.startedBy === set.id;
  return isTaskOfDefinition(task, set);
}

/** Does this task run the group's task definition, and was it created after the group (when both times are known)? */
export function isTaskOfDefinition(task: Task, set: ReplacementTaskSet): boolean {
  if (!set.taskDefinition || task.taskDefinitionArn !== set.taskDefinition) return false;
  const created = task.createdAt instanceof Date ? task.createdAt.getTime() : undefined;
  return set.createdAt === undefined || created === undefined || created >= set.createdAt;
}

/** Why one task stopped, in words: its stoppedReason and stopCode, and each container's exit code and reason. */
export function taskStopReason(task: Task): string {
  const parts = [
    `${oneLine(task.stoppedReason ?? 'no stoppedReason')}${task.stopCode ? ` (${oneLine(task.stopCode)})` : ''}`,
  ];
  for (const container of task.containers ?? []) {
    const exit = container.exitCode !== undefined ? `exit code ${container.exitCode}` : undefined;
    const reason = container.reason ? oneLine(container.reason) : undefined;
    if (!exit && !reason) continue;
    parts.push(`container ${oneLine(container.name ?? '?')}: ${[exit, reason].filter(Boolean).join(', ')}`);
  }
  return parts.join(' — ');
}

/**
 * Service events that tell what ECS is doing, not what goes wrong: left out. ECS writes them for every
 * deployment (ECS-DG service-event-messages).
 */
const ROUTINE_EVENTS = [
  /has started \d+ tasks?/i,
  /has reached a steady state/i,
  /(?:de)?registered \d+ targets?/i,
  /has begun draining connections/i,
  /has stopped \d+ running tasks?/i,
  /deployment completed/i,
];

/**
 * A service event as a reason: task ids made generic (`(task …)`) so that the same failure of many tasks
 * is one reason. Undefined for routine events and for events about another task set.
 */
export function serviceEventReason(message: string, replacementId: string | undefined): string | undefined {
  if (ROUTINE_EVENTS.some((pattern) => pattern.test(message))) return undefined;
  const taskSet = /taskSet ([^\s,)]+)/.exec(message)?.[1];
  if (taskSet && replacementId && taskSet !== replacementId) return undefined;
  return oneLine(message.replace(/\(task [0-9a-f]{32}\)/g, '(task …)').replace(/\b[0-9a-f]{32}\b/g, '…'));
}

/** The service events since `since` (ms), oldest first (ECS lists them newest first). */
export function serviceEventsSince(
  service: Service | undefined,
  since: number,
): Array<{ id: string; message: string }> {
  return (service?.events ?? [])
    .filter((e) => e.createdAt instanceof Date && e.createdAt.getTime() >= since && e.message)
    .sort((a, b) => (a.createdAt as Date).getTime() - (b.createdAt as Date).getTime())
    .map((e) => ({
      id: e.id ?? `${(e.createdAt as Date).getTime()}:${e.message}`,
      message: e.message as string,
    }));
}

export type ReasonKind = 'stopped-task' | 'service-event';

export interface StuckReason {
  kind: ReasonKind;
  text: string;
  /** how many stopped tasks or service events gave it */
  count: number;
}

/** What the diagnostics found so far: the replacement's counts and each distinct reason once. */
export interface InstallDiagnosis {
  replacement?: ReplacementTaskSet;
  reasons: StuckReason[];
  /** distinct reasons beyond MAX_REASONS, not kept */
  notShown: Set<string>;
}

export function newDiagnosis(): InstallDiagnosis {
  return { reasons: [], notShown: new Set() };
}

/**
 * Adds what one read found to the diagnosis; returns the reasons seen for the first time, in order.
 * The caller passes each stopped task and each service event once (by task ARN and event id).
 */
export function addReasons(
  diagnosis: InstallDiagnosis,
  found: Array<{ kind: ReasonKind; text: string }>,
): StuckReason[] {
  const fresh: StuckReason[] = [];
  for (const { kind, text } of found) {
    const known = diagnosis.reasons.find((r) => r.kind === kind && r.text === text);
    if (known) {
      known.count++;
      continue;
    }
    if (diagnosis.reasons.length >= MAX_REASONS) {
      diagnosis.notShown.add(`${kind}:${text}`);
      continue;
    }
    const reason = { kind, text, count: 1 };
    diagnosis.reasons.push(reason);
    fresh.push(reason);
  }
  return fresh;
}

export function describeReason(reason: Pick<StuckReason, 'kind' | 'text'>): string {
  return `${reason.kind === 'stopped-task' ? 'Stopped task' : 'Service event'}: ${reason.text}`;
}

/**
 * Which tasks a stuck phase is about, per engine: the replacement task set of a CodeDeploy Install
 * (installSubject, below), the target revision of an ECS scale-up (ecs/diagnostics.ts). The command that
 * reads ECS (commands/stuck-install.ts) asks the subject when to read and which stopped tasks count.
 */
export interface StuckTasksSubject<O> {
  /** the phase, for the log: "Install", "scale-up" */
  phase: string;
  /** what starts the tasks, for the log: "replacement task set", "target revision" */
  group: string;
  /** told when the group is not found */
  notFound: string;
  /** how long the phase has run, when longer than the threshold; else undefined */
  stuckForMs(observation: O, now: number, thresholdMs: number): number | undefined;
  /** at a failed or timed-out verdict: was it in the phase (`failedStep`: the step the record names as failed) */
  inPhaseAtVerdict(observation: O, now: number, failedStep: string | undefined): boolean;
  findGroup(
    observation: O,
    service: Service | undefined,
    deploymentId: string,
    taskDefinitionArn: string,
  ): ReplacementTaskSet | undefined;
  isTaskOf(task: Task, group: ReplacementTaskSet): boolean;
  /** when the deployment was created (ms), for the service events since; undefined: the record's start */
  createdAt(observation: O): number | undefined;
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
