/** Amazon ECS (awsJson1_1, target prefix AmazonEC2ContainerServiceV20141113): the task definition and service reads the action needs. */
import { ApiError, type JsonHandler } from './protocol.js';
import {
  clusterArn,
  epochSeconds,
  findTaskDefinition,
  serviceArn,
  taskDefinitionArn,
  type EmulatorState,
  type Service,
  type TaskDefinition,
  type TaskSet,
} from './state.js';
import { serviceEvents } from './tasks.js';

/** Members of RegisterTaskDefinitionRequest (botocore ECS model). Anything else is rejected. */
const REGISTER_MEMBERS = [
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'containerDefinitions',
  'volumes',
  'placementConstraints',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'tags',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'inferenceAccelerators',
  'ephemeralStorage',
  'runtimePlatform',
  'enableFaultInjection',
];

/** The largest RegisterTaskDefinition ECS takes, in bytes (service quotas: 64 KiB, not adjustable). */
export const MAX_TASK_DEFINITION_BYTES = 65_536;

function clientError(message: string): ApiError {
  return new ApiError('ClientException', message);
}

function normaliseCpu(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = String(v).trim();
  const m = /^(\d+(?:\.\d+)?)\s*vcpu$/i.exec(s);
  if (m) return String(Math.round(Number(m[1]) * 1024));
  if (!/^\d+$/.test(s)) throw clientError(`Invalid 'cpu' setting for task.`);
  return s;
}

function normaliseMemory(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const s = String(v).trim();
  const m = /^(\d+(?:\.\d+)?)\s*gb$/i.exec(s);
  if (m) return String(Math.round(Number(m[1]) * 1024));
  const mb = /^(\d+)\s*(?:mb)?$/i.exec(s);
  if (!mb) throw clientError(`Invalid 'memory' setting for task.`);
  return mb[1] ?? s;
}

export function registerTaskDefinition(
  state: EmulatorState,
  input: Record<string, unknown>,
  now: number,
  registeredBy: string,
): TaskDefinition {
  for (const key of Object.keys(input)) {
    if (!REGISTER_MEMBERS.includes(key))
      throw clientError(
        `Unknown parameter in input: "${key}", must be one of: ${REGISTER_MEMBERS.join(', ')}`,
      );
  }
  // "Task definition size: 64 KiB" (ECS service quotas); ECS's answer to a larger one, from a CloudTrail
  // event quoted in awsdocs/amazon-ecs-developer-guide#149 (2021). How ECS measures it is [U]: here the
  // compact JSON of the request, UTF-8.
  const size = Buffer.byteLength(JSON.stringify(input), 'utf8');
  if (size > MAX_TASK_DEFINITION_BYTES)
    throw clientError(
      `Actual length: '${size}'. Max allowed length is '${MAX_TASK_DEFINITION_BYTES}' bytes.`,
    );
  const family = input.family;
  if (typeof family !== 'string' || family.trim() === '') throw clientError('Family can not be blank.');
  if (!/^[A-Za-z0-9_-]{1,255}$/.test(family))
    throw clientError(
      'Family contains invalid characters. Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.',
    );
  const containers = input.containerDefinitions;
  if (!Array.isArray(containers) || containers.length === 0)
    throw clientError('Container list cannot be empty.');
  const networkMode = typeof input.networkMode === 'string' ? input.networkMode : 'bridge';
  if (!['bridge', 'host', 'awsvpc', 'none'].includes(networkMode))
    throw clientError(`Invalid networkMode '${networkMode}'.`);
  const compat = Array.isArray(input.requiresCompatibilities)
    ? (input.requiresCompatibilities as unknown[])
    : [];
  const cpu = normaliseCpu(input.cpu);
  const memory = normaliseMemory(input.memory);
  if (compat.includes('FARGATE')) {
    if (networkMode !== 'awsvpc') throw clientError("Fargate only supports network mode 'awsvpc'.");
    if (cpu === undefined) throw clientError("Fargate requires that 'cpu' be defined at the task level.");
    if (memory === undefined)
      throw clientError("Fargate requires that 'memory' be defined at the task level.");
  }
  const names = new Set<string>();
  const normalisedContainers = containers.map((raw) => {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
      throw clientError('Container definition must be an object.');
    const c = { ...(raw as Record<string, unknown>) };
    if (typeof c.name !== 'string' || c.name === '')
      throw clientError('Container.name should not be null or empty.');
    if (typeof c.image !== 'string' || c.image === '')
      throw clientError('Container.image should not be null or empty.');
    if (names.has(c.name)) throw clientError(`Duplicate container name: ${c.name}`);
    names.add(c.name);
    const ports = Array.isArray(c.portMappings) ? (c.portMappings as Record<string, unknown>[]) : [];
    c.portMappings = ports.map((p) => {
      if (typeof p.containerPort !== 'number')
        throw clientError('Container port mapping must specify a numeric containerPort.');
      const hostPort =
        networkMode === 'awsvpc' || networkMode === 'host' ? p.containerPort : (p.hostPort ?? 0);
      if (networkMode === 'awsvpc' && p.hostPort !== undefined && p.hostPort !== p.containerPort)
        throw clientError(
          'When networkMode=awsvpc, the host ports and container ports in port mappings must match.',
        );
      return { ...p, hostPort, protocol: p.protocol ?? 'tcp' };
    });
    c.essential = c.essential ?? true;
    c.environment = c.environment ?? [];
    c.mountPoints = c.mountPoints ?? [];
    c.volumesFrom = c.volumesFrom ?? [];
    return c;
  });
  if (!normalisedContainers.some((c) => c.essential === true))
    throw clientError('A task definition must have at least one essential container.');
  const tags = Array.isArray(input.tags) ? (input.tags as { key: string; value: string }[]) : [];
  if (tags.length > 50)
    throw new ApiError('InvalidParameterException', 'Too many tags: at most 50 are allowed.');

  const revisions = state.taskDefinitions.get(family) ?? [];
  const revision = revisions.length + 1;
  const body: Record<string, unknown> = { ...input };
  delete body.tags;
  body.containerDefinitions = normalisedContainers;
  body.networkMode = networkMode;
  body.volumes = input.volumes ?? [];
  body.placementConstraints = input.placementConstraints ?? [];
  body.requiresCompatibilities = compat;
  if (cpu !== undefined) body.cpu = cpu;
  if (memory !== undefined) body.memory = memory;
  const td: TaskDefinition = {
    family,
    revision,
    taskDefinitionArn: taskDefinitionArn(state, family, revision),
    status: 'ACTIVE',
    registeredAt: now,
    registeredBy,
    body,
    tags,
  };
  revisions.push(td);
  state.taskDefinitions.set(family, revisions);
  return td;
}

