import type {
  ContainerDefinition,
  RegisterTaskDefinitionCommandInput,
  TaskDefinition,
} from '@aws-sdk/client-ecs';
import { InputError } from '../action/errors.js';

/** Fields DescribeTaskDefinition returns that RegisterTaskDefinition does not accept. */
export const READ_ONLY_TASK_DEFINITION_FIELDS = [
  'taskDefinitionArn',
  'revision',
  'status',
  'requiresAttributes',
  'compatibilities',
  'registeredAt',
  'registeredBy',
  'deregisteredAt',
  'deleteRequestedAt',
] as const;

/** The members of RegisterTaskDefinitionRequest (ECS API model). */
export const REGISTER_TASK_DEFINITION_FIELDS = [
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
] as const;

type AnyTaskDefinition = RegisterTaskDefinitionCommandInput | TaskDefinition;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j] as number;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(above + 1, (prev[j - 1] as number) + 1, diagonal + cost);
      diagonal = above;
    }
  }
  return prev[b.length] as number;
}

/** The closest valid name for a near miss (same letters in another case, or a small edit distance). */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const sameCase = candidates.find((c) => c.toLowerCase() === lower);
  if (sameCase) return sameCase;
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  if (best && best.distance <= Math.max(2, Math.floor(name.length / 4))) return best.name;
  return undefined;
}

function unwrapDescribeOutput(raw: Record<string, unknown>, file: string): Record<string, unknown> {
  if (!isRecord(raw.taskDefinition)) return raw;
  const extra = Object.keys(raw).filter((k) => k !== 'taskDefinition' && k !== 'tags');
  if (extra.length > 0) {
    throw new InputError(
      `${file}: ${extra.join(', ')}`,
      `looks like 'aws ecs describe-task-definition' output, which has only 'taskDefinition' and 'tags' at the top level, but it also has ${extra.map((k) => `'${k}'`).join(', ')}.`,
      'Remove those fields, or give the bare task definition (the value of taskDefinition).',
    );
  }
  const inner = { ...raw.taskDefinition };
  if (Array.isArray(raw.tags) && raw.tags.length > 0 && inner.tags === undefined) inner.tags = raw.tags;
  return inner;
}

/** Free-form string maps: their keys are the user's data, so an entry with an empty value is kept. */
const USER_MAP_KEYS = ['dockerLabels', 'options', 'driverOpts', 'labels'];

/** Whether `value` holds nothing at all: null, "", [] or {} (recursively), as the official action counts it. */
function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined || value === '') return true;
  if (Array.isArray(value)) return value.every(isEmptyValue);
  if (isRecord(value)) return Object.values(value).every(isEmptyValue);
  return false;
}

/**
 * Drops what can never be a valid ECS value, wherever it is: null (and a list item that is null), and
 * objects — as values or list items — with nothing in them but null, "", [] or {} (e.g. logConfiguration: {},
 * {"name": "", "value": ""}), as the official action does. Strings and lists are otherwise kept as written,
 * so an environment value "" or an argument "" in a command stays. Returns the paths dropped.
 */
function dropNullsAndEmptyObjects(value: unknown, path: string, dropped: string[], userMap = false): unknown {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    value.forEach((item: unknown, i: number) => {
      if (item === null || (isRecord(item) && isEmptyValue(item))) {
        dropped.push(`${path}[${i}]`);
        return;
      }
      out.push(dropNullsAndEmptyObjects(item, `${path}[${i}]`, dropped));
    });
    return out;
  }
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childPath = path === '' ? key : `${path}.${key}`;
    const childIsUserMap = USER_MAP_KEYS.includes(key);
    if (
      child === null ||
      child === undefined ||
      (!userMap && !childIsUserMap && isRecord(child) && isEmptyValue(child))
    ) {
      dropped.push(childPath);
      continue;
    }
    out[key] = dropNullsAndEmptyObjects(child, childPath, dropped, childIsUserMap);
  }
  return out;
}

