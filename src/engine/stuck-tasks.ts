/**
 * New tasks that do not become healthy, explained, for every engine (issue #9 part 5, issue #11): while
 * the phase that starts them runs past the threshold — CodeDeploy's Install, an ECS scale-up: the engine's
 * subject says which phase and which tasks — and again at the verdict of a deployment that failed or timed
 * out in it, read what ECS says about the new tasks — their counts, the stopped tasks' reasons and exit
 * codes, the service's events since the deployment started — and tell each distinct reason once, in the log
 * and in the record (the job summary shows it). Reads at most once a minute; tasks already described are
 * not described again. A read that is denied is warned about once and never fails the deployment.
 *
 * Every text taken from ECS here is untrusted: it is flattened to one line and capped, only ever printed
 * with `info` (never as an annotation), and escaped in the job summary. Sources: docs/aws-behaviours.md.
 */
import type { ECSClient, Service, Task } from '@aws-sdk/client-ecs';
import type { Runtime } from '../action/runtime.js';
import { awsErrorName, isTransientAwsError, isUnsupportedOrDenied } from '../aws/errors.js';
import { describeStoppedTasks, readService } from '../aws/ecs-reads.js';
import type {
  DeploymentRecord,
  ReasonKind,
  StuckReason,
  TaskGroup,
  TasksDiagnosis,
} from '../record/record.js';
import { clockLabel, formatDuration } from '../record/format.js';
import { describeCounts, describeReason } from '../record/summary.js';

/**
 * A phase that starts new tasks (CodeDeploy's Install, an ECS scale-up) counts as stuck once it has run longer than 3 minutes plus the service's health check grace
 * period. There is no history of the group's usual phase to compare with: healthy new tasks take
 * a minute or two (tasks placed, images pulled, targets registered), and ELB health checks are not
 * counted during the grace period, so past that point something keeps the tasks from becoming healthy.
 */
export const STUCK_TASKS_BASE_MS = 3 * 60_000;

/** How often, at most, the diagnostics are read again while the phase goes on. */
export const DIAGNOSE_EVERY_MS = 60_000;

/** At most this many distinct reasons are kept (the rest are counted as not shown). */
export const MAX_REASONS = 20;

/** Untrusted text longer than this is cut. */
const MAX_TEXT = 400;

export function stuckTasksThresholdMs(healthCheckGracePeriodSeconds: number | undefined): number {
  return STUCK_TASKS_BASE_MS + Math.max(0, healthCheckGracePeriodSeconds ?? 0) * 1000;
}

/** One line, no control characters, capped: untrusted text as the log and the summary may show it. */
export function oneLine(text: string): string {
  const flat = text
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > MAX_TEXT ? `${flat.slice(0, MAX_TEXT - 1)}…` : flat;
}