export function taskDefinitionWire(td: TaskDefinition): Record<string, unknown> {
  const compat = new Set<string>(['EC2']);
  if (td.body.networkMode === 'awsvpc') compat.add('FARGATE');
  return {
    taskDefinitionArn: td.taskDefinitionArn,
    ...td.body,
    family: td.family,
    revision: td.revision,
    status: td.status,
    compatibilities: [...compat],
    requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
    registeredAt: epochSeconds(td.registeredAt),
    registeredBy: td.registeredBy,
    ...(td.deregisteredAt !== undefined ? { deregisteredAt: epochSeconds(td.deregisteredAt) } : {}),
  };
}

function taskSetWire(state: EmulatorState, svc: Service, ts: TaskSet): Record<string, unknown> {
  return {
    id: ts.id,
    taskSetArn: ts.taskSetArn,
    serviceArn: svc.serviceArn,
    clusterArn: clusterArn(state, svc.clusterName),
    startedBy: ts.startedBy,
    ...(ts.externalId ? { externalId: ts.externalId } : {}),
    status: ts.status,
    taskDefinition: ts.taskDefinition,
    computedDesiredCount: ts.computedDesiredCount,
    pendingCount: ts.pendingCount,
    runningCount: ts.runningCount,
    createdAt: epochSeconds(ts.createdAt),
    updatedAt: epochSeconds(ts.updatedAt),
    launchType: svc.launchType,
    platformVersion: ts.platformVersion,
    platformFamily: 'Linux',
    networkConfiguration: ts.networkConfiguration,
    loadBalancers: [
      { targetGroupArn: ts.targetGroupArn, containerName: ts.containerName, containerPort: ts.containerPort },
    ],
    serviceRegistries: [],
    scale: { value: 100.0, unit: 'PERCENT' },
    stabilityStatus: ts.stabilityStatus,
    stabilityStatusAt: epochSeconds(ts.updatedAt),
    tags: [],
  };
}

/** `now` (virtual) fills in the service events; without it (snapshots) they are left out. */
export function serviceWire(state: EmulatorState, svc: Service, now?: number): Record<string, unknown> {
  const running = svc.taskSets.reduce((n, t) => n + t.runningCount, 0);
  const pending = svc.taskSets.reduce((n, t) => n + t.pendingCount, 0);
  return {
    serviceArn: svc.serviceArn,
    serviceName: svc.serviceName,
    clusterArn: clusterArn(state, svc.clusterName),
    loadBalancers: svc.loadBalancers,
    serviceRegistries: [],
    status: svc.status,
    desiredCount: svc.desiredCount,
    runningCount: running,
    pendingCount: pending,
    launchType: svc.launchType,
    platformVersion: svc.platformVersion,
    platformFamily: 'Linux',
    taskDefinition: svc.taskDefinition,
    deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
    taskSets: svc.taskSets.map((t) => taskSetWire(state, svc, t)),
    deployments: [],
    events: now === undefined ? [] : serviceEvents(state, svc, now),
    createdAt: epochSeconds(svc.createdAt),
    placementConstraints: [],
    placementStrategy: [],
    networkConfiguration: svc.networkConfiguration,
    schedulingStrategy: 'REPLICA',
    deploymentController: { type: svc.deploymentController },
    enableECSManagedTags: svc.enableECSManagedTags ?? false,
    propagateTags: svc.propagateTags ?? 'NONE',
    enableExecuteCommand: false,
  };
}