function requireString(value: unknown, where: string, what: string, fix: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InputError(
      where,
      value === undefined ? `is missing; ${what} is required.` : `must be a non-empty string (${what}).`,
      fix,
    );
  }
  return value;
}

function validateContainer(container: unknown, index: number, file: string, seen: Map<string, number>): void {
  const at = `${file}: containerDefinitions[${index}]`;
  if (!isRecord(container)) {
    throw new InputError(
      at,
      'must be an object describing one container.',
      'Write each container as {"name": ..., "image": ...}.',
    );
  }
  const name = requireString(
    container.name,
    `${at}.name`,
    'the container name',
    'Give every container a unique name.',
  );
  const earlier = seen.get(name);
  if (earlier !== undefined) {
    throw new InputError(
      `${at}.name`,
      `'${name}' is already the name of containerDefinitions[${earlier}].`,
      'Container names must be unique within a task definition: rename one of them.',
    );
  }
  seen.set(name, index);
  if (typeof container.image !== 'string') {
    throw new InputError(
      `${at}.image`,
      container.image === undefined
        ? `is missing for container '${name}'.`
        : `must be a string for container '${name}'.`,
      'Set image to the image reference, for example "111122223333.dkr.ecr.us-east-1.amazonaws.com/web:latest".',
    );
  }
  if (container.portMappings !== undefined) {
    if (!Array.isArray(container.portMappings)) {
      throw new InputError(
        `${at}.portMappings`,
        'must be a list.',
        'Write portMappings as [{"containerPort": 8080}].',
      );
    }
    container.portMappings.forEach((mapping: unknown, i: number) => {
      const port = isRecord(mapping) ? mapping.containerPort : undefined;
      if (!isRecord(mapping) || (port !== undefined && !isPort(port))) {
        throw new InputError(
          `${at}.portMappings[${i}]`,
          `of container '${name}' must be an object whose containerPort is an integer from 1 to 65535.`,
          'Write it as {"containerPort": 8080, "protocol": "tcp"}.',
        );
      }
    });
  }
  for (const listName of ['environment', 'secrets'] as const) {
    const list = container[listName];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      throw new InputError(
        `${at}.${listName}`,
        `of container '${name}' must be a list.`,
        `Write ${listName} as a list of {"name": ..., ${listName === 'environment' ? '"value"' : '"valueFrom"'}: ...} entries.`,
      );
    }
    list.forEach((entry: unknown, i: number) => {
      const valueKey = listName === 'environment' ? 'value' : 'valueFrom';
      const where = `${at}.${listName}[${i}]`;
      if (!isRecord(entry) || typeof entry.name !== 'string' || entry.name === '') {
        throw new InputError(
          where,
          `of container '${name}' needs a non-empty string name.`,
          `Write it as {"name": "NAME", "${valueKey}": "..."}.`,
        );
      }
      const value = entry[valueKey];
      if (value !== undefined && typeof value !== 'string') {
        throw new InputError(
          `${where}.${valueKey}`,
          `(${listName} '${entry.name}' of container '${name}') must be a string, not a ${typeof value}.`,
          'Quote the value, for example "8080" or "true".',
        );
      }
    });
  }
}

/**
 * An App Mesh proxy property without a name or a value gets "", as the official action completes them
 * (maintainValidObjects in aws-actions/amazon-ecs-deploy-task-definition index.js; APPMESH only).
 */
function completeAppMeshProperties(proxy: unknown): void {
  if (!isRecord(proxy) || proxy.type !== 'APPMESH' || !Array.isArray(proxy.properties)) return;
  for (const property of proxy.properties) {
    if (!isRecord(property)) continue;
    if (property.name === undefined) property.name = '';
    if (property.value === undefined) property.value = '';
  }
}

