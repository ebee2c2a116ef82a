/**
 * The job summary, for every engine: the one frame a reviewer reads at a glance — the verdict's icon and
 * sentence, what was deployed, the test gate, the engine's own sections (lifecycle events or stages,
 * traffic), why new tasks did not start, why it failed, and the notes — and the kit that keeps text the
 * action did not write inert (escapeMarkdown, code). The engine gives its parts (src/engine/engine.ts
 * SummaryParts); the frame and the words around them are written here once.
 */
import type { DeploymentRecord, TaskGroup, StuckReason, Verdict } from './record.js';
import { formatDuration } from './format.js';
import { healthSection } from './health-summary.js';
import { code, codeCell, escapeMarkdown } from '../action/markdown.js';

// The Markdown kit (src/action/markdown.ts, below every layer that writes Markdown: the plan's diff in prepare/
// uses it too), re-exported for the summary writers.
export {
  code,
  codeCell,
  escapeMarkdown,
  fenced,
  link,
  tableRow,
  visibleControls,
} from '../action/markdown.js';

/** The summary heading's icon for each verdict. */
export const VERDICT_ICONS: Record<Verdict, string> = {
  succeeded: '✅',
  reached: '✅',
  failed: '❌',
  stopped: '🛑',
  timeout: '⏱️',
  cancelled: '🛑',
  'not-followed': '🚀',
};

/** The verdicts that mean the deployment did not get where it was asked to. */
export function isFailingVerdict(verdict: Verdict | undefined): boolean {
  return verdict === 'failed' || verdict === 'stopped' || verdict === 'timeout' || verdict === 'cancelled';
}

/** What a summary frame needs of the engine (src/engine/engine.ts SummaryParts, repeated here: record/ imports no engine). */
export interface SummaryFrameParts {
  title: string;
  deploymentLabel: string;
  deploymentCell: string;
  rows: Array<[string, string]>;
  moreRows: Array<[string, string]>;
  sections: string[];
  diagnosis: { title: string; group: string };
  why: string[];
  after: string[];
}

export function renderJobSummary(record: DeploymentRecord, parts: SummaryFrameParts): string {
  const verdict = record.verdict ?? 'not-followed';
  const out: string[] = [];
  out.push(`## ${VERDICT_ICONS[verdict]} ${parts.title} ${code(`${record.cluster}/${record.service}`)}`, '');
  if (record.verdictText) out.push(`**${escapeMarkdown(record.verdictText)}**`, '');

  out.push('| | |', '|---|---|');
  out.push(`| ${parts.deploymentLabel} | ${parts.deploymentCell} |`);
  for (const [label, cell] of parts.rows) out.push(`| ${label} | ${cell} |`);
  out.push(`| Task definition | ${codeCell(record.taskDefinitionArn)} |`);
  for (const { container, image } of record.images)
    out.push(`| Image (${escapeMarkdown(container)}) | ${codeCell(image)} |`);
  for (const [label, cell] of parts.moreRows) out.push(`| ${label} | ${cell} |`);
  out.push(`| Waited until | ${codeCell(record.waitUntil)} |`);
  if (record.finishedAt !== undefined)
    out.push(`| Time followed | ${formatDuration(record.finishedAt - record.startedAt)} |`);
  out.push('');

  out.push(...testGateSection(record));
  out.push(...healthSection(record));
  out.push(...parts.sections);
  out.push(...tasksDiagnosisSection(record, parts.diagnosis));

  if (isFailingVerdict(verdict)) {
    out.push('### Why', '');
    out.push(...parts.why);
    for (const note of record.notes) out.push(`- ${escapeMarkdown(note)}`);
    out.push('');
    out.push(...parts.after);
  } else if (record.notes.length > 0) {
    for (const note of record.notes) out.push(`- ${escapeMarkdown(note)}`);
    out.push('');
  }
  return out.join('\n');
}

function testGateSection(record: DeploymentRecord): string[] {
  const gate = record.testGate;
  if (!gate) return [];
  return [
    '### Test-traffic gate',
    '',
    `${gate.outcome === 'passed' ? '✅' : '❌'} ${code(gate.command)} — ${escapeMarkdown(gate.outcome)}${gate.exitCode !== undefined ? ` (exit ${gate.exitCode})` : ''}${gate.durationMs !== undefined ? ` in ${formatDuration(gate.durationMs)}` : ''}${gate.testUrl ? ` against ${escapeMarkdown(gate.testUrl)}` : ''}`,
    '',
  ];
}

/** "0/2 running, 2 pending" (what is known). */
export function describeCounts(group: TaskGroup): string {
  const running =
    group.running === undefined ? undefined : `${group.running}/${group.desired ?? '?'} running`;
  const pending = group.pending ? `${group.pending} pending` : undefined;
  return [running, pending].filter(Boolean).join(', ') || 'counts unknown';
}

export function describeReason(reason: Pick<StuckReason, 'kind' | 'text'>): string {
  return `${reason.kind === 'stopped-task' ? 'Stopped task' : 'Service event'}: ${reason.text}`;
}

/** What ECS said about new tasks that did not become healthy: each distinct reason once. */
export function tasksDiagnosisSection(
  record: DeploymentRecord,
  labels: { title: string; group: string },
): string[] {
  const diagnosis = record.tasksDiagnosis;
  if (!diagnosis || (!diagnosis.group && diagnosis.reasons.length === 0)) return [];
  const out = [`### ${labels.title}`, ''];
  if (diagnosis.group)
    out.push(
      `${labels.group} ${code(diagnosis.group.id)}: ${escapeMarkdown(describeCounts(diagnosis.group))}.`,
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
