/**
 * Tells what the watcher sees: one log line per lifecycle transition, traffic shift and status change,
 * the failure diagnostics as an error annotation, and the record the job summary is rendered from.
 */
import type { DeploymentInfo, LifecycleEvent } from '@aws-sdk/client-codedeploy';
import type { Log } from '../../action/runtime.js';
import { consoleUrl } from '../../aws/console-url.js';
import type { Observation, ProgressChange } from './progress.js';
import type { CodeDeployRecordPart, DeploymentRecord, EventRecord } from '../../record/record.js';
import { clockLabel, formatDuration } from '../../record/format.js';
import { describeDiagnostics, describeRecordWeights, eventDurationMs, trafficBar } from './format.js';

/**
 * Turns watcher changes into log lines and keeps the record up to date.
 * `now` is the deployment clock; lines are stamped with the time since the record started.
 */
export class DeploymentReporter {
  /** the record's CodeDeploy part (created when missing) */
  readonly part: CodeDeployRecordPart;

  constructor(
    readonly record: DeploymentRecord,
    private readonly log: Log,
    private readonly now: () => number,
  ) {
    record.codedeploy ??= { application: '?', deploymentGroup: '?', events: new Map(), traffic: [] };
    this.part = record.codedeploy;
  }

  /**
   * A log line stamped with the time since the record started: when it happened, if CodeDeploy says
   * (an event's start or end; kept between the start and now, against clock skew), else when seen.
   */
  private line(text: string, happenedAt?: Date): void {
    const now = this.now();
    const at =
      happenedAt instanceof Date ? Math.min(now, Math.max(this.record.startedAt, happenedAt.getTime())) : now;
    this.log.info(`[${clockLabel(at - this.record.startedAt)}] ${text}`);
  }

  handle = (change: ProgressChange, observation: Observation): void => {
    const { record } = this;
    switch (change.type) {
      case 'deployment-status':
        record.status = change.to;
        this.line(
          `Deployment ${record.deploymentId}: ${change.from ? `${change.from} → ` : ''}${change.to}`,
          change.to === 'InProgress' && change.from === 'Created'
            ? observation.deployment.startTime
            : ['Succeeded', 'Failed', 'Stopped'].includes(change.to)
              ? observation.deployment.completeTime
              : undefined,
        );
        if (change.to === 'Ready') {
          this.line(
            '  The replacement task set is up behind the test listener; production traffic has not moved yet.',
          );
        }
        break;
      case 'target-status':
        if (change.to === 'Succeeded' && this.part.isRollback) {
          this.line('Production traffic is back on the original task set.');
        } else if (change.to === 'Succeeded' && observation.deployment.status === 'InProgress') {
          this.line(
            'Production traffic is on the replacement task set; the original task set is kept for the termination wait.',
          );
        }
        break;
      case 'event-started': {
        this.remember(change.event);
        this.line(`▶ ${change.name}`, change.event.startTime);
        break;
      }
      case 'event-finished': {
        const rec = this.remember(change.event);
        const took = formatDuration(eventDurationMs(change.event));
        const endedAt = change.event.endTime;
        if (change.status === 'Succeeded') this.line(`✔ ${change.name} succeeded (${took})`, endedAt);
        else if (change.status === 'Skipped') this.line(`↷ ${change.name} skipped`, endedAt);
        else {
          this.line(
            `✖ ${change.name} ${change.status.toLowerCase()} (${took})${describeDiagnostics(change.event) ? `: ${describeDiagnostics(change.event)}` : ''}`,
            endedAt,
          );
          this.part.failedEvent = rec;
          record.failedStep = rec.name;
        }
        break;
      }
      case 'traffic':
        this.part.traffic.push({ at: this.now(), weights: change.weights });
        this.line(
          `⇄ traffic ${trafficBar(change.weights)} ${describeRecordWeights(this.part, change.weights)}`,
        );
        break;
      case 'task-sets': {
        const green = change.weights.find((w) => w.label === 'Green');
        if (green && green.desired !== undefined) {
          this.line(
            `  ${this.part.isRollback ? 'original' : 'replacement'} task set: ${green.running ?? 0}/${green.desired} running${green.pending ? `, ${green.pending} pending` : ''}`,
          );
        }
        break;
      }
    }
  };

  private remember(event: LifecycleEvent): EventRecord {
    const name = event.lifecycleEventName ?? '?';
    const rec: EventRecord = {
      name,
      status: event.status ?? 'Unknown',
      startTime: event.startTime,
      endTime: event.endTime,
      diagnostics: event.diagnostics,
    };
    this.part.events.set(name, rec);
    return rec;
  }

  /** Takes the final lifecycle state (events seen only in the last look, skipped ones) into the record. */
  absorb(observation: Observation | undefined): void {
    if (!observation) return;
    this.record.status = observation.deployment.status ?? this.record.status;
    for (const event of observation.target?.lifecycleEvents ?? []) this.remember(event);
    if (observation.deployment.errorInformation)
      this.part.errorInformation = observation.deployment.errorInformation;
    const failed = observation.target?.lifecycleEvents?.find((e) => e.status === 'Failed');
    if (failed) {
      this.part.failedEvent = this.part.events.get(failed.lifecycleEventName ?? '');
      this.record.failedStep = this.part.failedEvent?.name;
    }
  }

  /**
   * The failure, as an error annotation (a warning with `level` warning: someone else's deployment) and a
   * log group with the hook's log tail.
   */
  reportFailure(deployment: DeploymentInfo | undefined, level: 'error' | 'warning' = 'error'): void {
    const { record } = this;
    const failed = this.part.failedEvent;
    const info = deployment?.errorInformation ?? this.part.errorInformation;
    const lines: string[] = [];
    lines.push(`Deployment ${record.deploymentId} ${deployment?.status?.toLowerCase() ?? 'failed'}.`);
    if (failed) {
      lines.push(
        `Lifecycle event ${failed.name} ${failed.status.toLowerCase()}${describeDiagnostics(failed) ? `: ${describeDiagnostics(failed)}` : '.'}`,
      );
    }
    if (info?.code || info?.message)
      lines.push(`CodeDeploy: ${[info.code, info.message].filter(Boolean).join(': ')}`);
    if (record.rollback) {
      lines.push(
        `Rolled back by deployment ${record.rollback.deploymentId}${record.rollback.status ? ` (${record.rollback.status})` : ''}.`,
      );
    } else if (deployment?.rollbackInfo?.rollbackMessage) {
      lines.push(deployment.rollbackInfo.rollbackMessage);
    }
    lines.push(consoleUrl(record.region, record.deploymentId));
    const title = `CodeDeploy deployment ${record.deploymentId} ${deployment?.status ?? 'failed'}`;
    if (level === 'error') this.log.error(lines.join('\n'), { title });
    else this.log.warning(`${title}: ${lines.join('\n')}`);
    const tail = failed?.diagnostics?.logTail;
    if (tail) {
      this.log.startGroup(`Log tail of ${failed?.diagnostics?.scriptName ?? failed?.name}`);
      this.log.info(tail);
      this.log.endGroup();
    }
  }
}