/** RegisterTaskDefinition takes tags as a list of {key, value} (ECS API model, Tag). */
function validateTags(tags: unknown, file: string): void {
  const fix = 'Write tags as a list: [{"key": "team", "value": "web"}].';
  if (!Array.isArray(tags)) {
    throw new InputError(
      `${file}: tags`,
      `must be a list of {"key": ..., "value": ...} entries, not ${isRecord(tags) ? 'a mapping' : `a ${typeof tags}`}.`,
      isRecord(tags)
        ? `Write each entry as {"key": "NAME", "value": "..."}, e.g. ${JSON.stringify(
            Object.entries(tags)
              .slice(0, 2)
              .map(([key, value]) => ({ key, value })),
          )}.`
        : fix,
    );
  }
  tags.forEach((tag: unknown, i: number) => {
    if (!isRecord(tag) || typeof tag.key !== 'string' || tag.key === '') {
      throw new InputError(`${file}: tags[${i}]`, 'needs a non-empty string key.', fix);
    }
    if (tag.value !== undefined && typeof tag.value !== 'string') {
      throw new InputError(
        `${file}: tags[${i}].value`,
        `(tag '${tag.key}') must be a string, not a ${typeof tag.value}.`,
        'Quote the value, for example "42" or "true".',
      );
    }
  });
}

/**
 * The largest task definition ECS registers: "Task definition size: 64 (KiB), not adjustable" in the
 * Amazon ECS service quotas (Amazon ECS Developer Guide, service-quotas.md in
 * awsdocs/amazon-ecs-developer-guide). Older guides said 32 KiB, but ECS enforced 64 KiB well before the
 * guide was corrected: a larger one got ClientException "Actual length: '66420'. Max allowed length is
 * '65536' bytes." in January 2021 (awsdocs/amazon-ecs-developer-guide#149; 65536 bytes already in
 * vote/turnout#330, July 2020). The guide does not say how the size is measured: this action measures the
 * compact JSON of the RegisterTaskDefinition request (UTF-8), the smallest form it can take, so it refuses
 * nothing ECS would accept (unconfirmed).
 */
export const MAX_TASK_DEFINITION_BYTES = 64 * 1024;

/**
 * Last checks of the task definition about to be registered (after `image` was put in): every container
 * has an image, and the request is within ECS's size quota.
 */
