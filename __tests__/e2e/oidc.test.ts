/**
 * GitHub OIDC → STS AssumeRoleWithWebIdentity, end to end: the emulator issues GitHub-shaped tokens and
 * its STS evaluates the role's trust policy before handing out credentials.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  annotations,
  MUTATING_ACTIONS,
  REPOSITORY,
  startWorld,
  trustPolicyFor,
  type World,
} from './harness.js';

const LONG = 120_000;
let world: World | undefined;
afterEach(async () => {
  await world?.stop();
  world = undefined;
});

describe('role-to-assume through GitHub OIDC', () => {
  it(
    'a token the trust policy allows: every AWS call uses the assumed credentials, which are masked',
    async () => {
      world = await startWorld({
        service: { deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce', terminationWaitMinutes: 0 },
      });
      const result = await world.deploy({ 'wait-until': 'succeeded' });
      expect(result.exitCode).toBe(0);
      const sts = world.emulator.calls.filter((c) => c.action === 'AssumeRoleWithWebIdentity');
      expect(sts).toHaveLength(1);
      const aws = world.emulator.calls.filter((c) => c.service === 'ecs' || c.service === 'codedeploy');
      expect(aws.length).toBeGreaterThan(3);
      const keys = new Set(aws.map((c) => c.accessKeyId));
      expect(keys.size).toBe(1);
      const [key] = [...keys];
      expect(key).toMatch(/^ASIA/);
      // the runner is told to mask the token and the credentials before anything could print them
      const masks = result.stdout.split('\n').filter((l) => l.startsWith('::add-mask::'));
      expect(masks.length).toBeGreaterThanOrEqual(3);
      expect(masks.some((l) => l === `::add-mask::${key}`)).toBe(true);
    },
    LONG,
  );

  it(
    'a dev-environment token is refused by the production role, before any change',
    async () => {
      world = await startWorld();
      const prod = world.emulator.seed.role({
        name: 'github-deploy-production',
        trustPolicy: trustPolicyFor(world.emulator.accountId, `repo:${REPOSITORY}:environment:production`),
      });
      const before = world.emulator.snapshot();
      const result = await world.deploy({ 'wait-until': 'succeeded', 'role-to-assume': prod.arn });
      expect(result.exitCode).toBe(1);
      const errors = annotations(result.stdout).join('\n');
      expect(errors).toContain('github-deploy-production');
      expect(errors).toContain(`repo:${REPOSITORY}:environment:dev`);
      expect(errors).toMatch(/trust policy/i);
      expect(world.emulator.snapshot()).toBe(before);
      expect(world.emulator.calls.filter((c) => c.service === 'ecs' || c.service === 'codedeploy')).toEqual(
        [],
      );
      expect(world.emulator.calls.filter((c) => MUTATING_ACTIONS.includes(c.action))).toEqual([]);
    },
    LONG,
  );

  it(
    'a job without id-token: write is told exactly that',
    async () => {
      world = await startWorld();
      const result = await world.deploy(
        { 'wait-until': 'succeeded' },
        { env: { ACTIONS_ID_TOKEN_REQUEST_URL: undefined, ACTIONS_ID_TOKEN_REQUEST_TOKEN: undefined } },
      );
      expect(result.exitCode).toBe(1);
      expect(annotations(result.stdout).join('\n')).toContain('id-token: write');
      expect(world.emulator.calls).toEqual([]);
    },
    LONG,
  );
});
