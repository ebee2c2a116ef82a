import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TaskDefinition } from '@aws-sdk/client-ecs';
import { parseJsonOrYaml } from '../../../src/prepare/files.js';
import { InputError } from '../../../src/action/errors.js';
import {
  MAX_TASK_DEFINITION_BYTES,
  READ_ONLY_TASK_DEFINITION_FIELDS,
  checkReadyToRegister,
  cleanTaskDefinition,
  describeImage,
  renderImage,
  summarizeTaskDefinition,
  validateContainerPort,
} from '../../../src/prepare/task-definition.js';
import { catchInputError } from '../../helpers/input-error.js';

const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const load = (name: string) => parseJsonOrYaml(readFileSync(join(fixtures, name), 'utf8'), name);

const minimal = () => ({ family: 'web', containerDefinitions: [{ name: 'web', image: 'nginx' }] });

describe('cleanTaskDefinition', () => {
  it('keeps a bare task definition as written, including empty environment values', () => {
    const raw = load('task-definition.json');
    const { input, removedFields } = cleanTaskDefinition(raw, 'task-definition.json');
    expect(removedFields).toEqual([]);
    expect(input).toEqual(raw);
    expect(input.containerDefinitions?.[0]?.environment).toContainEqual({ name: 'FEATURE_FLAG', value: '' });
  });

  it('unwraps describe-task-definition output, drops read-only fields and keeps tags', () => {
    const { input, removedFields } = cleanTaskDefinition(load('describe-task-definition.json'), 'td.json');
    expect(removedFields.sort()).toEqual(
      [
        'taskDefinitionArn',
        'revision',
        'status',
        'compatibilities',
        'requiresAttributes',
        'registeredAt',
        'registeredBy',
      ].sort(),
    );
    for (const field of READ_ONLY_TASK_DEFINITION_FIELDS) expect(input).not.toHaveProperty(field);
    expect(input.tags).toEqual([{ key: 'commit', value: 'abc123' }]);
    expect(input.family).toBe('web');
    expect(input.volumes).toEqual([]);
    expect(input.containerDefinitions?.[0]?.environment).toEqual([{ name: 'EMPTY', value: '' }]);
  });

  it('drops deregisteredAt and deleteRequestedAt too', () => {
    const { removedFields } = cleanTaskDefinition(
      { ...minimal(), deregisteredAt: 1, deleteRequestedAt: 2 },
      'td.json',
    );
    expect(removedFields).toEqual(['deregisteredAt', 'deleteRequestedAt']);
  });

  it('turns numeric cpu and memory into strings', () => {
    const { input } = cleanTaskDefinition(load('task-definition.yaml'), 'task-definition.yaml');
    expect(input.cpu).toBe('256');
    expect(input.memory).toBe('512');
  });

  it('drops an empty (null) cpu or memory, as YAML gives for "cpu:" with no value', () => {
    const { input } = cleanTaskDefinition({ ...minimal(), cpu: null, memory: '1GB' }, 'td.yaml');
    expect(input).not.toHaveProperty('cpu');
    expect(input.memory).toBe('1GB');
  });

  it('does not modify its argument', () => {
    const raw = load('describe-task-definition.json') as Record<string, unknown>;
    const before = structuredClone(raw);
    const { input } = cleanTaskDefinition(raw, 'td.json');
    input.containerDefinitions?.[0]?.environment?.push({ name: 'X', value: 'y' });
    expect(raw).toEqual(before);
    const numeric = { ...minimal(), cpu: 256 };
    cleanTaskDefinition(numeric, 'td.json');
    expect(numeric.cpu).toBe(256);
  });

  it('leaves out a field RegisterTaskDefinition does not have, with a suggestion and the valid fields', () => {
    const { input, warnings } = cleanTaskDefinition({ ...minimal(), executionRoleARN: 'arn' }, 'td.json');
    expect(input).not.toHaveProperty('executionRoleARN');
    expect(input).not.toHaveProperty('executionRoleArn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("td.json: left out 'executionRoleARN' (did you mean 'executionRoleArn'?)");
    expect(warnings[0]).toContain('valid fields: family, taskRoleArn, executionRoleArn');
    expect(warnings[0]).toContain('enableFaultInjection');
  });

  it('rejects a near miss of a required field that is absent (it would only end in "missing")', () => {
    const error = catchInputError(() =>
      cleanTaskDefinition({ family: 'web', containerDefinition: minimal().containerDefinitions }, 'td.json'),
    );
    expect(error.where).toBe('td.json: containerDefinition');
    expect(error.message).toContain("did you mean 'containerDefinitions'?");
  });

  it('leaves out an unrelated unknown field without a suggestion', () => {
    const { input, warnings } = cleanTaskDefinition({ ...minimal(), somethingElse: true }, 'td.json');
    expect(input).not.toHaveProperty('somethingElse');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain('did you mean');
    expect(warnings[0]).toContain("left out 'somethingElse': not a field of RegisterTaskDefinition");
  });

  it('drops null values anywhere: fields, nested fields and list items', () => {
    const raw = {
      ...minimal(),
      ipcMode: null,
      taskRoleArn: null,
      ephemeralStorage: { sizeInGiB: null },
      containerDefinitions: [
        {
          name: 'web',
          image: 'nginx',
          user: null,
          command: ['serve', null, '--port', '80'],
          linuxParameters: { initProcessEnabled: true, maxSwap: null },
          environment: [null, { name: 'A', value: 'a' }],
        },
      ],
    };
    const { input, warnings } = cleanTaskDefinition(raw, 'td.json');
    expect(input).toEqual({
      family: 'web',
      containerDefinitions: [
        {
          name: 'web',
          image: 'nginx',
          command: ['serve', '--port', '80'],
          linuxParameters: { initProcessEnabled: true },
          environment: [{ name: 'A', value: 'a' }],
        },
      ],
    });
    expect(JSON.stringify(input)).not.toContain('null');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('ipcMode');
    expect(warnings[0]).toContain('containerDefinitions[0].command[1]');
    expect(warnings[0]).toContain('ephemeralStorage');
  });

  it('registers the official action\'s "cleans empty strings and objects" fixture as the official action does, keeping the empty environment value', () => {
    const raw = {
      memory: '',
      containerDefinitions: [
        {
          name: 'sample-container',
          image: 'nginx',
          logConfiguration: {},
          repositoryCredentials: { credentialsParameter: '' },
          environment: [
            { name: 'hello', value: 'world' },
            { name: 'test', value: '' },
            { name: '', value: '' },
          ],
          cpu: 0,
          essential: false,
        },
      ],
      requiresCompatibilities: ['EC2'],
      registeredAt: 1611690781,
      family: 'task-def-family',
    };
    const { input, removedFields } = cleanTaskDefinition(raw, 'task-definition.json');
    expect(removedFields).toEqual(['registeredAt']);
    expect(input).toEqual({
      family: 'task-def-family',
      containerDefinitions: [
        {
          name: 'sample-container',
          image: 'nginx',
          cpu: 0,
          essential: false,
          environment: [
            { name: 'hello', value: 'world' },
            { name: 'test', value: '' },
          ],
        },
      ],
      requiresCompatibilities: ['EC2'],
    });
  });

  it('keeps "" and [] inside containers and user maps (a deliberate difference from the official action)', () => {
    const raw = {
      ...minimal(),
      volumes: [],
      containerDefinitions: [
        {
          name: 'web',
          image: 'nginx',
          command: ['run', ''],
          dockerLabels: { team: '' },
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-stream-prefix': '' } },
        },
      ],
    };
    const { input, warnings } = cleanTaskDefinition(raw, 'td.json');
    expect(input).toEqual(raw);
    expect(warnings).toEqual([]);
  });

  it('drops top-level fields set to "" (not a valid value for any of them)', () => {
    const { input, warnings } = cleanTaskDefinition(
      { ...minimal(), networkMode: '', cpu: '', memory: '', taskRoleArn: '' },
      'td.json',
    );
    expect(input).toEqual(minimal());
    expect(warnings).toEqual([
      'td.json: left out empty values (null, "" or {}) at networkMode, cpu, memory, taskRoleArn.',
    ]);
  });

  it('gives an environment entry without a value the value "" (as the official action does)', () => {
    const raw = {
      ...minimal(),
      containerDefinitions: [{ name: 'web', image: 'nginx', environment: [{ name: 'FLAG' }] }],
    };
    const { input } = cleanTaskDefinition(raw, 'td.json');
    expect(input.containerDefinitions?.[0]?.environment).toEqual([{ name: 'FLAG', value: '' }]);
    expect(raw.containerDefinitions[0]?.environment[0]).toEqual({ name: 'FLAG' });
  });

  it('keeps proxyConfiguration properties with an empty value', () => {
    const proxyConfiguration = {
      type: 'APPMESH',
      containerName: 'envoy',
      properties: [
        { name: 'IgnoredGID', value: '' },
        { name: 'IgnoredUID', value: '1337' },
      ],
    };
    const { input } = cleanTaskDefinition({ ...minimal(), proxyConfiguration }, 'td.json');
    expect(input.proxyConfiguration).toEqual(proxyConfiguration);
  });

  it('completes an App Mesh proxy property without a name or a value with "" (as the official action does)', () => {
    const raw = {
      ...minimal(),
      proxyConfiguration: {
        type: 'APPMESH',
        containerName: 'envoy',
        properties: [{ value: '1337' }, { name: 'ProxyIngressPort' }, { name: 'AppPorts', value: '8080' }],
      },
    };
    const { input } = cleanTaskDefinition(raw, 'td.json');
    expect(input.proxyConfiguration?.properties).toEqual([
      { value: '1337', name: '' },
      { name: 'ProxyIngressPort', value: '' },
      { name: 'AppPorts', value: '8080' },
    ]);
    expect(raw.proxyConfiguration.properties[0]).toEqual({ value: '1337' });
  });

  it('leaves the properties of another proxy type as written (the official action completes APPMESH only)', () => {
    const proxyConfiguration = { type: 'OTHER', containerName: 'envoy', properties: [{ value: '1' }] };
    const { input } = cleanTaskDefinition({ ...minimal(), proxyConfiguration }, 'td.json');
    expect(input.proxyConfiguration).toEqual(proxyConfiguration);
  });

  it('refuses tags written as a map, showing them as the list ECS takes', () => {
    const error = catchInputError(() =>
      cleanTaskDefinition({ ...minimal(), tags: { team: 'web', stage: 'prod' } }, 'td.yaml'),
    );
    expect(error.where).toBe('td.yaml: tags');
    expect(error.message).toContain('must be a list of {"key": ..., "value": ...} entries, not a mapping');
    expect(error.fix).toContain('[{"key":"team","value":"web"},{"key":"stage","value":"prod"}]');
  });

  it.each([
    ['a string', 'team=web', 'td.json: tags', /not a string/],
    ['an entry without a key', [{ value: 'web' }], 'td.json: tags[0]', /non-empty string key/],
    [
      'a numeric value',
      [{ key: 'cost-center', value: 42 }],
      'td.json: tags[0].value',
      /must be a string, not a number/,
    ],
  ])('refuses tags with %s', (_label, tags, where, problem) => {
    const error = catchInputError(() => cleanTaskDefinition({ ...minimal(), tags }, 'td.json'));
    expect(error.where).toBe(where);
    expect(error.message).toMatch(problem);
  });

  it('keeps tags written as a list', () => {
    const tags = [{ key: 'team', value: 'web' }, { key: 'flag' }];
    expect(cleanTaskDefinition({ ...minimal(), tags }, 'td.json').input.tags).toEqual(tags);
  });

  it("reads the official action's flow-style .yml task definition with trailing commas", () => {
    const { input, warnings } = cleanTaskDefinition(
      load('official/flow-style-trailing-commas.yml'),
      'official/flow-style-trailing-commas.yml',
    );
    expect(warnings).toEqual([]);
    expect(input.family).toBe('web');
    expect(input.containerDefinitions?.[0]?.portMappings).toEqual([{ containerPort: 80, protocol: 'tcp' }]);
  });

  it('rejects extra keys next to taskDefinition in describe output', () => {
    const error = catchInputError(() =>
      cleanTaskDefinition({ taskDefinition: minimal(), ResponseMetadata: {} }, 'td.json'),
    );
    expect(error.where).toBe('td.json: ResponseMetadata');
    expect(error.fix).toMatch(/bare task definition/);
  });

  it.each([
    [
      'missing family',
      { containerDefinitions: [{ name: 'a', image: 'b' }] },
      'td.json: family',
      /is missing/,
    ],
    [
      'empty family',
      { family: '', containerDefinitions: [{ name: 'a', image: 'b' }] },
      'td.json: family',
      /non-empty string/,
    ],
    ['missing containers', { family: 'web' }, 'td.json: containerDefinitions', /is missing/],
    [
      'empty containers',
      { family: 'web', containerDefinitions: [] },
      'td.json: containerDefinitions',
      /non-empty list/,
    ],
    [
      'non-object container',
      { family: 'web', containerDefinitions: ['nginx'] },
      'td.json: containerDefinitions[0]',
      /must be an object/,
    ],
    [
      'container without name',
      { family: 'web', containerDefinitions: [{ name: 'a', image: 'x' }, { image: 'nginx' }] },
      'td.json: containerDefinitions[1].name',
      /is missing/,
    ],
    [
      'container without image',
      { family: 'web', containerDefinitions: [{ name: 'a' }] },
      'td.json: containerDefinitions[0].image',
      /is missing for container 'a'/,
    ],
    [
      'numeric image',
      { family: 'web', containerDefinitions: [{ name: 'a', image: 5 }] },
      'td.json: containerDefinitions[0].image',
      /must be a string/,
    ],
    [
      'duplicate container names',
      {
        family: 'web',
        containerDefinitions: [
          { name: 'a', image: 'x' },
          { name: 'a', image: 'y' },
        ],
      },
      'td.json: containerDefinitions[1].name',
      /already the name of containerDefinitions\[0\]/,
    ],
    [
      'portMappings not a list',
      {
        family: 'web',
        containerDefinitions: [{ name: 'a', image: 'x', portMappings: { containerPort: 80 } }],
      },
      'td.json: containerDefinitions[0].portMappings',
      /must be a list/,
    ],
    [
      'bad containerPort',
      {
        family: 'web',
        containerDefinitions: [{ name: 'a', image: 'x', portMappings: [{ containerPort: 70000 }] }],
      },
      'td.json: containerDefinitions[0].portMappings[0]',
      /integer from 1 to 65535/,
    ],
    [
      'numeric environment value',
      {
        family: 'web',
        containerDefinitions: [{ name: 'a', image: 'x', environment: [{ name: 'PORT', value: 8080 }] }],
      },
      'td.json: containerDefinitions[0].environment[0].value',
      /environment 'PORT' of container 'a'\) must be a string, not a number/,
    ],
    [
      'environment entry without a name',
      { family: 'web', containerDefinitions: [{ name: 'a', image: 'x', environment: [{ value: 'v' }] }] },
      'td.json: containerDefinitions[0].environment[0]',
      /non-empty string name/,
    ],
    [
      'secrets not a list',
      { family: 'web', containerDefinitions: [{ name: 'a', image: 'x', secrets: 'arn' }] },
      'td.json: containerDefinitions[0].secrets',
      /must be a list/,
    ],
    ['boolean cpu', { ...minimal(), cpu: true }, 'td.json: cpu', /must be a string/],
  ])('rejects %s', (_label, raw, where, problem) => {
    const error = catchInputError(() => cleanTaskDefinition(raw, 'td.json'));
    expect(error.where).toBe(where);
    expect(error.message).toMatch(problem);
    expect(error.fix).toBeTruthy();
  });

  it('rejects a non-object', () => {
    const error = catchInputError(() => cleanTaskDefinition(['x'], 'td.json'));
    expect(error.where).toBe('td.json');
    expect(error.fix).toMatch(/family and containerDefinitions/);
  });
});

