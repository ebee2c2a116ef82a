/**
 * One-off tasks (RunTask, outside any service) and DescribeTasks for them, on the virtual clock: what the
 * official action's run-task does before deploying (a database migration, say). A task walks PROVISIONING →
 * PENDING → RUNNING → STOPPED; how it ends is scripted by tests (`script`): each container's exit code, or a
 * start failure (stopCode TaskFailedToStart, no exit codes), or a RunTask failure instead of a task. Sources
 * and what is unconfirmed: docs/aws-behaviours.md, "One-off tasks (RunTask)".
 *
 * The state lives beside the shared EmulatorState (a WeakMap keyed by it), like emulator/ecs-native/.
 */
import { ApiError, type JsonHandler } from './protocol.js';
import { clusterArn, epochSeconds, findTaskDefinition, uuid, type EmulatorState } from './state.js';

export interface OneOffScript {
  /** exit code per container name; a container not named exits 0 */
  exitCodes?: Record<string, number>;
  /** how long the task runs once RUNNING, in virtual ms (default 20 s) */
  runMs?: number;
  /** the task fails to start with this reason (e.g. "CannotPullContainerError: …"): no container exit codes */
  failToStart?: string;
  /** RunTask answers this failure instead of starting a task */
  failure?: { reason: string; detail?: string };
}

export interface OneOffTask {
  taskArn: string;
  cluster: string;
  taskDefinitionArn: string;
  containers: string[];
  /** the RunTask request as received, for tests to look at */
  request: Record<string, unknown>;
  createdAt: number;
  script: OneOffScript;
}

export interface OneOffControl {
  /** how the next one-off tasks end (until changed) */
  script(s: OneOffScript): void;
  /** every one-off task started, oldest first */
  tasks(): OneOffTask[];
}

interface OneOffState {
  script: OneOffScript;
  tasks: Map<string, OneOffTask>;
  /** clientToken → the task ARNs it started (RunTask idempotency) */
  tokens: Map<string, string[]>;
}

const states = new WeakMap<EmulatorState, OneOffState>();

function stateOf(state: EmulatorState): OneOffState {
  let s = states.get(state);
  if (!s) {
    s = { script: {}, tasks: new Map(), tokens: new Map() };
    states.set(state, s);
  }
  return s;
}

/** Seconds of each step before RUNNING (virtual), [U]: real tasks take what the image pull and placement take. */
const PROVISIONING_MS = 2_000;
const PENDING_MS = 3_000;
const DEFAULT_RUN_MS = 20_000;
const LAUNCH_TYPES = ['EC2', 'FARGATE', 'EXTERNAL', 'MANAGED_INSTANCES'];
/** RunTask startedBy: "Up to 128 letters (uppercase and lowercase), numbers, hyphens (-), forward slash (/), and underscores (_)". */
const STARTED_BY = /^[A-Za-z0-9/_-]{1,128}$/;

function invalid(message: string): ApiError {
  return new ApiError('InvalidParameterException', message);
}

function clusterName(state: EmulatorState, ref: unknown): string {
  const raw = typeof ref === 'string' && ref !== '' ? ref : 'default';
  const name = raw.startsWith('arn:') ? (raw.split('/').pop() ?? raw) : raw;
  if (!state.clusters.has(name)) throw new ApiError('ClusterNotFoundException', 'Cluster not found.');
  return name;
}

function statusAt(t: OneOffTask, now: number): { last: string; stoppedAt?: number; startedAt?: number } {
  const age = now - t.createdAt;
  const started = t.createdAt + PROVISIONING_MS + PENDING_MS;
  if (t.script.failToStart) {
    if (age < PROVISIONING_MS) return { last: 'PROVISIONING' };
    if (age < PROVISIONING_MS + PENDING_MS) return { last: 'PENDING' };
    return { last: 'STOPPED', stoppedAt: started };
  }
  const stops = started + (t.script.runMs ?? DEFAULT_RUN_MS);
  if (age < PROVISIONING_MS) return { last: 'PROVISIONING' };
  if (now < started) return { last: 'PENDING' };
  if (now < stops) return { last: 'RUNNING', startedAt: started };
  return { last: 'STOPPED', startedAt: started, stoppedAt: stops };
}

