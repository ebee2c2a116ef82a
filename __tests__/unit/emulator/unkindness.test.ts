/** AWS's unkindness (issue #9 part 7): each switch, driven with the real SDK clients. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import {
  CodeDeployClient,
  ContinueDeploymentCommand,
  CreateDeploymentCommand,
  GetApplicationCommand,
  GetDeploymentCommand,
  GetDeploymentTargetCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type ECSTarget,
} from '@aws-sdk/client-codedeploy';
import {
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  ListTaskDefinitionsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import {
  startEmulator,
  STATIC_ACCESS_KEY_ID,
  STATIC_SECRET_ACCESS_KEY,
  type BlueGreenServiceOptions,
  type Emulator,
  type SeededService,
} from '../../../emulator/index.js';
import { appSpec, clients, rejection, waitFor, type Clients } from './helpers.js';

let emu: Emulator | undefined;
afterEach(async () => {
  await emu?.stop();
  emu = undefined;
});

const READY_WAIT = { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 30 } as const;

async function setup(
  o: BlueGreenServiceOptions = {},
  scale = 300,
): Promise<{ emu: Emulator; c: Clients; s: SeededService; v2: string }> {
  emu = await startEmulator({ clockScale: scale });
  const c = clients(emu);
  const s = emu.seed.blueGreenService({ terminationWaitMinutes: 0, ...o });
  const td = await c.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: s.family,
      networkMode: 'awsvpc',
      containerDefinitions: [{ name: 'web', image: 'web:v2', portMappings: [{ containerPort: 8080 }] }],
    }),
  );
  return { emu, c, s, v2: td.taskDefinition!.taskDefinitionArn! };
}

/** Clients that retry like the action's (three attempts), to see what a retry meets. */
function retrying(e: Emulator): { cd: CodeDeployClient; ecs: ECSClient } {
  const config = {
    endpoint: e.url,
    region: e.region,
    credentials: { accessKeyId: STATIC_ACCESS_KEY_ID, secretAccessKey: STATIC_SECRET_ACCESS_KEY },
    maxAttempts: 3,
  };
  return { cd: new CodeDeployClient(config), ecs: new ECSClient(config) };
}

function createInput(s: SeededService, content: string) {
  return {
    applicationName: s.application,
    deploymentGroupName: s.deploymentGroup,
    revision: {
      revisionType: 'AppSpecContent' as const,
      appSpecContent: { content, sha256: createHash('sha256').update(content).digest('hex') },
    },
  };
}

async function deploy(c: Clients, s: SeededService, content: string): Promise<string> {
  return (await c.cd.send(new CreateDeploymentCommand(createInput(s, content)))).deploymentId!;
}

const info = (c: Clients, id: string) =>
  c.cd.send(new GetDeploymentCommand({ deploymentId: id })).then((o) => o.deploymentInfo!);
const target = (c: Clients, s: SeededService, id: string): Promise<ECSTarget> =>
  c.cd
    .send(new GetDeploymentTargetCommand({ deploymentId: id, targetId: `${s.cluster}:${s.service}` }))
    .then((o) => o.deploymentTarget!.ecsTarget!);
const event = (t: ECSTarget, name: string) => t.lifecycleEvents?.find((e) => e.lifecycleEventName === name);
const callsOf = (e: Emulator, action: string) => e.calls.filter((x) => x.action === action);

