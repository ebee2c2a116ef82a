/**
 * Tells what the watcher sees: one log line per lifecycle transition, traffic shift and status change,
 * the failure diagnostics as an error annotation, and the record the job summary is rendered from.
 */
import type { DeploymentInfo, ErrorInformation, LifecycleEvent } from '@aws-sdk/client-codedeploy';
import type { Observation, ProgressChange, TaskSetWeight } from './deployment-progress.js';
import { LIFECYCLE_EVENTS, describeWeights, lifecycleIndex } from './deployment-progress.js';

export { describeWeights };

export interface Log {
  info(message: string): void;
  warning(message: string): void;
  error(message: string, properties?: { title?: string }): void;
  notice(message: string, properties?: { title?: string }): void;
  startGroup(name: string): void;
  endGroup(): void;
}

export interface EventRecord {
  name: string;
  status: string;
  startTime?: Date;
  endTime?: Date;
  diagnostics?: LifecycleEvent['diagnostics'];
}

export interface TrafficStep {
  at: number;
  weights: TaskSetWeight[];
}

export interface RollbackRecord {
  deploymentId: string;
  status?: string;
  message?: string;
}

/** Everything the job summary shows. Filled by the action as the deployment goes. */
export interface DeploymentRecord {
  deploymentId: string;
  region: string;
  application: string;
  deploymentGroup: string;
  deploymentConfig?: string;
  cluster: string;
  service: string;
  taskDefinitionArn: string;
  images: Array<{ container: string; image: string }>;
  waitUntil: string;
  startedAt: number;
  finishedAt?: number;
  status?: string;
  verdict?: 'succeeded' | 'reached' | 'failed' | 'stopped' | 'timeout' | 'cancelled' | 'not-followed';
  verdictText?: string;
  events: Map<string, EventRecord>;
  traffic: TrafficStep[];
  errorInformation?: ErrorInformation;
  failedEvent?: EventRecord;
  rollback?: RollbackRecord;
  testGate?: { command: string; exitCode?: number; durationMs?: number; outcome: string; testUrl?: string };
  notes: string[];
  /**
   * A rollback deployment: CodeDeploy labels the task set it restores "Green" and the one it retires
   * "Blue", so its weights are told as original and replacement instead, and its end as traffic back.
   */
  isRollback?: boolean;
}

/** The task sets' weights in words a reader of this record takes the right way. */
export function describeRecordWeights(
  record: Pick<DeploymentRecord, 'isRollback'>,
  weights: TaskSetWeight[],
): string {
  if (!record.isRollback) return describeWeights(weights);
  return describeWeights(
    weights.map((w) => ({
      ...w,
      label: w.label === 'Green' ? 'original' : w.label === 'Blue' ? 'rolled-back replacement' : w.label,
    })),
  );
}

export function consoleUrl(region: string, deploymentId: string): string {
  const host = region.startsWith('cn-')
    ? 'console.amazonaws.cn'
    : region.startsWith('us-gov-')
      ? 'console.amazonaws-us-gov.com'
      : `${region}.console.aws.amazon.com`;
  return `https://${host}/codesuite/codedeploy/deployments/${encodeURIComponent(deploymentId)}?region=${region}`;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

export function eventDurationMs(event: { startTime?: Date; endTime?: Date }): number | undefined {
  if (!(event.startTime instanceof Date) || !(event.endTime instanceof Date)) return undefined;
  return event.endTime.getTime() - event.startTime.getTime();
}

export function trafficBar(weights: TaskSetWeight[], width = 20): string {
  const green = weights.find((w) => w.label === 'Green')?.weight;
  const share = green ?? 0;
  const filled = Math.round((share / 100) * width);
  return `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
}

function clockLabel(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(seconds / 60);
  return `${String(m).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
}

export function describeDiagnostics(event: { diagnostics?: LifecycleEvent['diagnostics'] }): string {
  const d = event.diagnostics;
  if (!d) return '';
  const parts = [d.errorCode, d.scriptName ? `hook ${d.scriptName}` : undefined, d.message].filter(
    (part): part is string => typeof part === 'string' && part !== '',
  );
  return parts.join(' — ');
}

/**
 * Turns watcher changes into log lines and keeps the record up to date.
 * `now` is the deployment clock; lines are stamped with the time since the record started.
 */
export class DeploymentReporter {
  constructor(
    readonly record: DeploymentRecord,
    private readonly log: Log,
    private readonly now: () => number,
  ) {}

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
        if (change.to === 'Succeeded' && record.isRollback) {
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
          record.failedEvent = rec;
        }
        break;
      }
      case 'traffic':
        record.traffic.push({ at: this.now(), weights: change.weights });
        this.line(`⇄ traffic ${trafficBar(change.weights)} ${describeRecordWeights(record, change.weights)}`);
        break;
      case 'task-sets': {
        const green = change.weights.find((w) => w.label === 'Green');
        if (green && green.desired !== undefined) {
          this.line(
            `  ${record.isRollback ? 'original' : 'replacement'} task set: ${green.running ?? 0}/${green.desired} running${green.pending ? `, ${green.pending} pending` : ''}`,
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
    this.record.events.set(name, rec);
    return rec;
  }

  /** Takes the final lifecycle state (events seen only in the last look, skipped ones) into the record. */
  absorb(observation: Observation | undefined): void {
    if (!observation) return;
    this.record.status = observation.deployment.status ?? this.record.status;
    for (const event of observation.target?.lifecycleEvents ?? []) this.remember(event);
    if (observation.deployment.errorInformation)
      this.record.errorInformation = observation.deployment.errorInformation;
    const failed = observation.target?.lifecycleEvents?.find((e) => e.status === 'Failed');
    if (failed) this.record.failedEvent = this.record.events.get(failed.lifecycleEventName ?? '');
  }

  /** The failure, as an error annotation and a log group with the hook's log tail. */
  reportFailure(deployment: DeploymentInfo | undefined): void {
    const { record } = this;
    const failed = record.failedEvent;
    const info = deployment?.errorInformation ?? record.errorInformation;
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
    this.log.error(lines.join('\n'), {
      title: `CodeDeploy deployment ${record.deploymentId} ${deployment?.status ?? 'failed'}`,
    });
    const tail = failed?.diagnostics?.logTail;
    if (tail) {
      this.log.startGroup(`Log tail of ${failed?.diagnostics?.scriptName ?? failed?.name}`);
      this.log.info(tail);
      this.log.endGroup();
    }
  }
}

export function newDeploymentRecord(
  init: Omit<DeploymentRecord, 'events' | 'traffic' | 'notes'>,
): DeploymentRecord {
  return { ...init, events: new Map(), traffic: [], notes: [] };
}

/** The lifecycle events in order, including those CodeDeploy never reached (for the summary table). */
export function orderedEvents(record: DeploymentRecord): EventRecord[] {
  const names = new Set<string>([...LIFECYCLE_EVENTS, ...record.events.keys()]);
  return [...names]
    .sort((a, b) => lifecycleIndex(a) - lifecycleIndex(b))
    .map((name) => record.events.get(name) ?? { name, status: 'Not reached' });
}
