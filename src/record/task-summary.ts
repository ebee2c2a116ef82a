/**
 * The job summary when no deployment is followed: a register-only run (no `service`), and a one-off task
 * (run-task) that failed before the service was touched. Text from AWS (stopped reasons, container
 * reasons) goes through the Markdown kit (escapeMarkdown, code) like every other summary.
 */
import { code, escapeMarkdown } from './summary.js';

/** One container of a stopped one-off task, as the summary shows it. */
export interface OneOffContainer {
  name: string;
  essential: boolean;
  exitCode?: number;
  /** ECS's reason for the container (untrusted text) */
  reason?: string;
}

/** One one-off task and how it ended (what was seen of it last). */
export interface OneOffTaskRecord {
  taskArn: string;
  link: string;
  lastStatus?: string;
  stopCode?: string;
  /** ECS's stopped reason (untrusted text) */
  stoppedReason?: string;
  containers: OneOffContainer[];
}

export interface OneOffRecord {
  taskDefinitionArn: string;
  startedBy: string;
  /** whether the action waited for the task to stop (wait-for-task-stopped) */
  waited: boolean;
  tasks: OneOffTaskRecord[];
}

export interface NoDeploymentSummary {
  ok: boolean;
  /** the heading after the icon, written by the action */
  title: string;
  /** the verdict sentence (may hold AWS text: escaped) */
  verdict: string;
  taskDefinitionArn: string;
  images: Array<{ container: string; image: string }>;
  oneOff?: OneOffRecord;
}

function exitCell(container: OneOffContainer): string {
  return container.exitCode === undefined ? 'none' : String(container.exitCode);
}

/** The one-off task's section: each task, its stopped reason and its containers' exit codes. */
export function oneOffSection(oneOff: OneOffRecord): string[] {
  const out = ['### One-off task (run-task)', ''];
  out.push(
    `Started by ${code(oneOff.startedBy)} on ${code(oneOff.taskDefinitionArn)}${oneOff.waited ? '' : '; not waited for (wait-for-task-stopped is not true)'}.`,
    '',
  );
  for (const task of oneOff.tasks) {
    out.push(
      `- [${escapeMarkdown(task.taskArn.split('/').pop() ?? task.taskArn)}](${task.link}): ${escapeMarkdown(task.lastStatus ?? 'status unknown')}${task.stopCode ? ` (${escapeMarkdown(task.stopCode)})` : ''}${task.stoppedReason ? ` — ${escapeMarkdown(task.stoppedReason)}` : ''}`,
    );
  }
  out.push('');
  const containers = oneOff.tasks.flatMap((t) => t.containers);
  if (oneOff.waited && containers.length > 0) {
    out.push('| Container | Essential | Exit code | Reason |', '|---|---|---|---|');
    for (const c of containers)
      out.push(
        `| ${code(c.name)} | ${c.essential ? 'yes' : 'no'} | ${exitCell(c)} | ${c.reason ? escapeMarkdown(c.reason) : ''} |`,
      );
    out.push('');
  }
  return out;
}

export function renderNoDeploymentSummary(s: NoDeploymentSummary): string {
  const out = [`## ${s.ok ? '✅' : '❌'} ${s.title}`, '', `**${escapeMarkdown(s.verdict)}**`, ''];
  out.push('| | |', '|---|---|', `| Task definition | ${code(s.taskDefinitionArn)} |`);
  for (const { container, image } of s.images)
    out.push(`| Image (${escapeMarkdown(container)}) | ${code(image)} |`);
  out.push('');
  if (s.oneOff) out.push(...oneOffSection(s.oneOff));
  return out.join('\n');
}
