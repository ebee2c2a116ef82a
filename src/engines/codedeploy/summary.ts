/** The job summary a reviewer reads at a glance: verdict, what was deployed, the lifecycle, traffic, and why it failed. */
import { consoleUrl } from '../../aws/console-url.js';
import { describeDiagnostics, describeRecordWeights, eventDurationMs, formatDuration } from '../../record/format.js';
import { orderedEvents, type DeploymentRecord } from '../../record/record.js';
import { describeCounts, describeReason } from './diagnostics.js';

/** The summary heading's icon for each verdict (the CodeDeploy and the ECS summary). */
export const VERDICT_ICONS: Record<NonNullable<DeploymentRecord['verdict']>, string> = {
  succeeded: '✅',
  reached: '✅',
  failed: '❌',
  stopped: '🛑',
  timeout: '⏱️',
  cancelled: '🛑',
  'not-followed': '🚀',
};

/** A lifecycle event's icon by its status; any other status: '·'. */
const EVENT_ICONS = new Map<string | undefined, string>([
  ['Succeeded', '✅'],
  ['Failed', '❌'],
  ['InProgress', '⏳'],
  ['Skipped', '↷'],
]);

export function escapeMarkdown(text: string): string {
  return text.replace(/[|\\`*_<>[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

/** Inline code in the summary, with no backtick that could end it. */
export function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``;
}

function time(date: Date | undefined): string {
  return date instanceof Date ? date.toISOString().slice(11, 19) : '–';
}

export function renderJobSummary(record: DeploymentRecord): string {
  const verdict = record.verdict ?? 'not-followed';
  const out: string[] = [];
  out.push(
    `## ${VERDICT_ICONS[verdict]} ${record.isRollback ? 'Rollback of' : 'ECS blue/green deployment of'} ${code(`${record.cluster}/${record.service}`)}`,
  );
  out.push('');
  if (record.verdictText) out.push(`**${escapeMarkdown(record.verdictText)}**`, '');

  out.push('| | |', '|---|---|');
  out.push(
    `| Deployment | [${record.deploymentId}](${consoleUrl(record.region, record.deploymentId)}) · ${escapeMarkdown(record.status ?? 'Created')} |`,
  );
  out.push(`| Application / group | ${code(record.application)} / ${code(record.deploymentGroup)} |`);
  out.push(`| Task definition | ${code(record.taskDefinitionArn)} |`);
  for (const { container, image } of record.images)
    out.push(`| Image (${escapeMarkdown(container)}) | ${code(image)} |`);
  if (record.deploymentConfig) out.push(`| Deployment config | ${code(record.deploymentConfig)} |`);
  out.push(`| Waited until | ${code(record.waitUntil)} |`);
  if (record.finishedAt !== undefined)
    out.push(`| Time followed | ${formatDuration(record.finishedAt - record.startedAt)} |`);
  if (record.rollback) {
    out.push(
      `| Rollback | [${record.rollback.deploymentId}](${consoleUrl(record.region, record.rollback.deploymentId)}) · ${escapeMarkdown(record.rollback.status ?? 'started')} |`,
    );
  }
  out.push('');

  if (record.testGate) {
    const gate = record.testGate;
    out.push('### Test-traffic gate', '');
    out.push(
      `${gate.outcome === 'passed' ? '✅' : '❌'} ${code(gate.command)} — ${escapeMarkdown(gate.outcome)}${gate.exitCode !== undefined ? ` (exit ${gate.exitCode})` : ''}${gate.durationMs !== undefined ? ` in ${formatDuration(gate.durationMs)}` : ''}${gate.testUrl ? ` against ${gate.testUrl}` : ''}`,
      '',
    );
  }

  if (record.events.size > 0) {
    out.push('### Lifecycle events', '');
    out.push('| Event | Status | Started (UTC) | Duration |', '|---|---|---|---|');
    for (const event of orderedEvents(record)) {
      const icon = EVENT_ICONS.get(event.status) ?? '·';
      out.push(
        `| ${event.name} | ${icon} ${event.status} | ${time(event.startTime)} | ${formatDuration(eventDurationMs(event))} |`,
      );
    }
    out.push('');
  }

  if (record.traffic.length > 0) {
    out.push('### Traffic shift', '');
    out.push('| After | Weights |', '|---|---|');
    for (const step of record.traffic) {
      out.push(
        `| ${formatDuration(step.at - record.startedAt)} | ${escapeMarkdown(describeRecordWeights(record, step.weights))} |`,
      );
    }
    out.push('');
  }

  out.push(...installDiagnosisSection(record));

  if (verdict === 'failed' || verdict === 'stopped' || verdict === 'timeout' || verdict === 'cancelled') {
    out.push('### Why', '');
    const failed = record.failedEvent;
    if (failed) {
      out.push(
        `- Lifecycle event **${failed.name}** ${failed.status.toLowerCase()}${describeDiagnostics(failed) ? `: ${escapeMarkdown(describeDiagnostics(failed))}` : ''}`,
      );
    }
    if (record.errorInformation?.code || record.errorInformation?.message) {
      out.push(
        `- CodeDeploy: ${escapeMarkdown([record.errorInformation.code, record.errorInformation.message].filter(Boolean).join(': '))}`,
      );
    }
    for (const note of record.notes) out.push(`- ${escapeMarkdown(note)}`);
    out.push('');
    const tail = failed?.diagnostics?.logTail;
    if (tail) {
      out.push(
        '<details><summary>Hook log tail</summary>',
        '',
        '```',
        tail.replace(/```/g, "'''"),
        '```',
        '',
        '</details>',
        '',
      );
    }
  } else if (record.notes.length > 0) {
    for (const note of record.notes) out.push(`- ${escapeMarkdown(note)}`);
    out.push('');
  }
  return out.join('\n');
}

/**
 * What ECS said about new tasks that did not become healthy (a CodeDeploy replacement task set; with
 * `labels`, an ECS target revision — ecs-summary.ts): each distinct reason once.
 */
export function installDiagnosisSection(
  record: DeploymentRecord,
  labels = { title: 'Why the replacement task set is not healthy', group: 'Replacement task set' },
): string[] {
  const diagnosis = record.installDiagnosis;
  if (!diagnosis || (!diagnosis.replacement && diagnosis.reasons.length === 0)) return [];
  const out = [`### ${labels.title}`, ''];
  if (diagnosis.replacement)
    out.push(
      `${labels.group} ${code(diagnosis.replacement.id)}: ${escapeMarkdown(describeCounts(diagnosis.replacement))}.`,
      '',
    );
  if (diagnosis.reasons.length > 0) {
    out.push('| What ECS says | Seen |', '|---|---|');
    for (const reason of diagnosis.reasons) {
      const unit = reason.kind === 'stopped-task' ? 'task' : 'event';
      out.push(
        `| ${escapeMarkdown(describeReason(reason))} | ${reason.count} ${unit}${reason.count === 1 ? '' : 's'} |`,
      );
    }
    out.push('');
  } else out.push('ECS named no reason (no stopped task, no service event) yet.', '');
  if (diagnosis.notShown.size > 0)
    out.push(`${diagnosis.notShown.size} more distinct reasons are not shown.`, '');
  return out;
}
