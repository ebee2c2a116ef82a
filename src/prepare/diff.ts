import type {
  ContainerDefinition,
  RegisterTaskDefinitionCommandInput,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import { escapeMarkdown } from '../action/markdown.js';

export type ChangeKind = 'added' | 'removed' | 'changed';

export interface TaskDefinitionChange {
  field: string;
  kind: ChangeKind;
  before?: string;
  after?: string;
}

export interface TaskDefinitionDiff {
  hasChanges: boolean;
  changes: TaskDefinitionChange[];
}

type AnyTaskDefinition = RegisterTaskDefinitionCommandInput | TaskDefinition;

/** Display form of a value; undefined, empty lists and empty objects count as "not set". */
function show(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value))
    return value.length === 0 ? undefined : value.map((v) => show(v) ?? '').join(', ');
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return undefined;
    return entries.map(([k, v]) => `${k}=${show(v) ?? ''}`).join(', ');
  }
  return String(value);
}

function compare(
  changes: TaskDefinitionChange[],
  field: string,
  before: string | undefined,
  after: string | undefined,
): void {
  if (before === after) return;
  if (before === undefined) changes.push({ field, kind: 'added', after: after as string });
  else if (after === undefined) changes.push({ field, kind: 'removed', before });
  else changes.push({ field, kind: 'changed', before, after });
}

function ports(c: ContainerDefinition): string | undefined {
  const list = (c.portMappings ?? []).map(
    (p) =>
      `${p.containerPort ?? '?'}${p.hostPort !== undefined && p.hostPort !== p.containerPort ? `:${p.hostPort}` : ''}/${p.protocol ?? 'tcp'}`,
  );
  return list.length ? list.sort().join(', ') : undefined;
}

function diffContainer(
  changes: TaskDefinitionChange[],
  name: string,
  old: ContainerDefinition | undefined,
  after: ContainerDefinition,
): void {
  const at = (field: string) => `container ${name}: ${field}`;
  const before = old ?? {};
  compare(changes, at('image'), before.image, after.image);
  compare(changes, at('cpu'), show(before.cpu), show(after.cpu));
  compare(changes, at('memory'), show(before.memory), show(after.memory));
  compare(changes, at('memoryReservation'), show(before.memoryReservation), show(after.memoryReservation));
  compare(changes, at('portMappings'), ports(before), ports(after));
  compare(changes, at('command'), show(before.command), show(after.command));
  compare(changes, at('entryPoint'), show(before.entryPoint), show(after.entryPoint));
  // ECS treats a missing `essential` as true.
  compare(
    changes,
    at('essential'),
    old ? String(old.essential ?? true) : undefined,
    String(after.essential ?? true),
  );

  // Environment values may be secrets: compare them, never show them.
  const envBefore = new Map((before.environment ?? []).map((e) => [e.name ?? '', e.value]));
  const envAfter = new Map((after.environment ?? []).map((e) => [e.name ?? '', e.value]));
  for (const key of [...new Set([...envBefore.keys(), ...envAfter.keys()])].sort()) {
    const field = at(`environment ${key}`);
    if (!envAfter.has(key)) changes.push({ field, kind: 'removed', before: 'set' });
    else if (!envBefore.has(key)) changes.push({ field, kind: 'added', after: 'set' });
    else if ((envBefore.get(key) ?? '') !== (envAfter.get(key) ?? ''))
      changes.push({ field, kind: 'changed', before: 'set', after: 'value changed' });
  }
  // Secrets: valueFrom is an ARN or parameter name, not the secret itself.
  const secBefore = new Map((before.secrets ?? []).map((s) => [s.name ?? '', s.valueFrom]));
  const secAfter = new Map((after.secrets ?? []).map((s) => [s.name ?? '', s.valueFrom]));
  for (const key of [...new Set([...secBefore.keys(), ...secAfter.keys()])].sort()) {
    compare(changes, at(`secret ${key}`), secBefore.get(key), secAfter.get(key));
  }
}

/** What registering `next` changes compared with the `running` task definition (none: all added). */
export function diffTaskDefinitions(
  running: TaskDefinition | undefined,
  next: AnyTaskDefinition,
): TaskDefinitionDiff {
  const changes: TaskDefinitionChange[] = [];
  const before: AnyTaskDefinition = running ?? {};
  compare(changes, 'task cpu', show(before.cpu), show(next.cpu));
  compare(changes, 'task memory', show(before.memory), show(next.memory));
  compare(changes, 'taskRoleArn', before.taskRoleArn, next.taskRoleArn);
  compare(changes, 'executionRoleArn', before.executionRoleArn, next.executionRoleArn);
  compare(changes, 'networkMode', before.networkMode, next.networkMode);
  compare(
    changes,
    'requiresCompatibilities',
    show([...(before.requiresCompatibilities ?? [])].sort()),
    show([...(next.requiresCompatibilities ?? [])].sort()),
  );
  compare(changes, 'runtimePlatform', show(before.runtimePlatform), show(next.runtimePlatform));

  const beforeContainers = new Map((before.containerDefinitions ?? []).map((c) => [c.name ?? '?', c]));
  const afterContainers = new Map((next.containerDefinitions ?? []).map((c) => [c.name ?? '?', c]));
  for (const [name, container] of beforeContainers) {
    if (!afterContainers.has(name))
      changes.push({ field: `container ${name}`, kind: 'removed', before: container.image ?? '?' });
  }
  for (const [name, container] of afterContainers) {
    const old = beforeContainers.get(name);
    if (!old) {
      changes.push({ field: `container ${name}`, kind: 'added', after: container.image ?? '?' });
      diffContainer(changes, name, undefined, container);
    } else {
      diffContainer(changes, name, old, container);
    }
  }
  return { hasChanges: changes.length > 0, changes };
}

/** A value of the task definition (the user's file or what AWS runs): text, never Markdown or HTML. */
function escapeCell(value: string | undefined): string {
  if (value === undefined || value === '') return '—';
  return escapeMarkdown(value) || '—';
}

/** The diff as Markdown: a Field | Now | After deploy table plus deployment details. */
export function renderDiffMarkdown(
  diff: TaskDefinitionDiff,
  extras: { deploymentConfig?: string; imageDigest?: string; service?: string; cluster?: string },
): string {
  const lines: string[] = [];
  if (extras.service) {
    lines.push(
      `Service: ${escapeCell(extras.cluster ? `${extras.cluster}/${extras.service}` : extras.service)}`,
      '',
    );
  }
  if (!diff.hasChanges) {
    lines.push('No changes to the task definition.');
  } else {
    lines.push('| Field | Now | After deploy |', '| --- | --- | --- |');
    for (const change of diff.changes) {
      const now = change.kind === 'added' ? '(none)' : escapeCell(change.before);
      const after = change.kind === 'removed' ? '(removed)' : escapeCell(change.after);
      lines.push(`| ${escapeCell(change.field)} | ${now} | ${after} |`);
    }
  }
  if (extras.deploymentConfig || extras.imageDigest) lines.push('');
  if (extras.deploymentConfig) lines.push(`Deployment config: ${escapeCell(extras.deploymentConfig)}`);
  if (extras.imageDigest) lines.push(`Image digest: ${escapeCell(extras.imageDigest)}`);
  return lines.join('\n');
}
