/**
 * ECS tasks, as far as the action needs them to explain a stuck Install: ListTasks, DescribeTasks and the
 * service events of DescribeServices. Tasks are not stored: they are derived from the task sets on the
 * virtual clock. A healthy set has `runningCount` RUNNING tasks; a stuck set (faults.stuckInstall) starts
 * its tasks again every cycle and they stop with ECS's reasons. Sources: docs/aws-behaviours.md.
 */
import { createHash } from 'node:crypto';
import { ApiError, type JsonHandler } from './protocol.js';
import { clusterArn, epochSeconds, type EmulatorState, type Service, type TaskSet } from './state.js';

/** How long ECS keeps listing a stopped task ("at least one hour", ListTasks API reference). */
export const STOPPED_TASK_VISIBLE_MS = 3_600_000;

export interface EmulatedTask {
  taskArn: string;
  taskSet: TaskSet;
  service: Service;
  lastStatus: 'PENDING' | 'RUNNING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  createdAt: number;
  startedAt?: number;
  stoppedAt?: number;
  stoppedReason?: string;
  stopCode?: string;
  exitCode?: number;
  containerReason?: string;
}

function hex(seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, 32);
}

function taskArn(state: EmulatorState, cluster: string, seed: string): string {
  return `arn:aws:ecs:${state.region}:${state.accountId}:task/${cluster}/${hex(seed)}`;
}

/** Share of a cycle spent PENDING, and when (share of the cycle) the tasks stop, by cause. */
const PENDING_SHARE = 0.2;
const STOP_SHARE = { 'health-checks': 0.8, 'container-exits': 0.4 } as const;

interface Cycle {
  k: number;
  start: number;
}

function cycles(ts: TaskSet, now: number): Cycle[] {
  const stuck = ts.stuck;
  if (!stuck || now < stuck.since) return [];
  const out: Cycle[] = [];
  const last = Math.floor((now - stuck.since) / stuck.cycleMs);
  for (let k = last; k >= 0; k--) {
    const start = stuck.since + k * stuck.cycleMs;
    if (start + stuck.cycleMs < now - STOPPED_TASK_VISIBLE_MS) break;
    out.push({ k, start });
  }
  return out.reverse();
}