describe('an answer lost after the change was applied', () => {
  it('ContinueDeployment: 500 after continuing; the SDK retry meets DeploymentIsNotInReadyStateException', async () => {
    const { emu, c, s, v2 } = await setup({ readyOption: READY_WAIT });
    const id = await deploy(c, s, appSpec(v2));
    await waitFor(
      () => info(c, id),
      (d) => d.status === 'Ready',
    );
    emu.faults.set({ loseAnswer: { ContinueDeployment: { times: 1, as: '5xx' } } });
    const e = await rejection(
      retrying(emu).cd.send(
        new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'READY_WAIT' }),
      ),
    );
    expect(e.name).toBe('DeploymentIsNotInReadyStateException');
    expect(callsOf(emu, 'ContinueDeployment').map((x) => x.status)).toEqual([500, 400]);
    // the first call did continue the deployment
    expect((await info(c, id)).status).not.toBe('Ready');
    expect(event(await target(c, s, id), 'BeforeAllowTraffic')?.status).not.toBe('Pending');
  });

  it('StopDeployment: socket dropped after stopping; the retry meets DeploymentAlreadyCompletedException', async () => {
    const { emu, c, s, v2 } = await setup({ readyOption: READY_WAIT });
    const id = await deploy(c, s, appSpec(v2));
    await waitFor(
      () => info(c, id),
      (d) => d.status === 'Ready',
    );
    emu.faults.set({ loseAnswer: { StopDeployment: { times: 1, as: 'drop' } } });
    const e = await rejection(
      retrying(emu).cd.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: true })),
    );
    expect(e.name).toBe('DeploymentAlreadyCompletedException');
    expect(callsOf(emu, 'StopDeployment').map((x) => [x.status, x.error])).toEqual([
      [0, 'answer-lost-dropped'],
      [400, 'DeploymentAlreadyCompletedException'],
    ]);
    const d = await info(c, id);
    expect(d.status).toBe('Stopped');
    expect(d.rollbackInfo?.rollbackDeploymentId).toMatch(/^d-/);
  });

  it('CreateDeployment and RegisterTaskDefinition: the retry finds the first call applied', async () => {
    const { emu, c, s, v2 } = await setup();
    const retry = retrying(emu);
    emu.faults.set({
      loseAnswer: {
        CreateDeployment: { times: 1, as: '5xx' },
        RegisterTaskDefinition: { times: 1, as: 'drop' },
      },
    });
    const e = await rejection(retry.cd.send(new CreateDeploymentCommand(createInput(s, appSpec(v2)))));
    expect(e.name).toBe('DeploymentLimitExceededException');
    const listed = await c.cd.send(
      new ListDeploymentsCommand({ applicationName: s.application, deploymentGroupName: s.deploymentGroup }),
    );
    expect(listed.deployments).toHaveLength(1);
    expect(e.message).toContain(listed.deployments![0]!);

    const td = await retry.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: s.family,
        networkMode: 'awsvpc',
        containerDefinitions: [{ name: 'web', image: 'web:v3', portMappings: [{ containerPort: 8080 }] }],
      }),
    );
    // revision 2 was registered by setup, 3 by the call whose answer was lost, 4 by the retry
    expect(td.taskDefinition?.revision).toBe(4);
    const revisions = await c.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: s.family }));
    expect(revisions.taskDefinitionArns).toHaveLength(4);
    // each switch lost one answer only
    expect(
      (
        await c.ecs.send(
          new RegisterTaskDefinitionCommand({
            family: s.family,
            containerDefinitions: [{ name: 'web', image: 'x' }],
          }),
        )
      ).taskDefinition?.revision,
    ).toBe(5);
  });
});

describe('StopDeployment answering Pending', () => {
  it('keeps the deployment going for the delay, then Stopped with the rollback appearing only then', async () => {
    const { emu, c, s, v2 } = await setup({ readyOption: READY_WAIT }, 60);
    const id = await deploy(c, s, appSpec(v2));
    await waitFor(
      () => info(c, id),
      (d) => d.status === 'Ready',
      8000,
    );
    emu.faults.set({ stopPending: { delaySeconds: 90 } });
    const stoppedAt = emu.clock.now();
    const out = await c.cd.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: true }));
    expect(out.status).toBe('Pending');
    const during = await info(c, id);
    expect(during.status).toBe('Ready');
    expect(during.rollbackInfo?.rollbackDeploymentId).toBeUndefined();
    const again = await c.cd.send(new StopDeploymentCommand({ deploymentId: id }));
    expect(again.status).toBe('Pending');
    const listedDuring = await c.cd.send(
      new ListDeploymentsCommand({ applicationName: s.application, deploymentGroupName: s.deploymentGroup }),
    );
    expect(listedDuring.deployments).toEqual([id]);

    const after = await waitFor(
      () => info(c, id),
      (d) => d.status === 'Stopped',
      8000,
    );
    expect(after.errorInformation?.code).toBe('MANUAL_STOP');
    expect(after.completeTime!.getTime()).toBeGreaterThanOrEqual(stoppedAt + 90_000 - 1000);
    const rb = await info(c, after.rollbackInfo!.rollbackDeploymentId!);
    expect(rb.creator).toBe('codeDeployRollback');
    expect(rb.createTime!.getTime()).toBeGreaterThanOrEqual(stoppedAt + 90_000 - 1000);
  });
});

