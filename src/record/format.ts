/** Small formatters shared by the log and the job summary. */
import type { LifecycleEvent } from '@aws-sdk/client-codedeploy';
import { describeWeights, type TaskSetWeight } from '../engines/codedeploy/progress.js';
import type { DeploymentRecord } from './record.js';

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

export function clockLabel(ms: number): string {
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
