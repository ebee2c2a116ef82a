/** The job summary's ECS parts (the frame is src/record/summary.ts): the strategy, the stages, traffic, why it failed. */
import type { SummaryParts } from '../../engine/engine.js';
import { formatDuration } from '../../record/format.js';
import type { DeploymentRecord } from '../../record/record.js';
import { codeCell, escapeMarkdown, link } from '../../record/summary.js';
import { describeEcsWeights, ecsPart } from './reporter.js';
import { ecsConsoleUrl } from './reads.js';

const STRATEGY_NAMES: Record<string, string> = {
  BLUE_GREEN: 'blue/green',
  LINEAR: 'linear',
  CANARY: 'canary',
  ROLLING: 'rolling',
};

export function ecsSummary(record: DeploymentRecord): SummaryParts {
  const ecs = ecsPart(record);
  const id = record.deploymentId.split('/').pop() ?? record.deploymentId;
  const moreRows: Array<[string, string]> = [];
  if (ecs.rollbackStage || ecs.rollbackReason)
    moreRows.push([
      'Rollback',
      `from ${escapeMarkdown(ecs.rollbackStage ?? '?')}${ecs.rollbackReason ? `: ${escapeMarkdown(ecs.rollbackReason)}` : ''}`,
    ]);
  if (ecs.replacedBy) moreRows.push(['Replaced by', codeCell(ecs.replacedBy)]);

  const sections: string[] = [];
  if (ecs.stages.length > 0) {
    sections.push('### Lifecycle stages', '');
    sections.push('| Stage | Status | After | Took |', '|---|---|---|---|');
    for (const stage of ecs.stages) {
      const icon = stage.status === 'InProgress' ? '⏳' : stage.status === 'Passed' ? '↷' : '✅';
      const status =
        stage.status === 'Passed' ? 'passed between looks' : stage.status === 'Done' ? 'done' : 'in progress';
      const seen = stage.seenAt ?? stage.endedAt;
      sections.push(
        `| ${stage.rollback ? 'rollback ' : ''}${escapeMarkdown(stage.name)} | ${icon} ${status} | ${seen !== undefined ? formatDuration(seen - record.startedAt) : '–'} | ${stage.seenAt !== undefined && stage.endedAt !== undefined ? formatDuration(stage.endedAt - stage.seenAt) : '–'} |`,
      );
    }
    sections.push('');
  }
  if (ecs.traffic.length > 0) {
    sections.push('### Traffic shift', '');
    sections.push('| After | Weights |', '|---|---|');
    for (const step of ecs.traffic)
      sections.push(
        `| ${formatDuration(step.at - record.startedAt)} | ${escapeMarkdown(describeEcsWeights(step))} |`,
      );
    sections.push('');
  }

  const why: string[] = [];
  if (ecs.statusReason) why.push(`- ECS: ${escapeMarkdown(ecs.statusReason)}`);
  for (const hook of ecs.hooks.filter((h) => ['FAILED', 'TIMED_OUT'].includes(h.status)))
    why.push(
      `- Hook ${escapeMarkdown(hook.hookId)}${hook.stage ? ` at ${escapeMarkdown(hook.stage)}` : ''}: ${escapeMarkdown(hook.status)}`,
    );

  return {
    title: `ECS ${STRATEGY_NAMES[ecs.strategy] ?? escapeMarkdown(ecs.strategy)} deployment of`,
    deploymentLabel: 'Service deployment',
    deploymentCell: `${link(id, ecsConsoleUrl(record.deploymentId))} · ${escapeMarkdown(record.status ?? 'PENDING')}`,
    rows: [['Strategy', codeCell(ecs.strategy)]],
    moreRows,
    sections,
    diagnosis: { title: "Why the new revision's tasks do not start", group: 'Target revision' },
    why,
    after: [],
  };
}