describe('no test listener', () => {
  it('lists 6 lifecycle events and holds the Ready wait after AfterInstall', async () => {
    const { emu, c, s, v2 } = await setup({ withTestListener: false, readyOption: READY_WAIT });
    emu.faults.set({ omitTestTrafficEvents: true });
    const id = await deploy(c, s, appSpec(v2));
    await waitFor(
      () => info(c, id),
      (d) => d.status === 'Ready',
    );
    const t = await target(c, s, id);
    expect(t.lifecycleEvents?.map((e) => e.lifecycleEventName)).toEqual([
      'BeforeInstall',
      'Install',
      'AfterInstall',
      'BeforeAllowTraffic',
      'AllowTraffic',
      'AfterAllowTraffic',
    ]);
    expect(event(t, 'AfterInstall')?.status).toBe('Succeeded');
    expect(event(t, 'BeforeAllowTraffic')?.status).toBe('Pending');
    await c.cd.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'READY_WAIT' }));
    const done = await waitFor(
      () => info(c, id),
      (d) => d.status === 'Succeeded',
      8000,
    );
    expect(done.status).toBe('Succeeded');
    const final = await target(c, s, id);
    expect(final.lifecycleEvents?.map((e) => e.status)).toEqual(Array(6).fill('Succeeded'));
  });
});