describe('checkReadyToRegister', () => {
  it('refuses a container whose image is empty, naming it', () => {
    const input = {
      family: 'web',
      containerDefinitions: [
        { name: 'web', image: 'nginx' },
        { name: 'sidecar', image: '' },
      ],
    };
    const error = catchInputError(() => checkReadyToRegister(input, 'td.json'));
    expect(error.where).toBe('td.json: containerDefinitions[1].image');
    expect(error.message).toContain("is empty for container 'sidecar'");
    expect(error.fix).toMatch(/image input/);
  });

  it('accepts an empty image once the image input filled it in', () => {
    const { input } = cleanTaskDefinition(
      { family: 'web', containerDefinitions: [{ name: 'web', image: '' }] },
      'td.json',
    );
    expect(() => checkReadyToRegister(input, 'td.json')).toThrow(InputError);
    expect(() => checkReadyToRegister(renderImage(input, 'web', 'nginx:1.27'), 'td.json')).not.toThrow();
  });

  it(`refuses a task definition over ECS's ${MAX_TASK_DEFINITION_BYTES} bytes, measured as compact JSON`, () => {
    const withValue = (length: number) => ({
      family: 'web',
      containerDefinitions: [
        { name: 'web', image: 'nginx', environment: [{ name: 'BIG', value: 'x'.repeat(length) }] },
      ],
    });
    const overhead = Buffer.byteLength(JSON.stringify(withValue(0)));
    expect(() =>
      checkReadyToRegister(withValue(MAX_TASK_DEFINITION_BYTES - overhead), 'td.json'),
    ).not.toThrow();
    const error = catchInputError(() =>
      checkReadyToRegister(withValue(MAX_TASK_DEFINITION_BYTES - overhead + 1), 'td.json'),
    );
    expect(error.where).toBe('td.json');
    expect(error.message).toContain(`is ${MAX_TASK_DEFINITION_BYTES + 1} bytes`);
    expect(error.message).toContain('64 KiB');
    expect(error.fix).toMatch(/secrets/);
  });
});

