import { describe, expect, it } from '@jest/globals';
import type { RegisterTaskDefinitionCommandInput, TaskDefinition } from '@aws-sdk/client-ecs';
import { diffTaskDefinitions, renderDiffMarkdown } from '../../../src/prepare/diff.js';

const SECRET = 'hunter2-super-secret';
const NEW_SECRET = 'correct-horse-battery';

const running = (): TaskDefinition => ({
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:111122223333:task-definition/web:42',
  family: 'web',
  revision: 42,
  cpu: '256',
  memory: '512',
  networkMode: 'awsvpc',
  requiresCompatibilities: ['FARGATE'],
  taskRoleArn: 'arn:aws:iam::111122223333:role/web-task',
  executionRoleArn: 'arn:aws:iam::111122223333:role/exec',
  runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
  containerDefinitions: [
    {
      name: 'web',
      image: 'web:abc',
      cpu: 128,
      memory: 256,
      essential: true,
      portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp' }],
      command: ['node', 'server.js'],
      environment: [
        { name: 'DB_PASSWORD', value: SECRET },
        { name: 'LOG_LEVEL', value: 'info' },
        { name: 'OLD', value: SECRET },
      ],
      secrets: [{ name: 'API_KEY', valueFrom: 'arn:aws:secretsmanager:us-east-1:1:secret:api-v1' }],
    },
    { name: 'legacy', image: 'legacy:1' },
  ],
});

describe('diffTaskDefinitions', () => {
  it('reports no changes for the same definition (register input against registered)', () => {
    const { taskDefinitionArn: _arn, revision: _rev, ...input } = running();
    const diff = diffTaskDefinitions(running(), input as RegisterTaskDefinitionCommandInput);
    expect(diff).toEqual({ hasChanges: false, changes: [] });
  });

  it('treats essential missing as true and ignores hostPort equal to containerPort', () => {
    const next = running();
    const web = next.containerDefinitions?.[0];
    if (!web) throw new Error('fixture');
    delete web.essential;
    web.portMappings = [{ containerPort: 8080, protocol: 'tcp' }];
    expect(diffTaskDefinitions(running(), next).hasChanges).toBe(false);
  });

  it('reports every kind of change, and never an environment value', () => {
    const next: RegisterTaskDefinitionCommandInput = {
      family: 'web',
      cpu: '512',
      memory: '512',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE', 'EC2'],
      executionRoleArn: 'arn:aws:iam::111122223333:role/exec',
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      containerDefinitions: [
        {
          name: 'web',
          image: 'web:def',
          cpu: 128,
          memoryReservation: 200,
          essential: false,
          portMappings: [{ containerPort: 9090, protocol: 'tcp' }],
          entryPoint: ['/bin/sh', '-c'],
          environment: [
            { name: 'DB_PASSWORD', value: NEW_SECRET },
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'NEW', value: SECRET },
          ],
          secrets: [{ name: 'API_KEY', valueFrom: 'arn:aws:secretsmanager:us-east-1:1:secret:api-v2' }],
        },
        { name: 'proxy', image: 'envoy:1.30', essential: false },
      ],
    };
    const diff = diffTaskDefinitions(running(), next);
    expect(diff.hasChanges).toBe(true);
    expect(diff.changes).toEqual([
      { field: 'task cpu', kind: 'changed', before: '256', after: '512' },
      { field: 'taskRoleArn', kind: 'removed', before: 'arn:aws:iam::111122223333:role/web-task' },
      { field: 'requiresCompatibilities', kind: 'changed', before: 'FARGATE', after: 'EC2, FARGATE' },
      {
        field: 'runtimePlatform',
        kind: 'changed',
        before: 'cpuArchitecture=X86_64, operatingSystemFamily=LINUX',
        after: 'cpuArchitecture=ARM64, operatingSystemFamily=LINUX',
      },
      { field: 'container legacy', kind: 'removed', before: 'legacy:1' },
      { field: 'container web: image', kind: 'changed', before: 'web:abc', after: 'web:def' },
      { field: 'container web: memory', kind: 'removed', before: '256' },
      { field: 'container web: memoryReservation', kind: 'added', after: '200' },
      { field: 'container web: portMappings', kind: 'changed', before: '8080/tcp', after: '9090/tcp' },
      { field: 'container web: command', kind: 'removed', before: 'node, server.js' },
      { field: 'container web: entryPoint', kind: 'added', after: '/bin/sh, -c' },
      { field: 'container web: essential', kind: 'changed', before: 'true', after: 'false' },
      {
        field: 'container web: environment DB_PASSWORD',
        kind: 'changed',
        before: 'set',
        after: 'value changed',
      },
      { field: 'container web: environment NEW', kind: 'added', after: 'set' },
      { field: 'container web: environment OLD', kind: 'removed', before: 'set' },
      {
        field: 'container web: secret API_KEY',
        kind: 'changed',
        before: 'arn:aws:secretsmanager:us-east-1:1:secret:api-v1',
        after: 'arn:aws:secretsmanager:us-east-1:1:secret:api-v2',
      },
      { field: 'container proxy', kind: 'added', after: 'envoy:1.30' },
      { field: 'container proxy: image', kind: 'added', after: 'envoy:1.30' },
      { field: 'container proxy: essential', kind: 'added', after: 'false' },
    ]);
    const text = JSON.stringify(diff) + renderDiffMarkdown(diff, {});
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(NEW_SECRET);
  });

  it('treats an empty environment value as a value', () => {
    const next = running();
    const env = next.containerDefinitions?.[0]?.environment?.[1];
    if (!env) throw new Error('fixture');
    env.value = '';
    expect(diffTaskDefinitions(running(), next).changes).toEqual([
      {
        field: 'container web: environment LOG_LEVEL',
        kind: 'changed',
        before: 'set',
        after: 'value changed',
      },
    ]);
  });

  it('reports everything as added without a running task definition', () => {
    const diff = diffTaskDefinitions(undefined, running());
    expect(diff.hasChanges).toBe(true);
    expect(diff.changes.every((c) => c.kind === 'added' && c.before === undefined)).toBe(true);
    expect(diff.changes.map((c) => c.field)).toEqual(
      expect.arrayContaining([
        'task cpu',
        'networkMode',
        'container web',
        'container web: environment DB_PASSWORD',
        'container web: secret API_KEY',
        'container legacy',
      ]),
    );
    expect(JSON.stringify(diff)).not.toContain(SECRET);
  });

  it('does not modify its arguments', () => {
    const before = running();
    const next = running();
    next.containerDefinitions?.reverse();
    const copies = [structuredClone(before), structuredClone(next)];
    diffTaskDefinitions(before, next);
    expect([before, next]).toEqual(copies);
  });
});

