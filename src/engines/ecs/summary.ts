/** The job summary of an ECS service deployment: verdict, what was deployed, the stages, traffic, and why it failed. */
import { code, escapeMarkdown, installDiagnosisSection, VERDICT_ICONS } from '../codedeploy/summary.js';
import { formatDuration } from '../../record/format.js';
import type { DeploymentRecord } from '../../record/record.js';
import { describeEcsWeights, ecsPart } from './reporter.js';
import { ecsConsoleUrl } from './engine.js';

const STRATEGY_NAMES: Record<string, string> = {
  BLUE_GREEN: 'blue/green',
  LINEAR: 'linear',
  CANARY: 'canary',
  ROLLING: 'rolling',
};

export function renderEcsJobSummary(record: DeploymentRecord): string {
  const ecs = ecsPart(record);
  const verdict = record.verdict ?? 'not-followed';
  const out: string[] = [];
  out.push(
    `## ${VERDICT_ICONS[verdict]} ECS ${STRATEGY_NAMES[ecs.strategy] ?? escapeMarkdown(ecs.strategy)} deployment of ${code(`${record.cluster}/${record.service}`)}`,
    '',
  );
  if (record.verdictText) out.push(`**${escapeMarkdown(record.verdictText)}**`, '');
  out.push('| | |', '|---|---|');
  const id = record.deploymentId.split('/').pop() ?? record.deploymentId;
  out.push(
    `| Service deployment | [${escapeMarkdown(id)}](${ecsConsoleUrl(record.deploymentId)}) · ${escapeMarkdown(record.status ?? 'PENDING')} |`,
  );
  out.push(`| Strategy | ${code(ecs.strategy)} |`);
  out.push(`| Task definition | ${code(record.taskDefinitionArn)} |`);
  for (const { container, image } of record.images)
    out.push(`| Image (${escapeMarkdown(container)}) | ${code(image)} |`);
  out.push(`| Waited until | ${code(record.waitUntil)} |`);
  if (record.finishedAt !== undefined)
    out.push(`| Time followed | ${formatDuration(record.finishedAt - record.startedAt)} |`);
  if (ecs.rollbackStage || ecs.rollbackReason)
    out.push(
      `| Rollback | from ${escapeMarkdown(ecs.rollbackStage ?? '?')}${ecs.rollbackReason ? `: ${escapeMarkdown(ecs.rollbackReason)}` : ''} |`,
    );
  out.push('');

  if (record.testGate) {
    const gate = record.testGate;
    out.push('### Test-traffic gate', '');
    out.push(
      `${gate.outcome === 'passed' ? '✅' : '❌'} ${code(gate.command)} — ${escapeMarkdown(gate.outcome)}${gate.exitCode !== undefined ? ` (exit ${gate.exitCode})` : ''}${gate.durationMs !== undefined ? ` in ${formatDuration(gate.durationMs)}` : ''}${gate.testUrl ? ` against ${escapeMarkdown(gate.testUrl)}` : ''}`,
      '',
    );
  }

  if (ecs.stages.length > 0) {
    out.push('### Lifecycle stages', '');
    out.push('| Stage | Status | After | Took |', '|---|---|---|---|');
    for (const stage of ecs.stages) {
      const icon = stage.status === 'InProgress' ? '⏳' : stage.status === 'Passed' ? '↷' : '✅';
      const status =
        stage.status === 'Passed' ? 'passed between looks' : stage.status === 'Done' ? 'done' : 'in progress';
      const seen = stage.seenAt ?? stage.endedAt;
      out.push(
        `| ${stage.rollback ? 'rollback ' : ''}${escapeMarkdown(stage.name)} | ${icon} ${status} | ${seen !== undefined ? formatDuration(seen - record.startedAt) : '–'} | ${stage.seenAt !== undefined && stage.endedAt !== undefined ? formatDuration(stage.endedAt - stage.seenAt) : '–'} |`,
      );
    }
    out.push('');
  }

  if (ecs.traffic.length > 0) {
    out.push('### Traffic shift', '');
    out.push('| After | Weights |', '|---|---|');
    for (const step of ecs.traffic)
      out.push(
        `| ${formatDuration(step.at - record.startedAt)} | ${escapeMarkdown(describeEcsWeights(step))} |`,
      );
    out.push('');
  }

  out.push(
    ...installDiagnosisSection(record, {
      title: "Why the new revision's tasks do not start",
      group: 'Target revision',
    }),
  );

  const failing =
    verdict === 'failed' || verdict === 'stopped' || verdict === 'timeout' || verdict === 'cancelled';
  if (failing) {
    out.push('### Why', '');
    if (ecs.statusReason) out.push(`- ECS: ${escapeMarkdown(ecs.statusReason)}`);
    for (const hook of ecs.hooks.filter((h) => ['FAILED', 'TIMED_OUT'].includes(h.status)))
      out.push(
        `- Hook ${escapeMarkdown(hook.hookId)}${hook.stage ? ` at ${hook.stage}` : ''}: ${hook.status}`,
      );
  }
  for (const note of record.notes) out.push(`- ${escapeMarkdown(note)}`);
  if (failing || record.notes.length > 0) out.push('');
  return out.join('\n');
}
