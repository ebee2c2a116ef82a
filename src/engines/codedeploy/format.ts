/** CodeDeploy's formatters for the log and the job summary: task set weights, lifecycle event details. */
import type { LifecycleEvent } from '@aws-sdk/client-codedeploy';
import type { CodeDeployRecordPart, TaskSetWeight } from '../../record/record.js';
import { shareBar } from '../../record/format.js';
import { describeWeights } from './progress.js';

/** The task sets' weights in words a reader of this record takes the right way. */
export function describeRecordWeights(
  part: Pick<CodeDeployRecordPart, 'isRollback'> | undefined,
  weights: TaskSetWeight[],
): string {
  if (!part?.isRollback) return describeWeights(weights);
  return describeWeights(
    weights.map((w) => ({
      ...w,
      label: w.label === 'Green' ? 'original' : w.label === 'Blue' ? 'rolled-back replacement' : w.label,
    })),
  );
}

export function eventDurationMs(event: { startTime?: Date; endTime?: Date }): number | undefined {
  if (!(event.startTime instanceof Date) || !(event.endTime instanceof Date)) return undefined;
  return event.endTime.getTime() - event.startTime.getTime();
}

/** `[██░░…]` for the replacement (Green) task set's share. */
export function trafficBar(weights: TaskSetWeight[], width = 20): string {
  return shareBar(weights.find((w) => w.label === 'Green')?.weight ?? 0, width);
}

export function describeDiagnostics(event: { diagnostics?: LifecycleEvent['diagnostics'] }): string {
  const d = event.diagnostics;
  if (!d) return '';
  const parts = [d.errorCode, d.scriptName ? `hook ${d.scriptName}` : undefined, d.message].filter(
    (part): part is string => typeof part === 'string' && part !== '',
  );
  return parts.join(' — ');
}
