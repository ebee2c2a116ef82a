import { findTaskDefinition, randomHex, type EmulatorState } from '../state.js';
import {
  type NativeService,
  type NativeRevision,
  type NativeTask,
  type NativeState,
  addEvent,
} from './model.js';

// ───────────────────────────── tasks ─────────────────────────────

export function launchTasks(
  state: EmulatorState,
  ns: NativeState,
  n: NativeService,
  rev: NativeRevision,
  count: number,
  at: number,
  startedBy: string,
  running = false,
): NativeTask[] {
  const td = findTaskDefinition(state, rev.taskDefinition);
  const containers = ((td?.body.containerDefinitions ?? []) as { name?: string; image?: string }[]).map(
    (c) => ({ name: c.name ?? 'app', image: c.image ?? '' }),
  );
  const out: NativeTask[] = [];
  for (let i = 0; i < count; i++) {
    const taskArn = `arn:aws:ecs:${state.region}:${state.accountId}:task/${n.cluster}/${randomHex(32)}`;
    const t: NativeTask = {
      taskArn,
      serviceKey: n.key,
      revisionArn: rev.arn,
      taskDefinitionArn: rev.taskDefinition,
      startedBy,
      lastStatus: running ? 'RUNNING' : 'PENDING',
      desiredStatus: 'RUNNING',
      createdAt: at,
      ...(running ? { startedAt: at } : {}),
      containers: containers.map((c) => ({ ...c })),
    };
    ns.tasks.set(taskArn, t);
    out.push(t);
  }
  if (!running && out.length)
    addEvent(
      n,
      at,
      `has started ${out.length} tasks: ${out.map((t) => `(task ${t.taskArn.split('/').pop()})`).join(' ')}.`,
    );
  return out;
}

export function tasksOf(ns: NativeState, revArn: string, status?: NativeTask['lastStatus']): NativeTask[] {
  return [...ns.tasks.values()].filter(
    (t) =>
      t.revisionArn === revArn &&
      (status === undefined ? t.lastStatus !== 'STOPPED' : t.lastStatus === status),
  );
}

export function stopTasks(
  n: NativeService,
  tasks: NativeTask[],
  at: number,
  reason: string,
  stopCode: string,
  exit?: { exitCode: number; reason?: string },
): void {
  if (!tasks.length) return;
  for (const t of tasks) {
    t.lastStatus = 'STOPPED';
    t.desiredStatus = 'STOPPED';
    t.stoppedAt = at;
    t.stoppedReason = reason;
    t.stopCode = stopCode;
    t.containers = t.containers.map((c) => ({
      ...c,
      exitCode: exit?.exitCode ?? 0,
      ...(exit?.reason ? { reason: exit.reason } : {}),
    }));
  }
  addEvent(
    n,
    at,
    `has stopped ${tasks.length} running tasks: ${tasks.map((t) => `(task ${t.taskArn.split('/').pop()})`).join(' ')}.`,
  );
}

export function counts(ns: NativeState, revArn: string): { running: number; pending: number } {
  let running = 0;
  let pending = 0;
  for (const t of ns.tasks.values()) {
    if (t.revisionArn !== revArn) continue;
    if (t.lastStatus === 'RUNNING') running++;
    else if (t.lastStatus === 'PENDING') pending++;
  }
  return { running, pending };
}
