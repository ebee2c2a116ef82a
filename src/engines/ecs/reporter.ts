/**
 * Tells what the ECS watcher sees, in the style of the CodeDeploy reporter (reporter.ts): `[mm:ss] ▶ STAGE`,
 * `✔ STAGE (took)`, `⇄ traffic [bar] …`, task counts, the bake's end, hook states, the circuit breaker and
 * alarms, the rollback; the failure annotation; and the record the job summary is rendered from.
 */
import type { ServiceDeployment } from '@aws-sdk/client-ecs';
import type { Log } from '../../action/runtime.js';
import type { EcsChange, EcsObservation, RevisionCounts } from './progress.js';
import { ecsConsoleUrl } from './reads.js';
import type { DeploymentRecord, EcsRecordPart, StageRecord } from '../../record/record.js';
import { clockLabel, formatDuration, shareBar, utcClock } from '../../record/format.js';

/** A lifecycle hook's icon by its status; any other (FAILED, TIMED_OUT, …): '✖'. */
const HOOK_ICONS = new Map<string | undefined, string>([
  ['AWAITING_ACTION', '⏸'],
  ['SUCCEEDED', '✔'],
  ['IN_PROGRESS', '…'],
]);

function pct(value: number): string {
  return `${Number.isInteger(value) ? value : value.toFixed(1)}%`;
}

/** "production new 25% · old 75%, test new 100%" */
export function describeEcsWeights(w: { test?: number; production?: number }): string {
  const parts: string[] = [];
  if (w.production !== undefined)
    parts.push(`production new ${pct(w.production)} · old ${pct(100 - w.production)}`);
  if (w.test !== undefined) parts.push(`test new ${pct(w.test)}`);
  return parts.join(', ');
}

function describeCounts(c: RevisionCounts): string {
  return `${c.running}/${c.requested} running${c.pending ? `, ${c.pending} pending` : ''}`;
}

export function ecsPart(record: DeploymentRecord): EcsRecordPart {
  record.ecs ??= { strategy: '?', stages: [], traffic: [], hooks: [] };
  return record.ecs;
}

export class EcsReporter {
  constructor(
    readonly record: DeploymentRecord,
    private readonly log: Log,
    private readonly now: () => number,
  ) {}

  private line(text: string): void {
    this.log.info(`[${clockLabel(this.now() - this.record.startedAt)}] ${text}`);
  }

  private openStage(name: string, rollback: boolean): StageRecord | undefined {
    return [...ecsPart(this.record).stages]
      .reverse()
      .find((s) => s.name === name && s.rollback === rollback && s.status === 'InProgress');
  }