describe('renderImage', () => {
  const input = cleanTaskDefinition(load('task-definition.json'), 'td.json').input;

  it('replaces only the named container image, without modifying the input', () => {
    const before = structuredClone(input);
    const out = renderImage(input, 'sidecar', 'otel:v2');
    expect(out.containerDefinitions?.[1]?.image).toBe('otel:v2');
    expect(out.containerDefinitions?.[0]?.image).toBe(input.containerDefinitions?.[0]?.image);
    expect(input).toEqual(before);
    expect(out).not.toBe(input);
  });

  it('lists the containers when the name is not found', () => {
    const error = catchInputError(() => renderImage(input, 'api', 'x:1'));
    expect(error.where).toBe("input 'container-name'");
    expect(error.message).toContain("container 'api' is not in task definition 'web'");
    expect(error.message).toContain('its containers are: web, sidecar');
    expect(error.fix).toMatch(/one of those containers/);
  });

  it('rejects an empty image', () => {
    const error = catchInputError(() => renderImage(input, 'web', '  '));
    expect(error.where).toBe("input 'image'");
    expect(error.message).toContain('is empty');
    expect(error.fix).toMatch(/full image reference/);
  });
});

describe('validateContainerPort', () => {
  const td = cleanTaskDefinition(load('task-definition.json'), 'td.json').input;

  it('accepts a mapped port', () => {
    expect(() => validateContainerPort(td, 'sidecar', 4318, 'where')).not.toThrow();
  });

  it.each([
    ['no container name', undefined, 8080, /names no container/, /web, sidecar/],
    ['no port', 'web', undefined, /gives no port for container 'web'/, /container-port/],
    [
      'unknown container',
      'api',
      8080,
      /container 'api' is not in task definition 'web'; its containers are: web, sidecar/,
      /container names/,
    ],
    [
      'unmapped port',
      'sidecar',
      8080,
      /port 8080 is not a containerPort of container 'sidecar' \(its port mappings: 4317, 4318\)/,
      /portMappings/,
    ],
  ])('rejects %s, naming the given place', (_label, name, port, problem, fix) => {
    const error = catchInputError(() => validateContainerPort(td, name, port, "input 'container-port'"));
    expect(error.where).toBe("input 'container-port'");
    expect(error.message).toMatch(problem);
    expect(error.fix).toMatch(fix);
  });

  it('says "none" for a container without port mappings', () => {
    const bare: TaskDefinition = { family: 'x', containerDefinitions: [{ name: 'a', image: 'b' }] };
    const error = catchInputError(() => validateContainerPort(bare, 'a', 80, 'w'));
    expect(error.message).toContain('(its port mappings: none)');
  });
});