describe('task sets without taskSetLabel', () => {
  it('omits taskSetLabel from every taskSetsInfo entry', async () => {
    const { emu, c, s, v2 } = await setup();
    emu.faults.set({ omitTaskSetLabel: true });
    const id = await deploy(c, s, appSpec(v2));
    await waitFor(
      () => info(c, id),
      (d) => d.status !== 'Created',
    );
    const t = await waitFor(
      () => target(c, s, id),
      (x) => (x.taskSetsInfo?.length ?? 0) === 2,
    );
    expect(t.taskSetsInfo?.map((x) => 'taskSetLabel' in x)).toEqual([false, false]);
    expect(t.taskSetsInfo?.map((x) => x.identifer)).toEqual([
      s.primaryTaskSetId,
      expect.stringMatching(/^ecs-svc\//),
    ]);
  });
});

describe('an Install that never finishes', () => {
  it('replacement tasks fail ELB health checks, stop with reasons, and Install times out', async () => {
    const { emu, c, s, v2 } = await setup({}, 300);
    emu.faults.set({ stuckInstall: { cause: 'health-checks', cycleSeconds: 60, timeoutMinutes: 20 } });
    const id = await deploy(c, s, appSpec(v2));
    const stopped = await waitFor(
      () =>
        c.ecs.send(
          new ListTasksCommand({ cluster: s.cluster, serviceName: s.service, desiredStatus: 'STOPPED' }),
        ),
      (o) => (o.taskArns?.length ?? 0) >= 4,
      8000,
    );
    const d = await info(c, id);
    expect(d.status).toBe('InProgress');
    const t = await target(c, s, id);
    expect(event(t, 'Install')?.status).toBe('InProgress');
    const green = t.taskSetsInfo?.find((x) => x.identifer !== s.primaryTaskSetId);
    expect(green?.desiredCount).toBe(2);

    const described = await c.ecs.send(
      new DescribeTasksCommand({ cluster: s.cluster, tasks: stopped.taskArns!.slice(0, 2) }),
    );
    expect(described.failures).toEqual([]);
    const task = described.tasks![0]!;
    expect(task.lastStatus).toBe('STOPPED');
    expect(task.stoppedReason).toBe(
      `Task failed ELB health checks in (target-group ${s.targetGroupArns[1]})`,
    );
    expect(task.stopCode).toBe('ServiceSchedulerInitiated');
    expect(task.startedBy).toBe(green?.identifer);
    expect(task.containers?.[0]?.lastStatus).toBe('STOPPED');
    expect(task.containers?.[0]?.exitCode).toBe(137);

    // startedBy (the task set ID) finds the set's tasks, with the default desiredStatus RUNNING still
    // applied (ListTasks: "The default status filter is RUNNING"); it must be the only filter
    const bySet = await waitFor(
      () => c.ecs.send(new ListTasksCommand({ cluster: s.cluster, startedBy: green!.identifer })),
      (o) => (o.taskArns?.length ?? 0) > 0,
    );
    expect(bySet.taskArns!.filter((arn) => stopped.taskArns!.includes(arn))).toEqual([]);
    const current = await c.ecs.send(
      new DescribeTasksCommand({ cluster: s.cluster, tasks: bySet.taskArns! }),
    );
    expect(new Set(current.tasks!.map((x) => x.startedBy))).toEqual(new Set([green!.identifer]));
    const both = await rejection(
      c.ecs.send(
        new ListTasksCommand({ cluster: s.cluster, startedBy: green!.identifer, desiredStatus: 'STOPPED' }),
      ),
    );
    expect(both.name).toBe('InvalidParameterException');

    const svc = (await c.ecs.send(new DescribeServicesCommand({ cluster: s.cluster, services: [s.service] })))
      .services![0]!;
    const greenSet = svc.taskSets?.find((x) => x.id === green!.identifer);
    expect(greenSet?.stabilityStatus).toBe('STABILIZING');
    expect((greenSet?.runningCount ?? 0) + (greenSet?.pendingCount ?? 0)).toBeLessThanOrEqual(2);
    const messages = svc.events?.map((e) => e.message) ?? [];
    const set = `(service web, taskSet ${green!.identifer})`;
    expect(messages.some((m) => m!.startsWith(`${set} has started 2 tasks: (task `))).toBe(true);
    const stoppedId = task.taskArn!.split('/').pop();
    expect(messages).toContain(
      `${set} (task ${stoppedId}) (port 8080) is unhealthy in (target-group ${s.targetGroupArns[1]}) due to (reason Health checks failed).`,
    );
    // newest first
    const times = svc.events!.map((e) => e.createdAt!.getTime());
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const failed = await waitFor(
      () => info(c, id),
      (x) => x.status === 'Failed',
      10_000,
    );
    expect(failed.errorInformation?.code).toBe('TIMEOUT');
    expect(failed.errorInformation?.message).toContain('20 minutes');
    expect(event(await target(c, s, id), 'Install')?.status).toBe('Failed');
  });

  it('container exits: Essential container in task exited, exit code 1', async () => {
    const { emu, c, s, v2 } = await setup({}, 300);
    emu.faults.set({ stuckInstall: { cause: 'container-exits' } });
    await deploy(c, s, appSpec(v2));
    const stopped = await waitFor(
      () => c.ecs.send(new ListTasksCommand({ cluster: s.cluster, desiredStatus: 'STOPPED' })),
      (o) => (o.taskArns?.length ?? 0) > 0,
      8000,
    );
    const task = (
      await c.ecs.send(new DescribeTasksCommand({ cluster: s.cluster, tasks: [stopped.taskArns![0]!] }))
    ).tasks![0]!;
    expect(task.stoppedReason).toBe('Essential container in task exited');
    expect(task.stopCode).toBe('EssentialContainerExited');
    expect(task.containers?.[0]?.exitCode).toBe(1);
    // the running tasks of the original set are listed too (desiredStatus RUNNING by default)
    const running = await c.ecs.send(new ListTasksCommand({ cluster: s.cluster, serviceName: s.service }));
    expect(running.taskArns?.length).toBeGreaterThanOrEqual(2);
    const missing = await c.ecs.send(
      new DescribeTasksCommand({ cluster: s.cluster, tasks: ['0'.repeat(32)] }),
    );
    expect(missing.failures?.[0]?.reason).toBe('MISSING');
  });
});

describe('a hook that fails within a second of its start', () => {
  it('fails the event 0.5 s (virtual) after it started', async () => {
    const { emu, c, s, v2 } = await setup({ hooks: { BeforeInstall: 'pre-check' } });
    emu.faults.set({ failHook: { event: 'BeforeInstall', message: 'boom', afterMs: 500 } });
    const id = await deploy(c, s, appSpec(v2, { BeforeInstall: 'pre-check' }));
    const d = await waitFor(
      () => info(c, id),
      (x) => x.status === 'Failed',
    );
    expect(d.errorInformation?.code).toBe('HOOK_EXECUTION_FAILURE');
    const ev = event(await target(c, s, id), 'BeforeInstall')!;
    expect(ev.status).toBe('Failed');
    expect(ev.endTime!.getTime() - ev.startTime!.getTime()).toBe(500);
    expect(d.completeTime!.getTime() - d.startTime!.getTime()).toBeLessThan(1000);
  });
});

describe('an account-wide rate limit', () => {
  it('throttles the 41st read at once, counts by client and deployment, and recovers', async () => {
    const { emu, c, s, v2 } = await setup({ readyOption: READY_WAIT }, 1);
    const id = await deploy(c, s, appSpec(v2));
    emu.faults.set({ rateLimit: { perMinute: 30, burst: 40 } });
    for (let i = 0; i < 40; i++) await c.cd.send(new GetDeploymentCommand({ deploymentId: id }));
    const e = await rejection(c.cd.send(new GetDeploymentCommand({ deploymentId: id })));
    expect(e.name).toBe('ThrottlingException');
    expect(e.message).toBe('Rate exceeded');
    expect(e.$metadata?.httpStatusCode).toBe(400);
    // another client shares the bucket
    const other = clients(emu, { accessKeyId: 'AKIAOTHERCLIENT00001', secretAccessKey: 'x' });
    expect(
      (await rejection(other.cd.send(new GetApplicationCommand({ applicationName: s.application })))).name,
    ).toBe('ThrottlingException');
    // writes are outside the default scope (reads): this one reaches CodeDeploy and is refused there
    expect(
      (
        await rejection(
          c.cd.send(
            new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'TERMINATION_WAIT' }),
          ),
        )
      ).name,
    ).toBe('InvalidDeploymentWaitTypeException');
    const stats = emu.rateLimit.stats();
    expect(stats).toMatchObject({ passed: 40, throttled: 2 });
    expect(stats.byClient[STATIC_ACCESS_KEY_ID]).toEqual({ passed: 40, throttled: 1 });
    expect(stats.byClient.AKIAOTHERCLIENT00001).toEqual({ passed: 0, throttled: 1 });
    expect(stats.byDeployment[id]).toEqual({ passed: 40, throttled: 1 });
    // 30 a minute: one token every 2 s
    await new Promise((r) => setTimeout(r, 2100));
    expect((await info(c, id)).deploymentId).toBe(id);
    expect(emu.rateLimit.stats().passed).toBe(41);
  });
});

