/**
 * GitHub OIDC → STS AssumeRoleWithWebIdentity, end to end: the emulator issues GitHub-shaped tokens and
 * its STS evaluates the role's trust policy before handing out credentials.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { annotations, MUTATING_ACTIONS, REPOSITORY, startWorld, type World } from './harness.js';
import { loadTrustPolicies } from '../helpers/trust-policies.js';

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
    "infra/github-oidc-roles.yml's trust policies: a dev token gets the dev role and is refused by the production role, before any change",
    async () => {
      world = await startWorld();
      const [org, repo] = REPOSITORY.split('/') as [string, string];
      const policies = loadTrustPolicies({
        githubOrg: org,
        githubRepo: repo,
        accountId: world.emulator.accountId,
      });
      const dev = world.emulator.seed.role({ name: 'github-deploy-dev-cfn', trustPolicy: policies.dev });
      const prod = world.emulator.seed.role({ name: 'github-deploy-production', trustPolicy: policies.prod });

      const before = world.emulator.snapshot();
      const refused = await world.deploy({ 'wait-until': 'succeeded', 'role-to-assume': prod.arn });
      expect(refused.exitCode).toBe(1);
      const errors = annotations(refused.stdout).join('\n');
      expect(errors).toContain('github-deploy-production');
      expect(errors).toContain(`repo:${REPOSITORY}:environment:dev`);
      expect(errors).toMatch(/trust policy/i);
      expect(world.emulator.snapshot()).toBe(before);
      const touched = world.emulator.calls.filter((c) => c.service === 'ecs' || c.service === 'codedeploy');
      expect(touched).toEqual([]);
      expect(world.emulator.calls.filter((c) => MUTATING_ACTIONS.includes(c.action))).toEqual([]);

      // the same token, the dev role of the same template: allowed
      const allowed = await world.deploy({ 'wait-until': 'none', 'role-to-assume': dev.arn });
      expect(allowed.exitCode).toBe(0);
      expect(allowed.outputs['codedeploy-deployment-id']).toMatch(/^d-/);

      // a production deploy job's token gets the production role
      const prodRun = await world.deploy(
        { 'wait-until': 'none', 'role-to-assume': prod.arn, 'on-active-deployment': 'stop' },
        { job: 'prod' },
      );
      expect(prodRun.exitCode).toBe(0);
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