function taskWire(
  state: EmulatorState,
  t: OneOffTask,
  now: number,
  withTags: boolean,
): Record<string, unknown> {
  const { last, startedAt, stoppedAt } = statusAt(t, now);
  const stopped = last === 'STOPPED';
  const failed = t.script.failToStart;
  const id = t.taskArn.split('/').pop();
  const request = t.request;
  return {
    taskArn: t.taskArn,
    clusterArn: clusterArn(state, t.cluster),
    taskDefinitionArn: t.taskDefinitionArn,
    group: `family:${t.taskDefinitionArn.split('/').pop()?.split(':')[0]}`,
    startedBy: request.startedBy,
    lastStatus: last,
    desiredStatus: stopped ? 'STOPPED' : 'RUNNING',
    launchType: request.capacityProviderStrategy ? undefined : (request.launchType ?? 'EC2'),
    ...(request.capacityProviderStrategy
      ? {
          capacityProviderName: (request.capacityProviderStrategy as { capacityProvider?: string }[])[0]
            ?.capacityProvider,
        }
      : {}),
    createdAt: epochSeconds(t.createdAt),
    ...(startedAt !== undefined ? { startedAt: epochSeconds(startedAt) } : {}),
    ...(stopped && stoppedAt !== undefined
      ? {
          stoppingAt: epochSeconds(stoppedAt),
          stoppedAt: epochSeconds(stoppedAt),
          executionStoppedAt: epochSeconds(stoppedAt),
          stopCode: failed ? 'TaskFailedToStart' : 'EssentialContainerExited',
          stoppedReason: failed ?? 'Essential container in task exited',
        }
      : {}),
    overrides: request.overrides ?? { containerOverrides: [] },
    containers: t.containers.map((name) => ({
      containerArn: `arn:aws:ecs:${state.region}:${state.accountId}:container/${t.cluster}/${id}/${name}`,
      taskArn: t.taskArn,
      name,
      lastStatus: stopped ? 'STOPPED' : last === 'RUNNING' ? 'RUNNING' : 'PENDING',
      ...(stopped && !failed ? { exitCode: t.script.exitCodes?.[name] ?? 0 } : {}),
      ...(stopped && failed ? { reason: failed } : {}),
    })),
    ...(request.enableECSManagedTags !== undefined
      ? { enableECSManagedTags: request.enableECSManagedTags }
      : {}),
    ...(withTags ? { tags: request.tags ?? [] } : {}),
    version: 1,
  };
}