export function checkReadyToRegister(input: RegisterTaskDefinitionCommandInput, file: string): void {
  (input.containerDefinitions ?? []).forEach((container, i) => {
    if (typeof container.image === 'string' && container.image.trim() === '') {
      throw new InputError(
        `${file}: containerDefinitions[${i}].image`,
        `is empty for container '${container.name ?? '?'}'.`,
        "Set image to the image reference, or give the action's image input (and container-name) to fill it in.",
      );
    }
  });
  const size = Buffer.byteLength(JSON.stringify(input), 'utf8');
  if (size > MAX_TASK_DEFINITION_BYTES) {
    throw new InputError(
      file,
      `is ${size} bytes as the JSON that would be registered, more than the ${MAX_TASK_DEFINITION_BYTES} bytes (64 KiB) ECS accepts for a task definition.`,
      'Shorten it: move long environment values into secrets or an environmentFiles file in S3, or split containers into another task definition.',
    );
  }
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function cpuOrMemory(value: unknown, field: 'cpu' | 'memory', file: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value;
  throw new InputError(
    `${file}: ${field}`,
    `must be a string such as "${field === 'cpu' ? '256' : '512'}" (a number is converted).`,
    `Set ${field} to the task-level ${field === 'cpu' ? 'CPU units, e.g. "256" or "1 vCPU"' : 'memory in MiB, e.g. "512" or "1GB"'}.`,
  );
}

/**
 * Turns a task-definition file (bare, or the output of `aws ecs describe-task-definition`) into a
 * RegisterTaskDefinition input, and validates its shape. Dropped and reported: read-only fields
 * (`removedFields`); null values anywhere, objects with nothing in them, top-level fields set to "" or
 * null, and fields RegisterTaskDefinition does not have (`warnings`; the official action's SDK drops
 * those silently). An environment entry without a value gets value "" (as the official action does).
 * Everything else is kept as written, including "" and [] inside containers. Does not modify `raw`.
 */
export function cleanTaskDefinition(
  raw: unknown,
  file: string,
): { input: RegisterTaskDefinitionCommandInput; removedFields: string[]; warnings: string[] } {
  if (!isRecord(raw)) {
    throw new InputError(
      file,
      'must be a task definition object.',
      'Write the task definition as a JSON or YAML mapping with family and containerDefinitions.',
    );
  }
  const dropped: string[] = [];
  const source = dropNullsAndEmptyObjects(unwrapDescribeOutput(raw, file), '', dropped) as Record<
    string,
    unknown
  >;
  const warnings: string[] = [];
  const unknownFields: string[] = [];
  const removedFields: string[] = [];
  const readOnly: readonly string[] = READ_ONLY_TASK_DEFINITION_FIELDS;
  const valid: readonly string[] = REGISTER_TASK_DEFINITION_FIELDS;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (readOnly.includes(key)) {
      removedFields.push(key);
      continue;
    }
    if (!valid.includes(key)) {
      const suggestion = closestName(key, valid);
      if ((suggestion === 'family' || suggestion === 'containerDefinitions') && !(suggestion in source)) {
        // A near miss of a required field: leaving it out could only end in "missing".
        throw new InputError(
          `${file}: ${key}`,
          `is not a task definition field (did you mean '${suggestion}'?).`,
          `Rename it to '${suggestion}'. Valid fields: ${valid.join(', ')}.`,
        );
      }
      unknownFields.push(`'${key}'${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`);
      continue;
    }
    if (value === '' && key !== 'family') {
      dropped.push(key);
      continue;
    }
    out[key] = value;
  }
  if (unknownFields.length > 0) {
    warnings.push(
      `${file}: left out ${unknownFields.join(', ')}: not ${unknownFields.length === 1 ? 'a field' : 'fields'} of RegisterTaskDefinition (valid fields: ${valid.join(', ')}).`,
    );
  }
  if (dropped.length > 0) {
    warnings.push(`${file}: left out empty values (null, "" or {}) at ${dropped.join(', ')}.`);
  }
  for (const container of Array.isArray(out.containerDefinitions) ? out.containerDefinitions : []) {
    const environment: unknown = isRecord(container) ? container.environment : undefined;
    if (!Array.isArray(environment)) continue;
    for (const entry of environment) {
      if (isRecord(entry) && typeof entry.name === 'string' && entry.value === undefined) entry.value = '';
    }
  }
  completeAppMeshProperties(out.proxyConfiguration);

  requireString(
    out.family,
    `${file}: family`,
    'the task definition family',
    'Set family to the task definition family name, e.g. "web".',
  );
  const containers = out.containerDefinitions;
  if (!Array.isArray(containers) || containers.length === 0) {
    throw new InputError(
      `${file}: containerDefinitions`,
      containers === undefined ? 'is missing.' : 'must be a non-empty list of containers.',
      'List at least one container, e.g. [{"name": "web", "image": "...", "portMappings": [{"containerPort": 8080}]}].',
    );
  }
  const seen = new Map<string, number>();
  containers.forEach((c: unknown, i: number) => validateContainer(c, i, file, seen));
  if (out.tags !== undefined) validateTags(out.tags, file);

  for (const field of ['cpu', 'memory'] as const) {
    if (field in out) {
      const value = cpuOrMemory(out[field], field, file);
      if (value === undefined) delete out[field];
      else out[field] = value;
    }
  }
  return { input: out as unknown as RegisterTaskDefinitionCommandInput, removedFields, warnings };
}

function containerNames(td: AnyTaskDefinition): string[] {
  return (td.containerDefinitions ?? []).map((c) => c.name ?? '?');
}

