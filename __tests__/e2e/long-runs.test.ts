/**
 * What only a long deployment shows, end to end: the wait budget running out (reported with where the
 * deployment stood, and rolled back), and OIDC credentials that expire while the action follows.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { annotations, inspect, startWorld, type World } from './harness.js';

const LONG = 120_000;
let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

describe('long deployments', () => {
  it(
    'a wait that runs out is reported with where the deployment stood, then rolled back',
    async () => {
      world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSCanary10Percent15Minutes', autoRollback: true },
      });
      // budget: 0 extra minutes + the 15-minute canary; install and hooks take longer than nothing
      const result = await world.deploy({ 'wait-until': 'traffic-shifted', 'wait-for-minutes': '0' });
      expect(result.exitCode).toBe(1);
      const errors = annotations(result.stdout).join('\n');
      expect(errors).toMatch(/timed out/i);
      expect(errors).toContain('AllowTraffic');
      expect(errors).toMatch(/Green 10%/);
      const id = result.outputs['codedeploy-deployment-id'] as string;
      const deployment = await inspect(world).deployment(id);
      expect(deployment.status).toBe('Stopped');
      expect(result.stdout).toMatch(
        /Stopped .* with rollback because the wait timed out \(rollback-on-failure\)/,
      );
      expect(await inspect(world).runningTaskDefinition()).toMatch(/:task-definition\/web:1$/);
    },
    LONG,
  );

  it(
    'rollback-on-failure false leaves a timed-out deployment running',
    async () => {
      world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSCanary10Percent15Minutes' },
      });
      const result = await world.deploy({
        'wait-until': 'traffic-shifted',
        'wait-for-minutes': '0',
        'rollback-on-failure': 'false',
      });
      expect(result.exitCode).toBe(1);
      const id = result.outputs['codedeploy-deployment-id'] as string;
      expect((await inspect(world).deployment(id)).status).toBe('InProgress');
      expect(world.emulator.calls.some((c) => c.action === 'StopDeployment')).toBe(false);
    },
    LONG,
  );

  it(
    'role credentials that expire during the deployment are renewed through OIDC',
    async () => {
      world = await startWorld({
        service: {
          deploymentConfig: 'CodeDeployDefault.ECSCanary10Percent15Minutes',
          terminationWaitMinutes: 10,
        },
      });
      const result = await world.deploy({ 'wait-until': 'succeeded', 'role-duration-seconds': '900' });
      expect(result.exitCode).toBe(0);
      expect(result.outputs['deployment-status']).toBe('Succeeded');
      const assumed = world.emulator.calls.filter((c) => c.action === 'AssumeRoleWithWebIdentity');
      expect(assumed.length).toBeGreaterThanOrEqual(2);
      // every call was made with credentials STS had issued and that had not expired (the emulator refuses others)
      expect(
        world.emulator.calls.filter((c) => c.status === 403 || /Expired|Unrecognized/.test(c.error ?? '')),
      ).toEqual([]);
    },
    LONG,
  );
});