/** The tasks of one task set at `now`, oldest first. */
export function tasksOf(state: EmulatorState, svc: Service, ts: TaskSet, now: number): EmulatedTask[] {
  const n = ts.computedDesiredCount;
  const stuck = ts.stuck;
  if (!stuck) {
    return Array.from({ length: ts.runningCount }, (_, i) => ({
      taskArn: taskArn(state, svc.clusterName, `${ts.id}:running:${i}`),
      taskSet: ts,
      service: svc,
      lastStatus: 'RUNNING' as const,
      desiredStatus: 'RUNNING' as const,
      createdAt: ts.createdAt,
      startedAt: ts.createdAt,
    }));
  }
  if (stuck.cause === 'placement') return [];
  const out: EmulatedTask[] = [];
  for (const { k, start } of cycles(ts, now)) {
    const running = start + stuck.cycleMs * PENDING_SHARE;
    const stop = start + stuck.cycleMs * STOP_SHARE[stuck.cause];
    for (let i = 0; i < n; i++) {
      const arn = taskArn(state, svc.clusterName, `${ts.id}:${k}:${i}`);
      const base = { taskArn: arn, taskSet: ts, service: svc, createdAt: start };
      if (now < running) out.push({ ...base, lastStatus: 'PENDING', desiredStatus: 'RUNNING' });
      else if (now < stop)
        out.push({ ...base, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', startedAt: running });
      else if (stuck.cause === 'health-checks')
        out.push({
          ...base,
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          startedAt: running,
          stoppedAt: stop,
          stoppedReason: `Task failed ELB health checks in (target-group ${ts.targetGroupArn})`,
          stopCode: 'ServiceSchedulerInitiated',
          exitCode: 137,
        });
      else
        out.push({
          ...base,
          lastStatus: 'STOPPED',
          desiredStatus: 'STOPPED',
          startedAt: running,
          stoppedAt: stop,
          stoppedReason: 'Essential container in task exited',
          stopCode: 'EssentialContainerExited',
          exitCode: 1,
          containerReason: 'Error: connect ECONNREFUSED 10.0.1.23:5432',
        });
    }
  }
  return out;
}

/** Keep a stuck set's pending and running counts in step with its tasks (called as time advances). */
export function refreshStuckCounts(state: EmulatorState, svc: Service, ts: TaskSet, now: number): void {
  if (!ts.stuck) return;
  const current = tasksOf(state, svc, ts, now).filter((t) => t.desiredStatus === 'RUNNING');
  const pending = current.filter((t) => t.lastStatus === 'PENDING').length;
  const running = current.filter((t) => t.lastStatus === 'RUNNING').length;
  if (pending !== ts.pendingCount || running !== ts.runningCount) {
    ts.pendingCount = pending;
    ts.runningCount = running;
    ts.updatedAt = now;
  }
}

function eventId(seed: string): string {
  const h = hex(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** DescribeServices `events`: newest first, at most 100 (ECS keeps the 100 most recent). */
export function serviceEvents(
  state: EmulatorState,
  svc: Service,
  now: number,
): { id: string; createdAt: number; message: string }[] {
  const events: { id: string; at: number; message: string }[] = [];
  for (const ts of svc.taskSets) {
    const stuck = ts.stuck;
    if (!stuck) continue;
    // ECS-DG service-unhealthy-event-messages: "Fargate with taskSet: (service service-name, taskSet
    // taskSet-id) (task task-id) (port port-number) is unhealthy in (target-group …) due to (reason …)"
    const name = `(service ${svc.serviceName}, taskSet ${ts.id})`;
    for (const { k, start } of cycles(ts, now)) {
      if (stuck.cause === 'placement') {
        events.push({
          id: eventId(`${ts.id}:${k}:place`),
          at: start,
          message: `${name} was unable to place a task because no container instance met all of its requirements. Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.`,
        });
        continue;
      }
      const tasks = Array.from({ length: ts.computedDesiredCount }, (_, i) =>
        taskArn(state, svc.clusterName, `${ts.id}:${k}:${i}`).split('/').pop(),
      );
      events.push({
        id: eventId(`${ts.id}:${k}:started`),
        at: start,
        message: `${name} has started ${tasks.length} tasks: ${tasks.map((t) => `(task ${t})`).join(' ')}.`,
      });
      const stop = start + stuck.cycleMs * STOP_SHARE[stuck.cause];
      if (stuck.cause === 'health-checks' && stop <= now)
        tasks.forEach((task, i) =>
          events.push({
            id: eventId(`${ts.id}:${k}:${i}:unhealthy`),
            at: stop,
            message: `${name} (task ${task}) (port ${ts.containerPort}) is unhealthy in (target-group ${ts.targetGroupArn}) due to (reason Health checks failed).`,
          }),
        );
    }
  }
  return events
    .filter((e) => e.at <= now)
    .sort((a, b) => b.at - a.at)
    .slice(0, 100)
    .map((e) => ({ id: e.id, createdAt: epochSeconds(e.at), message: e.message }));
}

function clusterOf(state: EmulatorState, ref: unknown): string {
  const raw = typeof ref === 'string' && ref !== '' ? ref : 'default';
  const name = raw.startsWith('arn:') ? (raw.split('/').pop() ?? raw) : raw;
  if (!state.clusters.has(name)) throw new ApiError('ClusterNotFoundException', 'Cluster not found.');
  return name;
}

function allTasks(state: EmulatorState, cluster: string, now: number): EmulatedTask[] {
  return [...state.services.values()]
    .filter((s) => s.clusterName === cluster)
    .flatMap((s) => s.taskSets.flatMap((ts) => tasksOf(state, s, ts, now)));
}

function taskWire(state: EmulatorState, t: EmulatedTask): Record<string, unknown> {
  const td = t.taskSet.taskDefinition;
  const stopped = t.lastStatus === 'STOPPED';
  return {
    taskArn: t.taskArn,
    clusterArn: clusterArn(state, t.service.clusterName),
    taskDefinitionArn: td,
    startedBy: t.taskSet.id,
    group: `service:${t.service.serviceName}`,
    launchType: t.service.launchType,
    platformVersion: t.taskSet.platformVersion,
    platformFamily: 'Linux',
    lastStatus: t.lastStatus,
    desiredStatus: t.desiredStatus,
    healthStatus: 'UNKNOWN',
    connectivity: 'CONNECTED',
    availabilityZone: `${state.region}a`,
    createdAt: epochSeconds(t.createdAt),
    ...(t.startedAt !== undefined ? { startedAt: epochSeconds(t.startedAt) } : {}),
    ...(stopped && t.stoppedAt !== undefined
      ? {
          stoppingAt: epochSeconds(t.stoppedAt),
          stoppedAt: epochSeconds(t.stoppedAt),
          executionStoppedAt: epochSeconds(t.stoppedAt),
        }
      : {}),
    ...(t.stoppedReason !== undefined ? { stoppedReason: t.stoppedReason } : {}),
    ...(t.stopCode !== undefined ? { stopCode: t.stopCode } : {}),
    containers: [
      {
        containerArn: `${t.taskArn.replace(':task/', ':container/')}/${hex(`${t.taskArn}:c`)}`,
        taskArn: t.taskArn,
        name: t.taskSet.containerName,
        lastStatus: t.lastStatus,
        ...(stopped && t.exitCode !== undefined ? { exitCode: t.exitCode } : {}),
        ...(stopped && t.containerReason !== undefined ? { reason: t.containerReason } : {}),
        healthStatus: 'UNKNOWN',
        networkBindings: [],
      },
    ],
    version: stopped ? 5 : t.lastStatus === 'RUNNING' ? 3 : 2,
    tags: [],
  };
}

export function taskHandlers(state: EmulatorState): Record<string, JsonHandler> {
  return {
    ListTasks: (input, ctx) => {
      const cluster = clusterOf(state, input.cluster);
      const startedBy = typeof input.startedBy === 'string' ? input.startedBy : undefined;
      const others = ['serviceName', 'family', 'containerInstance', 'desiredStatus', 'launchType'].filter(
        (k) => input[k] !== undefined,
      );
      // "When you specify startedBy as the filter, it must be the only filter that you use." (ListTasks)
      if (startedBy !== undefined && others.length > 0)
        throw new ApiError(
          'InvalidParameterException',
          `startedBy must be the only filter of ListTasks; also given: ${others.join(', ')}.`,
        );
      const desired = typeof input.desiredStatus === 'string' ? input.desiredStatus : 'RUNNING';
      if (!['RUNNING', 'PENDING', 'STOPPED'].includes(desired))
        throw new ApiError('InvalidParameterException', `Invalid desiredStatus: ${desired}`);
      const serviceName = typeof input.serviceName === 'string' ? input.serviceName : undefined;
      if (serviceName !== undefined && !state.services.has(`${cluster}/${serviceName}`))
        throw new ApiError('ServiceNotFoundException', 'Service not found.');
      const family = typeof input.family === 'string' ? input.family : undefined;
      const tasks = allTasks(state, cluster, ctx.now).filter(
        (t) =>
          // desiredStatus "The default status filter is RUNNING" applies with startedBy too (ListTasks)
          t.desiredStatus === desired &&
          (startedBy === undefined || t.taskSet.id === startedBy) &&
          (serviceName === undefined || t.service.serviceName === serviceName) &&
          (family === undefined || t.taskSet.taskDefinition.split('/').pop()?.split(':')[0] === family),
      );
      const arns = tasks.reverse().map((t) => t.taskArn); // newest first
      const max = typeof input.maxResults === 'number' ? input.maxResults : 100;
      if (max < 1 || max > 100)
        throw new ApiError('InvalidParameterException', 'maxResults must be between 1 and 100.');
      const start =
        typeof input.nextToken === 'string' ? Number(Buffer.from(input.nextToken, 'base64').toString()) : 0;
      if (!Number.isInteger(start) || start < 0)
        throw new ApiError('InvalidParameterException', 'Invalid nextToken.');
      const next =
        start + max < arns.length ? Buffer.from(String(start + max)).toString('base64') : undefined;
      return { taskArns: arns.slice(start, start + max), ...(next ? { nextToken: next } : {}) };
    },
    DescribeTasks: (input, ctx) => {
      const cluster = clusterOf(state, input.cluster);
      const refs = input.tasks;
      if (!Array.isArray(refs) || refs.length === 0)
        throw new ApiError('InvalidParameterException', 'Tasks cannot be empty.');
      if (refs.length > 100)
        throw new ApiError('InvalidParameterException', 'The tasks list can contain at most 100 tasks.');
      const byId = new Map(allTasks(state, cluster, ctx.now).map((t) => [t.taskArn.split('/').pop(), t]));
      const tasks: Record<string, unknown>[] = [];
      const failures: Record<string, unknown>[] = [];
      for (const ref of refs) {
        const id = String(ref).split('/').pop();
        const t = byId.get(id);
        if (t) tasks.push(taskWire(state, t));
        else
          failures.push({
            arn: String(ref).startsWith('arn:')
              ? String(ref)
              : `arn:aws:ecs:${state.region}:${state.accountId}:task/${cluster}/${String(ref)}`,
            reason: 'MISSING',
          });
      }
      return { tasks, failures };
    },
  };
}
