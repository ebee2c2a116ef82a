import { createHash } from 'node:crypto';
import type { RegisterTaskDefinitionCommandInput, Service, TaskDefinition } from '@aws-sdk/client-ecs';
import { InputError } from '../../action/errors.js';
import { parseJsonOrYaml } from '../../prepare/files.js';
import { closestName } from '../../prepare/task-definition.js';

/** An AppSpec document as the user wrote it (key casing preserved). */
export type AppSpecDocument = Record<string, unknown>;

export const APPSPEC_HOOK_EVENTS = [
  'BeforeInstall',
  'AfterInstall',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
] as const;

const TOP_LEVEL_KEYS = ['version', 'Resources', 'Hooks'];
const PROPERTY_KEYS = [
  'TaskDefinition',
  'LoadBalancerInfo',
  'PlatformVersion',
  'NetworkConfiguration',
  'CapacityProviderStrategy',
];

export interface AppSpecTarget {
  taskDefinition: string;
  containerName: string;
  containerPort: number;
  platformVersion?: string;
  hooks: { event: string; functionName: string }[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The key of `obj` that equals `name` ignoring case (the user's spelling), or undefined. */
function findKey(obj: Record<string, unknown>, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

function get(obj: Record<string, unknown>, name: string): unknown {
  const key = findKey(obj, name);
  return key === undefined ? undefined : obj[key];
}

/** Paths to the parts of the single resource, in the user's key casing. */
interface ResourceLocation {
  resourcesKey: string;
  logicalName: string;
  propertiesKey: string;
  resource: Record<string, unknown>;
  properties: Record<string, unknown>;
}

function locateResource(doc: AppSpecDocument, file: string): ResourceLocation {
  const resourcesKey = findKey(doc, 'Resources');
  const resources = resourcesKey === undefined ? undefined : doc[resourcesKey];
  const rPath = `${file}: ${resourcesKey ?? 'Resources'}`;
  if (!Array.isArray(resources)) {
    throw new InputError(
      rPath,
      resources === undefined ? 'is missing.' : 'must be a list with one item (the ECS service).',
      'Write Resources as a list with one entry: "Resources: [{TargetService: {Type: AWS::ECS::Service, Properties: {...}}}]".',
    );
  }
  if (resources.length !== 1) {
    throw new InputError(
      rPath,
      `has ${resources.length} items, but an ECS AppSpec has exactly one (the ECS service).`,
      'Keep a single entry such as "- TargetService: {...}".',
    );
  }
  const item = resources[0];
  if (!isRecord(item) || Object.keys(item).length !== 1) {
    throw new InputError(
      `${rPath}[0]`,
      'must be a mapping with exactly one key, the logical name of the service (e.g. TargetService).',
      'Write it as "- TargetService:" with Type and Properties indented below.',
    );
  }
  const logicalName = Object.keys(item)[0] as string;
  const resource = item[logicalName];
  const resPath = `${rPath}[0].${logicalName}`;
  if (!isRecord(resource)) {
    throw new InputError(
      resPath,
      'must be a mapping with Type and Properties.',
      'Indent Type and Properties under it.',
    );
  }
  const propertiesKey = findKey(resource, 'Properties');
  const properties = propertiesKey === undefined ? undefined : resource[propertiesKey];
  if (!isRecord(properties)) {
    throw new InputError(
      `${resPath}.${propertiesKey ?? 'Properties'}`,
      properties === undefined ? 'is missing.' : 'must be a mapping.',
      'Add Properties with TaskDefinition and LoadBalancerInfo (ContainerName, ContainerPort).',
    );
  }
  return {
    resourcesKey: resourcesKey as string,
    logicalName,
    propertiesKey: propertiesKey as string,
    resource,
    properties,
  };
}

function propPath(file: string, loc: ResourceLocation, ...rest: string[]): string {
  return [`${file}: ${loc.resourcesKey}[0].${loc.logicalName}.${loc.propertiesKey}`, ...rest].join('.');
}

function toPort(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535) return n;
  return undefined;
}

function validateHooks(doc: AppSpecDocument, file: string): void {
  const hooksKey = findKey(doc, 'Hooks');
  if (hooksKey === undefined) return;
  const hooks = doc[hooksKey];
  const events = APPSPEC_HOOK_EVENTS.join(', ');
  if (!Array.isArray(hooks)) {
    throw new InputError(
      `${file}: ${hooksKey}`,
      'must be a list of one-key mappings {EventName: LambdaFunction}.',
      'Write each hook as "- BeforeAllowTraffic: MyValidationFunction".',
    );
  }
  hooks.forEach((hook: unknown, i: number) => {
    const at = `${file}: ${hooksKey}[${i}]`;
    if (!isRecord(hook) || Object.keys(hook).length !== 1) {
      throw new InputError(
        at,
        'must be a mapping with exactly one key, the lifecycle event name.',
        `Write it as "- BeforeAllowTraffic: MyValidationFunction"; events: ${events}.`,
      );
    }
    const event = Object.keys(hook)[0] as string;
    if (!(APPSPEC_HOOK_EVENTS as readonly string[]).includes(event)) {
      const suggestion = closestName(event, APPSPEC_HOOK_EVENTS);
      throw new InputError(
        `${at}.${event}`,
        `is not an ECS lifecycle event that takes a hook${suggestion ? ` (did you mean '${suggestion}'?)` : ''}.`,
        `Use one of: ${events}.`,
      );
    }
    const fn = hook[event];
    if (typeof fn !== 'string' || fn.trim() === '') {
      throw new InputError(
        `${at}.${event}`,
        'must be the name or ARN of a Lambda function.',
        'Give the Lambda function that CodeDeploy invokes for this event.',
      );
    }
  });
}

function validateOptionalProperties(loc: ResourceLocation, file: string): void {
  const pvKey = findKey(loc.properties, 'PlatformVersion');
  if (pvKey !== undefined && typeof loc.properties[pvKey] !== 'string') {
    throw new InputError(
      propPath(file, loc, pvKey),
      'must be a string such as "LATEST" or "1.4.0".',
      'Quote the value.',
    );
  }
  const ncKey = findKey(loc.properties, 'NetworkConfiguration');
  if (ncKey !== undefined) {
    const nc = loc.properties[ncKey];
    const awsvpc = isRecord(nc) ? get(nc, 'AwsvpcConfiguration') : undefined;
    const subnets = isRecord(awsvpc) ? get(awsvpc, 'Subnets') : undefined;
    if (!isRecord(awsvpc) || !Array.isArray(subnets) || subnets.some((s) => typeof s !== 'string')) {
      throw new InputError(
        propPath(file, loc, ncKey),
        'must be {AwsvpcConfiguration: {Subnets: [...], SecurityGroups: [...], AssignPublicIp: ENABLED|DISABLED}}.',
        'Give AwsvpcConfiguration with a list of subnet IDs, or remove NetworkConfiguration to keep the service settings.',
      );
    }
    const assignKey = findKey(awsvpc, 'AssignPublicIp') ?? 'AssignPublicIp';
    const assign = awsvpc[assignKey];
    if (assign !== undefined && assign !== 'ENABLED' && assign !== 'DISABLED') {
      const awsvpcKey = findKey(nc as Record<string, unknown>, 'AwsvpcConfiguration') as string;
      throw new InputError(
        propPath(file, loc, ncKey, awsvpcKey, assignKey),
        `is ${JSON.stringify(assign)}.`,
        'Use ENABLED or DISABLED.',
      );
    }
  }
  const cpsKey = findKey(loc.properties, 'CapacityProviderStrategy');
  if (cpsKey !== undefined) {
    const cps = loc.properties[cpsKey];
    if (
      !Array.isArray(cps) ||
      cps.some((s) => !isRecord(s) || typeof get(s, 'CapacityProvider') !== 'string')
    ) {
      throw new InputError(
        propPath(file, loc, cpsKey),
        'must be a list of {CapacityProvider, Base, Weight} entries.',
        'Write it as [{CapacityProvider: FARGATE, Base: 1, Weight: 1}].',
      );
    }
  }
}

/**
 * Parses and validates an ECS AppSpec (JSON or YAML). Keys are matched case-insensitively; the
 * returned document keeps the user's spelling, with a numeric-string ContainerPort made a number and
 * `version: 0.0` added when missing (CodeDeploy requires it, the official action's examples leave it out).
 * Sections and properties this action does not know are kept and reported in `warnings` (CodeDeploy
 * ignores them, and so does the official action); what CodeDeploy rejects is an InputError.
 */
export function parseAppSpec(text: string, file: string, warnings: string[] = []): AppSpecDocument {
  const parsed = structuredClone(parseJsonOrYaml(text, file)) as AppSpecDocument;

  for (const key of Object.keys(parsed)) {
    if (!TOP_LEVEL_KEYS.some((k) => k.toLowerCase() === key.toLowerCase())) {
      const suggestion = closestName(key, TOP_LEVEL_KEYS);
      warnings.push(
        `${file}: ${key} is not an AppSpec section${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; an ECS AppSpec has ${TOP_LEVEL_KEYS.join(', ')}. It is passed on to CodeDeploy as written.`,
      );
    }
  }
  let doc = parsed;
  const versionKey = findKey(doc, 'version');
  if (versionKey === undefined) {
    doc = { version: '0.0', ...parsed };
  } else {
    const version = doc[versionKey];
    if (version !== 0 && version !== '0.0') {
      throw new InputError(
        `${file}: ${versionKey}`,
        `is ${JSON.stringify(version)}, but the only AppSpec version is 0.0.`,
        'Write "version: 0.0".',
      );
    }
  }

  const loc = locateResource(doc, file);
  const type = get(loc.resource, 'Type');
  const typeKey = findKey(loc.resource, 'Type') ?? 'Type';
  if (type !== 'AWS::ECS::Service') {
    throw new InputError(
      `${file}: ${loc.resourcesKey}[0].${loc.logicalName}.${typeKey}`,
      type === undefined
        ? 'is missing.'
        : `is ${JSON.stringify(type)}, but this action deploys ECS services.`,
      'Set Type: AWS::ECS::Service.',
    );
  }
  for (const key of Object.keys(loc.properties)) {
    if (!PROPERTY_KEYS.some((k) => k.toLowerCase() === key.toLowerCase())) {
      const suggestion = closestName(key, PROPERTY_KEYS);
      warnings.push(
        `${propPath(file, loc, key)} is not an ECS AppSpec property${suggestion ? ` (did you mean '${suggestion}'?)` : ''}; valid properties: ${PROPERTY_KEYS.join(', ')}. It is passed on to CodeDeploy as written.`,
      );
    }
  }
  const tdKey = findKey(loc.properties, 'TaskDefinition');
  const td = tdKey === undefined ? undefined : loc.properties[tdKey];
  if (typeof td !== 'string') {
    throw new InputError(
      propPath(file, loc, tdKey ?? 'TaskDefinition'),
      td === undefined ? 'is missing.' : 'must be a string.',
      'Add TaskDefinition with any value, e.g. "<TASK_DEFINITION>"; the action replaces it with the registered ARN.',
    );
  }
  const lbiKey = findKey(loc.properties, 'LoadBalancerInfo');
  const lbi = lbiKey === undefined ? undefined : loc.properties[lbiKey];
  if (!isRecord(lbi)) {
    throw new InputError(
      propPath(file, loc, lbiKey ?? 'LoadBalancerInfo'),
      lbi === undefined ? 'is missing.' : 'must be a mapping.',
      'Add LoadBalancerInfo with ContainerName and ContainerPort of the container that receives traffic.',
    );
  }
  const nameKey = findKey(lbi, 'ContainerName');
  const name = nameKey === undefined ? undefined : lbi[nameKey];
  if (typeof name !== 'string' || name.trim() === '') {
    throw new InputError(
      propPath(file, loc, lbiKey as string, nameKey ?? 'ContainerName'),
      name === undefined ? 'is missing.' : 'must be a non-empty string.',
      'Set ContainerName to the container in the task definition that receives load balancer traffic.',
    );
  }
  const portKey = findKey(lbi, 'ContainerPort');
  const rawPort = portKey === undefined ? undefined : lbi[portKey];
  const port = toPort(rawPort);
  if (port === undefined) {
    throw new InputError(
      propPath(file, loc, lbiKey as string, portKey ?? 'ContainerPort'),
      rawPort === undefined
        ? 'is missing.'
        : `is ${JSON.stringify(rawPort)}, but it must be an integer from 1 to 65535.`,
      'Set ContainerPort to the container port the load balancer sends traffic to, e.g. 8080.',
    );
  }
  lbi[portKey as string] = port;
  validateOptionalProperties(loc, file);
  validateHooks(doc, file);
  return doc;
}

/** The deployment target of an AppSpec (keys read case-insensitively). */
export function appSpecTarget(doc: AppSpecDocument): AppSpecTarget {
  const loc = locateResource(doc, 'AppSpec');
  const lbi = get(loc.properties, 'LoadBalancerInfo');
  const taskDefinition = get(loc.properties, 'TaskDefinition');
  const containerName = isRecord(lbi) ? get(lbi, 'ContainerName') : undefined;
  const containerPort = isRecord(lbi) ? toPort(get(lbi, 'ContainerPort')) : undefined;
  if (
    typeof taskDefinition !== 'string' ||
    typeof containerName !== 'string' ||
    containerPort === undefined
  ) {
    throw new InputError(
      propPath('AppSpec', loc),
      'needs TaskDefinition, LoadBalancerInfo.ContainerName and LoadBalancerInfo.ContainerPort.',
      'Fill in those properties.',
    );
  }
  const platformVersion = get(loc.properties, 'PlatformVersion');
  const hooksValue = get(doc, 'Hooks');
  const hooks: { event: string; functionName: string }[] = [];
  if (Array.isArray(hooksValue)) {
    for (const hook of hooksValue) {
      if (!isRecord(hook)) continue;
      for (const [event, fn] of Object.entries(hook)) {
        if (typeof fn === 'string') hooks.push({ event, functionName: fn });
      }
    }
  }
  return {
    taskDefinition,
    containerName,
    containerPort,
    ...(typeof platformVersion === 'string' ? { platformVersion } : {}),
    hooks,
  };
}

/** A copy of `doc` whose TaskDefinition (in the user's key casing) is `arn`. */
export function withTaskDefinitionArn(doc: AppSpecDocument, arn: string): AppSpecDocument {
  const copy = structuredClone(doc);
  const loc = locateResource(copy, 'AppSpec');
  loc.properties[findKey(loc.properties, 'TaskDefinition') ?? 'TaskDefinition'] = arn;
  return copy;
}

/** The AppSpecContent CodeDeploy receives: JSON text and the SHA-256 (hex) of exactly that text. */
export function serializeAppSpec(doc: AppSpecDocument): { content: string; sha256: string } {
  const content = JSON.stringify(doc);
  return { content, sha256: createHash('sha256').update(content, 'utf8').digest('hex') };
}

/** An AppSpec for `service`: its load balancer target and the network settings of its PRIMARY task set. */
export function generateAppSpec(params: {
  taskDefinitionArn: string;
  containerName?: string;
  containerPort?: number;
  service: Service;
  hooks?: { event: string; functionName: string }[];
}): AppSpecDocument {
  const { service } = params;
  const lbs = service.loadBalancers ?? [];
  const containerName = params.containerName ?? lbs[0]?.containerName;
  const containerPort =
    params.containerPort ?? (lbs.find((lb) => lb.containerName === containerName) ?? lbs[0])?.containerPort;
  if (!containerName || containerPort === undefined) {
    throw new InputError(
      `service '${service.serviceName ?? '?'}'`,
      'has no load balancer container and port to build an AppSpec from.',
      "Set the 'container-name' and 'container-port' inputs, or give an AppSpec file (codedeploy-appspec).",
    );
  }
  for (const hook of params.hooks ?? []) {
    if (!(APPSPEC_HOOK_EVENTS as readonly string[]).includes(hook.event)) {
      throw new InputError(
        `hook '${hook.event}'`,
        'is not an ECS lifecycle event that takes a hook.',
        `Use one of: ${APPSPEC_HOOK_EVENTS.join(', ')}.`,
      );
    }
  }
  const primary = service.taskSets?.find((s) => s.status === 'PRIMARY');
  const properties: Record<string, unknown> = {
    TaskDefinition: params.taskDefinitionArn,
    LoadBalancerInfo: { ContainerName: containerName, ContainerPort: containerPort },
  };
  const platformVersion = primary?.platformVersion ?? service.platformVersion;
  if (platformVersion) properties.PlatformVersion = platformVersion;
  const awsvpc = (primary?.networkConfiguration ?? service.networkConfiguration)?.awsvpcConfiguration;
  if (awsvpc?.subnets?.length) {
    properties.NetworkConfiguration = {
      AwsvpcConfiguration: {
        Subnets: [...awsvpc.subnets],
        ...(awsvpc.securityGroups?.length ? { SecurityGroups: [...awsvpc.securityGroups] } : {}),
        ...(awsvpc.assignPublicIp ? { AssignPublicIp: awsvpc.assignPublicIp } : {}),
      },
    };
  }
  const strategy = primary?.capacityProviderStrategy ?? service.capacityProviderStrategy;
  if (strategy?.length) {
    properties.CapacityProviderStrategy = strategy.map((s) => ({
      CapacityProvider: s.capacityProvider,
      ...(s.base !== undefined ? { Base: s.base } : {}),
      ...(s.weight !== undefined ? { Weight: s.weight } : {}),
    }));
  }
  const doc: AppSpecDocument = {
    version: '0.0',
    Resources: [{ TargetService: { Type: 'AWS::ECS::Service', Properties: properties } }],
  };
  if (params.hooks?.length) doc.Hooks = params.hooks.map((h) => ({ [h.event]: h.functionName }));
  return doc;
}

/** The AppSpec's container must exist in the task definition and map the AppSpec's port. */
export function validateAppSpecAgainstTaskDefinition(
  doc: AppSpecDocument,
  td: RegisterTaskDefinitionCommandInput | TaskDefinition,
  file: string,
): void {
  const loc = locateResource(doc, file);
  const target = appSpecTarget(doc);
  const lbiKey = findKey(loc.properties, 'LoadBalancerInfo') ?? 'LoadBalancerInfo';
  const lbi = loc.properties[lbiKey] as Record<string, unknown>;
  const containers = td.containerDefinitions ?? [];
  const container = containers.find((c) => c.name === target.containerName);
  if (!container) {
    throw new InputError(
      propPath(file, loc, lbiKey, findKey(lbi, 'ContainerName') ?? 'ContainerName'),
      `is '${target.containerName}', which is not a container of task definition '${td.family}' (its containers: ${containers.map((c) => c.name ?? '?').join(', ') || 'none'}).`,
      'Set ContainerName to one of those containers.',
    );
  }
  const ports = (container.portMappings ?? [])
    .map((p) => p.containerPort)
    .filter((p): p is number => p !== undefined);
  if (!ports.includes(target.containerPort)) {
    throw new InputError(
      propPath(file, loc, lbiKey, findKey(lbi, 'ContainerPort') ?? 'ContainerPort'),
      `is ${target.containerPort}, which is not a containerPort of container '${target.containerName}' (its port mappings: ${ports.join(', ') || 'none'}).`,
      `Set ContainerPort to one of those ports, or add {"containerPort": ${target.containerPort}} to the container's portMappings.`,
    );
  }
}
