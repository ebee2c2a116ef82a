import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DeregisterTaskDefinitionCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { startEmulator, type Emulator, type SeededService } from '../../../emulator/index.js';
import { clients, rejection, type Clients } from './helpers.js';

let emu: Emulator;
let c: Clients;
let seeded: SeededService;

beforeAll(async () => {
  emu = await startEmulator({ clockScale: 200 });
  c = clients(emu);
  seeded = emu.seed.blueGreenService();
});
afterAll(() => emu.stop());

async function rawEcs(op: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(emu.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AmazonEC2ContainerServiceV20141113.${op}`,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('ECS', () => {
  it('describes the seeded CODE_DEPLOY service with its PRIMARY task set', async () => {
    const out = await c.ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web', 'nope'] }));
    const svc = out.services?.[0];
    expect(svc?.serviceArn).toBe(seeded.serviceArn);
    expect(svc?.deploymentController?.type).toBe('CODE_DEPLOY');
    expect(svc?.taskDefinition).toBe(seeded.taskDefinitionArn);
    expect(svc?.taskSets).toHaveLength(1);
    expect(svc?.taskSets?.[0]?.status).toBe('PRIMARY');
    expect(svc?.taskSets?.[0]?.networkConfiguration?.awsvpcConfiguration?.subnets?.length).toBeGreaterThan(0);
    expect(svc?.taskSets?.[0]?.createdAt).toBeInstanceOf(Date);
    expect(svc?.loadBalancers?.[0]?.targetGroupArn).toBe(seeded.targetGroupArns[0]);
    expect(out.failures).toEqual([
      { arn: `arn:aws:ecs:us-east-1:111111111111:service/demo/nope`, reason: 'MISSING' },
    ]);
  });

  it('rejects an unknown cluster with ClusterNotFoundException', async () => {
    const e = await rejection(
      c.ecs.send(new DescribeServicesCommand({ cluster: 'ghost', services: ['web'] })),
    );
    expect(e.name).toBe('ClusterNotFoundException');
    expect(e.$metadata?.httpStatusCode).toBe(400);
  });

  it('describes a task definition by family, family:revision and ARN, with environment and secrets', async () => {
    for (const ref of ['web', 'web:1', seeded.taskDefinitionArn]) {
      const out = await c.ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: ref, include: ['TAGS'] }),
      );
      expect(out.taskDefinition?.taskDefinitionArn).toBe(seeded.taskDefinitionArn);
      expect(out.taskDefinition?.revision).toBe(1);
      expect(out.taskDefinition?.registeredAt).toBeInstanceOf(Date);
      const container = out.taskDefinition?.containerDefinitions?.[0];
      expect(container?.environment?.some((e) => e.name === 'DATABASE_PASSWORD')).toBe(true);
      expect(container?.secrets?.[0]?.name).toBe('API_TOKEN');
    }
    const e = await rejection(c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web:99' })));
    expect(e.name).toBe('ClientException');
    expect(e.message).toBe('Unable to describe task definition.');
  });

  it('registers revision N+1 with normalised containers and computed fields', async () => {
    const out = await c.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'api',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '0.5 vCPU',
        memory: '1GB',
        containerDefinitions: [{ name: 'api', image: 'api:1', portMappings: [{ containerPort: 9000 }] }],
        tags: [{ key: 'commit', value: 'abc' }],
      }),
    );
    expect(out.taskDefinition?.taskDefinitionArn).toBe(
      'arn:aws:ecs:us-east-1:111111111111:task-definition/api:1',
    );
    expect(out.taskDefinition?.status).toBe('ACTIVE');
    expect(out.taskDefinition?.cpu).toBe('512');
    expect(out.taskDefinition?.memory).toBe('1024');
    expect(out.taskDefinition?.containerDefinitions?.[0]?.portMappings?.[0]).toEqual({
      containerPort: 9000,
      hostPort: 9000,
      protocol: 'tcp',
    });
    expect(out.tags).toEqual([{ key: 'commit', value: 'abc' }]);
    const second = await c.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'api',
        containerDefinitions: [{ name: 'api', image: 'api:2' }],
      }),
    );
    expect(second.taskDefinition?.revision).toBe(2);
  });

  it('rejects invalid registrations with ClientException', async () => {
    const blank = await rejection(
      c.ecs.send(
        new RegisterTaskDefinitionCommand({ family: '', containerDefinitions: [{ name: 'a', image: 'b' }] }),
      ),
    );
    expect(blank.name).toBe('ClientException');
    expect(blank.message).toBe('Family can not be blank.');
    const empty = await rejection(
      c.ecs.send(new RegisterTaskDefinitionCommand({ family: 'x', containerDefinitions: [] })),
    );
    expect(empty.message).toBe('Container list cannot be empty.');
    const fargate = await rejection(
      c.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'x',
          requiresCompatibilities: ['FARGATE'],
          networkMode: 'bridge',
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'a', image: 'b' }],
        }),
      ),
    );
    expect(fargate.message).toMatch(/awsvpc/);
  });

  it('refuses a task definition over 64 KiB with the ClientException AWS answers', async () => {
    const before = emu.snapshot();
    const input = {
      family: 'big',
      containerDefinitions: [
        { name: 'a', image: 'b', environment: [{ name: 'BLOB', value: 'x'.repeat(66_000) }] },
      ],
    };
    const big = await rejection(c.ecs.send(new RegisterTaskDefinitionCommand(input)));
    const size = Buffer.byteLength(JSON.stringify(input), 'utf8');
    expect(big.name).toBe('ClientException');
    expect(big.message).toBe(`Actual length: '${size}'. Max allowed length is '65536' bytes.`);
    expect(emu.snapshot()).toBe(before);
    // just within the quota: registered
    const fits = {
      ...input,
      containerDefinitions: [
        { ...input.containerDefinitions[0]!, environment: [{ name: 'BLOB', value: '' }] },
      ],
    };
    const room = 65_536 - Buffer.byteLength(JSON.stringify(fits), 'utf8');
    fits.containerDefinitions[0]!.environment[0]!.value = 'x'.repeat(room);
    const ok = await c.ecs.send(new RegisterTaskDefinitionCommand(fits));
    expect(ok.taskDefinition?.family).toBe('big');
  });

  it('rejects read-only fields sent on the wire with an Unknown parameter ClientException', async () => {
    const before = emu.snapshot();
    const res = await rawEcs('RegisterTaskDefinition', {
      family: 'web',
      revision: 7,
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:111111111111:task-definition/web:7',
      containerDefinitions: [{ name: 'web', image: 'x' }],
    });
    expect(res.status).toBe(400);
    expect(res.json.__type).toBe('ClientException');
    expect(String(res.json.message)).toMatch(/^Unknown parameter in input: "revision"/);
    expect(emu.snapshot()).toBe(before);
  });

  it('lists task definitions by family, status and sort, and deregisters', async () => {
    await c.ecs.send(
      new RegisterTaskDefinitionCommand({ family: 'lst', containerDefinitions: [{ name: 'a', image: 'b' }] }),
    );
    await c.ecs.send(
      new RegisterTaskDefinitionCommand({ family: 'lst', containerDefinitions: [{ name: 'a', image: 'c' }] }),
    );
    const desc = await c.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'lst', sort: 'DESC' }));
    expect(desc.taskDefinitionArns?.map((a) => a.split(':').pop())).toEqual(['2', '1']);
    const dereg = await c.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'lst:1' }));
    expect(dereg.taskDefinition?.status).toBe('INACTIVE');
    expect(dereg.taskDefinition?.deregisteredAt).toBeInstanceOf(Date);
    const active = await c.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'lst' }));
    expect(active.taskDefinitionArns?.map((a) => a.split(':').pop())).toEqual(['2']);
    const inactive = await c.ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: 'lst', status: 'INACTIVE' }),
    );
    expect(inactive.taskDefinitionArns?.map((a) => a.split(':').pop())).toEqual(['1']);
    const latest = await c.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'lst' }));
    expect(latest.taskDefinition?.revision).toBe(2);
    const noRev = await rejection(c.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'lst' })));
    expect(noRev.name).toBe('ClientException');
  });

  it('records each call with the SigV4 access key id', () => {
    const call = emu.calls.find((x) => x.service === 'ecs' && x.action === 'DescribeServices');
    expect(call?.accessKeyId).toBe('AKIAEMULATOR00000001');
    expect(call?.status).toBe(200);
    const failed = emu.calls.find((x) => x.error === 'ClusterNotFoundException');
    expect(failed?.status).toBe(400);
  });
});