/** RunTask's checks before it starts anything (RunTask API reference; the wordings are [U] unless noted). */
function checkRunTask(state: EmulatorState, input: Record<string, unknown>) {
  const cluster = clusterName(state, input.cluster);
  if (typeof input.taskDefinition !== 'string' || input.taskDefinition === '')
    throw invalid('TaskDefinition can not be blank.');
  const td = findTaskDefinition(state, input.taskDefinition);
  if (!td) throw new ApiError('ClientException', 'TaskDefinition not found.');
  if (td.status !== 'ACTIVE') throw new ApiError('ClientException', 'TaskDefinition is inactive.');
  if (input.launchType !== undefined && input.capacityProviderStrategy !== undefined)
    throw invalid(
      'Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.',
    );
  if (input.launchType !== undefined && !LAUNCH_TYPES.includes(String(input.launchType)))
    throw invalid(`launchType must be one of ${LAUNCH_TYPES.join(', ')}.`);
  if (input.startedBy !== undefined && !STARTED_BY.test(String(input.startedBy)))
    throw invalid('startedBy may hold up to 128 letters, numbers, hyphens, forward slashes and underscores.');
  const count = input.count === undefined ? 1 : Number(input.count);
  if (!Number.isInteger(count) || count < 1 || count > 10) throw invalid('count must be between 1 and 10.');
  const awsvpc = (input.networkConfiguration as { awsvpcConfiguration?: { subnets?: unknown } } | undefined)
    ?.awsvpcConfiguration;
  if (td.body.networkMode === 'awsvpc' && !awsvpc)
    throw invalid("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  if (awsvpc && (!Array.isArray(awsvpc.subnets) || awsvpc.subnets.length === 0))
    throw invalid('subnets can not be empty.');
  const containers = (td.body.containerDefinitions as { name: string }[]).map((c) => c.name);
  const overrides = (input.overrides as { containerOverrides?: { name?: string }[] } | undefined)
    ?.containerOverrides;
  for (const o of overrides ?? [])
    if (!containers.includes(o.name ?? ''))
      throw invalid(
        `Override for container named ${String(o.name)} is not a container in the TaskDefinition.`,
      );
  const tags = Array.isArray(input.tags) ? input.tags : [];
  if (tags.length > 50) throw invalid('Too many tags: at most 50 are allowed.');
  const volumes = Array.isArray(input.volumeConfigurations) ? input.volumeConfigurations : [];
  const atLaunch = ((td.body.volumes as { name?: string; configuredAtLaunch?: boolean }[] | undefined) ?? [])
    .filter((v) => v.configuredAtLaunch)
    .map((v) => v.name);
  for (const v of volumes as { name?: string; managedEBSVolume?: { roleArn?: unknown } }[]) {
    if (typeof v.managedEBSVolume?.roleArn !== 'string')
      throw invalid('volumeConfigurations[].managedEBSVolume.roleArn is required.');
    if (!atLaunch.includes(v.name))
      throw invalid(`The volume ${String(v.name)} is not configured at launch in the task definition.`);
  }
  return { cluster, td, count, containers };
}

/**
 * RunTask and DescribeTasks for one-off tasks, layered over `previous` (DescribeTasks of service tasks and
 * task sets): the tasks this module does not know are passed on.
 */
export function oneOffTaskHandlers(
  state: EmulatorState,
  previous: Record<string, JsonHandler>,
): Record<string, JsonHandler> {
  const s = stateOf(state);
  return {
    RunTask: (input, ctx) => {
      const token = typeof input.clientToken === 'string' ? input.clientToken : undefined;
      const earlier = token ? s.tokens.get(token) : undefined;
      if (earlier)
        return {
          tasks: earlier.map((arn) => taskWire(state, s.tasks.get(arn)!, ctx.now, false)),
          failures: [],
        };
      const { cluster, td, count, containers } = checkRunTask(state, input);
      const script = s.script;
      if (script.failure)
        return {
          tasks: [],
          failures: [
            { arn: td.taskDefinitionArn, reason: script.failure.reason, detail: script.failure.detail },
          ],
        };
      const arns: string[] = [];
      for (let i = 0; i < count; i++) {
        const taskArn = `arn:aws:ecs:${state.region}:${state.accountId}:task/${cluster}/${uuid().replace(/-/g, '')}`;
        s.tasks.set(taskArn, {
          taskArn,
          cluster,
          taskDefinitionArn: td.taskDefinitionArn,
          containers,
          request: structuredClone(input),
          createdAt: ctx.now,
          script: structuredClone(script),
        });
        arns.push(taskArn);
      }
      if (token) s.tokens.set(token, arns);
      return { tasks: arns.map((arn) => taskWire(state, s.tasks.get(arn)!, ctx.now, false)), failures: [] };
    },
    DescribeTasks: (input, ctx) => {
      const refs = Array.isArray(input.tasks) ? input.tasks.map(String) : [];
      const mine = refs.filter((r) => s.tasks.has(r));
      if (mine.length === 0 && previous.DescribeTasks) return previous.DescribeTasks(input, ctx);
      const cluster = clusterName(state, input.cluster);
      const withTags = Array.isArray(input.include) && input.include.includes('TAGS');
      const tasks: Record<string, unknown>[] = [];
      const failures: Record<string, unknown>[] = [];
      for (const arn of mine) {
        const t = s.tasks.get(arn)!;
        if (t.cluster === cluster) tasks.push(taskWire(state, t, ctx.now, withTags));
        else failures.push({ arn, reason: 'MISSING' });
      }
      const rest = refs.filter((r) => !s.tasks.has(r));
      if (rest.length && previous.DescribeTasks) {
        const more = previous.DescribeTasks({ ...input, tasks: rest }, ctx) as {
          tasks?: Record<string, unknown>[];
          failures?: Record<string, unknown>[];
        };
        tasks.push(...(more.tasks ?? []));
        failures.push(...(more.failures ?? []));
      }
      return { tasks, failures };
    },
  };
}

export function oneOffControl(state: EmulatorState): OneOffControl {
  const s = stateOf(state);
  return {
    script: (script) => {
      s.script = structuredClone(script);
    },
    tasks: () => [...s.tasks.values()],
  };
}
