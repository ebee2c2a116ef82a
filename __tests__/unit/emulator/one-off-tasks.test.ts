/**
 * The emulator's one-off tasks (RunTask / DescribeTasks): the checks before a task starts, idempotency by
 * clientToken, the statuses on the virtual clock, and the scripted endings (docs/aws-behaviours.md, "One-off
 * tasks (RunTask) and how they end").
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  DescribeServicesCommand,
  DescribeTasksCommand,
  RunTaskCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { startEmulator, type Emulator, type SeededService } from '../../../emulator/index.js';
import { clients, rejection, type Clients } from './helpers.js';

let emu: Emulator;
let c: Clients;
let seeded: SeededService;
const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

beforeAll(async () => {
  emu = await startEmulator({ clockScale: 200 });
  c = clients(emu);
  seeded = emu.seed.blueGreenService();
});
afterAll(() => emu.stop());

async function describeOne(arn: string) {
  const out = await c.ecs.send(new DescribeTasksCommand({ cluster: seeded.cluster, tasks: [arn] }));
  return out.tasks![0]!;
}

describe('RunTask for a one-off task', () => {
  it.each([
    [
      { launchType: 'FARGATE' as const, capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }] },
      /Specifying both a launch type and capacity provider strategy/,
    ],
    [{ networkConfiguration: undefined }, /Network Configuration must be provided when networkMode 'awsvpc'/],
    [
      { overrides: { containerOverrides: [{ name: 'nope' }] } },
      /Override for container named nope is not a container/,
    ],
    [{ startedBy: 'has spaces' }, /startedBy may hold up to 128/],
    [{ taskDefinition: 'ghost:1' }, /TaskDefinition not found/],
  ])('refuses %j before starting anything', async (change, message) => {
    const before = emu.oneOffTasks.tasks().length;
    const e = await rejection(
      c.ecs.send(
        new RunTaskCommand({
          cluster: seeded.cluster,
          taskDefinition: seeded.taskDefinitionArn,
          networkConfiguration: network,
          ...change,
        }),
      ),
    );
    expect(e.message).toMatch(message);
    expect(emu.oneOffTasks.tasks()).toHaveLength(before);
  });

  it('starts one task per clientToken, walks PROVISIONING to STOPPED and ends with the scripted exit codes', async () => {
    // runs 2 virtual minutes (0.6 s here): long enough to be seen RUNNING by any poll
    emu.oneOffTasks.script({ exitCodes: { web: 2 }, runMs: 120_000 });
    const request = {
      cluster: seeded.cluster,
      taskDefinition: seeded.taskDefinitionArn,
      networkConfiguration: network,
      startedBy: 'GitHub-Actions',
      clientToken: 'token-1',
    };
    const first = await c.ecs.send(new RunTaskCommand(request));
    const again = await c.ecs.send(new RunTaskCommand(request));
    const arn = first.tasks![0]!.taskArn!;
    expect(again.tasks!.map((t) => t.taskArn)).toEqual([arn]);
    expect(emu.oneOffTasks.tasks().filter((t) => t.taskArn === arn)).toHaveLength(1);
    expect(first.tasks![0]!.lastStatus).toBe('PROVISIONING');
    const seen = new Set<string>();
    for (let i = 0; i < 1000 && !seen.has('STOPPED'); i++) {
      seen.add((await describeOne(arn)).lastStatus!);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect([...seen]).toEqual(expect.arrayContaining(['RUNNING', 'STOPPED']));
    const stopped = await describeOne(arn);
    expect(stopped).toMatchObject({
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      startedBy: 'GitHub-Actions',
    });
    expect(stopped.containers?.map((x) => [x.name, x.exitCode])).toEqual([['web', 2]]);
  });

  it('a task that fails to start has no exit codes; a scripted failure starts no task', async () => {
    emu.oneOffTasks.script({ failToStart: 'CannotPullContainerError: denied' });
    const run = await c.ecs.send(
      new RunTaskCommand({
        cluster: seeded.cluster,
        taskDefinition: seeded.taskDefinitionArn,
        networkConfiguration: network,
      }),
    );
    const arn = run.tasks![0]!.taskArn!;
    let task = await describeOne(arn);
    for (let i = 0; i < 200 && task.lastStatus !== 'STOPPED'; i++) {
      await new Promise((r) => setTimeout(r, 5));
      task = await describeOne(arn);
    }
    expect(task).toMatchObject({
      stopCode: 'TaskFailedToStart',
      stoppedReason: 'CannotPullContainerError: denied',
    });
    expect(task.containers?.[0]?.exitCode).toBeUndefined();
    expect(task.containers?.[0]?.reason).toBe('CannotPullContainerError: denied');
    emu.oneOffTasks.script({ failure: { reason: 'RESOURCE:MEMORY' } });
    const failed = await c.ecs.send(
      new RunTaskCommand({
        cluster: seeded.cluster,
        taskDefinition: seeded.taskDefinitionArn,
        networkConfiguration: network,
      }),
    );
    expect(failed.tasks).toEqual([]);
    expect(failed.failures?.[0]?.reason).toBe('RESOURCE:MEMORY');
    emu.oneOffTasks.script({});
  });
});

describe('UpdateService on a CODE_DEPLOY service', () => {
  it('takes desired count and tags, and refuses volumeConfigurations', async () => {
    await c.ecs.send(
      new UpdateServiceCommand({
        cluster: seeded.cluster,
        service: seeded.service,
        desiredCount: 4,
        enableECSManagedTags: true,
        propagateTags: 'SERVICE',
      }),
    );
    const e = await rejection(
      c.ecs.send(
        new UpdateServiceCommand({
          cluster: seeded.cluster,
          service: seeded.service,
          volumeConfigurations: [{ name: 'data', managedEBSVolume: { roleArn: 'arn:aws:iam::1:role/r' } }],
        }),
      ),
    );
    expect(e.message).toMatch(/Unable to update volumeConfigurations on services with a CODE_DEPLOY/);
    const out = await c.ecs.send(
      new DescribeServicesCommand({
        cluster: seeded.cluster,
        services: [seeded.service],
      }),
    );
    expect(out.services?.[0]).toMatchObject({
      desiredCount: 4,
      enableECSManagedTags: true,
      propagateTags: 'SERVICE',
    });
  });
});