describe('summarizeTaskDefinition', () => {
  const td = cleanTaskDefinition(load('task-definition.json'), 'td.json').input;

  it('describes the task and each container', () => {
    const lines = summarizeTaskDefinition(td);
    expect(lines).toEqual([
      'Task definition family web',
      '  cpu 256, memory 512',
      '  network mode awsvpc, requires FARGATE',
      '  task role arn:aws:iam::111122223333:role/web-task, execution role arn:aws:iam::111122223333:role/ecsTaskExecutionRole',
      '  container web: image 111122223333.dkr.ecr.us-east-1.amazonaws.com/web:abc123, ports 8080/tcp, 3 environment variables, secrets API_KEY',
      '  container sidecar: image public.ecr.aws/aws-observability/aws-otel-collector:v0.40.0, ports 4317, 4318, 0 environment variables, secrets none',
    ]);
  });

  it('never prints environment values', () => {
    const text = summarizeTaskDefinition(td).join('\n');
    expect(text).not.toContain('hunter2-super-secret');
    expect(text).not.toContain('info');
  });

  it('shows the revision of a registered task definition and unset values', () => {
    const registered: TaskDefinition = { family: 'web', revision: 7, containerDefinitions: [] };
    const lines = summarizeTaskDefinition(registered);
    expect(lines[0]).toBe('Task definition family web:7');
    expect(lines[1]).toBe('  cpu (not set), memory (not set)');
    expect(lines[3]).toBe('  task role (none), execution role (none)');
  });
});

describe('describeImage', () => {
  it.each([
    ['nginx', { repository: 'nginx' }],
    ['nginx:1.27', { repository: 'nginx', tag: '1.27' }],
    ['library/nginx:1.27', { repository: 'library/nginx', tag: '1.27' }],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    ['host:5000/team/repo:tag', { registry: 'host:5000', repository: 'team/repo', tag: 'tag' }],
    [
      '123.dkr.ecr.us-east-1.amazonaws.com/app@sha256:abc123',
      { registry: '123.dkr.ecr.us-east-1.amazonaws.com', repository: 'app', digest: 'sha256:abc123' },
    ],
    ['repo:tag@sha256:def', { repository: 'repo', tag: 'tag', digest: 'sha256:def' }],
    ['host:5000/repo', { registry: 'host:5000', repository: 'repo' }],
  ])('parses %s', (image, expected) => {
    expect(describeImage(image)).toEqual(expected);
  });
});