describe('renderDiffMarkdown', () => {
  it('renders a table and the deployment details', () => {
    const diff = diffTaskDefinitions(running(), { ...running(), cpu: '1024' });
    const md = renderDiffMarkdown(diff, {
      deploymentConfig: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
      imageDigest: 'sha256:abc',
      service: 'web',
      cluster: 'prod',
    });
    expect(md.split('\n')).toEqual([
      'Service: prod/web',
      '',
      '| Field | Now | After deploy |',
      '| --- | --- | --- |',
      '| task cpu | 256 | 1024 |',
      '',
      'Deployment config: CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
      'Image digest: sha256:abc',
    ]);
  });

  it('says when nothing changes', () => {
    const md = renderDiffMarkdown({ hasChanges: false, changes: [] }, {});
    expect(md).toBe('No changes to the task definition.');
  });

  it('marks added and removed rows', () => {
    const md = renderDiffMarkdown(
      {
        hasChanges: true,
        changes: [
          { field: 'container a', kind: 'added', after: 'a:1' },
          { field: 'container b', kind: 'removed', before: 'b:1' },
        ],
      },
      {},
    );
    expect(md).toContain('| container a | (none) | a:1 |');
    expect(md).toContain('| container b | b:1 | (removed) |');
  });

  it('escapes pipes and backticks in values', () => {
    const next = running();
    const web = next.containerDefinitions?.[0];
    if (!web) throw new Error('fixture');
    web.command = ['sh', '-c', 'echo `date` | tee /tmp/x'];
    const md = renderDiffMarkdown(diffTaskDefinitions(running(), next), {});
    const row = md.split('\n').find((l) => l.startsWith('| container web: command'));
    expect(row).toBe('| container web: command | node, server.js | sh, -c, echo \\`date\\` \\| tee /tmp/x |');
  });
});