describe('per-API buckets, as AWS documents them for ECS', () => {
  /** the error name of a call, or 'passed' (the bucket let it through; the handler may still refuse it) */
  const outcome = (call: Promise<unknown>): Promise<string> =>
    call.then(
      () => 'passed',
      (e: { name?: string }) => (e.name === 'ThrottlingException' ? 'throttled' : 'passed'),
    );

  it('CodeDeploy per-api: each API drains its own bucket', async () => {
    const { emu, c, s } = await setup({}, 1);
    emu.faults.set({ rateLimit: { perMinute: 1, burst: 2, scope: 'per-api' } });
    const app = () => outcome(c.cd.send(new GetApplicationCommand({ applicationName: s.application })));
    const dep = () => outcome(c.cd.send(new GetDeploymentCommand({ deploymentId: 'd-NOTTHERE1' })));
    expect([await app(), await app(), await app()]).toEqual(['passed', 'passed', 'throttled']);
    expect([await dep(), await dep(), await dep()]).toEqual(['passed', 'passed', 'throttled']);
  });

  it('ECS per-api: DescribeServiceDeployments and ListServiceDeployments share a bucket, DescribeServices has its own, CodeDeploy none', async () => {
    const { emu, c, s } = await setup({}, 1);
    emu.faults.set({ rateLimit: { perMinute: 1, burst: 2, scope: 'per-api', service: 'ecs' } });
    const list = () =>
      outcome(c.ecs.send(new ListServiceDeploymentsCommand({ cluster: s.cluster, service: s.service })));
    const describe = () =>
      outcome(
        c.ecs.send(
          new DescribeServiceDeploymentsCommand({
            serviceDeploymentArns: [`arn:aws:ecs:us-east-1:111111111111:service-deployment/x/y/z`],
          }),
        ),
      );
    const services = () =>
      outcome(c.ecs.send(new DescribeServicesCommand({ cluster: s.cluster, services: [s.service] })));
    expect([await list(), await describe(), await describe()]).toEqual(['passed', 'passed', 'throttled']);
    expect([await services(), await services(), await services()]).toEqual(['passed', 'passed', 'throttled']);
    expect(await outcome(c.cd.send(new GetApplicationCommand({ applicationName: s.application })))).toBe(
      'passed',
    );
  });
});