/** A copy of `input` with the image of container `containerName` replaced. */
export function renderImage(
  input: RegisterTaskDefinitionCommandInput,
  containerName: string,
  image: string,
): RegisterTaskDefinitionCommandInput {
  if (image.trim() === '') {
    throw new InputError(
      "input 'image'",
      'is empty.',
      'Give the full image reference, e.g. 111122223333.dkr.ecr.us-east-1.amazonaws.com/web:abc123.',
    );
  }
  const index = (input.containerDefinitions ?? []).findIndex((c) => c.name === containerName);
  if (index < 0) {
    throw new InputError(
      "input 'container-name'",
      `container '${containerName}' is not in task definition '${input.family}'; its containers are: ${containerNames(input).join(', ') || '(none)'}.`,
      'Set container-name to one of those containers.',
    );
  }
  const copy = structuredClone(input);
  const container = copy.containerDefinitions?.[index] as ContainerDefinition;
  container.image = image;
  return copy;
}

/** Checks that the container exists in the task definition and maps `containerPort`. */
export function validateContainerPort(
  td: AnyTaskDefinition,
  containerName: string | undefined,
  containerPort: number | undefined,
  where: string,
): void {
  if (!containerName) {
    throw new InputError(
      where,
      'names no container to route traffic to.',
      `Set container-name to one of: ${containerNames(td).join(', ')}.`,
    );
  }
  if (containerPort === undefined) {
    throw new InputError(
      where,
      `gives no port for container '${containerName}'.`,
      'Set container-port to the port the load balancer sends traffic to.',
    );
  }
  const container = (td.containerDefinitions ?? []).find((c) => c.name === containerName);
  if (!container) {
    throw new InputError(
      where,
      `container '${containerName}' is not in task definition '${td.family}'; its containers are: ${containerNames(td).join(', ') || '(none)'}.`,
      'Use one of those container names, or add the container to the task definition.',
    );
  }
  const ports = (container.portMappings ?? [])
    .map((p) => p.containerPort)
    .filter((p): p is number => p !== undefined);
  if (!ports.includes(containerPort)) {
    throw new InputError(
      where,
      `port ${containerPort} is not a containerPort of container '${containerName}' (its port mappings: ${ports.join(', ') || 'none'}).`,
      `Use one of those ports, or add {"containerPort": ${containerPort}} to the container's portMappings.`,
    );
  }
}

/** Log lines describing a task definition. Environment values are never included (they may be secrets). */
export function summarizeTaskDefinition(td: AnyTaskDefinition): string[] {
  const lines: string[] = [];
  const revision = 'revision' in td && td.revision !== undefined ? `:${td.revision}` : '';
  lines.push(`Task definition family ${td.family ?? '?'}${revision}`);
  lines.push(`  cpu ${td.cpu ?? '(not set)'}, memory ${td.memory ?? '(not set)'}`);
  lines.push(
    `  network mode ${td.networkMode ?? '(default)'}${td.requiresCompatibilities?.length ? `, requires ${td.requiresCompatibilities.join(', ')}` : ''}`,
  );
  lines.push(`  task role ${td.taskRoleArn ?? '(none)'}, execution role ${td.executionRoleArn ?? '(none)'}`);
  for (const c of td.containerDefinitions ?? []) {
    const ports = (c.portMappings ?? []).map(
      (p) => `${p.containerPort ?? '?'}${p.protocol ? `/${p.protocol}` : ''}`,
    );
    const envCount = (c.environment ?? []).length;
    const secrets = (c.secrets ?? []).map((s) => s.name ?? '?');
    lines.push(
      `  container ${c.name ?? '?'}: image ${c.image ?? '?'}, ports ${ports.join(', ') || 'none'}, ${envCount} environment variable${envCount === 1 ? '' : 's'}, secrets ${secrets.join(', ') || 'none'}`,
    );
  }
  return lines;
}

/** Splits an image reference into registry, repository, tag and digest. */
export function describeImage(image: string): {
  registry?: string;
  repository: string;
  tag?: string;
  digest?: string;
} {
  let rest = image.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let registry: string | undefined;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  return {
    ...(registry !== undefined ? { registry } : {}),
    repository: rest,
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}