function clusterName(state: EmulatorState, ref: unknown): string {
  const raw = typeof ref === 'string' && ref !== '' ? ref : 'default';
  const name = raw.startsWith('arn:') ? (raw.split('/').pop() ?? raw) : raw;
  if (!state.clusters.has(name)) throw new ApiError('ClusterNotFoundException', 'Cluster not found.');
  return name;
}

export function ecsHandlers(state: EmulatorState): Record<string, JsonHandler> {
  return {
    RegisterTaskDefinition: (input, ctx) => {
      const td = registerTaskDefinition(state, input, ctx.now, ctx.callerArn);
      return { taskDefinition: taskDefinitionWire(td), tags: td.tags };
    },
    DescribeTaskDefinition: (input) => {
      const ref = input.taskDefinition;
      if (typeof ref !== 'string' || ref === '') throw clientError('TaskDefinition can not be blank.');
      const td = findTaskDefinition(state, ref);
      if (!td) throw clientError('Unable to describe task definition.');
      const include = Array.isArray(input.include) ? input.include : [];
      return {
        taskDefinition: taskDefinitionWire(td),
        ...(include.includes('TAGS') ? { tags: td.tags } : {}),
      };
    },
    DeregisterTaskDefinition: (input, ctx) => {
      const ref = input.taskDefinition;
      if (typeof ref !== 'string' || !/:\d+$/.test(ref))
        throw clientError('Invalid revision number. Number: ' + String(ref));
      const td = findTaskDefinition(state, ref);
      if (!td) throw clientError('The specified task definition does not exist.');
      if (td.status === 'ACTIVE') {
        td.status = 'INACTIVE';
        td.deregisteredAt = ctx.now;
      }
      return { taskDefinition: taskDefinitionWire(td) };
    },
    ListTaskDefinitions: (input) => {
      const status = typeof input.status === 'string' ? input.status : 'ACTIVE';
      if (!['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS'].includes(status))
        throw new ApiError('InvalidParameterException', `Invalid status: ${status}`);
      const sort = input.sort === 'DESC' ? 'DESC' : 'ASC';
      if (input.sort !== undefined && input.sort !== 'ASC' && input.sort !== 'DESC')
        throw new ApiError('InvalidParameterException', `Invalid sort: ${String(input.sort)}`);
      const family = typeof input.familyPrefix === 'string' ? input.familyPrefix : undefined;
      const families = [...state.taskDefinitions.keys()]
        .filter((f) => family === undefined || f === family)
        .sort();
      let arns = families.flatMap((f) =>
        (state.taskDefinitions.get(f) ?? [])
          .filter((t) => t.status === status)
          .map((t) => t.taskDefinitionArn),
      );
      if (sort === 'DESC') arns = arns.reverse();
      const max = typeof input.maxResults === 'number' ? input.maxResults : 100;
      if (max < 1 || max > 100)
        throw new ApiError('InvalidParameterException', 'maxResults must be between 1 and 100.');
      const start =
        typeof input.nextToken === 'string' ? Number(Buffer.from(input.nextToken, 'base64').toString()) : 0;
      if (!Number.isInteger(start) || start < 0)
        throw new ApiError('InvalidParameterException', 'Invalid nextToken.');
      const page = arns.slice(start, start + max);
      const next =
        start + max < arns.length ? Buffer.from(String(start + max)).toString('base64') : undefined;
      return { taskDefinitionArns: page, ...(next ? { nextToken: next } : {}) };
    },
    DescribeServices: (input, ctx) => {
      const cluster = clusterName(state, input.cluster);
      const names = input.services;
      if (!Array.isArray(names) || names.length === 0)
        throw new ApiError('InvalidParameterException', 'Services cannot be empty.');
      if (names.length > 10)
        throw new ApiError('InvalidParameterException', 'The services list can contain at most 10 services.');
      const services: Record<string, unknown>[] = [];
      const failures: Record<string, unknown>[] = [];
      for (const ref of names) {
        const name = String(ref).startsWith('arn:') ? (String(ref).split('/').pop() ?? '') : String(ref);
        const svc = state.services.get(`${cluster}/${name}`);
        if (svc) services.push(serviceWire(state, svc, ctx.now));
        else failures.push({ arn: serviceArn(state, cluster, name), reason: 'MISSING' });
      }
      return { services, failures };
    },
  };
}