/** Does this task run the group's task definition, and was it created after the group (when both times are known)? */
export function isTaskOfDefinition(task: Task, set: TaskGroup): boolean {
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

export function newDiagnosis(): TasksDiagnosis {
  return { reasons: [], notShown: new Set() };
}

/**
 * Adds what one read found to the diagnosis; returns the reasons seen for the first time, in order.
 * The caller passes each stopped task and each service event once (by task ARN and event id).
 */
export function addReasons(
  diagnosis: TasksDiagnosis,
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

/**
 * Which tasks a stuck phase is about, per engine: the replacement task set of a CodeDeploy Install
 * (engines/codedeploy/diagnostics.ts), the target revision of an ECS scale-up (engines/ecs/diagnostics.ts).
 * StuckTasksDiagnostics (below) asks the subject when to read and which stopped tasks count.
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
  ): TaskGroup | undefined;
  isTaskOf(task: Task, group: TaskGroup): boolean;
  /** when the deployment was created (ms), for the service events since; undefined: the record's start */
  createdAt(observation: O): number | undefined;
}

export interface StuckTasksSettings {
  ecs: ECSClient;
  /** the service's health check grace period: Install counts as stuck only after it */
  healthCheckGracePeriodSeconds?: number;
}

export class StuckTasksDiagnostics<O> {
  readonly thresholdMs: number;
  private lastReadAt = Number.NEGATIVE_INFINITY;
  private readonly seenTasks = new Set<string>();
  private readonly seenEvents = new Set<string>();
  private serviceReadable = true;
  private tasksReadable = true;
  private announced = false;

  constructor(
    private readonly rt: Pick<Runtime, 'info' | 'warning' | 'clock' | 'signal'>,
    private readonly record: DeploymentRecord,
    private readonly settings: StuckTasksSettings,
    private readonly subject: StuckTasksSubject<O>,
  ) {
    this.thresholdMs = stuckTasksThresholdMs(settings.healthCheckGracePeriodSeconds);
  }

  /** After each look of the watcher: reads when the phase has run past the threshold, at most once a minute. */
  onLook = async (observation: O): Promise<void> => {
    const now = this.rt.clock.now();
    const stuckFor = this.subject.stuckForMs(observation, now, this.thresholdMs);
    if (stuckFor === undefined || now - this.lastReadAt < DIAGNOSE_EVERY_MS) return;
    const grace = this.settings.healthCheckGracePeriodSeconds ?? 0;
    await this.diagnose(
      observation,
      `${this.subject.phase.charAt(0).toUpperCase()}${this.subject.phase.slice(1)} has run ${formatDuration(stuckFor)}, longer than 3 min${grace > 0 ? ` plus the ${grace}s health check grace period` : ''}: what ECS says about the ${this.subject.group}`,
      false,
    );
  };

  /** At the verdict of a deployment that failed or timed out: reads once more when it was in the phase. */
  async atVerdict(observation: O | undefined): Promise<void> {
    if (!observation) return;
    const failedStep = this.record.failedStep;
    if (!this.subject.inPhaseAtVerdict(observation, this.rt.clock.now(), failedStep)) return;
    await this.diagnose(observation, `At the verdict, what ECS says about the ${this.subject.group}`, true);
  }

  private async diagnose(observation: O, heading: string, verdict: boolean): Promise<void> {
    const { record, settings } = this;
    this.lastReadAt = this.rt.clock.now();
    const diagnosis = (record.tasksDiagnosis ??= newDiagnosis());
    let service: Service | undefined;
    if (this.serviceReadable) {
      try {
        service = await readService(settings.ecs, record.cluster, record.service, this.rt.signal);
      } catch (error) {
        this.readFailed(error, 'service', 'ecs:DescribeServices on the service');
      }
    }
    const replacement = this.subject.findGroup(
      observation,
      service,
      record.deploymentId,
      record.taskDefinitionArn,
    );
    if (replacement) diagnosis.group = replacement;

    const found: Array<{ kind: ReasonKind; text: string }> = [];
    if (replacement && service && this.tasksReadable) {
      let tasks: Task[] = [];
      try {
        tasks = await describeStoppedTasks(settings.ecs, record.cluster, record.service, this.seenTasks, {
          signal: this.rt.signal,
        });
      } catch (error) {
        this.readFailed(error, 'tasks', "ecs:ListTasks and ecs:DescribeTasks on the cluster's tasks");
      }
      const stopped = tasks
        .filter((task) => task.taskArn && task.lastStatus === 'STOPPED')
        .sort((a, b) => (a.stoppedAt?.getTime() ?? 0) - (b.stoppedAt?.getTime() ?? 0));
      for (const task of stopped) {
        this.seenTasks.add(task.taskArn as string);
        if (this.subject.isTaskOf(task, replacement))
          found.push({ kind: 'stopped-task', text: taskStopReason(task) });
      }
    }
    const since = this.subject.createdAt(observation) ?? record.startedAt;
    for (const event of serviceEventsSince(service, since)) {
      if (this.seenEvents.has(event.id)) continue;
      this.seenEvents.add(event.id);
      const text = serviceEventReason(event.message, replacement?.id);
      if (text) found.push({ kind: 'service-event', text });
    }
    const fresh = addReasons(diagnosis, found);

    if (this.announced && fresh.length === 0 && !verdict) return;
    this.announced = true;
    const at = clockLabel(this.rt.clock.now() - record.startedAt);
    this.rt.info(`[${at}] ${heading}:`);
    this.rt.info(
      replacement
        ? `  ${this.subject.group} ${replacement.id}: ${describeCounts(replacement)}`
        : `  ${this.subject.notFound}`,
    );
    for (const reason of fresh) this.rt.info(`  ${describeReason(reason)}`);
    if (fresh.length === 0)
      this.rt.info(
        diagnosis.reasons.length > 0
          ? '  no new reason since the ones above'
          : '  ECS names no reason yet (no stopped task, no service event about it)',
      );
  }

  /** A denied or failing read: warned about once, then left out; a passing fault: tried again next time. */
  private readFailed(error: unknown, what: 'service' | 'tasks', permission: string): void {
    if (this.rt.signal?.aborted) return;
    if (isTransientAwsError(error)) {
      this.rt.info(
        `  (${this.subject.phase} diagnostics: ${awsErrorName(error)}, a passing AWS fault; read again later)`,
      );
      return;
    }
    if (what === 'service') this.serviceReadable = false;
    else this.tasksReadable = false;
    const reading =
      what === 'service' ? "the service's events and task sets" : `the ${this.subject.group}'s stopped tasks`;
    this.rt.warning(
      isUnsupportedOrDenied(error)
        ? `Cannot read ${reading} to explain the long ${this.subject.phase} (${awsErrorName(error)}); the deployment goes on without them. Allow ${permission} to see why new tasks stop (docs/security.md).`
        : `Reading ${reading} failed (${awsErrorName(error)}); the deployment goes on without them.`,
    );
  }
}
