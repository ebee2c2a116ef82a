import { afterEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import {
  BatchGetDeploymentsCommand,
  ContinueDeploymentCommand,
  CreateDeploymentCommand,
  GetApplicationCommand,
  GetApplicationRevisionCommand,
  GetDeploymentCommand,
  GetDeploymentConfigCommand,
  GetDeploymentGroupCommand,
  GetDeploymentTargetCommand,
  ListDeploymentTargetsCommand,
  ListDeploymentsCommand,
  StopDeploymentCommand,
  type ECSTarget,
} from '@aws-sdk/client-codedeploy';
import { DescribeServicesCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { DescribeListenersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  startEmulator,
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

async function setup(
  o: BlueGreenServiceOptions = {},
  scale = 300,
): Promise<{ emu: Emulator; c: Clients; s: SeededService; v2: string }> {
  emu = await startEmulator({ clockScale: scale });
  const c = clients(emu);
  const s = emu.seed.blueGreenService(o);
  const td = await c.ecs.send(
    new RegisterTaskDefinitionCommand({
      family: s.family,
      networkMode: 'awsvpc',
      containerDefinitions: [{ name: 'web', image: 'web:v2', portMappings: [{ containerPort: 8080 }] }],
    }),
  );
  return { emu, c, s, v2: td.taskDefinition!.taskDefinitionArn! };
}

async function deploy(
  c: Clients,
  s: SeededService,
  content: string,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const out = await c.cd.send(
    new CreateDeploymentCommand({
      applicationName: s.application,
      deploymentGroupName: s.deploymentGroup,
      revision: {
        revisionType: 'AppSpecContent',
        appSpecContent: { content, sha256: createHash('sha256').update(content).digest('hex') },
      },
      description: 'deploy v2',
      ...extra,
    }),
  );
  return out.deploymentId!;
}

const info = (c: Clients, id: string) =>
  c.cd.send(new GetDeploymentCommand({ deploymentId: id })).then((o) => o.deploymentInfo!);
const target = (c: Clients, s: SeededService, id: string): Promise<ECSTarget> =>
  c.cd
    .send(new GetDeploymentTargetCommand({ deploymentId: id, targetId: `${s.cluster}:${s.service}` }))
    .then((o) => o.deploymentTarget!.ecsTarget!);
const event = (t: ECSTarget, name: string) => t.lifecycleEvents?.find((e) => e.lifecycleEventName === name);

describe('CodeDeploy reads', () => {
  it('returns the application, group and predefined configs', async () => {
    const { c, s } = await setup({
      readyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 30 },
    });
    const app = await c.cd.send(new GetApplicationCommand({ applicationName: s.application }));
    expect(app.application?.computePlatform).toBe('ECS');
    expect(app.application?.applicationName).toBe('AppECS-demo-web');
    const g = (
      await c.cd.send(
        new GetDeploymentGroupCommand({
          applicationName: s.application,
          deploymentGroupName: s.deploymentGroup,
        }),
      )
    ).deploymentGroupInfo!;
    expect(g.deploymentGroupName).toBe('DgpECS-demo-web');
    expect(g.ecsServices).toEqual([{ serviceName: 'web', clusterName: 'demo' }]);
    expect(g.blueGreenDeploymentConfiguration?.deploymentReadyOption).toEqual({
      actionOnTimeout: 'STOP_DEPLOYMENT',
      waitTimeInMinutes: 30,
    });
    expect(
      g.blueGreenDeploymentConfiguration?.terminateBlueInstancesOnDeploymentSuccess
        ?.terminationWaitTimeInMinutes,
    ).toBe(5);
    const pair = g.loadBalancerInfo?.targetGroupPairInfoList?.[0];
    expect(pair?.prodTrafficRoute?.listenerArns).toEqual([s.prodListenerArn]);
    expect(pair?.testTrafficRoute?.listenerArns).toEqual([s.testListenerArn]);
    expect(pair?.targetGroups?.map((t) => t.name)).toEqual(s.targetGroupNames);
    const canary = await c.cd.send(
      new GetDeploymentConfigCommand({
        deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent15Minutes',
      }),
    );
    expect(canary.deploymentConfigInfo?.trafficRoutingConfig).toEqual({
      type: 'TimeBasedCanary',
      timeBasedCanary: { canaryPercentage: 10, canaryInterval: 15 },
    });
    const linear = await c.cd.send(
      new GetDeploymentConfigCommand({
        deploymentConfigName: 'CodeDeployDefault.ECSLinear10PercentEvery3Minutes',
      }),
    );
    expect(linear.deploymentConfigInfo?.trafficRoutingConfig?.timeBasedLinear).toEqual({
      linearPercentage: 10,
      linearInterval: 3,
    });
    const all = await c.cd.send(
      new GetDeploymentConfigCommand({ deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce' }),
    );
    expect(all.deploymentConfigInfo?.trafficRoutingConfig?.type).toBe('AllAtOnce');
  });

  it('uses the documented exception names', async () => {
    const { c, s } = await setup();
    const before = emu!.snapshot();
    expect((await rejection(c.cd.send(new GetApplicationCommand({ applicationName: 'nope' })))).name).toBe(
      'ApplicationDoesNotExistException',
    );
    expect(
      (
        await rejection(
          c.cd.send(
            new GetDeploymentGroupCommand({ applicationName: s.application, deploymentGroupName: 'nope' }),
          ),
        )
      ).name,
    ).toBe('DeploymentGroupDoesNotExistException');
    expect(
      (await rejection(c.cd.send(new GetDeploymentConfigCommand({ deploymentConfigName: 'Custom.X' })))).name,
    ).toBe('DeploymentConfigDoesNotExistException');
    expect((await rejection(c.cd.send(new GetDeploymentCommand({ deploymentId: 'd-AAAAAAAAA' })))).name).toBe(
      'DeploymentDoesNotExistException',
    );
    const badSha = await rejection(
      c.cd.send(
        new CreateDeploymentCommand({
          applicationName: s.application,
          deploymentGroupName: s.deploymentGroup,
          revision: {
            revisionType: 'AppSpecContent',
            appSpecContent: { content: appSpec(s.taskDefinitionArn), sha256: '0'.repeat(64) },
          },
        }),
      ),
    );
    expect(badSha.name).toBe('InvalidRevisionException');
    const badYaml = await rejection(deploy(c, s, 'version: 0.0\nResources: {{{'));
    expect(badYaml.name).toBe('InvalidRevisionException');
    // the User Guide's limit: 256 characters (not the 512 of the official action's comment)
    const long = await rejection(
      deploy(c, s, appSpec(s.taskDefinitionArn), { description: 'x'.repeat(257) }),
    );
    expect(long.name).toBe('DescriptionTooLongException');
    expect(emu!.snapshot()).toBe(before);
    const id = await deploy(c, s, appSpec(s.taskDefinitionArn), { description: 'é'.repeat(256) });
    expect((await info(c, id)).description).toBe('é'.repeat(256));
  });
});

describe('CodeDeploy blue/green lifecycle', () => {
  it('runs a canary: 10% then 100%, then terminates blue after ContinueDeployment(TERMINATION_WAIT)', async () => {
    const { c, s, v2 } = await setup({
      hooks: { AfterAllowTestTraffic: 'smoke' },
      terminationWaitMinutes: 60,
    });
    const id = await deploy(c, s, appSpec(v2, { AfterAllowTestTraffic: 'smoke' }));
    expect(id).toMatch(/^d-[A-Z0-9]{9}$/);
    const second = await rejection(deploy(c, s, appSpec(v2)));
    expect(second.name).toBe('DeploymentLimitExceededException');
    expect(second.message).toBe(
      `The Deployment Group '${s.deploymentGroup}' already has an active Deployment '${id}'`,
    );

    const targets = await waitFor(
      () =>
        c.cd
          .send(new ListDeploymentTargetsCommand({ deploymentId: id }))
          .catch((e: Error) => ({ targetIds: [e.name] })),
      (o) => o.targetIds?.[0] === 'demo:web',
    );
    expect(targets.targetIds).toEqual(['demo:web']);

    const canary = await waitFor(
      () => target(c, s, id),
      (t) => event(t, 'AllowTraffic')?.status === 'InProgress',
    );
    expect(event(canary, 'AfterAllowTestTraffic')?.status).toBe('Succeeded');
    expect(canary.taskSetsInfo?.find((t) => t.taskSetLabel === 'Green')?.trafficWeight).toBe(10);
    expect(canary.taskSetsInfo?.find((t) => t.taskSetLabel === 'Blue')?.trafficWeight).toBe(90);
    const prod = await c.elb.send(new DescribeListenersCommand({ ListenerArns: [s.prodListenerArn] }));
    const weights = prod.Listeners?.[0]?.DefaultActions?.[0]?.ForwardConfig?.TargetGroups?.map(
      (t) => t.Weight,
    );
    expect(weights).toEqual([90, 10]);
    const test = await c.elb.send(new DescribeListenersCommand({ ListenerArns: [s.testListenerArn!] }));
    expect(test.Listeners?.[0]?.DefaultActions?.[0]?.TargetGroupArn).toBe(s.targetGroupArns[1]);

    const shifted = await waitFor(
      () => target(c, s, id),
      (t) => t.status === 'Succeeded',
    );
    expect(shifted.taskSetsInfo?.find((t) => t.taskSetLabel === 'Green')).toMatchObject({
      trafficWeight: 100,
      status: 'PRIMARY',
    });
    const allowStart = event(shifted, 'AllowTraffic')!.startTime!.getTime();
    const allowEnd = event(shifted, 'AllowTraffic')!.endTime!.getTime();
    expect(allowEnd - allowStart).toBeGreaterThanOrEqual(5 * 60_000);
    expect(shifted.lifecycleEvents?.map((e) => e.status)).toEqual(Array(8).fill('Succeeded'));
    const during = await info(c, id);
    expect(during.status).toBe('InProgress');
    let svc = (await c.ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] })))
      .services![0]!;
    expect(svc.taskSets).toHaveLength(2);

    const ready = await rejection(
      c.cd.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'READY_WAIT' })),
    );
    expect(ready.name).toBe('DeploymentIsNotInReadyStateException');
    await c.cd.send(
      new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'TERMINATION_WAIT' }),
    );
    const done = await info(c, id);
    expect(done.status).toBe('Succeeded');
    expect(done.completeTime).toBeInstanceOf(Date);
    svc = (await c.ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] })))
      .services![0]!;
    expect(svc.taskDefinition).toBe(v2);
    expect(svc.taskSets?.map((t) => [t.status, t.taskDefinition, t.externalId])).toEqual([
      ['PRIMARY', v2, id],
    ]);

    const rev = await c.cd.send(
      new GetApplicationRevisionCommand({ applicationName: s.application, revision: done.revision }),
    );
    expect(rev.revision?.appSpecContent?.content).toBe(appSpec(v2, { AfterAllowTestTraffic: 'smoke' }));
    expect(done.revision?.appSpecContent?.content).toBeUndefined();
    const listed = await c.cd.send(
      new ListDeploymentsCommand({
        applicationName: s.application,
        deploymentGroupName: s.deploymentGroup,
        includeOnlyStatuses: ['Succeeded'],
      }),
    );
    expect(listed.deployments).toEqual([id]);
    const batch = await c.cd.send(new BatchGetDeploymentsCommand({ deploymentIds: [id, 'd-ZZZZZZZZZ'] }));
    expect(batch.deploymentsInfo?.map((d) => d.deploymentId)).toEqual([id]);
  });

  it('moves linear weights 10% per interval', async () => {
    const { c, s, v2 } = await setup({
      deploymentConfig: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
      withTestListener: false,
    });
    const id = await deploy(c, s, appSpec(v2));
    const seen = new Set<number>();
    await waitFor(
      async () => {
        const t = await target(c, s, id).catch(() => undefined);
        const w = t?.taskSetsInfo?.find((x) => x.taskSetLabel === 'Green')?.trafficWeight;
        if (w !== undefined && event(t!, 'AllowTraffic')?.status === 'InProgress') seen.add(w);
        return t;
      },
      (t) => t?.status === 'Succeeded',
    );
    expect(seen.size).toBeGreaterThanOrEqual(3);
    expect([...seen].every((w) => w % 10 === 0 && w >= 10 && w <= 100)).toBe(true);
    const t = await target(c, s, id);
    expect(event(t, 'AllowTestTraffic')?.status).toBe('Skipped');
    expect(event(t, 'AfterAllowTestTraffic')?.status).toBe('Skipped');
  });

  it('waits in Ready until ContinueDeployment(READY_WAIT)', async () => {
    const { c, s, v2 } = await setup({
      readyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 600 },
      deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce',
      terminationWaitMinutes: 0,
    });
    const id = await deploy(c, s, appSpec(v2));
    const ready = await waitFor(
      () => info(c, id),
      (d) => d.status === 'Ready',
    );
    expect(ready.deploymentOverview?.Ready).toBe(1);
    const t = await target(c, s, id);
    expect(t.status).toBe('Ready');
    expect(event(t, 'BeforeAllowTraffic')?.status).toBe('Pending');
    const wrong = await rejection(
      c.cd.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'TERMINATION_WAIT' })),
    );
    expect(wrong.name).toBe('InvalidDeploymentWaitTypeException');
    await c.cd.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'READY_WAIT' }));
    const done = await waitFor(
      () => info(c, id),
      (d) => d.status === 'Succeeded',
    );
    expect(done.completeTime).toBeInstanceOf(Date);
  });

  it('stops at the ready timeout and rolls back', async () => {
    const { c, s, v2 } = await setup({
      readyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 2 },
    });
    const id = await deploy(c, s, appSpec(v2));
    const stopped = await waitFor(
      () => info(c, id),
      (d) => d.status === 'Stopped',
    );
    expect(stopped.errorInformation?.code).toBe('TIMEOUT');
    expect(stopped.errorInformation?.message).toBe(
      'The deployment timed out while waiting for a notification to continue. This time out period is 2 minutes.',
    );
    expect(stopped.rollbackInfo?.rollbackDeploymentId).toMatch(/^d-/);
  });

  it('stops on request with rollback: Stopped, a codeDeployRollback deployment, blue restored', async () => {
    const { c, s, v2 } = await setup({ terminationWaitMinutes: 0 });
    const id = await deploy(c, s, appSpec(v2));
    await waitFor(
      () => target(c, s, id).catch(() => undefined),
      (t) => t !== undefined && event(t, 'AllowTraffic')?.status === 'InProgress',
    );
    const stop = await c.cd.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: true }));
    expect(stop.status).toBe('Pending');
    const stopped = await info(c, id);
    expect(stopped.status).toBe('Stopped');
    const rbId = stopped.rollbackInfo!.rollbackDeploymentId!;
    const rb = await waitFor(
      () => info(c, rbId),
      (d) => d.status === 'Succeeded',
    );
    expect(rb.creator).toBe('codeDeployRollback');
    expect(rb.rollbackInfo?.rollbackTriggeringDeploymentId).toBe(id);
    const svc = (await c.ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] })))
      .services![0]!;
    expect(svc.taskDefinition).toBe(s.taskDefinitionArn);
    expect(svc.taskSets?.map((t) => [t.id, t.status])).toEqual([[s.primaryTaskSetId, 'PRIMARY']]);
    const again = await rejection(c.cd.send(new StopDeploymentCommand({ deploymentId: id })));
    expect(again.name).toBe('DeploymentAlreadyCompletedException');
  });

  it('fails on a failing hook with diagnostics and rolls back', async () => {
    const { c, s, v2 } = await setup({ terminationWaitMinutes: 0 });
    emu!.seed.lambda('check', { fail: { message: 'smoke test returned 500', logTail: 'GET /health 500' } });
    const id = await deploy(c, s, appSpec(v2, { AfterInstall: 'check' }));
    const failed = await waitFor(
      () => info(c, id),
      (d) => d.status === 'Failed',
    );
    expect(failed.errorInformation?.code).toBe('HOOK_EXECUTION_FAILURE');
    // CodeDeploy's wording (UG troubleshooting-ecs); the hook's own message is in the event's diagnostics
    expect(failed.errorInformation?.message).toBe(
      'The deployment failed because one or more of the lifecycle event validation functions failed.',
    );
    const t = await target(c, s, id);
    expect(t.status).toBe('Failed');
    expect(event(t, 'AfterInstall')).toMatchObject({
      status: 'Failed',
      diagnostics: {
        errorCode: 'ScriptFailed',
        scriptName: 'check',
        message: 'smoke test returned 500',
        logTail: 'GET /health 500',
      },
    });
    expect(event(t, 'AllowTraffic')?.status).toBe('Skipped');
    const rbId = failed.rollbackInfo!.rollbackDeploymentId!;
    await waitFor(
      () => info(c, rbId),
      (d) => d.status === 'Succeeded',
    );
    const svc = (await c.ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] })))
      .services![0]!;
    expect(svc.taskSets).toHaveLength(1);
    expect(svc.taskSets?.[0]?.taskDefinition).toBe(s.taskDefinitionArn);
  });

  it("fails a hook that reports no status within an hour with CodeDeploy's timeout wording", async () => {
    const { c, s, v2 } = await setup({ terminationWaitMinutes: 0, autoRollback: false }, 6000);
    emu!.seed.lambda('slow', { delayMs: 2 * 3_600_000 });
    const id = await deploy(c, s, appSpec(v2, { AfterInstall: 'slow' }));
    const failed = await waitFor(
      () => info(c, id),
      (d) => d.status === 'Failed',
    );
    expect(failed.errorInformation).toEqual({
      code: 'TIMEOUT',
      message:
        'The deployment timed out while waiting for a status callback. CodeDeploy expects a status callback within one hour after a deployment hook is invoked.',
    });
    const t = await target(c, s, id);
    expect(event(t, 'AfterInstall')?.diagnostics?.errorCode).toBe('ScriptTimedOut');
  });

  it('fails the hook named by faults.failHook, and fails Install for a wrong container port', async () => {
    const { c, s, v2 } = await setup({ terminationWaitMinutes: 0, autoRollback: false });
    emu!.faults.set({ failHook: { event: 'BeforeAllowTraffic', message: 'injected', logTail: 'tail' } });
    const id = await deploy(c, s, appSpec(v2));
    const failed = await waitFor(
      () => info(c, id),
      (d) => d.status === 'Failed',
    );
    expect(failed.rollbackInfo).toBeUndefined();
    expect(event(await target(c, s, id), 'BeforeAllowTraffic')?.diagnostics?.message).toBe('injected');
    emu!.faults.clear();
    const bad = await deploy(c, s, appSpec(v2, {}, 9999));
    const badInfo = await waitFor(
      () => info(c, bad),
      (d) => d.status === 'Failed',
    );
    expect(badInfo.errorInformation?.code).toBe('ECS_UPDATE_ERROR');
    expect(badInfo.errorInformation?.message).toMatch(/container port 9999/);
  });

  it('fails a deployment to a service whose controller is ECS', async () => {
    const { c, s, v2 } = await setup({ controller: 'ECS' });
    const id = await deploy(c, s, appSpec(v2));
    const failed = await waitFor(
      () => info(c, id),
      (d) => d.status === 'Failed',
    );
    expect(failed.errorInformation?.code).toBe('INVALID_ECS_SERVICE');
  });

  it('stops without rollback: Succeeded response, green left in place, unknown revision refused', async () => {
    const { c, s, v2 } = await setup({ autoRollback: false }, 50);
    const id = await deploy(c, s, appSpec(v2));
    const early = await rejection(
      c.cd.send(new GetDeploymentTargetCommand({ deploymentId: id, targetId: 'demo:web' })),
    );
    expect(early.name).toBe('DeploymentNotStartedException');
    await waitFor(
      () => target(c, s, id).catch(() => undefined),
      (t) => t !== undefined && event(t, 'Install')?.status === 'InProgress',
    );
    const stop = await c.cd.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: false }));
    expect(stop.status).toBe('Succeeded');
    const d = await info(c, id);
    expect(d.status).toBe('Stopped');
    expect(d.errorInformation?.code).toBe('MANUAL_STOP');
    expect(d.rollbackInfo).toBeUndefined();
    const svc = (await c.ecs.send(new DescribeServicesCommand({ cluster: 'demo', services: ['web'] })))
      .services![0]!;
    expect(svc.taskSets).toHaveLength(2);
    const missing = await rejection(
      c.cd.send(
        new GetApplicationRevisionCommand({
          applicationName: s.application,
          revision: { revisionType: 'AppSpecContent', appSpecContent: { sha256: 'f'.repeat(64) } },
        }),
      ),
    );
    expect(missing.name).toBe('RevisionDoesNotExistException');
  });
});
