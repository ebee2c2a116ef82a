/** The job summary's CodeDeploy parts (the frame is src/record/summary.ts): the lifecycle, traffic, why it failed. */
import type { SummaryParts } from '../../engine/engine.js';
import { consoleUrl } from '../../aws/console-url.js';
import { formatDuration } from '../../record/format.js';
import type { DeploymentRecord, EventRecord } from '../../record/record.js';
import { codeCell, escapeMarkdown, fenced, link } from '../../record/summary.js';
import { describeDiagnostics, describeRecordWeights, eventDurationMs } from './format.js';
import { LIFECYCLE_EVENTS, lifecycleIndex } from './progress.js';

/** A lifecycle event's icon by its status; any other status: '·'. */
const EVENT_ICONS = new Map<string | undefined, string>([
  ['Succeeded', '✅'],
  ['Failed', '❌'],
  ['InProgress', '⏳'],
  ['Skipped', '↷'],
]);

function time(date: Date | undefined): string {
  return date instanceof Date ? date.toISOString().slice(11, 19) : '–';
}

/** The lifecycle events in order, including those CodeDeploy never reached (for the summary table). */
export function orderedEvents(events: Map<string, EventRecord>): EventRecord[] {
  const names = new Set<string>([...LIFECYCLE_EVENTS, ...events.keys()]);
  return [...names]
    .sort((a, b) => lifecycleIndex(a) - lifecycleIndex(b))
    .map((name) => events.get(name) ?? { name, status: 'Not reached' });
}

export function codeDeploySummary(record: DeploymentRecord): SummaryParts {
  const part = record.codedeploy;
  const rows: Array<[string, string]> = [];
  if (part)
    rows.push(['Application / group', `${codeCell(part.application)} / ${codeCell(part.deploymentGroup)}`]);
  const moreRows: Array<[string, string]> = [];
  if (part?.deploymentConfig) moreRows.push(['Deployment config', codeCell(part.deploymentConfig)]);
  if (record.rollback)
    moreRows.push([
      'Rollback',
      `${link(record.rollback.deploymentId, consoleUrl(record.region, record.rollback.deploymentId))} · ${escapeMarkdown(record.rollback.status ?? 'started')}`,
    ]);

  const sections: string[] = [];
  if (part && part.events.size > 0) {
    sections.push('### Lifecycle events', '');
    sections.push('| Event | Status | Started (UTC) | Duration |', '|---|---|---|---|');
    for (const event of orderedEvents(part.events)) {
      const icon = EVENT_ICONS.get(event.status) ?? '·';
      sections.push(
        `| ${escapeMarkdown(event.name)} | ${icon} ${escapeMarkdown(event.status)} | ${time(event.startTime)} | ${formatDuration(eventDurationMs(event))} |`,
      );
    }
    sections.push('');
  }
  if (part && part.traffic.length > 0) {
    sections.push('### Traffic shift', '');
    sections.push('| After | Weights |', '|---|---|');
    for (const step of part.traffic)
      sections.push(
        `| ${formatDuration(step.at - record.startedAt)} | ${escapeMarkdown(describeRecordWeights(part, step.weights))} |`,
      );
    sections.push('');
  }

  const why: string[] = [];
  const failed = part?.failedEvent;
  if (failed)
    why.push(
      `- Lifecycle event **${escapeMarkdown(failed.name)}** ${escapeMarkdown(failed.status.toLowerCase())}${describeDiagnostics(failed) ? `: ${escapeMarkdown(describeDiagnostics(failed))}` : ''}`,
    );
  const info = part?.errorInformation;
  if (info?.code || info?.message)
    why.push(`- CodeDeploy: ${escapeMarkdown([info.code, info.message].filter(Boolean).join(': '))}`);
  const after: string[] = [];
  const tail = failed?.diagnostics?.logTail;
  if (tail)
    after.push('<details><summary>Hook log tail</summary>', '', ...fenced(tail), '', '</details>', '');

  return {
    title: part?.isRollback ? 'Rollback of' : 'ECS blue/green deployment of',
    deploymentLabel: 'Deployment',
    deploymentCell: `${link(record.deploymentId, consoleUrl(record.region, record.deploymentId))} · ${escapeMarkdown(record.status ?? 'Created')}`,
    rows,
    moreRows,
    sections,
    diagnosis: { title: 'Why the replacement task set is not healthy', group: 'Replacement task set' },
    why,
    after,
  };
}