  handle = (change: EcsChange, observation: EcsObservation): void => {
    const { record } = this;
    const ecs = ecsPart(record);
    const d = observation.deployment;
    switch (change.type) {
      case 'status':
        record.status = change.to;
        this.line(`Service deployment: ${change.from ? `${change.from} → ` : ''}${change.to}`);
        if (change.reason && change.to !== 'IN_PROGRESS' && change.to !== 'PENDING') {
          ecs.statusReason = change.reason;
          this.line(`  ${change.reason}`);
        }
        break;
      case 'rollback-started':
        ecs.rollbackStage = change.stage;
        ecs.rollbackReason = change.reason;
        this.line(
          `↩ rollback started${change.stage ? ` in ${change.stage}` : ''}${change.reason ? `: ${change.reason}` : ''}`,
        );
        break;
      case 'stage-started':
        ecs.stages.push({
          name: change.stage,
          status: 'InProgress',
          rollback: change.rollback,
          seenAt: observation.at,
        });
        this.line(`▶ ${change.rollback ? 'rollback ' : ''}${change.stage}`);
        if (change.stage === 'BAKE_TIME' && !change.rollback) {
          const minutes = d.deploymentConfiguration?.bakeTimeInMinutes ?? 0;
          this.line(
            `  bake time: both revisions run, production on the new one, until ${utcClock(observation.at + minutes * 60_000)} (${minutes} min)`,
          );
        }
        break;
      case 'stage-finished': {
        const open = this.openStage(change.stage, change.rollback);
        if (open) {
          open.status = 'Done';
          open.endedAt = observation.at;
        }
        const took = open?.seenAt !== undefined ? formatDuration(observation.at - open.seenAt) : '–';
        this.line(`✔ ${change.rollback ? 'rollback ' : ''}${change.stage} (${took})`);
        break;
      }
      case 'stages-passed':
        for (const stage of change.stages) {
          ecs.stages.push({ name: stage, status: 'Passed', rollback: false, endedAt: observation.at });
          this.line(`✔ ${stage} (between two looks)`);
        }
        break;
      case 'traffic':
        ecs.traffic.push({ at: observation.at, test: change.test, production: change.production });
        this.line(`⇄ traffic ${shareBar(change.production)} ${describeEcsWeights(change)}`);
        break;
      case 'tasks': {
        const source = change.source.filter((s) => s.requested > 0 || s.running > 0);
        this.line(
          `  new revision: ${describeCounts(change.target)}${source.length ? ` · old: ${source.map(describeCounts).join(', ')}` : ''}`,
        );
        break;
      }
      case 'hook': {
        ecs.hooks.push({
          hookId: change.hookId,
          stage: change.stage,
          targetType: change.targetType,
          status: change.status,
          expiresAt: change.expiresAt,
        });
        const what =
          change.targetType === 'PAUSE'
            ? `pause hook ${change.hookId}`
            : `hook ${change.targetArn?.split(':').pop() ?? change.hookId}`;
        const expires =
          change.status === 'AWAITING_ACTION' && change.expiresAt instanceof Date
            ? ` until ${utcClock(change.expiresAt.getTime())}${d.lifecycleHookDetails?.find((h) => h.hookId === change.hookId)?.timeoutAction ? ` (then ${d.lifecycleHookDetails.find((h) => h.hookId === change.hookId)?.timeoutAction})` : ''}`
            : '';
        const icon = HOOK_ICONS.get(change.status) ?? '✖';
        this.line(
          `  ${icon} ${what}${change.stage ? ` at ${change.stage}` : ''}: ${change.status}${expires}`,
        );
        break;
      }
      case 'circuit-breaker':
        this.line(
          `  circuit breaker ${change.status}${change.failureCount !== undefined ? `: ${change.failureCount}${change.threshold !== undefined ? `/${change.threshold}` : ''} failed tasks` : ''}`,
        );
        break;
      case 'alarms':
        this.line(
          `  alarms ${change.status}${change.triggered.length ? `: ${change.triggered.join(', ')}` : ''}`,
        );
        break;
    }
  };

  /** Takes the final state into the record. */
  absorb(observation: EcsObservation | undefined): void {
    if (!observation) return;
    this.record.status = observation.deployment.status ?? this.record.status;
    if (observation.deployment.statusReason)
      ecsPart(this.record).statusReason = observation.deployment.statusReason;
  }

  /** The failure, as an error annotation (a warning with `level` warning: someone else's deployment). */
  reportFailure(d: ServiceDeployment | undefined, level: 'error' | 'warning' = 'error'): void {
    const { record } = this;
    const ecs = ecsPart(record);
    const status = d?.status ?? record.status ?? 'failed';
    const lines = [`ECS service deployment ${record.deploymentId} ended ${status}.`];
    const reason = d?.statusReason ?? ecs.statusReason;
    if (reason) lines.push(`ECS: ${reason}`);
    if (ecs.rollbackStage || ecs.rollbackReason)
      lines.push(
        `Rolled back from ${ecs.rollbackStage ?? 'an unknown stage'}${ecs.rollbackReason && ecs.rollbackReason !== reason ? `: ${ecs.rollbackReason}` : ''}.`,
      );
    const failedHooks = ecs.hooks.filter((h) => ['FAILED', 'TIMED_OUT'].includes(h.status));
    for (const hook of failedHooks)
      lines.push(`Hook ${hook.hookId}${hook.stage ? ` at ${hook.stage}` : ''}: ${hook.status}.`);
    const cb = d?.deploymentCircuitBreaker;
    if (cb?.status === 'TRIGGERED')
      lines.push(
        `Circuit breaker triggered: ${cb.failureCount ?? '?'} failed tasks (threshold ${cb.threshold ?? '?'}).`,
      );
    if (d?.alarms?.status === 'TRIGGERED')
      lines.push(`Alarms: ${(d.alarms.triggeredAlarmNames ?? []).join(', ')}.`);
    lines.push(ecsConsoleUrl(record.deploymentId));
    const title = `ECS service deployment ${status}`;
    if (level === 'error') this.log.error(lines.join('\n'), { title });
    else this.log.warning(`${title}: ${lines.join('\n')}`);
  }
}
