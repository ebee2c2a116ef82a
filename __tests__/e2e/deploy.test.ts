/**
 * The bundled action (dist/index.js) against the local emulator, run as the GitHub runner runs it.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  annotations,
  inspect,
  MUTATING_ACTIONS,
  SECRET_ENV_VALUE,
  startWorld,
  type World,
} from './harness.js';

const LONG = 120_000;

let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

describe('successful deployments', () => {
  it.each([
    ['CodeDeployDefault.ECSCanary10Percent5Minutes', ['10%', '100%']],
    ['CodeDeployDefault.ECSLinear10PercentEvery1Minutes', ['10%', '50%', '100%']],
    ['CodeDeployDefault.ECSAllAtOnce', ['100%']],
  ])(
    '%s: registers, deploys, follows every event and traffic step to Succeeded',
    async (config, weights) => {
      world = await startWorld({
        service: { deploymentConfig: config },
        hooks: { AfterAllowTestTraffic: 'web-smoke-test', BeforeAllowTraffic: 'web-pre-traffic' },
      });
      const before = await inspect(world).revisions();
      const result = await world.deploy({ 'wait-until': 'succeeded' });

      expect(result.stderr).not.toMatch(/error/i);
      expect(result.exitCode).toBe(0);
      expect(result.outputs['deployment-status']).toBe('Succeeded');
      const arn = result.outputs['task-definition-arn'] as string;
      expect(arn).toMatch(/:task-definition\/web:2$/);
      expect(result.outputs['codedeploy-deployment-id']).toMatch(/^d-[A-Z0-9]{9}$/);

      const after = inspect(world);
      expect(await after.revisions()).toEqual([...before, arn]);
      expect(await after.runningTaskDefinition()).toBe(arn);
      const deployment = await after.deployment(result.outputs['codedeploy-deployment-id'] as string);
      expect(deployment.status).toBe('Succeeded');

      // every lifecycle event, in order, with its outcome
      const order = [
        'BeforeInstall',
        'Install',
        'AfterInstall',
        'AllowTestTraffic',
        'AfterAllowTestTraffic',
        'BeforeAllowTraffic',
        'AllowTraffic',
        'AfterAllowTraffic',
      ];
      const positions = order.map((event) =>
        result.stdout.search(new RegExp(`${event}\\b.*(succeeded|skipped)`, 'i')),
      );
      expect(positions.every((p) => p >= 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      // the traffic shift as it happened
      for (const weight of weights) expect(result.stdout).toMatch(new RegExp(`Green ${weight}`));
      // a verdict and a summary a reviewer can read
      expect(result.summary).toMatch(/Succeeded/);
      expect(result.summary).toContain(result.outputs['codedeploy-deployment-id'] as string);
      // env values never reach the log or the summary; the empty value was kept
      expect(result.stdout + result.summary).not.toContain(SECRET_ENV_VALUE);
      const registered = await after.ecs.send(
        new (await import('@aws-sdk/client-ecs')).DescribeTaskDefinitionCommand({ taskDefinition: arn }),
      );
      const env = registered.taskDefinition?.containerDefinitions?.[0]?.environment ?? [];
      expect(env.find((e) => e.name === 'EMPTY_ON_PURPOSE')).toEqual({ name: 'EMPTY_ON_PURPOSE', value: '' });
      expect(registered.taskDefinition?.containerDefinitions?.[0]?.image).toBe(world.image);
    },
    LONG,
  );

  it(
    'wait-until traffic-shifted ends after AfterAllowTraffic, during the termination wait',
    async () => {
      world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce', terminationWaitMinutes: 60 },
      });
      const result = await world.deploy({ 'wait-until': 'traffic-shifted' });
      expect(result.exitCode).toBe(0);
      const deployment = await inspect(world).deployment(
        result.outputs['codedeploy-deployment-id'] as string,
      );
      // the deployment is still in its 60-minute termination wait: the action did not pay for it
      expect(deployment.status).toBe('InProgress');
      expect(result.stdout).toMatch(/AfterAllowTraffic.*succeeded/i);
    },
    LONG,
  );

  it(
    'a deployment config input overrides the group',
    async () => {
      world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSCanary10Percent15Minutes' },
      });
      const result = await world.deploy({
        'wait-until': 'succeeded',
        'codedeploy-deployment-config': 'CodeDeployDefault.ECSAllAtOnce',
      });
      expect(result.exitCode).toBe(0);
      const deployment = await inspect(world).deployment(
        result.outputs['codedeploy-deployment-id'] as string,
      );
      expect(deployment.deploymentConfigName).toBe('CodeDeployDefault.ECSAllAtOnce');
    },
    LONG,
  );
});

describe('a failing hook', () => {
  it.each([
    'BeforeInstall',
    'AfterInstall',
    'AfterAllowTestTraffic',
    'BeforeAllowTraffic',
    'AfterAllowTraffic',
  ])(
    '%s fails: the event, its diagnostics, the deployment error and the rollback are reported; exit non-zero',
    async (event) => {
      world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce', autoRollback: true },
        hooks: { [event]: `hook-${event}` },
      });
      const message = `health check for ${event} returned 503`;
      world.emulator.faults.set({
        failHook: { event: event as 'BeforeInstall', message, logTail: `log tail of ${event}` },
      });
      const result = await world.deploy({ 'wait-until': 'succeeded' });

      expect(result.exitCode).toBe(1);
      expect(result.outputs['deployment-status']).toBe('Failed');
      const errors = annotations(result.stdout).join('\n');
      expect(errors).toContain(event);
      expect(errors).toContain(message);
      expect(result.stdout).toContain(`log tail of ${event}`);
      // whether CodeDeploy rolled back, and the rollback followed to its end
      const deployment = await inspect(world).deployment(
        result.outputs['codedeploy-deployment-id'] as string,
      );
      const rollbackId = deployment.rollbackInfo?.rollbackDeploymentId;
      if (event === 'BeforeInstall') {
        // nothing was installed yet: nothing to roll back, and the log says so
        expect(rollbackId).toBeUndefined();
        expect(result.stdout).toMatch(/started no rollback: the deployment failed before the replacement/);
      } else {
        expect(rollbackId).toMatch(/^d-/);
        expect(result.stdout).toContain(`rolling back with deployment ${rollbackId}`);
        expect((await inspect(world).deployment(rollbackId as string)).status).toBe('Succeeded');
      }
      expect(result.summary).toMatch(/Failed/);
      expect(result.summary).toContain(event);
      // production still runs revision 1
      expect(await inspect(world).runningTaskDefinition()).toMatch(/:task-definition\/web:1$/);
    },
    LONG,
  );
});

describe('AWS faults while following', () => {
  it(
    'a throttling storm and 5xx responses on CodeDeploy do not fail a deployment that succeeds',
    async () => {
      world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes' },
      });
      world.emulator.faults.set({
        throttleRate: 0.3,
        serverErrorRate: 0.3,
        only: { service: 'codedeploy', actions: ['GetDeployment', 'GetDeploymentTarget'] },
      });
      const result = await world.deploy({ 'wait-until': 'succeeded' });
      expect(result.exitCode).toBe(0);
      expect(result.outputs['deployment-status']).toBe('Succeeded');
      const faulted = world.emulator.calls.filter((c) => c.status >= 400 && /GetDeployment/.test(c.action));
      // The faults are random per read and the watcher reads less after a throttle: count them together.
      expect(faulted.length).toBeGreaterThan(3);
      expect(faulted.some((c) => c.status === 400)).toBe(true);
    },
    LONG,
  );

  it(
    'dropped connections while following are retried',
    async () => {
      world = await startWorld({ service: { deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce' } });
      world.emulator.faults.set({
        dropRate: 0.3,
        only: { service: 'codedeploy', actions: ['GetDeployment', 'GetDeploymentTarget'] },
      });
      const result = await world.deploy({ 'wait-until': 'succeeded' });
      expect(result.exitCode).toBe(0);
      expect(result.outputs['deployment-status']).toBe('Succeeded');
    },
    LONG,
  );
});

describe('bad input changes nothing in AWS', () => {
  const cases: [
    string,
    (w: World) => { inputs?: Record<string, string>; files?: Record<string, string> },
    RegExp,
  ][] = [
    [
      'malformed task definition JSON',
      () => ({ files: { 'task-definition.json': '{ "family": "web", ' } }),
      /task-definition\.json/,
    ],
    [
      'a container that is not in the task definition',
      () => ({ inputs: { 'container-name': 'api' } }),
      /api/,
    ],
    [
      'an AppSpec port the container does not expose',
      (w) => ({
        files: {
          'appspec.yaml': w.files['appspec.yaml']!.replace(/ContainerPort: \d+/, 'ContainerPort: 9999'),
        },
      }),
      /9999/,
    ],
    ['a service that does not exist', () => ({ inputs: { service: 'nope' } }), /nope/],
    [
      'a deployment group that does not exist',
      () => ({ inputs: { 'codedeploy-deployment-group': 'missing-group' } }),
      /missing-group/,
    ],
    [
      'a missing task definition file',
      () => ({ inputs: { 'task-definition': 'does-not-exist.json' } }),
      /does-not-exist\.json/,
    ],
  ];
  it.each(cases)(
    '%s',
    async (_name, make, names) => {
      world = await startWorld();
      const before = world.emulator.snapshot();
      const { inputs, files } = make(world);
      const result = await world.deploy({ 'wait-until': 'succeeded', ...inputs }, { files });
      expect(result.exitCode).toBe(1);
      expect(annotations(result.stdout).join('\n')).toMatch(names);
      expect(world.emulator.snapshot()).toBe(before);
      expect(world.emulator.calls.filter((c) => MUTATING_ACTIONS.includes(c.action))).toEqual([]);
    },
    LONG,
  );

  it(
    'a service under the ECS controller goes to ECS (issue #11): CodeDeploy-only inputs warned, no CodeDeploy call',
    async () => {
      world = await startWorld({ service: { controller: 'ECS' } });
      const result = await world.deploy({ 'wait-until': 'succeeded' });
      expect(annotations(result.stdout, 'warning').join('\n')).toMatch(
        /Input 'codedeploy-appspec' is ignored on a service with the ECS deployment controller/,
      );
      const calls = world.emulator.calls.map((c) => c.action);
      expect(calls).toContain('UpdateService');
      expect(calls).not.toContain('CreateDeployment');
    },
    LONG,
  );
});
