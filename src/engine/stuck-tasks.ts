/**
 * A stuck Install, explained (issue #9 part 5): while CodeDeploy's Install runs past the threshold
 * (codedeploy/diagnostics.ts), and again at the verdict of a deployment that failed or timed out in
 * Install, read what ECS says about the replacement task set — its counts, its stopped tasks' reasons and
 * exit codes, the service's events since the deployment started — and tell each distinct reason once, in
 * the log and in the record (the job summary shows it). Reads at most once a minute; the tasks already
 * described are not described again. A read that is denied is warned about once and never fails the
 * deployment. Everything ECS says is printed with `info` only.
 *
 * The same for an ECS service deployment's stuck scale-up (issue #11): StuckTasksDiagnostics takes the
 * engine's subject (which phase, which tasks: codedeploy/diagnostics.ts installSubject, ecs/diagnostics.ts
 * scaleUpSubject); the record's `installDiagnosis` holds what either found.
 */
import type { ECSClient, Service, Task } from '@aws-sdk/client-ecs';
import type { Runtime } from '../action/runtime.js';
import { awsErrorName, isTransientAwsError, isUnsupportedOrDenied } from '../aws/errors.js';
import { describeStoppedTasks, readService } from '../aws/ecs-reads.js';
import type { Observation } from '../engines/codedeploy/progress.js';
import {
  DIAGNOSE_EVERY_MS,
  addReasons,
  describeCounts,
  describeReason,
  installSubject,
  newDiagnosis,
  serviceEventReason,
  serviceEventsSince,
  stuckInstallThresholdMs,
  taskStopReason,
  type ReasonKind,
  type StuckTasksSubject,
} from '../engines/codedeploy/diagnostics.js';
import type { DeploymentRecord } from '../record/record.js';
import { clockLabel, formatDuration } from '../record/format.js';

export interface StuckInstallSettings {
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
    private readonly settings: StuckInstallSettings,
    private readonly subject: StuckTasksSubject<O>,
  ) {
    this.thresholdMs = stuckInstallThresholdMs(settings.healthCheckGracePeriodSeconds);
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
    const failedStep = this.record.failedEvent?.name ?? this.record.ecs?.rollbackStage;
    if (!this.subject.inPhaseAtVerdict(observation, this.rt.clock.now(), failedStep)) return;
    await this.diagnose(observation, `At the verdict, what ECS says about the ${this.subject.group}`, true);
  }

  private async diagnose(observation: O, heading: string, verdict: boolean): Promise<void> {
    const { record, settings } = this;
    this.lastReadAt = this.rt.clock.now();
    const diagnosis = (record.installDiagnosis ??= newDiagnosis());
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
    if (replacement) diagnosis.replacement = replacement;

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

/** A stuck CodeDeploy Install (the deploy command's CodeDeploy path). */
export class StuckInstallDiagnostics extends StuckTasksDiagnostics<Observation> {
  constructor(
    rt: Pick<Runtime, 'info' | 'warning' | 'clock' | 'signal'>,
    record: DeploymentRecord,
    settings: StuckInstallSettings,
  ) {
    super(rt, record, settings, installSubject);
  }
}
